import ArgumentParser
import BourseCore
import BourseRuntime

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of Bourse, its plugin ABI and the C libraries it links.")

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        var entries: [(String, String)] = [("bourse", bourseVersion), ("plugin-abi", ABIVersion.host.description)]
        entries += SystemLibraries.versions.map { ($0.name, $0.version) }
        if json {
            printJSON(Dictionary(uniqueKeysWithValues: entries))
        } else {
            for (name, version) in entries { print("\(name) \(version)") }
        }
    }
}
