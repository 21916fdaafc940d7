#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseSystem

/// A running `bourse-worker` child: its pid, and how it ended.
final class WorkerProcess {
    /// The child's pid.
    let pid: pid_t
    /// The worker's CPU time limit (`--cpu-seconds`), to name it when the kernel kills the worker for it.
    let cpuLimitSeconds: UInt64?
    /// The worker's address-space limit in bytes (`--address-space`), to name it when a crash looks like its exhaustion.
    let addressSpaceLimitBytes: UInt64?
    /// Set once the child has been reaped.
    private(set) var ending: WorkerEnding?
    /// CPU time (user + system) the child used, in microseconds, once reaped.
    private(set) var cpuMicroseconds: Int64?
    /// The child's peak resident memory in KiB, once reaped.
    private(set) var peakResidentKiB: Int64?
    /// The host's peak resident memory in KiB just after the spawn. The
    /// kernel folds the peak of the address space a process leaves at `exec`
    /// into its `ru_maxrss`, and `posix_spawn` runs the child in the host's
    /// address space until then: a child peak at or below this figure may be
    /// the host's, not the worker's own.
    private let hostPeakResidentKiBAtSpawn: Int64

    private init(pid: pid_t, cpuLimitSeconds: UInt64?, addressSpaceLimitBytes: UInt64?) {
        self.pid = pid
        self.cpuLimitSeconds = cpuLimitSeconds
        self.addressSpaceLimitBytes = addressSpaceLimitBytes
        var usage = rusage()
        hostPeakResidentKiBAtSpawn = getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? Int64(usage.ru_maxrss) : Int64.max
    }

    /// The environment of every worker, and nothing else: no secrets or
    /// settings of the host's environment reach plugin code.
    static let environment = ["SWIFT_BACKTRACE=enable=no", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]

    /// Makes the host process non-dumpable, once, before its first worker
    /// starts: `/proc/HOST/mem`, `/proc/HOST/fd/N` (the rings of every node)
    /// and ptrace then need `CAP_SYS_PTRACE`, which workers drop. Also means
    /// no core file of the host, and attaching a debugger to it needs root.
    static let hostMadeNonDumpable: Bool = bourse_set_not_dumpable() == 0

    /// Starts `executable` with `arguments`, a clean environment
    /// (``environment``) and only `sharedFD` (as fd 3) besides
    /// stdin (/dev/null), stdout and stderr. Makes the host non-dumpable first
    /// (``hostMadeNonDumpable``).
    static func spawn(executable: String, arguments: [String], sharedFD: Int32) throws -> WorkerProcess {
        _ = hostMadeNonDumpable
        var pid: pid_t = 0
        let rc = withCStrings([executable] + arguments) { argv in
            withCStrings(Self.environment) { envp in
                bourse_spawn_worker(executable, argv, envp, sharedFD, &pid)
            }
        }
        guard rc == 0 else {
            throw BourseError(.io, "cannot start the worker \(executable): \(String(cString: strerror(rc)))", input: executable)
        }
        func number(after option: String) -> UInt64? {
            arguments.firstIndex(of: option).flatMap { index in index + 1 < arguments.count ? UInt64(arguments[index + 1]) : nil }
        }
        return WorkerProcess(pid: pid, cpuLimitSeconds: number(after: "--cpu-seconds"),
                             addressSpaceLimitBytes: number(after: "--address-space"))
    }

    /// Whether the child has ended (reaping it if so).
    var hasEnded: Bool {
        if ending != nil { return true }
        var status: Int32 = 0
        var cpu: Int64 = 0
        var resident: Int64 = 0
        let rc = bourse_child_ended_usage(pid, &status, &cpu, &resident)
        if rc == 1 {
            ending = WorkerEnding(status: status)
            cpuMicroseconds = cpu
            peakResidentKiB = resident
        }
        if rc < 0 { ending = .unknown }
        return ending != nil
    }

    /// Kills the child (SIGKILL) and reaps it.
    func kill() {
        guard !hasEnded else { return }
        _ = Glibc.kill(pid, SIGKILL)
        waitForExit(timeoutNanoseconds: 5_000_000_000)
    }

    /// Waits up to `timeoutNanoseconds` for the child to end.
    @discardableResult
    func waitForExit(timeoutNanoseconds: Int64) -> Bool {
        let deadline = Clock.monotonicNanoseconds() + timeoutNanoseconds
        while !hasEnded {
            if Clock.monotonicNanoseconds() > deadline { return false }
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
        }
        return true
    }
}

/// How a worker ended, in words an operator understands.
enum WorkerEnding: Equatable, CustomStringConvertible {
    /// exit(code).
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)
    /// Could not be determined.
    case unknown

    init(status: Int32) {
        if bourse_wifexited(status) != 0 {
            self = .exited(bourse_wexitstatus(status))
        } else if bourse_wifsignaled(status) != 0 {
            self = .signaled(bourse_wtermsig(status))
        } else {
            self = .unknown
        }
    }

    var description: String {
        switch self {
        case .exited(65): "exited with status 65: bourse-worker comes from another build than bourse (rebuild both)"
        case .exited(64): "exited with status 64: bourse-worker did not understand its command line (rebuild bourse and bourse-worker together)"
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by \(signalName(signal))\(signalMeaning(signal))"
        case .unknown: "ended for an unknown reason"
        }
    }
}

