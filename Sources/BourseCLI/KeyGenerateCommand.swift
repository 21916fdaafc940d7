import ArgumentParser
import BourseCore
import BoursePackage

/// `bourse keys generate`: a new Ed25519 signing key pair.
struct KeysGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate an Ed25519 signing key: FILE (private, mode 0600) and FILE.pub.",
        discussion: "Sign packages with FILE (`bourse plugin pack --key FILE`, `bourse plugin sign PKG --key FILE`); give FILE.pub to admins (`bourse keys trust FILE.pub`). Never commit a private key. Refuses to overwrite either file. Formats: docs/package-format.md.")

    @Option(help: ArgumentHelp("Path of the private key file to create.", valueName: "file"))
    var out: String

    func run() throws {
        try reportingErrors {
            let key = try SigningKeyFile.generate(path: out)
            print("generated key \(key.keyID)")
            print("  private: \(out) (mode 0600; keep it secret)")
            print("  public:  \(out).pub")
        }
    }
}
