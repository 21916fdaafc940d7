import BourseTestSupport
import Foundation
import Testing

/// The command line's view of the sandbox: what a plugin asks for, and a
/// sandboxed run that quarantines a node.
@Suite("bourse and the sandbox", .serialized)
struct SandboxCLITests {
    /// HOSTILE_SOCKET and HOSTILE_SEGFAULT of Tests/Fixtures/hostile/hostile_plugin.c.
    static let socketAttack = 1, segfaultAttack = 11

    @Test("plugin permissions prints the request and the exact system-call rules of both stages")
    func permissions() throws {
        let plugin = try FixturePlugins.buildHostile(action: Self.socketAttack, permissions: "network,threads")
        let result = try bourse(["plugin", "permissions", plugin])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.first == "plugin hostile 6.6.6 (indicator) asks for: network,threads", "\(result.stdout)")
        #expect(lines.contains("stage loader: default errno(EPERM); other architectures kill-process"), "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("stage strict: default errno(EPERM)") }, "\(result.stdout)")
        // What the grant adds, and what stays fatal.
        #expect(lines.contains("socket allow domain == AF_INET && type & 0xf == SOCK_STREAM network: TCP over IPv4 only"), "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("clone allow flags & (CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEW*)") })
        #expect(lines.contains { $0.hasPrefix("ptrace kill-process always") })

        // The same plugin granted nothing: sockets are refused, threads kill.
        let none = try bourse(["plugin", "permissions", plugin, "--grant", "none"])
        #expect(none.status == 0, "\(none.stderr)")
        let noneLines = none.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(noneLines.contains("socket errno(EPERM) always no network permission"), "\(none.stdout)")
        #expect(!noneLines.contains { $0.hasPrefix("socket allow") })
        #expect(noneLines.contains { $0.hasPrefix("clone kill-process flags & ") })

        let json = try bourse(["plugin", "permissions", plugin, "--json"])
        #expect(json.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil, "\(json.stdout)")

        let missing = try bourse(["plugin", "permissions", "/nonexistent/libbourse-nothing.so"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/libbourse-nothing.so"), "\(missing.stderr)")
    }

    @Test("run exits 1 when a sandboxed node is quarantined, lists it, and the rest of the graph finishes")
    func quarantine() throws {
        let plugin = try FixturePlugins.buildHostile(action: Self.segfaultAttack)
        let directory = TemporaryDirectory(prefix: "bourse-cli-quarantine")
        let graph = try directory.write("graph.yaml", """
        nodes:
          - id: source
            plugin: fixture-source
            config: {count: 500, per_poll: 50}
            publishes: bars.X.1m
          - id: crasher
            plugin: \(plugin)
            subscribes: bars.X.1m
            publishes: crasher.out
            limits: {max_restarts: 1}
          - id: good
            plugin: fixture-indicator
            subscribes: bars.X.1m
            publishes: good.out
          - id: sink
            plugin: fixture-sink
            subscribes: [crasher.out, good.out]
        """)
        let result = try bourse(["run", graph] + pluginPathArguments())
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(rows.contains { $0.hasPrefix("crasher ") && $0.hasSuffix(" QUARANTINED") }, "\(result.stdout)")
        #expect(rows.contains { $0.hasPrefix("good ") && $0.contains(" 500 500 ") && $0.hasSuffix(" ok") }, "\(result.stdout)")
        #expect(rows.contains("quarantined: crasher"), "\(result.stdout)")
        #expect(result.stderr.contains("killed by SIGSEGV (invalid memory access); quarantined after 1 restart(s)"), "\(result.stderr)")
    }
}
