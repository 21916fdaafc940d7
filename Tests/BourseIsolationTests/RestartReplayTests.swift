import BourseCore
import BourseTestSupport
import Foundation
import Testing

/// A worker that dies with batches in flight: the host keeps its copies of
/// every batch not answered yet and gives them all to the new worker.
@Suite("Restart with batches in flight")
struct RestartReplayTests {
    /// source → crasher (aborts on the bar with close 1000, once) → sink, sandboxed, through the CLI.
    private func runCrashOnce(maxRestarts: Int) throws -> (ProcessResult, [String: Any], String) {
        try FixturePlugins.buildStandard()
        let dir = TemporaryDirectory(prefix: "bourse-replay")
        let graph = try dir.write("graph.yaml", """
        nodes:
          - id: source
            plugin: fixture-source
            config: {count: 2000, per_poll: 50}
            publishes: bars.X.1m
          - id: crasher
            plugin: fixture-indicator
            config: {crash_at: 1000}
            subscribes: bars.X.1m
            publishes: crasher.out
            batch_size: 50
            limits: {max_restarts: \(maxRestarts)}
          - id: sink
            plugin: fixture-sink
            config: {out: "\(dir.file("sink.txt"))"}
            subscribes: crasher.out
            isolation: in-process   # the C fixture writes its report with fopen and declares no permissions
        """)
        let result = try runProcess(TestPaths.bourseExecutable, ["run", graph, "--json", "--log-level", "warning",
                                                                 "--plugin-path", FixturePlugins.pluginDirectory])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        let sinkReport = (try? String(contentsOfFile: dir.file("sink.txt"), encoding: .utf8)) ?? ""
        return (result, json, sinkReport)
    }

    private func statistics(_ json: [String: Any], _ id: String) -> [String: Any] {
        let nodes = json["nodes"] as? [[String: Any]] ?? []
        let node = nodes.first { $0["id"] as? String == id } ?? [:]
        return node["statistics"] as? [String: Any] ?? [:]
    }

    @Test("a worker killed mid-stream is restarted and gets every unanswered batch again: nothing lost, nothing doubled")
    func replayAfterCrash() throws {
        let (result, json, sink) = try runCrashOnce(maxRestarts: 2)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("killed by SIGABRT"), "\(result.stderr)")
        #expect(result.stderr.contains("restart 1 of 2"), "\(result.stderr)")
        #expect(result.stderr.contains("redelivering"), "\(result.stderr)")
        // The first instance is told 0, the one made after the crash 1 (`restart_count`, ABI 1.2).
        #expect(result.stderr.contains("restart_count=0") && result.stderr.contains("restart_count=1"), "\(result.stderr)")
        // The crashed batch and those behind it were not handled before the
        // crash, so the replay delivers each bar exactly once here.
        #expect(statistics(json, "crasher")["messagesOut"] as? Int == 2000, "\(json)")
        #expect(statistics(json, "crasher")["messagesIn"] as? Int == 2000)
        #expect(statistics(json, "sink")["messagesIn"] as? Int == 2000)
        #expect(sink == "count=2000 gaps=0\n")
    }

    @Test("a quarantined node's unhandled messages count as discarded, not delivered")
    func quarantineAccounting() throws {
        let (result, json, _) = try runCrashOnce(maxRestarts: 0)
        #expect(result.status != 0)
        #expect(result.stderr.contains("quarantined"), "\(result.stderr)")
        let crasher = statistics(json, "crasher")
        let messagesIn = crasher["messagesIn"] as? Int ?? -1
        let discarded = crasher["discarded"] as? Int ?? -1
        #expect(messagesIn + discarded == 2000, "\(crasher)")
        // Bars 1...999 were handled before the crash; the one with close 1000 never was.
        #expect(messagesIn >= 999 - 50 && messagesIn < 1000, "\(crasher)")
        #expect(crasher["messagesOut"] as? Int == messagesIn)
    }
}
