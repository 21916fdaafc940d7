#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseGraph
import BourseRuntime
import BourseSandbox
import BourseTestSupport
import CBourseSystem
import Foundation
import Testing

/// HOSTILE_* numbers of Tests/Fixtures/hostile/hostile_plugin.c.
enum Attack: Int {
    case socket = 1, connect, writeFile, readShadow, fork, exec, ptrace, allocate, spin, sleep, segfault, abort,
         garbageRing, oversized, flood, threads, mount, keyctl, killHost, readHostMemory, readHostFDs,
         spinIgnoringCPULimit, reportEnvironment, allocateThenAbort
}

/// What the sandbox must make of an attack.
enum Containment {
    /// The call failed inside the plugin; its error text contains this.
    case denied(String)
    /// The worker died or hung, was restarted and finally quarantined; the reason contains this.
    /// "SIGSYS|name": killed by the seccomp filter, and when the kernel's audit
    /// record could be read (it is rate-limited), the reason names `name`.
    case quarantined(String)
}

/// Runs source → hostile → sink and source → good → sink, sandboxed, and
/// returns the summary. The healthy path must always deliver everything.
/// `addressSpaceMB` bounds the hostile worker (the allocation attack touches all of it);
/// `limits` replaces the hostile node's whole `limits:` mapping.
func runHostile(_ plugin: String, bars: Int = 2000, extraNodeKeys: String = "", addressSpaceMB: Int = 512,
                limits: String? = nil) throws -> RunSummary {
    try FixturePlugins.buildStandard()
    let dir = TemporaryDirectory(prefix: "bourse-hostile")
    let graph = try dir.write("graph.yaml", """
    nodes:
      - id: source
        plugin: fixture-source
        config: {count: \(bars), per_poll: 50}
        publishes: bars.X.1m
      - id: hostile
        plugin: \(plugin)
        subscribes: bars.X.1m
        publishes: hostile.out
        on_error: continue
        batch_size: 50
        limits: \(limits ?? "{call_timeout_ms: 1500, max_restarts: 1, address_space_mb: \(addressSpaceMB)}")
    \(extraNodeKeys)
      - id: good
        plugin: fixture-indicator
        subscribes: bars.X.1m
        publishes: good.out
      - id: sink
        plugin: fixture-sink
        subscribes: [hostile.out, good.out]
    """)
    var options = RuntimeOptions()
    options.pluginPath = [FixturePlugins.pluginDirectory]
    options.logLevel = .error
    options.workerExecutable = TestPaths.buildDirectory + "/bourse-worker"
    let (built, diagnostics) = GraphBuilder.build(fileAt: graph, options: options)
    let runnable = try #require(built, "\(diagnostics)")
    defer { runnable.destroy() }
    return GraphRunner(graph: runnable).run()
}

func node(_ summary: RunSummary, _ id: String) -> NodeSummary? { summary.nodes.first { $0.id == id } }

/// Whether a failure reason matches an expected cause ("SIGSEGV", or
/// "SIGSYS|ptrace": SIGSYS, and if a call is named, that call).
func reasonMatches(_ reason: String?, _ cause: String) -> Bool {
    guard let reason else { return false }
    let parts = cause.split(separator: "|").map(String.init)
    guard parts.count == 2 else { return reason.contains(cause) }
    guard reason.contains("killed by \(parts[0])") else { return false }
    guard let named = reason.range(of: "it called ") else { return true }
    return reason[named.upperBound...].hasPrefix(parts[1] + " (")
}

