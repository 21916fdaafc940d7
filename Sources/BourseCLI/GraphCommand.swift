import ArgumentParser
import BourseCore
import BourseRuntime

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with graph files.",
        subcommands: [Validate.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a graph file without running it.",
            discussion: """
            Checks YAML syntax (with line and column), unknown and missing keys, \
            duplicate node ids, topic syntax, that every plugin loads and is of a kind \
            that may publish/subscribe what the node asks, that every subscription \
            matches a published topic, cycles, and that every plugin accepts its config \
            (each is created and destroyed, not started). Lists every problem, then \
            exits 1 if there was any error. Topics nobody reads are warnings.
            """)

        @OptionGroup var options: GraphOptions

        @Flag(help: "Print the result as JSON on stdout.")
        var json = false

        struct Report: Codable {
            var file: String
            var valid: Bool
            var errors: Int
            var warnings: Int
            var diagnostics: [DiagnosticJSON]
            var nodes: [NodeJSON]
        }

        struct NodeJSON: Codable {
            var id: String
            var plugin: String
            var version: String
            var kind: String
            var path: String
        }

        func run() throws {
            let (built, diagnostics) = GraphBuilder.build(fileAt: options.graph, options: try options.runtimeOptions())
            let nodes = built?.plugins.map { NodeJSON(id: $0.node, plugin: $0.info.name, version: $0.info.version, kind: $0.info.kind.description, path: $0.info.path) } ?? []
            built?.destroy()
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            if json {
                printJSON(Report(file: options.graph, valid: errors == 0, errors: errors, warnings: warnings,
                                 diagnostics: diagnostics.map(DiagnosticJSON.init), nodes: nodes))
            } else {
                printDiagnostics(diagnostics)
                if errors == 0 {
                    print("\(options.graph): valid (\(nodes.count) nodes, \(warnings) warning(s))")
                    for n in nodes { print("  \(n.id): \(n.plugin) \(n.version) (\(n.kind)) from \(n.path)") }
                } else {
                    printError("\(options.graph): \(errors) error(s), \(warnings) warning(s)")
                }
            }
            if errors > 0 { throw ExitCode(1) }
        }
    }
}
