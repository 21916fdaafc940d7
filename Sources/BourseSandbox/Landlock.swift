#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CSeccomp

/// Path confinement for the `read-paths` and `write-paths` permissions, with Landlock.
///
/// Seccomp sees only register values, so it can require that `openat` be
/// read-only but not check *which* file. Landlock (Linux 5.13+) checks paths.
/// The worker stacks two Landlock layers (each can only restrict):
///
/// 1. With `write-paths`, ``restrictWrites(to:)`` in the loader stage, before
///    the loader seccomp filter: writing, creating, removing, renaming and
///    truncating are confined to the write-paths from the first instruction
///    of plugin code (constructors run inside `dlopen`); reading is not
///    restricted yet (`dlopen` reads libraries from anywhere).
/// 2. With `read-paths` or `write-paths`, ``confine(readPaths:writePaths:)``
///    after the plugin's `create`, before the strict seccomp filter: every
///    filesystem right the kernel knows is handled, the read-paths get
///    `READ_FILE|READ_DIR`, the write-paths those plus ``writeAccess(abi:)``.
///    Any other open (read or write), create, remove, rename or truncate fails
///    with `EACCES`. Descriptors already open are not affected.
///
/// A third layer, ``restrictLoaderReads(to:)``, comes first in every worker
/// (with or without path permissions): from the loader stage on, reads are
/// confined to what loading needs (``LoaderReadAccess``).
///
/// The first two refuse to run when Landlock is unavailable: the permissions are then
/// refused, never granted unconfined.
///
/// Before ABI 8 (Linux 6.19) Landlock restricts only the calling thread and
/// the threads it creates later; both calls therefore refuse to run when the
/// process already has other threads on such a kernel.
public enum Landlock {
    /// `landlock_create_ruleset` flag asking for the ABI version.
    static let createRulesetVersion: UInt = 1
    /// `LANDLOCK_RULE_PATH_BENEATH`.
    static let rulePathBeneath: Int = 1
    /// `LANDLOCK_ACCESS_FS_EXECUTE`.
    static let execute: UInt64 = 1 << 0
    /// `LANDLOCK_ACCESS_FS_WRITE_FILE`.
    static let writeFile: UInt64 = 1 << 1
    /// `LANDLOCK_ACCESS_FS_READ_FILE`.
    static let readFile: UInt64 = 1 << 2
    /// `LANDLOCK_ACCESS_FS_READ_DIR`.
    static let readDirectory: UInt64 = 1 << 3
    /// `LANDLOCK_ACCESS_FS_REMOVE_DIR`.
    static let removeDirectory: UInt64 = 1 << 4
    /// `LANDLOCK_ACCESS_FS_REMOVE_FILE`.
    static let removeFile: UInt64 = 1 << 5
    /// `LANDLOCK_ACCESS_FS_MAKE_CHAR`.
    static let makeCharacterDevice: UInt64 = 1 << 6
    /// `LANDLOCK_ACCESS_FS_MAKE_DIR`.
    static let makeDirectory: UInt64 = 1 << 7
    /// `LANDLOCK_ACCESS_FS_MAKE_REG`.
    static let makeRegularFile: UInt64 = 1 << 8
    /// `LANDLOCK_ACCESS_FS_MAKE_SOCK`.
    static let makeSocket: UInt64 = 1 << 9
    /// `LANDLOCK_ACCESS_FS_MAKE_FIFO`.
    static let makeFIFO: UInt64 = 1 << 10
    /// `LANDLOCK_ACCESS_FS_MAKE_BLOCK`.
    static let makeBlockDevice: UInt64 = 1 << 11
    /// `LANDLOCK_ACCESS_FS_MAKE_SYM`.
    static let makeSymlink: UInt64 = 1 << 12
    /// `LANDLOCK_ACCESS_FS_REFER` (ABI 2): link or rename across directories.
    static let refer: UInt64 = 1 << 13
    /// `LANDLOCK_ACCESS_FS_TRUNCATE` (ABI 3).
    static let truncate: UInt64 = 1 << 14
    /// Rights that apply to a file (not only to a directory) in a rule.
    static let fileRights: UInt64 = execute | writeFile | readFile | truncate | (1 << 15 /* IOCTL_DEV */)
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

    /// Rights a read-paths entry gets: read files, and list directories.
    static let readAccess: UInt64 = readFile | readDirectory

