import ArgumentParser
import BourseCore
import BoursePackage
import BourseRegistry
import Foundation

/// `bourse index …`: write a registry directory (the publisher's side).
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Create a registry directory, publish packages into it, yank versions, re-sign it.",
        discussion: """
        Every change appends to (or, for yank, flags a line of) the plugin's index \
        file, then re-signs snapshot.json and timestamp.json with --key, each with a \
        higher version. The timestamp expires after a day and the snapshot after a \
        week (--timestamp-days, --snapshot-days): run `bourse index refresh` before \
        then, or clients refuse the registry as frozen. Serve the directory with \
        `bourse registry serve` or any static web server. See docs/registry.md.
        """,
        subcommands: [Init.self, Publish.self, Yank.self, Refresh.self])

    /// Options shared by the commands that sign.
    struct SigningOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The registry directory.", valueName: "dir"), completion: .directory)
        var registry: String

        @Option(help: ArgumentHelp("The signing key file (bourse keys generate) trusted for snapshot and timestamp in root.json.", valueName: "file"), completion: .file())
        var key: String

        @Option(name: .customLong("timestamp-days"), help: ArgumentHelp("Days until the new timestamp expires.", valueName: "days"))
        var timestampDays: Double = 1

        @Option(name: .customLong("snapshot-days"), help: ArgumentHelp("Days until the new snapshot expires.", valueName: "days"))
        var snapshotDays: Double = 7

        func validate() throws {
            guard timestampDays > 0, snapshotDays > 0 else { throw ValidationError("--timestamp-days and --snapshot-days must be positive") }
        }

        func publisher() throws -> RegistryPublisher {
            var publisher = RegistryPublisher(directory: registry, key: try SigningKeyFile.load(path: key))
            publisher.expiries.timestamp = timestampDays * 86_400
            publisher.expiries.snapshot = snapshotDays * 86_400
            return publisher
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a registry: config.json, root.json trusting KEY for every role, empty snapshot and timestamp.",
            discussion: "DIR may exist (a README is fine) but must not hold a root.json. Give DIR/root.json to clients: bourse registry add NAME URL|DIR --root root.json")

        @Argument(help: ArgumentHelp("The registry directory to create.", valueName: "dir"), completion: .directory)
        var directory: String

        @Option(help: ArgumentHelp("The signing key file (bourse keys generate).", valueName: "file"), completion: .file())
        var key: String

        @Option(help: ArgumentHelp("A human name for the registry (default: the directory's name).", valueName: "name"))
        var name: String?

        @Option(name: .customLong("root-days"), help: ArgumentHelp("Days until root.json expires.", valueName: "days"))
        var rootDays: Double = 365

        func run() throws {
            try reportingErrors {
                var publisher = RegistryPublisher(directory: directory, key: try SigningKeyFile.load(path: key))
                publisher.expiries.root = rootDays * 86_400
                let root = try publisher.initialize(name: name)
                print("created registry \(directory) (root version 1, key \(publisher.key.keyID), root expires \(root.signed.expires))")
                print("clients add it with: bourse registry add NAME \(directory) --root \(directory)/root.json")
            }
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish packages: verify, copy the archive, append its index line, re-sign.",
            discussion: """
            Each package is read like an install would (hostile-archive checks) and its \
            signature must be by the registry key or a key given with --trust. A version \
            already published is refused: index lines never change (except `yanked`).
            """)

        @Argument(help: ArgumentHelp("The .bpkg files.", valueName: "pkg"), completion: .file(extensions: ["bpkg"]))
        var packages: [String]

        @OptionGroup var signing: SigningOptions

        @Option(help: ArgumentHelp("A public key file (.pub) whose package signatures are accepted (repeatable; the registry key always is).", valueName: "file"), completion: .file(extensions: ["pub"]))
        var trust: [String] = []

        func validate() throws {
            guard !packages.isEmpty else { throw ValidationError("give at least one .bpkg file to publish") }
        }

        func run() throws {
            try reportingErrors {
                let publisher = try signing.publisher()
                let trusted = try [publisher.key.publicKey] + trust.map { try PublicKey.load(path: $0) }
                for package in packages {
                    let entry = try publisher.publish(archivePath: package, trustedKeys: trusted)
                    print("published \(entry.name) \(entry.vers) (\(entry.kind), abi \(entry.abi), sha256 \(entry.cksum.prefix(16))…) as \(entry.dl)")
                }
            }
        }
    }

    struct Yank: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Yank a version: ranges never choose it again; exact references still work.",
            discussion: "Only the line's `yanked` flag changes; --undo clears it.")

        @Argument(help: ArgumentHelp("The version to yank, as NAME@VERSION.", valueName: "name@version"))
        var target: String

        @OptionGroup var signing: SigningOptions

        @Flag(help: "Clear the yanked flag instead.")
        var undo = false

        func run() throws {
            let parts = target.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2, let version = SemanticVersion(parts[1]) else {
                throw ValidationError("'\(target)' is not NAME@VERSION with an exact version (e.g. ema@1.2.0)")
            }
            try reportingErrors {
                let entry = try signing.publisher().yank(parts[0], version: version, yanked: !undo)
                print("\(entry.yanked ? "yanked" : "un-yanked") \(entry.name) \(entry.vers)")
            }
        }
    }

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-sign snapshot and timestamp with new versions and expiries (run before the timestamp expires).")

        @OptionGroup var signing: SigningOptions

        func run() throws {
            try reportingErrors {
                try signing.publisher().refresh()
                print("re-signed \(signing.registry) (timestamp valid \(signing.timestampDays) day(s))")
            }
        }
    }
}
