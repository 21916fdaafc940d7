#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Helpers for calling Linux system functions the way swift-nio does: read
/// `errno` right after the call (before anything else can overwrite it),
/// retry on `EINTR`, and turn every other failure into a typed error.
enum SystemCall {
    /// The `BourseError` for a failed call: code `.io`, a message naming the
    /// call, the error text and the errno value.
    static func error(_ call: String, errno code: Int32, input: String? = nil) -> BourseError {
        BourseError(.io, "\(call) failed: \(String(cString: strerror(code))) (errno \(code))", input: input)
    }

    /// Runs `body`, a call returning -1 and setting errno on failure,
    /// retrying while it fails with EINTR. Returns its result.
    @discardableResult
    static func run<T: FixedWidthInteger>(_ call: String, input: String? = nil, _ body: () -> T) throws(BourseError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw error(call, errno: code, input: input)
        }
    }

    /// Closes a file descriptor once. EINTR is not retried: on Linux the
    /// descriptor is released even then, and retrying could close a reused one.
    static func close(_ descriptor: Int32) {
        _ = Glibc.close(descriptor)
    }
}

/// The fate of a child process, as `waitpid` reports it.
public enum ChildExit: Equatable, Sendable {
    /// It called `_exit(code)` or returned from main.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
}

/// Process helpers used with the ring test and benchmark support functions.
public enum ChildProcess {
    /// Waits for child `pid` to end (retrying EINTR) and says how it ended.
    public static func wait(_ pid: pid_t) throws(BourseError) -> ChildExit {
        var status: Int32 = 0
        try SystemCall.run("waitpid", input: "\(pid)") { waitpid(pid, &status, 0) }
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }

    /// Whether child `pid` has ended, without blocking; its exit when it has.
    /// Use it between timed waits to notice a dead peer.
    public static func poll(_ pid: pid_t) throws(BourseError) -> ChildExit? {
        var status: Int32 = 0
        let result = try SystemCall.run("waitpid", input: "\(pid)") { waitpid(pid, &status, WNOHANG) }
        if result == 0 { return nil }
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }
}
