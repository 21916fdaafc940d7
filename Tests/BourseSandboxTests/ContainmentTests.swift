import BourseSandbox
import BourseTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real filters, entered by the probe in a child process.
@Suite("Containment through bourse-sandbox-probe")
struct ContainmentTests {
    @Test("denied actions fail with EPERM under the strict stage", arguments: [
        ["socket-tcp"], ["socket-udp"], ["connect-localhost", "9"], ["open-read", "/etc/hostname"],
        ["open-write", "/tmp/bourse-probe-must-not-exist"], ["fork"], ["exec", "/bin/sh"], ["mprotect-exec"],
        ["mmap-exec"], ["kill-parent"], ["write-fd"], ["setpriority-parent"],
    ])
    func deniedInStrict(action: [String]) throws {
        let outcome = try Probe.run(action)
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.result == Probe.eperm, "\(outcome)")
    }

    @Test("the loader stage still denies writes, sockets, processes and signals", arguments: [
        ["socket-tcp"], ["open-write", "/tmp/bourse-probe-must-not-exist"], ["fork"], ["exec", "/bin/sh"], ["kill-parent"],
    ])
    func deniedInLoader(action: [String]) throws {
        let outcome = try Probe.run(action, stage: "loader")
        #expect(outcome.result == Probe.eperm, "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/bourse-probe-must-not-exist"))
    }

    @Test("attack-only calls kill the process with SIGSYS", arguments: [
        (["ptrace-parent"], "strict"), (["mount"], "strict"), (["keyctl"], "strict"),
        (["ptrace-parent"], "loader"), (["mount"], "loader"), (["keyctl"], "loader"),
    ])
    func killList(action: [String], stage: String) throws {
        let outcome = try Probe.run(action, stage: stage, permissions: "network,threads,exec-memory")
        #expect(outcome.status == Probe.killedBySIGSYS, "\(outcome)")
        #expect(outcome.result == nil)
    }

    @Test("clone3 and openat2 answer ENOSYS")
    func enosys() throws {
        for permissions in ["none", "threads"] {
            #expect(try Probe.run(["clone3-check"], permissions: permissions).result == Probe.enosys)
            #expect(try Probe.run(["openat2-check"], permissions: permissions).result == Probe.enosys)
        }
    }

    @Test("threads, Dispatch and print work under strict with the threads permission", arguments: ["thread", "dispatch", "print"])
    func runtimeWorksWithThreads(action: String) throws {
        let outcome = try Probe.run([action], permissions: "threads")
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.result == "ok", "\(outcome)")
        if action == "print" { #expect(outcome.line("hello from the sandbox: [1, 2, 3] ABAB") != nil) }
    }

    @Test("without threads: Swift code runs, creating a thread kills the process")
    func noThreads() throws {
        let print = try Probe.run(["print"])
        #expect(print.result == "ok", "\(print)")
        for action in ["thread", "dispatch"] {
            let outcome = try Probe.run([action])
            #expect(outcome.status == Probe.killedBySIGSYS, "\(outcome)")
        }
    }

    @Test("open-read works only with read-paths, and Landlock confines it to the granted paths")
    func readPaths() throws {
        let directory = TemporaryDirectory(prefix: "bourse-sandbox-read")
        let inside = try directory.write("granted/inside.txt", "inside\n")
        let outside = try directory.write("other/outside.txt", "outside\n")
        #expect(try Probe.run(["open-read", inside]).result == Probe.eperm)
        #expect(try Probe.run(["open-read", inside], stage: "loader").result == "ok")
        guard Probe.landlockAvailable else { return }
        let granted = "read-paths:" + directory.file("granted")
        #expect(try Probe.run(["open-read", inside], permissions: granted).result == "ok")
        #expect(try Probe.run(["open-read", outside], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", "/etc/hostname"], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", inside], permissions: "read-paths:" + inside).result == "ok")
        #expect(try Probe.run(["open-write", directory.file("granted/new.txt")], permissions: granted).result == Probe.eperm)
        #expect(!FileManager.default.fileExists(atPath: directory.file("granted/new.txt")))
    }

    @Test("read-paths: a missing path or a thread started before the strict stage stops the worker")
    func readPathsRefusals() throws {
        guard Probe.landlockAvailable else { return }
        let missing = try Probe.run(["print"], permissions: "read-paths:/nonexistent-bourse")
        #expect(missing.status == 2 && missing.process.stderr.contains("/nonexistent-bourse"), "\(missing)")
        let threaded = try Probe.run(["print"], permissions: "threads,read-paths:/tmp", extra: ["--thread-before-strict"])
        if Landlock.abiVersion() ?? 0 < 8 {
            #expect(threaded.status == 2 && threaded.process.stderr.contains("2 threads"), "\(threaded)")
        } else {
            #expect(threaded.result == "ok", "\(threaded)")
        }
    }

    @Test("network only with the network permission, and only Internet sockets")
    func network() throws {
        let listener = try LocalListener()
        let connect = ["connect-localhost", String(listener.port)]
        #expect(try Probe.run(connect).result == Probe.eperm)
        #expect(try Probe.run(connect, permissions: "network").result == "ok")
        #expect(try Probe.run(["socket-udp"], permissions: "network").result == "ok")
        #expect(try Probe.run(["socket-unix"], permissions: "network").result == Probe.eperm)
        #expect(try Probe.run(["socket-raw"], permissions: "network").result == Probe.eperm)
    }

    @Test("exec-memory allows PROT_EXEC after loading; the loader stage allows it always")
    func execMemory() throws {
        #expect(try Probe.run(["mprotect-exec"], permissions: "exec-memory").result == "ok")
        #expect(try Probe.run(["mmap-exec"], permissions: "exec-memory").result == "ok")
        #expect(try Probe.run(["mprotect-exec"], stage: "loader").result == "ok")
    }

    @Test("limits: address space, CPU time and descriptors")
    func limits() throws {
        let memory = try Probe.run(["allocate-until-fail"], extra: ["--limits", "as=256M"])
        #expect(memory.result == "errno 12 (ENOMEM)", "\(memory)")
        let allocated = memory.line("allocated: ").flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(allocated > 0 && allocated < 256, "\(memory)")
        let cpu = try Probe.run(["spin"], extra: ["--limits", "cpu=1"])
        #expect(cpu.status == Probe.killedBySIGXCPU, "\(cpu)")
        let files = try Probe.run(["descriptors-until-fail"], extra: ["--limits", "nofile=16"])
        #expect(files.result == "errno 24 (EMFILE)", "\(files)")
    }

    @Test("a Swift crash under the filter ends with its own signal, not SIGSYS")
    func crash() throws {
        let outcome = try Probe.run(["crash"], permissions: "threads")
        #expect(outcome.status == Probe.killedBySIGILL, "\(outcome)")
        #expect(outcome.process.stderr.contains("deliberate crash"))
    }

    @Test("the probe sets SWIFT_BACKTRACE=enable=no itself when it is missing")
    func backtraceEnvironment() throws {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SWIFT_BACKTRACE")
        let outcome = try Probe.run(["--permissions", "threads", "dispatch"], environment: environment)
        #expect(outcome.result == "ok", "\(outcome)")
    }
}
