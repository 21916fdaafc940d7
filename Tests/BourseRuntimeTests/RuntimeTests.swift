#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseGraph
import BourseRuntime
import BourseTestSupport
import Foundation
import Testing

func fixtureOptions() throws -> RuntimeOptions {
    try FixturePlugins.buildStandard()
    var options = RuntimeOptions()
    options.pluginPath = [FixturePlugins.pluginDirectory]
    options.logLevel = .error
    options.isolation = .inProcess
    return options
}

/// A source → indicator → sink graph; the sink writes "count=N gaps=G" to `out`.
func pipelineYAML(count: Int, delayMicroseconds: Int = 0, perPoll: Int = 64, out: String, extraNode: String = "") -> String {
    """
    nodes:
      - id: source
        plugin: fixture-source
        config: {count: \(count), per_poll: \(perPoll), delay_us: \(delayMicroseconds), instrument: SPY}
        publishes: bars.SPY.1m
      - id: closes
        plugin: fixture-indicator
        subscribes: bars.*.1m
        publishes: ind.SPY.close
        queue_bytes: 4096
      - id: sink
        plugin: fixture-sink
        subscribes: [ind.>, bars.>]
        config: {out: "\(out)"}
    \(extraNode)
    """
}

func build(_ yaml: String, in dir: TemporaryDirectory) throws -> (BuiltGraph?, [Diagnostic]) {
    let path = try dir.write("graph.yaml", yaml)
    return GraphBuilder.build(fileAt: path, options: try fixtureOptions())
}

@Suite("Graph runtime", .serialized)
struct RuntimeTests {
    @Test("a pipeline runs to end of input and every message arrives in order")
    func runsToEnd() throws {
        let dir = TemporaryDirectory()
        let (built, diagnostics) = try build(pipelineYAML(count: 5000, out: dir.file("sink.txt")), in: dir)
        let graph = try #require(built, "\(diagnostics)")
        let summary = GraphRunner(graph: graph).run()
        graph.destroy()
        let byID = Dictionary(uniqueKeysWithValues: summary.nodes.map { ($0.id, $0) })
        #expect(summary.succeeded)
        #expect(!summary.interrupted)
        #expect(byID["source"]?.statistics.messagesOut == 5000)
        #expect(byID["closes"]?.statistics.messagesIn == 5000)
        #expect(byID["closes"]?.statistics.messagesOut == 5000)
        #expect(byID["sink"]?.statistics.messagesIn == 10000)
        #expect(try String(contentsOfFile: dir.file("sink.txt"), encoding: .utf8) == "count=10000 gaps=0\n")
        #expect(summary.nodes.map(\.id) == ["source", "closes", "sink"])
    }

    @Test("a stop request mid-stream drains every queue: nothing published is lost")
    func gracefulDrain() throws {
        let dir = TemporaryDirectory()
        let (built, diagnostics) = try build(pipelineYAML(count: 10_000_000, delayMicroseconds: 200, perPoll: 32, out: dir.file("sink.txt")), in: dir)
        let graph = try #require(built, "\(diagnostics)")
        let runner = GraphRunner(graph: graph)
        let stopper = Thread {
            usleep(300_000)
            runner.requestStop()
        }
        stopper.start()
        let summary = runner.run()
        graph.destroy()
        let byID = Dictionary(uniqueKeysWithValues: summary.nodes.map { ($0.id, $0) })
        let published = try #require(byID["source"]?.statistics.messagesOut)
        #expect(summary.interrupted)
        #expect(published > 0 && published < 10_000_000)
        #expect(byID["closes"]?.statistics.messagesIn == published)
        #expect(byID["sink"]?.statistics.messagesIn == 2 * published)
        #expect(try String(contentsOfFile: dir.file("sink.txt"), encoding: .utf8) == "count=\(2 * published) gaps=0\n")
        #expect(runner.state == .finished)
    }

    @Test("plugin problems are found before anything runs", arguments: [
        ("unloadable-plugin.yaml", [BourseError.Code.pluginNotFound, .fileNotFound]),
        ("wrong-kind.yaml", [.wrongKind]),
        ("bad-config.yaml", [.pluginCreateFailed]),
    ])
    func pluginValidation(file: String, codes: [BourseError.Code]) throws {
        let (built, diagnostics) = GraphBuilder.build(fileAt: TestPaths.fixtures + "/graphs/invalid/" + file, options: try fixtureOptions())
        #expect(built == nil)
        let found = Set(diagnostics.filter { $0.severity == .error }.map(\.error.code))
        #expect(found.isSuperset(of: Set(codes)), "\(diagnostics)")
        let error = diagnostics.first { codes.contains($0.error.code) }
        #expect(error?.location != nil)
    }

    @Test("on_error: stop ends the graph gracefully and reports the failing node")
    func errorStops() throws {
        let dir = TemporaryDirectory()
        let yaml = pipelineYAML(count: 100_000, out: dir.file("sink.txt"))
            .replacingOccurrences(of: "publishes: ind.SPY.close", with: "publishes: ind.SPY.close\n    config: {fail_after: 3}")
        let (built, diagnostics) = try build(yaml, in: dir)
        let graph = try #require(built, "\(diagnostics)")
        let summary = GraphRunner(graph: graph).run()
        graph.destroy()
        let closes = try #require(summary.nodes.first { $0.id == "closes" })
        #expect(!summary.succeeded)
        #expect(closes.failure?.contains("failing on purpose") == true)
        #expect(closes.statistics.errors == 1)
    }

    @Test("on_error: continue counts errors and keeps going")
    func errorContinues() throws {
        let dir = TemporaryDirectory()
        let yaml = pipelineYAML(count: 1000, perPoll: 10, out: dir.file("sink.txt"))
            .replacingOccurrences(of: "publishes: ind.SPY.close", with: "publishes: ind.SPY.close\n    on_error: continue\n    batch_size: 10\n    config: {fail_after: 3}")
        let (built, diagnostics) = try build(yaml, in: dir)
        let graph = try #require(built, "\(diagnostics)")
        let summary = GraphRunner(graph: graph).run()
        graph.destroy()
        let closes = try #require(summary.nodes.first { $0.id == "closes" })
        #expect(summary.succeeded)
        #expect(closes.statistics.errors > 0)
        #expect(closes.statistics.messagesIn == 1000)
    }

    @Test("fields declared by a node are visible to the graph")
    func declaredFields() throws {
        let dir = TemporaryDirectory()
        let (built, diagnostics) = try build(pipelineYAML(count: 1, out: dir.file("s.txt")), in: dir)
        let graph = try #require(built, "\(diagnostics)")
        #expect(graph.plugins.map(\.node) == ["source", "closes", "sink"])
        #expect(graph.bus.topics.lookup("ind.SPY.close") != nil)
        graph.destroy()
    }
}
