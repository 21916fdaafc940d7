// The actions the probe tries once the sandbox is in place. Each returns the
// text after "result: " — "ok", "errno N (NAME)", or a few special words.
#if canImport(Glibc)
import Glibc
#endif
import BourseSandbox
import CSeccomp
import Dispatch

/// What the probe does after entering the sandbox.
struct ProbeAction {
    /// Names accepted on the command line, with their argument.
    static let usage: [(String, String)] = [
        ("socket-tcp", "socket(AF_INET, SOCK_STREAM)"), ("socket-udp", "socket(AF_INET6, SOCK_DGRAM)"),
        ("socket-unix", "socket(AF_UNIX, SOCK_STREAM)"), ("socket-raw", "socket(AF_INET, SOCK_RAW, ICMP)"),
        ("connect-localhost PORT", "TCP connect to 127.0.0.1:PORT"), ("open-read PATH", "open read-only and read"),
        ("open-write PATH", "open O_WRONLY|O_CREAT|O_TRUNC"),
        ("write-file PATH", "create/truncate, write, fsync, ftruncate, close (what an exporter does)"),
        ("append PATH", "open O_WRONLY|O_APPEND (no O_CREAT) and write"), ("mkdir PATH", "mkdir(PATH, 0755)"),
        ("rename FROM TO", "rename(FROM, TO)"), ("unlink PATH", "unlink(PATH)"), ("rmdir PATH", "rmdir(PATH)"),
        ("tmpfile DIR", "open(DIR, O_TMPFILE|O_WRONLY)"), ("list-dir PATH", "opendir + readdir"),
        ("write-fd", "write to a /dev/null descriptor opened before the filters"),
        ("fork", "fork()"), ("exec PATH", "execv(PATH)"), ("ptrace-parent", "PTRACE_ATTACH the parent (refused without a filter)"),
        ("mount", "mount a tmpfs on a missing directory"), ("keyctl", "KEYCTL_GET_KEYRING_ID"), ("thread", "pthread_create + join"),
        ("dispatch", "DispatchQueue.global().async + semaphore"), ("print", "print a line"),
        ("mprotect-exec", "mprotect an anonymous page PROT_EXEC"), ("mmap-exec", "mmap PROT_EXEC"),
        ("clone3-check", "raw clone3 (expect ENOSYS)"), ("openat2-check", "raw openat2 (expect ENOSYS)"),
        ("dlopen PATH", "dlopen + entry (+ --create) in the loader stage, Swift code after strict"),
        ("allocate-until-fail", "malloc 16 MiB chunks until NULL"), ("descriptors-until-fail", "eventfd until failure"),
        ("kill-parent", "kill(parent, 0)"), ("setpriority-parent", "setpriority(parent, 19) (refused without a filter)"),
        ("spin", "burn CPU for up to 60 s"), ("crash", "fatalError()"), ("none", "nothing"),
        ("capabilities", "ok when every capability set (CapInh/Prm/Eff/Bnd/Amb) is empty"),
        ("open-read-early-thread PATH", "open-read from the thread --thread-before-strict started (TSYNC check)"),
    ]

    let name: String
    /// The arguments after the action's name (as many as its usage names).
    let arguments: [String]
    /// The first argument.
    var argument: String? { arguments.first }
    let parentPID = getppid()
    var devNull: Int32 = -1
    var status: Int32 = -1

    /// Validates the name and argument.
    init(name: String, arguments: [String]) throws {
        guard let entry = Self.usage.first(where: { $0.0.split(separator: " ").first.map(String.init) == name }) else {
            throw ProbeUsageError("unknown action '\(name)'")
        }
        let needed = entry.0.split(separator: " ").count - 1
        if arguments.count < needed { throw ProbeUsageError("action '\(name)' needs \(needed) argument(s)") }
        self.name = name
        self.arguments = Array(arguments.prefix(needed))
    }

    /// Work that must happen before the filters (descriptors the action needs).
    mutating func prepare() {
        if name == "write-fd" { devNull = open("/dev/null", O_WRONLY) }
        if name == "capabilities" { status = open("/proc/self/status", O_RDONLY | O_CLOEXEC) }
    }