@Suite("Hostile plugins are contained", .serialized)
struct HostileSuite {
    @Test("each attack from on_messages is contained, named, and the rest of the graph delivers everything", arguments: [
        (Attack.socket, Containment.denied("denied: socket(AF_INET, SOCK_STREAM): Operation not permitted")),
        (.connect, .denied("denied: socket before connect: Operation not permitted")),
        (.writeFile, .denied("denied: open(/tmp/..., O_WRONLY|O_CREAT): Operation not permitted")),
        (.readShadow, .denied("denied: open(/etc/shadow, O_RDONLY): Operation not permitted")),
        (.fork, .denied("denied: fork(): Operation not permitted")),
        (.exec, .denied("denied: execve(/bin/sh): Operation not permitted")),
        (.killHost, .denied("denied: kill(host, SIGKILL): Operation not permitted")),
        (.allocate, .denied("denied: allocation stopped after")),
        (.oversized, .denied("denied: oversized publish")),
        (.ptrace, .quarantined("SIGSYS|ptrace")),
        (.mount, .quarantined("SIGSYS|mount")),
        (.keyctl, .quarantined("SIGSYS|keyctl")),
        (.threads, .quarantined("SIGSYS|clone")),
        (.segfault, .quarantined("SIGSEGV")),
        (.abort, .quarantined("SIGABRT")),
        (.spin, .quarantined("hung: deliver did not return within 1500 ms")),
        (.sleep, .quarantined("hung: deliver did not return within 1500 ms")),
        // The scribble breaks the ring's positions or its closed flag; either way the host names the corruption.
        (.garbageRing, .quarantined("worker failed in on_messages: the worker corrupted its ring: ")),
    ])
    func attackInOnMessages(attack: Attack, expected: Containment) throws {
        // The allocation attack writes every byte it gets: keep that well inside the
        // 1.5 s watchdog on a loaded machine (128 MiB, not 512).
        let summary = try runHostile(try FixturePlugins.buildHostile(action: attack.rawValue), addressSpaceMB: attack == .allocate ? 128 : 512)
        let hostile = try #require(node(summary, "hostile"))
        let good = try #require(node(summary, "good"))
        let sink = try #require(node(summary, "sink"))
        // The healthy path delivered everything, and the sink got all of it.
        #expect(node(summary, "source")?.statistics.messagesOut == 2000)
        #expect(good.statistics.messagesOut == 2000)
        #expect(good.failure == nil)
        #expect(sink.failure == nil)
        #expect(sink.statistics.messagesIn == good.statistics.messagesOut + hostile.statistics.messagesOut)
        #expect(hostile.failure?.contains("ESCAPED") != true, "\(hostile.failure ?? "")")
        switch expected {
        case .denied(let text):
            // One failing batch (on_error: continue), then normal service.
            #expect(!hostile.quarantined)
            #expect(hostile.statistics.errors == 1)
            #expect(hostile.statistics.messagesOut == 2000 - 50)
            #expect(hostile.failure == nil, "denied calls are counted errors, not failures")
            #expect(hostile.statistics.lastError?.contains(text) == true, "\(hostile.statistics.lastError ?? "no error")")
        case .quarantined(let cause):
            #expect(hostile.quarantined, "\(hostile)")
            #expect(summary.quarantinedNodes == ["hostile"])
            #expect(!summary.succeeded)
            #expect(reasonMatches(hostile.failure, cause), "\(hostile.failure ?? "no failure")")
            #expect(hostile.failure?.contains("quarantined after 1 restart(s)") == true)
            #expect(hostile.statistics.discarded > 0)
        }
    }

    @Test("the kernel's CPU-time kill is reported with the limit's name, by SIGXCPU or, when the plugin ignores it, by SIGKILL",
          arguments: [(Attack.spin, "killed by SIGXCPU"), (.spinIgnoringCPULimit, "killed by SIGKILL")])
    func cpuLimitNamed(attack: Attack, signal: String) throws {
        // A call timeout far above the CPU limit: the kernel, not the watchdog, ends the worker.
        let summary = try runHostile(try FixturePlugins.buildHostile(action: attack.rawValue),
                                     limits: "{cpu_seconds: 1, call_timeout_ms: 600000, max_restarts: 1, address_space_mb: 512}")
        let hostile = try #require(node(summary, "hostile"))
        #expect(hostile.quarantined, "\(hostile)")
        #expect(hostile.failure?.contains("exceeded the cpu_seconds limit (1 s): \(signal)") == true, "\(hostile.failure ?? "no failure")")
        #expect(hostile.failure?.contains("hung") == false)
        #expect(node(summary, "good")?.statistics.messagesOut == 2000)
        #expect(node(summary, "sink")?.failure == nil)
    }

