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
        let byID = Dictionary(uniqueKeysWithValues: summary.nodes.map { ($0.id, $0) })
        // 5849 daily bars for SPY, AAPL, IBM and BAC, 3964 for QQQ; the set's first value (roc1) is at bar 1.
        let bars = 4 * 5849 + 3964
        for id in ["spy", "aapl", "ibm", "bac"] { #expect(byID[id]?.statistics.messagesOut == 5849, "\(id)") }
        #expect(byID["qqq"]?.statistics.messagesOut == 3964)
        #expect(byID["ta"]?.statistics.messagesOut == bars - 5)
        #expect(byID["anomalies"]?.counters["values_scored"] == Int64(bars - 5))
        let alerts = try #require(byID["anomalies"]?.counters["alerts_published"])
        #expect(alerts > 0)
        #expect(byID["db"]?.statistics.messagesIn == 3 * bars - 10 + Int(alerts))
        #expect(byID["db"]?.counters["rows_written"] == Int64(3 * bars - 10) + alerts)
        #expect(byID["report"]?.counters["alerts"] == alerts)
        #expect(byID["report"]?.counters["reports_written"] == 1)
        #expect(byID["export"]?.statistics.messagesIn == 2 * bars - 5)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["bourse.db", "csv", "report.html"])
        let spy = try String(contentsOfFile: out.file("csv/bars.SPY.1d.csv"), encoding: .utf8).split(separator: "\n")
        #expect(spy.first == "time,topic,instrument,open,high,low,close,volume")
        #expect(spy.count == 5850)
        #expect(spy[1].hasPrefix("1998-01-02T05:00:00Z,bars.SPY.1d,SPY,97.31,97.53,96.53,97.36,"))
        let report = try String(contentsOfFile: out.file("report.html"), encoding: .utf8)
        for symbol in ["AAPL", "BAC", "IBM", "QQQ", "SPY"] { #expect(report.contains("<h2 id=\"i-\(symbol)\">\(symbol)</h2>")) }
        #expect(report.contains("<tr class=\"total\"><td>total</td><td>\(bars)</td>"))
    }

    @Test("sandboxed and in-process runs of the demo write the same rows and the same report")
    func sandboxedMatchesInProcess() throws {
        let (sandboxed, a) = try runDemo(.sandboxed)
        let (inProcess, b) = try runDemo(.inProcess)
        #expect(sandboxed.succeeded && inProcess.succeeded)
        for file in ["csv/bars.QQQ.1d.csv", "csv/bars.SPY.1d.csv", "csv/indicators.daily.csv"] {
            let rowsA = try String(contentsOfFile: a.file(file), encoding: .utf8).split(separator: "\n").sorted()
            let rowsB = try String(contentsOfFile: b.file(file), encoding: .utf8).split(separator: "\n").sorted()
            #expect(rowsA == rowsB, "\(file)")
        }
        // The report depends only on each instrument's own messages, not on how topics interleave.
        #expect(try Data(contentsOf: URL(fileURLWithPath: a.file("report.html")))
            == Data(contentsOf: URL(fileURLWithPath: b.file("report.html"))))
    }
}
