#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BourseCore
import BourseGraph
import BourseRuntime
import BourseStore
import Dispatch
import Foundation

/// Options shared by commands that load a graph.
struct GraphOptions: ParsableArguments {
    @Argument(help: "The graph file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var graph: String

    @Option(name: .customLong("plugin-path"), help: ArgumentHelp("A directory to search for plugins named without a path (repeatable).", valueName: "dir"))
    var pluginPath: [String] = []

    @Option(name: .customLong("log-level"), help: "Lowest log level shown: trace, debug, info, warning, error.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("The Bourse home whose plugin store resolves `plugin: NAME@RANGE` (default: $BOURSE_HOME, else ~/.bourse).", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("Run every node sandboxed or in-process, whatever the graph says. in-process is unsafe: only for plugins you trust.", valueName: "sandboxed|in-process"))
    var isolation: String?

    func runtimeOptions() throws -> RuntimeOptions {
        guard let level = LogLevel(name: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'; use one of: \(LogLevel.allCases.map(\.name).joined(separator: ", "))")
        }
        var options = RuntimeOptions()
        options.pluginPath = pluginPath
        options.installedPlugins = StoreLocator(home: StoreHome.resolve(explicit: home))
        options.logLevel = level
        if let isolation {
            guard let parsed = Isolation(rawValue: isolation) else {
                throw ValidationError("unknown isolation '\(isolation)'; use sandboxed or in-process")
            }
            options.isolation = parsed
        }
        return options
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a graph, then run it until its sources end or a signal arrives.",
        discussion: """
        Nodes are started sinks first and sources last. When every source reaches \
        end of input, or on SIGINT/SIGTERM, sources stop first and every queue is \
        drained before downstream nodes flush and stop: nothing already published \
        is lost. A second SIGINT/SIGTERM abandons the drain.

        Prints a per-node summary (messages in/out, errors, busy and wall time).
        Exit status: 0 when every node succeeded, 1 when validation or a node \
        failed, 64 on bad arguments, 130 when stopped by a signal (after \
        draining).
        """)

    @OptionGroup var options: GraphOptions

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func run() throws {
        let runtimeOptions = try options.runtimeOptions()
        let (built, diagnostics) = GraphBuilder.build(fileAt: options.graph, options: runtimeOptions)
        printDiagnostics(diagnostics)
        guard let built else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            printError("bourse: \(options.graph): \(errors) error(s); nothing was run")
            throw ExitCode(1)
        }
        defer { built.destroy() }
        let runner = GraphRunner(graph: built)
        let signals = SignalHandler(runner: runner)
        signals.install()
        let summary = runner.run()
        signals.uninstall()
        if json {
            printJSON(summary)
        } else {
            print(formatSummary(summary))
        }
        if !summary.succeeded { throw ExitCode(1) }
        if signals.received { throw ExitCode(130) }
    }
}

/// First SIGINT/SIGTERM: graceful stop. Second: abort the drain.
final class SignalHandler: @unchecked Sendable {
    private let runner: GraphRunner
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "bourse.signals")
    private(set) var received = false
    private var count = 0

    init(runner: GraphRunner) { self.runner = runner }

    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.handle(sig) }
            source.resume()
            sources.append(source)
        }
    }

    func uninstall() {
        queue.sync {
            for source in sources { source.cancel() }
            sources.removeAll()
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private func handle(_ sig: Int32) {
        received = true
        count += 1
        let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
        if count == 1 {
            printError("bourse: \(name): stopping sources and draining queues (send again to abort)")
            runner.requestStop()
        } else {
            printError("bourse: \(name) again: aborting the drain; queued messages are dropped")
            runner.abort()
        }
    }
}

/// The human-readable run summary.
func formatSummary(_ summary: RunSummary) -> String {
    let rows = summary.nodes.map { n -> [String] in
        let s = n.statistics
        let rate = s.wallNanoseconds > 0 ? Double(max(s.messagesIn, s.messagesOut)) / (Double(s.wallNanoseconds) / 1e9) : 0
        return [n.id, "\(n.plugin) \(n.version)", n.kind, "\(s.messagesIn)", "\(s.messagesOut)", "\(s.errors)",
                formatDuration(s.busyNanoseconds), formatDuration(s.wallNanoseconds), String(format: "%.0f/s", rate),
                n.quarantined ? "QUARANTINED" : n.failure != nil ? "FAILED"
                    : s.restarts > 0 ? "ok, restarted \(s.restarts)×" : "ok"]
    }
    var text = formatTable(["node", "plugin", "kind", "in", "out", "errors", "busy", "wall", "rate", "status"], rows,
                           rightAligned: [3, 4, 5, 6, 7, 8])
    for n in summary.nodes where !n.counters.isEmpty {
        text += "\n  \(n.id): " + n.counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
    for n in summary.nodes {
        if let failure = n.failure { text += "\n  \(n.id) failed: \(failure)" }
        if n.statistics.discarded > 0 { text += "\n  \(n.id) discarded \(n.statistics.discarded) message(s) after failing" }
    }
    if !summary.quarantinedNodes.isEmpty {
        text += "\nquarantined: \(summary.quarantinedNodes.joined(separator: ", "))"
    }
    text += "\n\(summary.interrupted ? "stopped" : "finished") in \(formatDuration(summary.wallNanoseconds))"
    return text
}