    /// Runs the action.
    func run(plugin: LoadedPlugin?, pollTimes: Int, threads: Bool) -> String {
        switch name {
        case "socket-tcp": return check(socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
        case "socket-udp": return check(socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0))
        case "socket-unix": return check(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0))
        case "socket-raw": return check(socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP)))
        case "connect-localhost": return connectLocalhost(port: UInt16(argument ?? "") ?? 0)
        case "open-read":
            let fd = open(argument!, O_RDONLY)
            guard fd >= 0 else { return errnoText(errno) }
            var buffer = [UInt8](repeating: 0, count: 64)
            return check(Int32(read(fd, &buffer, buffer.count)))
        case "open-write": return check(open(argument!, O_WRONLY | O_CREAT | O_TRUNC, 0o644))
        case "write-fd": return check(Int32(write(devNull, "x", 1)))
        case "write-file": return writeFile(argument!)
        case "append":
            let fd = open(argument!, O_WRONLY | O_APPEND)
            guard fd >= 0 else { return errnoText(errno) }
            defer { close(fd) }
            return check(Int32(write(fd, "more\n", 5)))
        case "mkdir": return check(mkdir(argument!, 0o755))
        case "rename": return check(rename(arguments[0], arguments[1]))
        case "unlink": return check(unlink(argument!))
        case "rmdir": return check(rmdir(argument!))
        case "tmpfile":
            return check(open(argument!, Int32(LinuxConstants.O_TMPFILE_BIT) | O_DIRECTORY | O_WRONLY, 0o600))
        case "list-dir":
            guard let directory = opendir(argument!) else { return errnoText(errno) }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            print("entries: \(count)")
            return "ok"
        case "fork":
            let pid = fork()
            if pid == 0 { _exit(0) }
            if pid > 0 { var status: Int32 = 0; waitpid(pid, &status, 0) }
            return check(pid)
        case "exec":
            var arguments: [UnsafeMutablePointer<CChar>?] = [strdup(argument!), strdup("-c"), strdup("true"), nil]
            _ = execv(argument!, &arguments)
            return errnoText(errno)
        case "ptrace-parent": return raw("ptrace", 16 /* PTRACE_ATTACH */, Int(parentPID))
        case "mount": return check(mount("none", "/nonexistent-bourse-probe", "tmpfs", 0, nil))
        case "keyctl": return raw("keyctl", 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session keyring */, 0)
        case "thread": return thread()
        case "dispatch": return dispatch()
        case "print":
            print("hello from the sandbox: \([3, 1, 2].sorted()) \(String(repeating: "ab", count: 2).uppercased())")
            return "ok"
        case "mprotect-exec":
            guard let page = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  page != MAP_FAILED else { return errnoText(errno) }
            return check(mprotect(page, 4096, PROT_READ | PROT_EXEC))
        case "mmap-exec":
            let page = mmap(nil, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            return page == MAP_FAILED ? errnoText(errno) : "ok"
        case "clone3-check": return raw("clone3", 0, 0)
        case "openat2-check": return raw("openat2", Int(AT_FDCWD), 0, 0, 0)
        case "dlopen": return exercise(plugin, pollTimes: pollTimes, threads: threads)
        case "allocate-until-fail": return allocateUntilFail()
        case "descriptors-until-fail":
            var count = 0
            while count < 1_000_000 {
                if raw("eventfd2", 0, 0) != "ok" { let code = errno; print("descriptors: \(count)"); return errnoText(code) }
                count += 1
            }
            return "ok"
        case "kill-parent": return check(kill(parentPID, 0))
        case "setpriority-parent": return check(setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(parentPID), 19))
        case "spin":
            let start = monotonicNanoseconds(CLOCK_MONOTONIC)
            var x: UInt64 = 1
            while monotonicNanoseconds(CLOCK_MONOTONIC) - start < 60_000_000_000 { x = x &* 6364136223846793005 &+ 1 }
            return x == 0 ? "ok" : "timeout"
        case "crash": fatalError("bourse-sandbox-probe: deliberate crash")
        case "capabilities": return capabilities()
        case "open-read-early-thread": return EarlyThread.openRead(argument!)
        default: return "ok"
        }
    }

    /// The capability lines of /proc/self/status (opened before the filters), "ok" when all are zero.
    private func capabilities() -> String {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = pread(status, &buffer, buffer.count, 0)
        guard n > 0 else { return errnoText(errno) }
        let lines = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("Cap") }
        print("capabilities: " + lines.map { $0.filter { $0 != "\t" } }.joined(separator: " "))
        let held = lines.filter { !$0.hasSuffix("0000000000000000") }
        return held.isEmpty && lines.count == 5 ? "ok" : "held: " + held.joined(separator: " ")
    }

    private func check(_ rc: Int32) -> String { rc >= 0 ? "ok" : errnoText(errno) }

    /// The exporter sequence; the first failing call's errno, named.
    private func writeFile(_ path: String) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return errnoText(errno) }
        defer { close(fd) }
        let line = "time,price\n1,2\n"
        guard write(fd, line, line.utf8.count) == line.utf8.count else { return "write: " + errnoText(errno) }
        guard pwrite(fd, "3", 1, Int(line.utf8.count) - 2) == 1 else { return "pwrite64: " + errnoText(errno) }
        guard fsync(fd) == 0 else { return "fsync: " + errnoText(errno) }
        guard fdatasync(fd) == 0 else { return "fdatasync: " + errnoText(errno) }
        guard ftruncate(fd, off_t(line.utf8.count)) == 0 else { return "ftruncate: " + errnoText(errno) }
        return "ok"
    }

    private func raw(_ syscall: String, _ a0: Int, _ a1: Int, _ a2: Int = 0, _ a3: Int = 0) -> String {
        guard let number = SeccompPolicy.syscallNumber(syscall) else { return "unknown-syscall" }
        return bourse_raw_syscall6(Int(number), a0, a1, a2, a3, 0, 0) >= 0 ? "ok" : errnoText(errno)
    }

    private func connectLocalhost(port: UInt16) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errnoText(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return check(rc)
    }

    private func thread() -> String {
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { _ in
            var total = 0
            for i in 0..<1000 { total &+= i }
            return UnsafeMutableRawPointer(bitPattern: total | 1)
        }, nil)
        guard rc == 0 else { return errnoText(rc) }
        var value: UnsafeMutableRawPointer?
        pthread_join(thread, &value)
        return value == nil ? "no-value" : "ok"
    }

    private func dispatch() -> String {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer = 0
        DispatchQueue.global().async {
            answer = [5, 3, 8].reduce(0, +)
            semaphore.signal()
        }
        guard semaphore.wait(timeout: .now() + 10) == .success else { return "timeout" }
        return answer == 16 ? "ok" : "wrong-answer"
    }

    private func allocateUntilFail() -> String {
        let chunk = 16 << 20
        var total = 0
        while total < 64 << 30 {
            guard let block = malloc(chunk) else {
                print("allocated: \(total >> 20) MiB")
                return errnoText(ENOMEM)
            }
            memset(block, 1, 4096)
            total += chunk
        }
        print("allocated: \(total >> 20) MiB")
        return "ok"
    }

    private func exercise(_ plugin: LoadedPlugin?, pollTimes: Int, threads: Bool) -> String {
        guard let plugin else { return "load-failed" }
        // Swift code after the strict stage: strings, collections, the plugin's own calls,
        // and with the threads permission a Dispatch round trip.
        let words = ["plugin", plugin.name, plugin.version].map { $0.uppercased() }
        print("plugin: \(words.joined(separator: " ")) [\(plugin.exercise(times: pollTimes))]")
        return threads ? dispatch() : "ok"
    }
}

/// The thread `--thread-before-strict` starts: it exists before the strict
/// filter is loaded, and must be under it anyway (TSYNC). It waits for a path,
/// opens it read-only and reports the outcome.
enum EarlyThread {
    nonisolated(unsafe) static var request: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var answer: Int32 = 0
    nonisolated(unsafe) static var done = false

    /// The thread's body.
    static func serve() -> Never {
        while true {
            if let path = request, !done {
                let fd = open(path, O_RDONLY)
                answer = fd >= 0 ? 0 : errno
                done = true
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
    }

    /// Asks the early thread to open `path`; its result as `ok` or `errno N (NAME)`.
    static func openRead(_ path: String) -> String {
        request = strdup(path)
        for _ in 0..<10_000 where !done {
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
        guard done else { return "no-early-thread" }
        return answer == 0 ? "ok" : errnoText(answer)
    }
}

/// A usage error of the probe's command line.
struct ProbeUsageError: Error { let message: String; init(_ message: String) { self.message = message } }

/// `errno N (NAME)`.
func errnoText(_ code: Int32) -> String { "errno \(code) (\(LinuxConstants.errnoName(code)))" }