/// `SIGSEGV` etc.
func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
        SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        SIGSYS: "SIGSYS", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2",
    ]
    return names[signal] ?? "signal \(signal)"
}

/// What a signal usually means for a sandboxed plugin.
private func signalMeaning(_ signal: Int32) -> String {
    switch signal {
    case SIGSYS: " (a system call forbidden by the sandbox)"
    case SIGXCPU: " (CPU time limit exceeded)"
    case SIGSEGV: " (invalid memory access)"
    case SIGBUS: " (bus error)"
    case SIGABRT: " (abort: a failed check, or out of memory under the address-space limit)"
    case SIGILL, SIGTRAP: " (a Swift runtime trap or an illegal instruction)"
    case SIGFPE: " (arithmetic error)"
    default: ""
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

import BourseSandbox

extension WorkerProcess {
    /// How the worker ended, with the forbidden system call named when the
    /// kernel logged the seccomp kill (audit record type 1326 in /dev/kmsg,
    /// readable by root), and the limit named when the kernel killed it for
    /// CPU time (SIGXCPU at the `cpu_seconds` limit, or SIGKILL at the hard
    /// limit when the plugin ignored SIGXCPU), or suspected when a crash came
    /// with resident memory close to the address-space limit.
    var endingDescription: String {
        guard let ending else { return "still running" }
        if let limit = exceededCPULimit {
            let used = Double(cpuMicroseconds ?? 0) / 1_000_000
            return "exceeded the cpu_seconds limit (\(limit) s): \(ending) after \((used * 10).rounded() / 10) s of CPU time"
        }
        if let (usedMiB, limitMiB) = likelyAddressSpaceExhaustion {
            return "\(ending); it had \(usedMiB) MiB resident of its \(limitMiB) MiB address_space_mb limit: probably out of memory"
        }
        guard case .signaled(SIGSYS) = ending, let record = KernelLog.seccompRecord(forProcess: pid) else {
            return "\(ending)"
        }
        return "\(ending): it called \(record.callDescription)"
    }

    /// Resident and limit MiB when the worker died of a signal a failed
    /// allocation causes (SIGABRT, SIGILL, SIGTRAP, SIGSEGV, SIGBUS) with its
    /// peak resident memory at 75 % or more of its address-space limit. The
    /// kernel does not say that `mmap` failed, so this is an inference: the
    /// address space is at least the resident memory.
    /// Only a peak above the host's own (``hostPeakResidentKiBAtSpawn``) is
    /// known to be the worker's.
    var likelyAddressSpaceExhaustion: (UInt64, UInt64)? {
        guard let limit = addressSpaceLimitBytes, limit > 0, let resident = peakResidentKiB,
              resident > hostPeakResidentKiBAtSpawn, diedOfAllocationFailureSignal else { return nil }
        let residentBytes = UInt64(resident) * 1024
        guard residentBytes >= limit / 4 * 3 else { return nil }
        return (residentBytes >> 20, limit >> 20)
    }

    /// Whether the worker died of SIGABRT, SIGILL, SIGTRAP, SIGSEGV or SIGBUS.
    private var diedOfAllocationFailureSignal: Bool {
        guard case .signaled(let signal) = ending else { return false }
        return [SIGABRT, SIGILL, SIGTRAP, SIGSEGV, SIGBUS].contains(signal)
    }

    /// The CPU limit in seconds when the worker ended by SIGXCPU, or by
    /// SIGKILL having used at least that much CPU time; nil otherwise.
    var exceededCPULimit: UInt64? {
        guard let limit = cpuLimitSeconds, case .signaled(let signal) = ending else { return nil }
        if signal == SIGXCPU { return limit }
        let (limitMicroseconds, overflow) = limit.multipliedReportingOverflow(by: 1_000_000)
        guard signal == SIGKILL, !overflow, let used = cpuMicroseconds, used >= 0, UInt64(used) >= limitMicroseconds else { return nil }
        return limit
    }
}

/// Reads the kernel log for seccomp audit records.
enum KernelLog {
    /// The last seccomp audit record of `pid`, if the kernel log has one and
    /// this process may read it.
    static func seccompRecord(forProcess pid: pid_t) -> SeccompAuditRecord? {
        let fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var found: SeccompAuditRecord?
        var buffer = [UInt8](repeating: 0, count: 8192)
        let marker = "pid=\(pid) "
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EPIPE { continue }  // EPIPE: a record was overwritten
                break  // EAGAIN: end of the log
            }
            if n == 0 { break }
            let line = String(decoding: buffer[0..<n], as: UTF8.self)
            guard line.contains("type=1326"), line.contains(marker) else { continue }
            if let text = line.split(separator: ";", maxSplits: 1).last, let record = SeccompAuditRecord(line: String(text)) {
                found = record
            }
        }
        return found
    }
}
