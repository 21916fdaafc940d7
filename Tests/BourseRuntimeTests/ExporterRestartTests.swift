import BourseStore
import BourseTestSupport
import Foundation
import Testing

/// An exporter whose worker is killed in the middle of a run: the restarted
/// instance appends, and every batch the killed one had not acknowledged is
/// delivered again — the output has every row once.
@Suite("Exporters across a worker restart", .serialized)
struct ExporterRestartTests {
    private let data = TestPaths.repositoryRoot + "/docs/examples/demo/data"

    /// Runs the bundled SPY bars (5849) into `exporter` (node `id`, config
    /// `config`, writing below `out/`) with its first worker killed after its
    /// 5th batch of 64 (`BOURSE_FAULT_KILL_WORKER`).
    private func runKilled(_ exporter: String, id: String, config: String, in dir: TemporaryDirectory) throws -> ProcessResult {
        let pluginDirectory = TestPaths.firstPartyPluginDirectory
        try #require(FileManager.default.fileExists(atPath: pluginDirectory + "/libbourse-\(exporter).so"),
                     "build the first-party plugins first: swift build --package-path Plugins")
        let graph = try dir.write("graph.yaml", """
        version: 1
        nodes:
          - id: spy
            plugin: csv-bars
            config: {path: "\(data)/spy.zip", instrument: SPY, interval: 1d}
            allow: ["read-paths:\(data)"]
            publishes: bars.SPY.1d
          - id: \(id)
            plugin: \(exporter)
            config: \(config)
            subscribes: bars.>
            batch_size: 64
            allow: ["write-paths:\(dir.path)/out"]
        """)
        var environment = ProcessInfo.processInfo.environment
        environment["BOURSE_FAULT_KILL_WORKER"] = "\(id):5"
        let result = try runProcess(TestPaths.bourseExecutable, ["run", graph, "--plugin-path", pluginDirectory],
                                    environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("node '\(id)' (\(exporter)): worker failed in on_messages: killed by SIGKILL"),
                "\(result.stderr)")
        #expect(result.stderr.contains("restart 1 of 3"), "\(result.stderr)")
        #expect(result.stdout.contains("ok, restarted 1×"), "\(result.stdout)")
        return result
    }

    @Test("csv-export killed after its 5th batch: one header, every bar once, in order", arguments: ["csv", "binary"])
    func csvExportContinuesAfterKill(format: String) throws {
        let dir = TemporaryDirectory(prefix: "bourse-export-restart")
        let file = "\(dir.path)/out/bars.\(format)"
        let result = try runKilled("csv-export", id: "export", config: #"{format: \#(format), path: "\#(file)"}"#, in: dir)
        #expect(result.stderr.contains("appending to \(file)"), "\(result.stderr)")

        // Read back through the `file` source and out as CSV: every bar of spy.zip once, in order.
        let check = try dir.write("check.yaml", """
        version: 1
        nodes:
          - id: back
            plugin: file
            config: {path: "\(file)", codec: \(format)}
            allow: ["read-paths:\(dir.path)/out"]
            publishes: bars.SPY.1d
          - id: again
            plugin: csv-export
            config: {format: csv, path: "\(dir.path)/check/bars.csv"}
            subscribes: bars.>
            allow: ["write-paths:\(dir.path)/check"]
        """)
        let decoded = try runProcess(TestPaths.bourseExecutable, ["run", check, "--plugin-path", TestPaths.firstPartyPluginDirectory])
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let lines = try String(contentsOfFile: dir.file("check/bars.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("time,topic,instrument,open") == true)
        let times = lines.dropFirst().map { $0.prefix { $0 != "," } }
        #expect(times.count == 5849, "\(times.count) rows")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "every bar once, in order")
        if format == "csv" {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.components(separatedBy: "time,topic,instrument").count == 2, "one header")
        }
    }

    @Test("sqlite killed after its 5th batch: every bar once (its transaction per batch commits before the acknowledgement)")
    func sqliteContinuesAfterKill() throws {
        let dir = TemporaryDirectory(prefix: "bourse-export-restart")
        _ = try runKilled("sqlite", id: "db", config: #"{path: "\#(dir.path)/out/bars.db"}"#, in: dir)
        let database = try SQLiteDatabase(path: dir.file("out/bars.db"))
        let rows = try database.query("SELECT COUNT(*), COUNT(DISTINCT time_ns) FROM bars")
        #expect(rows.first?.int(0) == 5849 && rows.first?.int(1) == 5849, "\(rows)")
    }
}
