#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseSystem

/// Linux capabilities of the worker: all of them are dropped before the
/// loader stage.
///
/// A worker started by root (CI, containers) would otherwise keep
/// `CAP_DAC_OVERRIDE` (read any file regardless of its mode),
/// `CAP_SYS_PTRACE` (open `/proc/PID/mem` and `/proc/PID/fd/N` of the host
/// even though the host is not dumpable) and the rest. Seccomp and Landlock do
/// not depend on them, but the kernel's own permission checks — the layer
/// under both — do.
public enum Capabilities {
    /// Empties the ambient, bounding, effective, permitted and inheritable
    /// sets of the calling process (a process without capabilities only
    /// clears the ambient set: the bounding set needs `CAP_SETPCAP`, and
    /// no-new-privs already stops an `execve` from gaining any). Capabilities
    /// belong to threads: call it while the process is single-threaded.
    /// - Throws: `BourseError` `.io` naming the call that failed and errno.
    public static func dropAll() throws {
        var step: UnsafePointer<CChar>?
        guard bourse_drop_capabilities(&step) == 0 else {
            let code = errno
            let call = step.map { String(cString: $0) } ?? "capset"
            throw BourseError(.io, "cannot drop the worker's capabilities: \(call) failed: errno \(code) (\(LinuxConstants.errnoName(code)))",
                              input: "capabilities")
        }
    }

    /// Whether the calling thread holds any effective, permitted or
    /// inheritable capability (nil when `capget` fails).
    public static var held: Bool? {
        switch bourse_has_capabilities() {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }
}
