#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseGraph
import BourseRuntime
import BourseTestSupport
import Foundation
import Testing

@Suite("Demo graph with the first-party plugins", .serialized)
struct DemoGraphTests {
    /// Runs the demo graph with `isolation` into a fresh directory; returns the summary and the directory.
    func runDemo(_ isolation: Isolation) throws -> (RunSummary, TemporaryDirectory) {
        let pluginDirectory = TestPaths.firstPartyPluginDirectory
        try #require(FileManager.default.fileExists(atPath: pluginDirectory + "/libbourse-csv-bars.so"),
                     "build the first-party plugins first: swift build --package-path Plugins")
        let out = TemporaryDirectory()
        setenv("BOURSE_DEMO_OUT", out.path, 1)
        defer { unsetenv("BOURSE_DEMO_OUT") }
        var options = RuntimeOptions()
        options.pluginPath = [pluginDirectory]
        options.logLevel = .error
        options.isolation = isolation
        options.workerExecutable = TestPaths.buildDirectory + "/bourse-worker"
        let (built, diagnostics) = GraphBuilder.build(fileAt: TestPaths.repositoryRoot + "/docs/examples/demo/graph.yaml", options: options)
        let graph = try #require(built, "\(diagnostics)")
        #expect(diagnostics.isEmpty)
        let summary = GraphRunner(graph: graph).run()
        graph.destroy()
        return (summary, out)
    }

    @Test("docs/examples/demo/graph.yaml runs sandboxed (the default) on the bundled data and writes every message")
    func demo() throws {
        let (summary, out) = try runDemo(.sandboxed)
        #expect(summary.succeeded, "\(summary.nodes.map { "\($0.id): \($0.failure ?? "ok")" })")
        let byID = Dictionary(uniqueKeysWithValues: summary.nodes.map { ($0.id, $0.statistics) })
        // 5849 SPY and 3964 QQQ daily bars; EMA(20) starts at bar 20, RSI(14) at bar 15.
        #expect(byID["spy"]?.messagesOut == 5849)
        #expect(byID["qqq"]?.messagesOut == 3964)
        #expect(byID["ema20"]?.messagesOut == (5849 - 19) + (3964 - 19))
        #expect(byID["rsi14"]?.messagesOut == (5849 - 14) + (3964 - 14))
        #expect(byID["export"]?.messagesIn == 5849 + 3964 + 9775 + 9785)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["bars.QQQ.1d.csv", "bars.SPY.1d.csv", "indicators.ema20.csv", "indicators.rsi14.csv"])
        let spy = try String(contentsOfFile: out.file("bars.SPY.1d.csv"), encoding: .utf8).split(separator: "\n")
        #expect(spy.first == "time,topic,instrument,open,high,low,close,volume")
        #expect(spy.count == 5850)
        #expect(spy[1].hasPrefix("1998-01-02T05:00:00Z,bars.SPY.1d,SPY,97.31,97.53,96.53,97.36,"))
        let ema = try String(contentsOfFile: out.file("indicators.ema20.csv"), encoding: .utf8).split(separator: "\n")
        #expect(ema.first == "time,topic,instrument,ema20")
    }

    @Test("sandboxed and in-process runs of the demo write the same rows")
    func sandboxedMatchesInProcess() throws {
        let (sandboxed, a) = try runDemo(.sandboxed)
        let (inProcess, b) = try runDemo(.inProcess)
        #expect(sandboxed.succeeded && inProcess.succeeded)
        for file in ["bars.QQQ.1d.csv", "bars.SPY.1d.csv", "indicators.ema20.csv", "indicators.rsi14.csv"] {
            let rowsA = try String(contentsOfFile: a.file(file), encoding: .utf8).split(separator: "\n").sorted()
            let rowsB = try String(contentsOfFile: b.file(file), encoding: .utf8).split(separator: "\n").sorted()
            #expect(rowsA == rowsB, "\(file)")
        }
    }
}
