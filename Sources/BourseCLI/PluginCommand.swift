import ArgumentParser
import BourseCore
import BoursePluginHost
import BourseIsolation
import BourseRuntime
import BourseSandbox

struct Plugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with plugin files.",
        subcommands: [Inspect.self, Permissions.self, New.self, Pack.self, Sign.self, Check.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plugin .so and print its descriptor.",
            discussion: "Runs the same checks as loading for a graph (ELF header, architecture, entry symbol, ABI version, function table) without creating an instance. The plugin is loaded in a sandboxed worker, never in this process.")

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
                // Loading runs the plugin's constructors: do it in a sandboxed worker.
                let host = SandboxedPluginHost(options: SandboxOptions(workerExecutable: SandboxedPluginHost.defaultWorkerExecutable()))
                let info = try host.inspect(path: path, label: plugin)
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

extension Plugin {
    struct Permissions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what a plugin asks for and the exact system calls its sandboxed worker will get.",
            discussion: """
            Reads the plugin's descriptor (in a sandboxed worker: the plugin's code never \
            runs in this process) and prints, for each stage of its worker — loader \
            (while the plugin is loaded and created) and strict (while it serves \
            messages) — every system call rule: allowed, refused with an errno, or fatal, \
            with the reason. A graph node must grant each permission with `allow:`; \
            read-paths and write-paths get their directories from the grant, so use \
            --grant to see the table for a concrete grant.
            """)

        @Argument(help: "Path to the plugin's .so file, or a plugin name to search for.", completion: .file(extensions: ["so"]))
        var plugin: String

        @Option(name: .customLong("plugin-path"), help: ArgumentHelp("A directory to search for plugin names (repeatable).", valueName: "dir"))
        var pluginPath: [String] = []

        @Option(help: ArgumentHelp("The permissions a node would grant (allow: syntax, comma-separated), e.g. read-paths:/data,network.", valueName: "list"))
        var grant: String?

        @Flag(help: "Print as JSON.")
        var json = false

        func run() throws {
            do {
                let path = try PluginResolver.standard(graphPath: [], extra: pluginPath).resolve(plugin, graphDirectory: ".")
                let host = SandboxedPluginHost(options: SandboxOptions(workerExecutable: SandboxedPluginHost.defaultWorkerExecutable()))
                let info = try host.inspect(path: path, label: plugin)
                let granted = grant ?? info.permissions.split(separator: ",").map { entry in
                    // A bare read-paths/write-paths gets its directories from the grant; show it as such.
                    entry == "read-paths" || entry == "write-paths" ? "\(entry):/GRANTED" : String(entry)
                }.joined(separator: ",")
                let permissions = try PluginPermissions.parse(granted.isEmpty ? "" : granted)
                let table = SyscallTable(permissions: permissions)
                if json {
                    print(table.json())
                    return
                }
                print("plugin \(info.name) \(info.version) (\(info.kind)) asks for: \(info.permissions.isEmpty ? "nothing" : info.permissions)")
                if grant == nil, info.permissions.contains("-paths") && !info.permissions.contains("-paths:") {
                    print("(its read/write paths come from the node's `allow:`; pass --grant to see a concrete table)")
                }
                print(table.text())
            } catch let error as BourseError {
                printError("bourse: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