    @Test("a crash after filling the address space is reported with the address_space_mb limit")
    func addressSpaceNamed() throws {
        let summary = try runHostile(try FixturePlugins.buildHostile(action: Attack.allocateThenAbort.rawValue), addressSpaceMB: 128)
        let hostile = try #require(node(summary, "hostile"))
        #expect(hostile.quarantined, "\(hostile)")
        #expect(hostile.failure?.contains("killed by SIGABRT") == true, "\(hostile.failure ?? "no failure")")
        // The worker's own peak shows only when it is above the test host's
        // (the kernel folds the host's peak into the worker's ru_maxrss);
        // otherwise SIGABRT's own hint names the limit.
        let failure = hostile.failure ?? "no failure"
        #expect(failure.contains("MiB resident of its 128 MiB address_space_mb limit: probably out of memory")
                || failure.contains("(abort: a failed check, or out of memory under the address-space limit)"), "\(failure)")
        #expect(node(summary, "good")?.statistics.messagesOut == 2000)
    }

    @Test("the host is not dumpable once it has started a worker: /proc/HOST/mem and /proc/HOST/fd need CAP_SYS_PTRACE")
    func hostNotDumpable() throws {
        _ = try runHostile(try FixturePlugins.buildHostile(action: Attack.readHostMemory.rawValue), bars: 100)
        #expect(bourse_is_dumpable() == 0)
    }

    @Test("a worker starts with the clean environment and only its four descriptors")
    func cleanEnvironment() throws {
        let summary = try runHostile(try FixturePlugins.buildHostile(action: Attack.reportEnvironment.rawValue, inConstructor: true))
        let report = try #require(node(summary, "hostile")?.statistics.lastError)
        #expect(report.contains("report: env=[SWIFT_BACKTRACE=enable=no;PATH=/usr/bin:/bin;LANG=C.UTF-8] fds=["), "\(report)")
        // "fds=[0:/dev/null;1:pipe:[123];…]": up to the last bracket (targets may contain brackets).
        let start = try #require(report.range(of: "fds=[")).upperBound
        let end = try #require(report.lastIndex(of: "]"))
        let list = report[start..<end]
        let descriptors = Dictionary(list.split(separator: ";").map { entry -> (Int, String) in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            return (Int(parts[0]) ?? -1, parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { first, _ in first })
        #expect(Set(descriptors.keys).isSubset(of: [0, 1, 2, 3]), "\(report)")
        #expect(descriptors[0] == "/dev/null", "\(report)")
        #expect(descriptors[3]?.hasPrefix("/memfd:bourse-worker") == true, "\(report)")
    }

    @Test("flooding a slow subscriber is lossless: back-pressure reaches the worker")
    func flood() throws {
        let summary = try runHostile(try FixturePlugins.buildHostile(action: Attack.flood.rawValue), bars: 300)
        let hostile = try #require(node(summary, "hostile"))
        #expect(summary.succeeded)
        #expect(hostile.statistics.messagesOut == 300 * 256)
        #expect(node(summary, "sink")?.statistics.messagesIn == 300 * 256 + 300)
    }
}


@Suite("Hostile constructors are contained", .serialized)
struct HostileConstructorSuite {
    @Test("attempts from a constructor (at dlopen) are denied by the loader stage (seccomp, Landlock read layer, no capabilities)", arguments: [
        (Attack.socket, "denied: socket(AF_INET, SOCK_STREAM): Operation not permitted"),
        (.connect, "denied: socket before connect: Operation not permitted"),
        (.fork, "denied: fork(): Operation not permitted"),
        (.writeFile, "denied: open(/tmp/..., O_WRONLY|O_CREAT): Operation not permitted"),
        (.exec, "denied: execve(/bin/sh): Operation not permitted"),
        (.killHost, "denied: kill(host, SIGKILL): Operation not permitted"),
        (.readShadow, "denied: open(/etc/shadow, O_RDONLY): Permission denied"),
        (.readHostMemory, "denied: open(/proc/HOST/mem, O_RDONLY): Permission denied"),
        (.readHostFDs, "denied: open(/proc/HOST/fd/N, O_RDONLY): Permission denied"),
        (.allocate, "denied: allocation stopped after"),
    ])
    func deniedAtLoad(attack: Attack, text: String) throws {
        // Without Landlock (documented gap) a worker started by root still reads root's own files while loading.
        if attack == .readShadow && Landlock.abiVersion() == nil { return }
        let summary = try runHostile(try FixturePlugins.buildHostile(action: attack.rawValue, inConstructor: true),
                                     addressSpaceMB: attack == .allocate ? 128 : 512)
        let hostile = try #require(node(summary, "hostile"))
        #expect(!hostile.quarantined)
        #expect(hostile.statistics.lastError?.contains(text) == true, "\(hostile.statistics.lastError ?? "no error")")
        #expect(node(summary, "good")?.statistics.messagesOut == 2000)
        #expect(node(summary, "sink")?.failure == nil)
    }

    @Test("a constructor that breaks a kill rule or crashes makes the plugin unloadable, with the cause, before anything runs", arguments: [
        (Attack.ptrace, "SIGSYS|ptrace"),
        (.mount, "SIGSYS|mount"),
        (.keyctl, "SIGSYS|keyctl"),
        (.threads, "SIGSYS|clone"),
        (.segfault, "SIGSEGV"), (.abort, "SIGABRT"),
        // A constructor that never returns: the host gives up loading after the start timeout (30 s).
        (.spin, "took more than 30 s"), (.sleep, "took more than 30 s"),
    ])
    func fatalAtLoad(attack: Attack, cause: String) throws {
        try FixturePlugins.buildStandard()
        let plugin = try FixturePlugins.buildHostile(action: attack.rawValue, inConstructor: true)
        let dir = TemporaryDirectory(prefix: "bourse-hostile")
        let graph = try dir.write("graph.yaml", """
        nodes:
          - id: source
            plugin: fixture-source
            publishes: bars.X.1m
          - id: hostile
            plugin: \(plugin)
            subscribes: bars.X.1m
            publishes: hostile.out
          - id: sink
            plugin: fixture-sink
            subscribes: hostile.out
        """)
        var options = RuntimeOptions()
        options.pluginPath = [FixturePlugins.pluginDirectory]
        options.workerExecutable = TestPaths.buildDirectory + "/bourse-worker"
        let (built, diagnostics) = GraphBuilder.build(fileAt: graph, options: options)
        #expect(built == nil)
        let error = diagnostics.first { $0.error.code == .loadFailed }
        #expect(reasonMatches(error?.error.message, cause), "\(diagnostics)")
        #expect(error?.location?.line == 6)
    }
}
