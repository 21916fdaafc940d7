/// The Linux x86_64 numbers the policy compares arguments with.
///
/// Spelled out (rather than imported from Glibc, where many are macros or
/// enums Swift imports differently) so the policy is plain data that prints
/// the same everywhere; the tests check them against the C headers.
public enum LinuxConstants {
    // errno values
    /// Operation not permitted.
    public static let EPERM: Int32 = 1
    /// Permission denied (Landlock's answer).
    public static let EACCES: Int32 = 13
    /// Function not implemented.
    public static let ENOSYS: Int32 = 38

    // openat(2) flags
    /// Access-mode bits.
    public static let O_ACCMODE: UInt64 = 0o3
    /// Read-only access mode (0).
    public static let O_RDONLY: UInt64 = 0
    /// Create the file.
    public static let O_CREAT: UInt64 = 0o100
    /// Truncate the file.
    public static let O_TRUNC: UInt64 = 0o1000
    /// Append mode.
    public static let O_APPEND: UInt64 = 0o2000
    /// The bit of O_TMPFILE that is not O_DIRECTORY (`__O_TMPFILE`); masking
    /// the whole O_TMPFILE would also reject `O_DIRECTORY` (opendir).
    public static let O_TMPFILE_BIT: UInt64 = 0o20000000
    /// Open a path without reading it (Landlock rules take such descriptors).
    public static let O_PATH: UInt64 = 0o10000000
    /// Mask applied to openat's flags: a read-only open has all these bits clear.
    public static let openWriteMask: UInt64 = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE_BIT

    // mmap(2)/mprotect(2)
    /// Executable pages.
    public static let PROT_EXEC: UInt64 = 0x4

    // clone(2) flags
    /// Share the address space.
    public static let CLONE_VM: UInt64 = 0x100
    /// Share signal handlers.
    public static let CLONE_SIGHAND: UInt64 = 0x800
    /// Same thread group: a thread, not a process.
    public static let CLONE_THREAD: UInt64 = 0x10000
    /// New namespaces: mount, cgroup, UTS, IPC, user, PID, network.
    public static let CLONE_NEWNS: UInt64 = 0x20000
    /// New cgroup namespace.
    public static let CLONE_NEWCGROUP: UInt64 = 0x0200_0000
    /// New UTS namespace.
    public static let CLONE_NEWUTS: UInt64 = 0x0400_0000
    /// New IPC namespace.
    public static let CLONE_NEWIPC: UInt64 = 0x0800_0000
    /// New user namespace.
    public static let CLONE_NEWUSER: UInt64 = 0x1000_0000
    /// New PID namespace.
    public static let CLONE_NEWPID: UInt64 = 0x2000_0000
    /// New network namespace.
    public static let CLONE_NEWNET: UInt64 = 0x4000_0000
    /// What a thread must set.
    public static let threadCloneFlags: UInt64 = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD
    /// Flags inspected by the clone rule: the thread flags and every namespace flag.
    public static let threadCloneMask: UInt64 = threadCloneFlags | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS
        | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET

    // socket(2)
    /// IPv4.
    public static let AF_INET: UInt64 = 2
    /// IPv6.
    public static let AF_INET6: UInt64 = 10
    /// Stream (TCP).
    public static let SOCK_STREAM: UInt64 = 1
    /// Datagram (UDP).
    public static let SOCK_DGRAM: UInt64 = 2
    /// Bits of socket's type argument that hold the type (the rest are SOCK_NONBLOCK/SOCK_CLOEXEC).
    public static let SOCK_TYPE_MASK: UInt64 = 0xf

    // ioctl(2) requests
    /// Get terminal attributes (isatty, first print).
    public static let TCGETS: UInt64 = 0x5401
    /// Bytes available to read.
    public static let FIONREAD: UInt64 = 0x541b
    /// Set non-blocking mode.
    public static let FIONBIO: UInt64 = 0x5421

    // prctl(2)
    /// Set the thread's name.
    public static let PR_SET_NAME: UInt64 = 15
    /// Get the thread's name.
    public static let PR_GET_NAME: UInt64 = 16

    /// Forbid gaining privileges through execve (required by seccomp and Landlock).
    public static let PR_SET_NO_NEW_PRIVS: UInt64 = 38

    /// seccomp(2) operation: install a filter.
    public static let SECCOMP_SET_MODE_FILTER: UInt64 = 1

    // setpriority(2)
    /// `which` = a process (or thread) id.
    public static let PRIO_PROCESS: UInt64 = 0

    // Standard streams
    /// Standard output.
    public static let stdoutFD: UInt64 = 1
    /// Standard error.
    public static let stderrFD: UInt64 = 2

    private static let errnoNames: [(Int32, String)] = [
        (1, "EPERM"), (2, "ENOENT"), (4, "EINTR"), (9, "EBADF"), (11, "EAGAIN"), (12, "ENOMEM"),
        (13, "EACCES"), (14, "EFAULT"), (16, "EBUSY"), (17, "EEXIST"), (22, "EINVAL"), (24, "EMFILE"),
        (28, "ENOSPC"), (30, "EROFS"), (38, "ENOSYS"), (95, "EOPNOTSUPP"), (97, "EAFNOSUPPORT"),
        (111, "ECONNREFUSED"), (115, "EINPROGRESS"),
    ]

    /// `EPERM` for 1 and so on; the number itself when unknown.
    public static func errnoName(_ code: Int32) -> String {
        errnoNames.first { $0.0 == code }?.1 ?? String(code)
    }

    /// 1 for `EPERM` and so on.
    public static func errnoCode(_ name: String) -> Int32? {
        errnoNames.first { $0.1 == name }?.0
    }
}
