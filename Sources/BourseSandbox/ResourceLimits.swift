#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Resource limits (setrlimit) for a plugin worker, set before the loader
/// stage. Soft and hard limits are set equal (except CPU, see
/// ``cpuGraceSeconds``), and the seccomp policy denies `setrlimit` and
/// `prlimit64` writes, so a plugin cannot raise them.
///
/// What exceeding each one does:
/// - address space (`RLIMIT_AS`): `mmap`/`brk` fail with `ENOMEM`; malloc
///   returns NULL, Swift aborts (SIGABRT or SIGTRAP/SIGILL on a failed
///   allocation), a C plugin may handle it;
/// - CPU time (`RLIMIT_CPU`): SIGXCPU at the soft limit (the worker dies
///   unless it handles it), SIGKILL at the hard limit; the host reports
///   either as "exceeded the cpu_seconds limit (N s)";
/// - open files (`RLIMIT_NOFILE`): `EMFILE` from any call making a descriptor;
/// - core size 0: a crash writes no core file (no plugin memory, which may
///   hold market data or keys, ends up on disk).
public struct ResourceLimits: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Largest address space in bytes (`RLIMIT_AS`), nil = unchanged.
    public var addressSpaceBytes: UInt64?
    /// CPU seconds over the process's whole life (`RLIMIT_CPU`), nil = unchanged.
    public var cpuSeconds: UInt64?
    /// Seconds between SIGXCPU and SIGKILL when ``cpuSeconds`` is set.
    public var cpuGraceSeconds: UInt64
    /// Most open descriptors (`RLIMIT_NOFILE`), nil = unchanged.
    public var openFiles: UInt64?
    /// Largest core file (`RLIMIT_CORE`), nil = unchanged.
    public var coreFileBytes: UInt64?

    /// 1 GiB: about 9× the measured peak address space of a worker that
    /// loaded the Foundation-linked csv-bars plugin and created an instance
    /// (109 MB single-threaded, 248 MB with threads and a Dispatch round trip;
    /// see docs/security.md), leaving room for data, thread stacks (8 MiB each)
    /// and glibc malloc arenas (64 MiB reserved per arena).
    public static let defaultAddressSpaceBytes: UInt64 = 1 << 30

    /// Address space 1 GiB (``defaultAddressSpaceBytes``), no CPU limit (a
    /// live feed runs for days and RLIMIT_CPU counts the whole life; hang
    /// detection belongs to the supervisor), 256 descriptors, no core files.
    public static let `default` = ResourceLimits(addressSpaceBytes: defaultAddressSpaceBytes, cpuSeconds: nil,
                                                 openFiles: 256, coreFileBytes: 0)

    /// Nothing changed.
    public static let unchanged = ResourceLimits(addressSpaceBytes: nil, cpuSeconds: nil, openFiles: nil, coreFileBytes: nil)

    /// Creates limits; nil leaves a limit as inherited.
    public init(addressSpaceBytes: UInt64? = ResourceLimits.defaultAddressSpaceBytes, cpuSeconds: UInt64? = nil,
                cpuGraceSeconds: UInt64 = 5, openFiles: UInt64? = 256, coreFileBytes: UInt64? = 0) {
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
        self.cpuGraceSeconds = cpuGraceSeconds
        self.openFiles = openFiles
        self.coreFileBytes = coreFileBytes
    }

    /// `as=1G,cpu=unlimited,nofile=256,core=0`, readable by ``parse(_:base:)``.
    public var description: String {
        func show(_ value: UInt64?, bytes: Bool) -> String {
            guard let value else { return "unlimited" }
            guard bytes, value > 0 else { return String(value) }
            for (suffix, shift) in [("G", 30), ("M", 20), ("K", 10)] where value % (1 << UInt64(shift)) == 0 {
                return "\(value >> UInt64(shift))\(suffix)"
            }
            return String(value)
        }
        return "as=\(show(addressSpaceBytes, bytes: true)),cpu=\(show(cpuSeconds, bytes: false)),"
            + "nofile=\(show(openFiles, bytes: false)),core=\(show(coreFileBytes, bytes: true))"
    }

    /// Parses `as=2G,cpu=60,nofile=64,core=0` (keys `as`, `cpu`, `nofile`,
    /// `core`; sizes take K/M/G suffixes; `unlimited` leaves a limit
    /// unchanged), starting from `base` for keys not given. `none` alone
    /// means ``unchanged``.
    /// - Throws: `BourseError` `.invalidValue` naming the key or value.
    public static func parse(_ text: String, base: ResourceLimits = .default) throws -> ResourceLimits {
        if text == "none" { return .unchanged }
        var limits = base
        for item in text.split(separator: ",").map(String.init) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw BourseError(.invalidValue, "limit '\(item)' is not KEY=VALUE (keys: as, cpu, nofile, core)", input: item)
            }
            let value = try parseNumber(parts[1], key: parts[0])
            switch parts[0] {
            case "as": limits.addressSpaceBytes = value
            case "cpu": limits.cpuSeconds = value
            case "nofile": limits.openFiles = value
            case "core": limits.coreFileBytes = value
            default:
                throw BourseError(.invalidValue, "unknown limit '\(parts[0])'; known: as, cpu, nofile, core", input: parts[0])
            }
        }
        return limits
    }

    private static func parseNumber(_ text: String, key: String) throws -> UInt64? {
        if text == "unlimited" { return nil }
        var digits = Substring(text)
        var shift: UInt64 = 0
        switch digits.last {
        case "K", "k": shift = 10
        case "M", "m": shift = 20
        case "G", "g": shift = 30
        default: break
        }
        if shift > 0 { digits = digits.dropLast() }
        guard let number = UInt64(digits), number <= (UInt64.max >> shift) else {
            throw BourseError(.invalidValue, "limit \(key): '\(text)' is not a number (use K/M/G suffixes or 'unlimited')", input: text)
        }
        return number << shift
    }

    /// Sets the limits on the calling process with setrlimit (before the
    /// loader stage: the seccomp policy forbids changing them later). With a
    /// CPU limit, SIGXCPU is also reset to its default action and unblocked
    /// (an inherited SIG_IGN — seen under the test runner — would skip
    /// straight to SIGKILL at the hard limit).
    /// - Throws: `BourseError` `.io` naming the resource and errno (e.g.
    ///   `EPERM` when raising a hard limit without privilege).
    public func apply() throws {
        if let addressSpaceBytes { try set(.addressSpace, "RLIMIT_AS", soft: addressSpaceBytes, hard: addressSpaceBytes) }
        if let cpuSeconds {
            // An inherited SIG_IGN or blocked SIGXCPU would turn the soft limit into
            // nothing and the hard limit into a bare SIGKILL: restore the default.
            signal(SIGXCPU, SIG_DFL)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGXCPU)
            sigprocmask(SIG_UNBLOCK, &set, nil)
            let (hard, overflow) = cpuSeconds.addingReportingOverflow(cpuGraceSeconds)
            try self.set(.cpu, "RLIMIT_CPU", soft: cpuSeconds, hard: overflow ? cpuSeconds : hard)
        }
        if let openFiles { try set(.openFiles, "RLIMIT_NOFILE", soft: openFiles, hard: openFiles) }
        if let coreFileBytes { try set(.coreFile, "RLIMIT_CORE", soft: coreFileBytes, hard: coreFileBytes) }
    }

    /// The limits this type sets.
    public enum Resource: Sendable, CaseIterable {
        /// `RLIMIT_AS`.
        case addressSpace
        /// `RLIMIT_CPU`.
        case cpu
        /// `RLIMIT_NOFILE`.
        case openFiles
        /// `RLIMIT_CORE`.
        case coreFile

        var glibc: __rlimit_resource_t {
            switch self {
            case .addressSpace: return __rlimit_resource_t(RLIMIT_AS.rawValue)
            case .cpu: return __rlimit_resource_t(RLIMIT_CPU.rawValue)
            case .openFiles: return __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            case .coreFile: return __rlimit_resource_t(RLIMIT_CORE.rawValue)
            }
        }
    }

    /// The current soft and hard values of a limit of this process (`RLIM_INFINITY` = UInt64.max).
    public static func current(_ resource: Resource) -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        _ = getrlimit(resource.glibc, &limit)
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    private func set(_ resource: Resource, _ name: String, soft: UInt64, hard: UInt64) throws {
        var limit = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        guard setrlimit(resource.glibc, &limit) == 0 else {
            let code = errno
            throw BourseError(.io, "setrlimit(\(name), \(soft)/\(hard)) failed: errno \(code) (\(LinuxConstants.errnoName(code)))", input: name)
        }
    }
}
