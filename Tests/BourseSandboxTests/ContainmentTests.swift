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
        guard Probe.landlockAvailable else { return }
        let granted = "read-paths:" + directory.file("granted")
        // The loader stage's read layer: only what loading needs, plus the node's paths.
        #expect(try Probe.run(["open-read", inside], stage: "loader").result == Probe.eacces)
        #expect(try Probe.run(["open-read", inside], stage: "loader", permissions: granted).result == "ok")
        #expect(try Probe.run(["open-read", outside], stage: "loader", permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", inside], permissions: granted).result == "ok")
        #expect(try Probe.run(["open-read", outside], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", "/etc/hostname"], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", inside], permissions: "read-paths:" + inside).result == "ok")
        #expect(try Probe.run(["open-write", directory.file("granted/new.txt")], permissions: granted).result == Probe.eperm)
        #expect(!FileManager.default.fileExists(atPath: directory.file("granted/new.txt")))
    }

    @Test("write-paths: create, write, mkdir, rename and unlink inside; EACCES outside; EPERM without the permission")
    func writePaths() throws {
        guard Probe.landlockAvailable else { return }
        let directory = TemporaryDirectory(prefix: "bourse-sandbox-write")
        let other = TemporaryDirectory(prefix: "bourse-sandbox-other")
        let out = directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let secret = try other.write("secret.txt", "secret\n")
        let granted = "write-paths:" + out

        // Inside the granted directory: the exporter's whole sequence works, in both stages.
        for stage in ["strict", "loader"] {
            #expect(try Probe.run(["write-file", out + "/\(stage).csv"], stage: stage, permissions: granted).result == "ok")
        }
        #expect(try String(contentsOfFile: out + "/strict.csv", encoding: .utf8) == "time,price\n1,3\n")
        #expect(try Probe.run(["mkdir", out + "/sub"], permissions: granted).result == "ok")
        #expect(try Probe.run(["write-file", out + "/sub/a.csv"], permissions: granted).result == "ok")
        #expect(try Probe.run(["append", out + "/sub/a.csv"], permissions: granted).result == "ok")
        #expect(try Probe.run(["rename", out + "/sub/a.csv", out + "/b.csv"], permissions: granted).result == "ok")
        #expect(try Probe.run(["open-read", out + "/b.csv"], permissions: granted).result == "ok")
        #expect(try Probe.run(["list-dir", out], permissions: granted).result == "ok")
        #expect(try Probe.run(["unlink", out + "/b.csv"], permissions: granted).result == "ok")
        #expect(try Probe.run(["rmdir", out + "/sub"], permissions: granted).result == "ok")
        #expect(FileManager.default.fileExists(atPath: out + "/strict.csv"))
        #expect(!FileManager.default.fileExists(atPath: out + "/b.csv") && !FileManager.default.fileExists(atPath: out + "/sub"))
        // Unnamed files are refused by seccomp.
        #expect(try Probe.run(["tmpfile", out], permissions: granted).result == Probe.eperm)

        // Outside: Landlock answers EACCES, for writes (both stages) and, after loading, for reads.
        for stage in ["strict", "loader"] {
            #expect(try Probe.run(["write-file", other.file("x.csv")], stage: stage, permissions: granted).result == Probe.eacces)
            #expect(try Probe.run(["mkdir", other.file("d")], stage: stage, permissions: granted).result == Probe.eacces)
            #expect(try Probe.run(["append", secret], stage: stage, permissions: granted).result == Probe.eacces)
            #expect(try Probe.run(["unlink", secret], stage: stage, permissions: granted).result == Probe.eacces)
            #expect(try Probe.run(["rename", out + "/strict.csv", other.file("moved.csv")], stage: stage, permissions: granted).result == Probe.eacces)
        }
        #expect(try Probe.run(["open-read", secret], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["open-read", "/etc/hostname"], permissions: granted).result == Probe.eacces)
        #expect(try Probe.run(["list-dir", other.path], permissions: granted).result == Probe.eacces)
        #expect(!FileManager.default.fileExists(atPath: other.file("x.csv")) && !FileManager.default.fileExists(atPath: other.file("d")))
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "secret\n")

        // read-paths next to write-paths: reading there works, writing there does not.
        let both = "read-paths:\(other.path),\(granted)"
        #expect(try Probe.run(["open-read", secret], permissions: both).result == "ok")
        #expect(try Probe.run(["write-file", other.file("y.csv")], permissions: both).result == Probe.eacces)
        #expect(try Probe.run(["write-file", out + "/c.csv"], permissions: both).result == "ok")

        // Without write-paths, writes are denied by seccomp (EPERM), with or without read-paths.
        for permissions in ["none", "read-paths:" + out] {
            for action in [["write-file", out + "/n.csv"], ["mkdir", out + "/n"], ["rename", out + "/strict.csv", out + "/r.csv"],
                           ["unlink", out + "/strict.csv"]] {
                #expect(try Probe.run(action, permissions: permissions).result == Probe.eperm, "\(permissions) \(action)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: out + "/strict.csv") && !FileManager.default.fileExists(atPath: out + "/n.csv"))
    }

    @Test("a bare write-paths or read-paths is refused by the worker-side entry point, before anything runs")
    func barePathsRefused() throws {
        for permissions in ["write-paths", "read-paths", "threads,write-paths"] {
            for stage in ["loader", "strict"] {
                let outcome = try Probe.run(["print"], stage: stage, permissions: permissions)
                #expect(outcome.status == 2 && outcome.result == nil, "\(outcome)")
                #expect(outcome.process.stderr.contains("granted without paths"), "\(outcome)")
            }
        }
        guard Probe.landlockAvailable else { return }
        let missing = try Probe.run(["print"], permissions: "write-paths:/nonexistent-bourse-out")
        #expect(missing.status == 2 && missing.process.stderr.contains("/nonexistent-bourse-out"), "\(missing)")
    }

    @Test("csv-export writes its files below write-paths and nowhere else")
    func csvExport() throws {
        guard Probe.landlockAvailable, let plugin = Probe.firstPartyPlugin("csv-export") else { return }
        let directory = TemporaryDirectory(prefix: "bourse-sandbox-export")
        let out = directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let inside = try Probe.run(["dlopen", plugin], permissions: "write-paths:" + out,
                                   extra: ["--create", #"{"path":"\#(out)/deep/dir/bars.csv"}"#])
        #expect(inside.result == "ok" && inside.line("plugin: ")?.contains("failed") == false, "\(inside)")
        #expect(FileManager.default.fileExists(atPath: out + "/deep/dir/bars.csv"), "\(inside)")
        let outside = try Probe.run(["dlopen", plugin], permissions: "write-paths:" + out,
                                    extra: ["--create", #"{"path":"\#(directory.path)/elsewhere/bars.csv"}"#])
        #expect(outside.line("plugin: ")?.contains("Permission denied") == true, "\(outside)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("elsewhere")))
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

    @Test("the loader stage reads only what loading needs: no secrets, no other process's /proc, no host descriptors")
    func loaderReadLayer() throws {
        guard Probe.landlockAvailable else { return }
        let host = getpid()  // the probe's parent
        // Also through the worker's own magic links: Landlock checks where a path really leads.
        var secretFiles = ["/etc/shadow", "/etc/hostname", "/proc/\(host)/mem", "/proc/\(host)/status", "/proc/1/cmdline",
                           "/proc/\(host)/fd/0", "/root/.bash_history", "/proc/self/root/etc/shadow"]
        // A file in the current directory (the probe's too), reached through /proc/self/cwd.
        let here = FileManager.default.currentDirectoryPath
        if let file = try FileManager.default.contentsOfDirectory(atPath: here).sorted().first(where: { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: here + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }) {
            secretFiles.append("/proc/self/cwd/" + file)
        }
        secretFiles = secretFiles.filter { FileManager.default.fileExists(atPath: $0) }
        for path in secretFiles {
            for permissions in ["none", "threads,network"] {
                let outcome = try Probe.run(["open-read", path], stage: "loader", permissions: permissions)
                #expect(outcome.result == Probe.eacces, "\(path): \(outcome)")
            }
        }
        for path in ["/proc/self/status", "/proc/self/maps", "/proc/thread-self/status", "/etc/ld.so.cache", "/dev/null",
                     "/sys/devices/system/cpu/possible"] {
            let outcome = try Probe.run(["open-read", path], stage: "loader")
            #expect(outcome.result == "ok", "\(path): \(outcome)")
        }
        let libraries = try Probe.run(["list-dir", "/usr/lib"], stage: "loader")
        #expect(libraries.result == "ok", "\(libraries)")
        #expect(try Probe.run(["list-dir", "/etc"], stage: "loader").result == Probe.eacces)
    }

    @Test("every capability is dropped before the loader stage, also when started by root", arguments: ["loader", "strict"])
    func capabilitiesDropped(stage: String) throws {
        let outcome = try Probe.run(["capabilities"], stage: stage, permissions: "threads,network")
        #expect(outcome.result == "ok", "\(outcome)")
    }

    @Test("the strict filter reaches a thread started before it (TSYNC)")
    func strictFilterReachesEarlyThreads() throws {
        let before = try Probe.run(["open-read-early-thread", "/dev/null"], stage: "loader", permissions: "threads",
                                   extra: ["--thread-before-strict"])
        #expect(before.result == "ok", "\(before)")
        let after = try Probe.run(["open-read-early-thread", "/dev/null"], permissions: "threads", extra: ["--thread-before-strict"])
        #expect(after.result == Probe.eperm, "\(after)")
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