    /// Rights a write-paths directory gets besides ``readAccess``: write
    /// files, create regular files and directories, remove files and
    /// directories, rename/link across granted directories (`REFER`, ABI ≥ 2)
    /// and truncate (`TRUNCATE`, ABI ≥ 3). Never: execute, device nodes,
    /// sockets, FIFOs, symlinks, device ioctls.
    public static func writeAccess(abi: Int) -> UInt64 {
        var rights = writeFile | removeDirectory | removeFile | makeDirectory | makeRegularFile
        if abi >= 2 { rights |= refer }
        if abi >= 3 { rights |= truncate }
        return rights
    }

    /// Every right that changes the filesystem (the loader-stage layer handles
    /// only these): ``writeAccess(abi:)`` plus the rights never granted
    /// (device nodes, sockets, FIFOs, symlinks).
    static func modifyingAccess(abi: Int) -> UInt64 {
        writeAccess(abi: abi) | makeCharacterDevice | makeSocket | makeFIFO | makeBlockDevice | makeSymlink
    }

    /// Confines reads to `paths` (files, or directories and everything below
    /// them) and forbids every write: ``confine(readPaths:writePaths:)``
    /// without write-paths.
    /// - Throws: see ``confine(readPaths:writePaths:)``.
    public static func restrictReads(to paths: [String]) throws {
        try confine(readPaths: paths, writePaths: [])
    }

    /// The strict-stage layer: the calling process may afterwards read only
    /// `readPaths` and `writePaths` (and what lies below those directories),
    /// and create, write, remove, rename or truncate only below `writePaths`.
    /// Call it after the plugin's `create`, just before the strict seccomp
    /// filter (the strict filter denies the Landlock calls), while the
    /// process is single-threaded (below ABI 8).
    ///
    /// - Throws: `BourseError` `.invalidValue` for a relative path;
    ///   `.fileNotFound` for a path that cannot be opened; `.io` when Landlock
    ///   is unavailable (the worker must then refuse `read-paths`/`write-paths`
    ///   rather than grant the whole filesystem), when other threads exist
    ///   below ABI 8, or when a Landlock call fails (the message names the
    ///   call and errno).
    public static func confine(readPaths: [String], writePaths: [String]) throws {
        let abi = try availableABI(for: writePaths.isEmpty ? "read-paths" : "write-paths")
        var rules = readPaths.map { ($0, "read-paths", readAccess) }
        rules += writePaths.map { ($0, "write-paths", readAccess | writeAccess(abi: abi)) }
        try restrict(handled: handledAccess(abi: abi), rules: rules, abi: abi)
    }

    /// The loader-stage layer for `write-paths`: the calling process may
    /// afterwards create, write, remove, rename or truncate only below
    /// `paths`; reading stays unrestricted by this layer (loading reads
    /// libraries from anywhere; the strict-stage layer confines reads).
    /// Call it before the loader seccomp filter, while single-threaded.
    ///
    /// - Throws: as ``confine(readPaths:writePaths:)``.
    public static func restrictWrites(to paths: [String]) throws {
        let abi = try availableABI(for: "write-paths")
        let rules = paths.map { ($0, "write-paths", writeAccess(abi: abi)) }
        try restrict(handled: modifyingAccess(abi: abi), rules: rules, abi: abi)
    }

    /// The loader-stage read layer: the calling process may afterwards read
    /// files and list directories only in `paths` (see ``LoaderReadAccess``
    /// for what the worker grants: the plugin, library directories, its own
    /// `/proc/PID`, the node's paths). Only reading is handled by this layer
    /// (writes are the write layer's and seccomp's business). Call it before
    /// the loader seccomp filter, while single-threaded. Paths that do not
    /// exist are skipped.
    ///
    /// - Returns: false, restricting nothing, when the kernel has no
    ///   Landlock: the worker then relies on seccomp (read-only opens), the
    ///   dropped capabilities and the host being non-dumpable
    ///   (docs/security.md, Known gaps).
    ///
    /// Every ruleset implicitly handles `REFER` (ABI ≥ 2: moving a file to
    /// another directory is refused unless each layer grants it), so the
    /// `writePaths` (which must be among `paths`) also get `REFER` here:
    /// renames between them keep working.
    /// - Throws: as ``confine(readPaths:writePaths:)``, except for Landlock
    ///   being unavailable.
    @discardableResult
    public static func restrictLoaderReads(to paths: [String], writePaths: [String] = []) throws -> Bool {
        guard let abi = abiVersion() else { return false }
        let refer = abi >= 2 ? Self.refer : 0
        let rules = paths.map { ($0, "loader read layer", writePaths.contains($0) ? readAccess | refer : readAccess) }
        try restrict(handled: readAccess | refer, rules: rules, abi: abi)
        return true
    }

