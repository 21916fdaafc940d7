import ArgumentParser
import BourseCore
import BoursePluginHost
import BourseRuntime

struct Plugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with plugin files.",
        subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plugin .so and print its descriptor.",
            discussion: "Runs the same checks as loading for a graph (ELF header, architecture, entry symbol, ABI version, function table) without creating an instance.")

        @Argument(help: "Path to the plugin's .so file, or a plugin name to search for.", completion: .file(extensions: ["so"]))
        var plugin: String

        @Option(name: .customLong("plugin-path"), help: ArgumentHelp("A directory to search for plugin names (repeatable).", valueName: "dir"))
        var pluginPath: [String] = []

        @Flag(help: "Print the result as JSON on stdout.")
        var json = false

        struct Report: Codable {
            var name: String
            var version: String
            var kind: String
            var abi: String
            var hostABI: String
            var toolchain: String
            var summary: String
            var permissions: String
            var path: String
        }

        func run() throws {
            do {
                let path = try PluginResolver.standard(graphPath: [], extra: pluginPath).resolve(plugin, graphDirectory: ".")
                let info = try InProcessPluginHost().inspect(path: path, label: plugin)
                let report = Report(name: info.name, version: info.version, kind: info.kind.description, abi: info.abi.description,
                                    hostABI: ABIVersion.host.description, toolchain: info.toolchain, summary: info.summary,
                                    permissions: info.permissions, path: info.path)
                if json {
                    printJSON(report)
                } else {
                    print("""
                    name:        \(report.name)
                    version:     \(report.version)
                    kind:        \(report.kind)
                    abi:         \(report.abi) (host supports \(ABIVersion.host.major).0-\(report.hostABI))
                    toolchain:   \(report.toolchain)
                    summary:     \(report.summary)
                    permissions: \(report.permissions.isEmpty ? "none" : report.permissions)
                    path:        \(report.path)
                    """)
                }
            } catch let error as BourseError {
                if json { printJSON(["error": DiagnosticJSON(Diagnostic(.error, error))]) }
                printError("bourse: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
