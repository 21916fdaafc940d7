#if canImport(Glibc)
import Glibc
#endif
import BourseTestSupport
import Foundation
import Testing

func bourse(_ arguments: [String]) throws -> ProcessResult {
    try runProcess(TestPaths.bourseExecutable, arguments)
}

func pluginPathArguments() throws -> [String] {
    try FixturePlugins.buildStandard()
    return ["--plugin-path", FixturePlugins.pluginDirectory]
}

/// For `run`: in-process, because the fixture sink writes a file (sandboxed runs are tested in BourseIsolationTests).
func runArguments() throws -> [String] {
    try pluginPathArguments() + ["--isolation", "in-process"]
}

@Suite("bourse command", .serialized)
struct CLITests {
    @Test("--help works on every command")
    func help() throws {
        for command in [[], ["run"], ["graph"], ["graph", "validate"], ["plugin"], ["plugin", "inspect"], ["bench"], ["bench", "bus"], ["version"]] {
            let result = try bourse(command + ["--help"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.contains("USAGE"), "\(command)")
        }
    }

    @Test("graph validate accepts a valid graph and prints its plugins")
    func validateValid() throws {
        let result = try bourse(["graph", "validate", TestPaths.fixtures + "/graphs/valid/pipeline.yaml"] + pluginPathArguments())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid (3 nodes"))
    }

    @Test("graph validate lists every problem and exits 1")
    func validateInvalid() throws {
        let result = try bourse(["graph", "validate", TestPaths.fixtures + "/graphs/invalid/many-errors.yaml"] + pluginPathArguments())
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(": error:") }
        #expect(lines.count >= 5, "\(result.stderr)")
        #expect(result.stderr.contains("many-errors.yaml:3:1: error: unknown key 'colour'"))
    }

    @Test("graph validate --json reports diagnostics with codes and positions")
    func validateJSON() throws {
        let result = try bourse(["graph", "validate", "--json", TestPaths.fixtures + "/graphs/invalid/cycle.yaml"] + pluginPathArguments())
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["valid"] as? Bool == false)
        let diagnostics = object?["diagnostics"] as? [[String: Any]] ?? []
        #expect(diagnostics.contains { $0["code"] as? String == "cycle" && $0["line"] as? Int == 5 })
    }

    @Test("run prints a per-node summary; --json gives the same as JSON")
    func run() throws {
        let dir = TemporaryDirectory()
        let graph = try dir.write("g.yaml", """
        nodes:
          - id: source
            plugin: fixture-source
            config: {count: 300}
            publishes: bars.X.1m
          - id: sink
            plugin: fixture-sink
            subscribes: bars.>
            config: {out: "\(dir.file("out.txt"))"}
        """)
        let text = try bourse(["run", graph] + runArguments())
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("source"))
        #expect(text.stdout.contains("finished in"))
        let json = try bourse(["run", "--json", graph] + runArguments())
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let nodes = object?["nodes"] as? [[String: Any]] ?? []
        let sink = nodes.first { $0["id"] as? String == "sink" }
        #expect((sink?["statistics"] as? [String: Any])?["messagesIn"] as? Int == 300)
    }

    @Test("SIGINT mid-stream: sources stop, queues drain, no message lost, exit 130")
    func sigintDrains() throws {
        let dir = TemporaryDirectory()
        let graph = try dir.write("g.yaml", """
        nodes:
          - id: source
            plugin: fixture-source
            config: {count: 100000000, per_poll: 16, delay_us: 100}
            publishes: bars.X.1m
          - id: closes
            plugin: fixture-indicator
            subscribes: bars.X.1m
            publishes: ind.X.close
            queue_bytes: 4096
          - id: sink
            plugin: fixture-sink
            subscribes: [bars.>, ind.>]
            config: {out: "\(dir.file("out.txt"))"}
        """)
        let process = try startProcess(TestPaths.bourseExecutable, ["run", "--json", graph] + runArguments())
        usleep(800_000)
        process.signal(SIGINT)
        let result = process.wait()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("SIGINT: stopping sources and draining"))
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let nodes = object?["nodes"] as? [[String: Any]] ?? []
        func stat(_ id: String, _ key: String) -> Int? {
            (nodes.first { $0["id"] as? String == id }?["statistics"] as? [String: Any])?[key] as? Int
        }
        let published = try #require(stat("source", "messagesOut"))
        #expect(published > 0)
        #expect(stat("closes", "messagesIn") == published)
        #expect(stat("sink", "messagesIn") == 2 * published)
        #expect(try String(contentsOfFile: dir.file("out.txt"), encoding: .utf8) == "count=\(2 * published) gaps=0\n")
    }

    @Test("plugin inspect prints the descriptor; errors exit 1 with the cause")
    func inspect() throws {
        let path = try FixturePlugins.build(name: "fixture-source")
        let ok = try bourse(["plugin", "inspect", "--json", path])
        #expect(ok.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
        #expect(object?["kind"] as? String == "source")
        #expect(object?["abi"] as? String == "1.2")
        let bad = try bourse(["plugin", "inspect", "/etc/hostname"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not an ELF file"))
    }

    @Test("version names the ABI and the linked C libraries")
    func version() throws {
        let result = try bourse(["version"])
        #expect(result.status == 0)
        for name in ["plugin-abi 1.2", "sqlite", "libarchive", "libseccomp"] { #expect(result.stdout.contains(name)) }
    }
}