    /// Checks what ``confine(readPaths:writePaths:)`` needs without
    /// restricting anything: Landlock is available and every path is
    /// absolute and exists.
    /// - Throws: the errors ``confine(readPaths:writePaths:)`` would throw for them.
    public static func checkConfinable(readPaths: [String], writePaths: [String]) throws {
        guard !readPaths.isEmpty || !writePaths.isEmpty else { return }
        _ = try availableABI(for: writePaths.isEmpty ? "read-paths" : "write-paths")
        for (path, permission) in readPaths.map({ ($0, "read-paths") }) + writePaths.map({ ($0, "write-paths") }) {
            let fd = try openPath(path, permission: permission)
            close(fd)
        }
    }

    private static func availableABI(for permission: String) throws -> Int {
        guard let abi = abiVersion() else {
            throw BourseError(.io, "landlock: not available in this kernel; \(permission) cannot be confined "
                + "(refusing rather than granting the whole filesystem)", input: permission)
        }
        return abi
    }

    /// An `O_PATH` descriptor for a granted path.
    private static func openPath(_ path: String, permission: String) throws -> Int32 {
        guard path.hasPrefix("/") else {
            throw BourseError(.invalidValue, "\(permission): '\(path)' is not an absolute path", input: path)
        }
        let fd = open(path, Int32(LinuxConstants.O_PATH) | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw BourseError(.fileNotFound, "\(permission): cannot open '\(path)': \(String(cString: strerror(code)))", input: path)
        }
        return fd
    }

    /// Creates a ruleset handling `handled`, adds one path-beneath rule per
    /// entry (the rights limited to file rights for a file), and restricts
    /// the calling process (every thread from ABI 8).
    private static func restrict(handled: UInt64, rules: [(path: String, permission: String, allowed: UInt64)], abi: Int) throws {
        guard let create = SeccompPolicy.syscallNumber("landlock_create_ruleset"),
              let addRule = SeccompPolicy.syscallNumber("landlock_add_rule"),
              let restrict = SeccompPolicy.syscallNumber("landlock_restrict_self") else {
            throw BourseError(.io, "landlock: libseccomp does not know the landlock system calls", input: "landlock")
        }
        var flags = 0
        if abi >= 8 {
            flags = restrictSelfTSync
        } else if let threads = threadCount(), threads > 1 {
            throw BourseError(.io, "landlock: the process has \(threads) threads and this kernel (Landlock ABI \(abi)) "
                + "confines only the calling thread; confine read-paths/write-paths before any other thread starts", input: "landlock")
        }
        var handledAccess = handled
        let rulesetFD = withUnsafeMutablePointer(to: &handledAccess) { pointer in
            bourse_raw_syscall6(Int(create), Int(bitPattern: UInt(bitPattern: pointer)), 8, 0, 0, 0, 0)
        }
        guard rulesetFD >= 0 else { throw failure("landlock_create_ruleset", input: "landlock") }
        defer { close(Int32(rulesetFD)) }

        for rule in rules {
            let fd = try openPath(rule.path, permission: rule.permission)
            defer { close(fd) }
            var status = stat()
            let isDirectory = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
            let allowed = (isDirectory ? rule.allowed : rule.allowed & fileRights) & handled
            guard allowed != 0 else { continue }
            // struct landlock_path_beneath_attr { u64 allowed_access; s32 parent_fd; } __packed (12 bytes)
            var attribute = [UInt8](repeating: 0, count: 12)
            withUnsafeBytes(of: allowed.littleEndian) { attribute.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: fd.littleEndian) { attribute.replaceSubrange(8..<12, with: $0) }
            let rc = attribute.withUnsafeBytes { buffer in
                bourse_raw_syscall6(Int(addRule), rulesetFD, rulePathBeneath,
                                    Int(bitPattern: UInt(bitPattern: buffer.baseAddress)), 0, 0, 0)
            }
            guard rc == 0 else { throw failure("landlock_add_rule", input: rule.path) }
        }
        // Landlock needs no-new-privs (set again here: the loader-stage layer comes before any seccomp filter).
        _ = bourse_raw_syscall6(Int(SYS_prctl), Int(LinuxConstants.PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0, 0)
        guard bourse_raw_syscall6(Int(restrict), rulesetFD, flags, 0, 0, 0, 0) == 0 else {
            throw failure("landlock_restrict_self", input: "landlock")
        }
    }

    /// The `Threads:` line of /proc/self/status, or nil when it cannot be read.
    public static func threadCount() -> Int? {
        guard let status = LoaderReadAccess.readText("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst(8).filter { $0 != " " && $0 != "\t" })
        }
        return nil
    }

    private static func failure(_ call: String, input: String) -> BourseError {
        let code = errno
        return BourseError(.io, "landlock: \(call) failed: errno \(code) (\(LinuxConstants.errnoName(code)))", input: input)
    }
}
