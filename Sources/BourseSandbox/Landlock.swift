#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CSeccomp

/// Path confinement for the `read-paths` permission, with Landlock.
///
/// Seccomp sees only register values, so it can require that `openat` be
/// read-only but not check *which* file. Landlock (Linux 5.13+) checks paths:
/// after ``restrictReads(to:)`` the process (every thread, and it cannot be
/// undone) may open for reading only the granted files and what lies below
/// the granted directories; every other open, and every write, create,
/// remove, rename or truncate anywhere, fails with `EACCES`. Descriptors
/// already open are not affected.
///
/// Before ABI 8 (Linux 6.19) Landlock restricts only the calling thread and
/// the threads it creates later; ``restrictReads(to:)`` therefore refuses to
/// run when the process already has other threads on such a kernel.
public enum Landlock {
    /// `landlock_create_ruleset` flag asking for the ABI version.
    static let createRulesetVersion: UInt = 1
    /// `LANDLOCK_RULE_PATH_BENEATH`.
    static let rulePathBeneath: Int = 1
    /// `LANDLOCK_ACCESS_FS_READ_FILE`.
    static let readFile: UInt64 = 1 << 2
    /// `LANDLOCK_ACCESS_FS_READ_DIR`.
    static let readDirectory: UInt64 = 1 << 3
    /// `LANDLOCK_RESTRICT_SELF_TSYNC` (ABI 8, Linux 6.19): restrict every thread.
    static let restrictSelfTSync: Int = 1 << 3

    /// The kernel's Landlock ABI version, or nil when Landlock is not
    /// available (kernel too old, or not in the active LSM list).
    public static func abiVersion() -> Int? {
        guard let number = SeccompPolicy.syscallNumber("landlock_create_ruleset") else { return nil }
        let version = bourse_raw_syscall6(Int(number), 0, 0, Int(bitPattern: createRulesetVersion), 0, 0, 0)
        return version > 0 ? version : nil
    }

    /// Every filesystem right the kernel's ABI version knows: all are
    /// "handled", i.e. denied unless a rule grants them.
    static func handledAccess(abi: Int) -> UInt64 {
        switch abi {
        case ..<2: return (1 << 13) - 1          // EXECUTE ... MAKE_SYM
        case 2: return (1 << 14) - 1             // + REFER
        case 3, 4: return (1 << 15) - 1          // + TRUNCATE
        default: return (1 << 16) - 1            // + IOCTL_DEV
        }
    }

    /// Confines the calling process to reading `paths` (files, or directories
    /// and everything below them). Call it in the loader stage, after the
    /// plugin's `create`, just before the strict seccomp filter (the strict
    /// filter denies the Landlock calls).
    ///
    /// - Throws: `BourseError` `.fileNotFound` for a path that cannot be
    ///   opened; `.io` when Landlock is unavailable (the worker must then
    ///   refuse `read-paths` rather than grant the whole filesystem) or a
    ///   Landlock call fails (the message names the call and errno).
    public static func restrictReads(to paths: [String]) throws {
        guard let abi = abiVersion() else {
            throw BourseError(.io, "landlock: not available in this kernel; read-paths cannot be confined", input: "landlock")
        }
        guard let create = SeccompPolicy.syscallNumber("landlock_create_ruleset"),
              let addRule = SeccompPolicy.syscallNumber("landlock_add_rule"),
              let restrict = SeccompPolicy.syscallNumber("landlock_restrict_self") else {
            throw BourseError(.io, "landlock: libseccomp does not know the landlock system calls", input: "landlock")
        }
        var handled = handledAccess(abi: abi)
        let rulesetFD = withUnsafeMutablePointer(to: &handled) { pointer in
            bourse_raw_syscall6(Int(create), Int(bitPattern: UInt(bitPattern: pointer)), 8, 0, 0, 0, 0)
        }
        guard rulesetFD >= 0 else { throw failure("landlock_create_ruleset", input: "landlock") }
        defer { close(Int32(rulesetFD)) }

        for path in paths {
            let fd = open(path, Int32(LinuxConstants.O_PATH) | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                throw BourseError(.fileNotFound, "read-paths: cannot open '\(path)': \(String(cString: strerror(code)))", input: path)
            }
            defer { close(fd) }
            var status = stat()
            let isDirectory = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
            // struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; } __packed (12 bytes)
            var attribute = [UInt8](repeating: 0, count: 12)
            let allowed = isDirectory ? readFile | readDirectory : readFile
            withUnsafeBytes(of: allowed.littleEndian) { attribute.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: fd.littleEndian) { attribute.replaceSubrange(8..<12, with: $0) }
            let rc = attribute.withUnsafeBytes { buffer in
                bourse_raw_syscall6(Int(addRule), rulesetFD, rulePathBeneath,
                                    Int(bitPattern: UInt(bitPattern: buffer.baseAddress)), 0, 0, 0)
            }
            guard rc == 0 else { throw failure("landlock_add_rule", input: path) }
        }
        // Landlock needs no-new-privs (already set by the loader-stage seccomp filter).
        _ = bourse_raw_syscall6(Int(SYS_prctl), Int(LinuxConstants.PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0, 0)
        var flags = 0
        if abi >= 8 {
            flags = restrictSelfTSync
        } else if let threads = threadCount(), threads > 1 {
            throw BourseError(.io, "landlock: the process has \(threads) threads and this kernel (Landlock ABI \(abi)) "
                + "confines only the calling thread; confine read-paths before any other thread starts", input: "landlock")
        }
        guard bourse_raw_syscall6(Int(restrict), rulesetFD, flags, 0, 0, 0, 0) == 0 else {
            throw failure("landlock_restrict_self", input: "landlock")
        }
    }

    /// The `Threads:` line of /proc/self/status, or nil when it cannot be read.
    public static func threadCount() -> Int? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst(8).filter { $0 != " " && $0 != "\t" })
        }
        return nil
    }

    private static func failure(_ call: String, input: String) -> BourseError {
        let code = errno
        return BourseError(.io, "landlock: \(call) failed: errno \(code) (\(LinuxConstants.errnoName(code)))", input: input)
    }
}
