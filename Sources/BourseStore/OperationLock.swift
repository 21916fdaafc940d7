#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// The store's operation lock: `$BOURSE_HOME/lock`, held with `flock` for
/// the whole of a changing operation, recording the owner's pid, user and
/// start time inside the file.
///
/// The kernel drops a `flock` when its owner dies, so a killed command never
/// blocks the next one; the next owner sees the dead pid still written in the
/// file, reports that the previous operation was interrupted, and runs the
/// store's recovery. A live owner makes others wait up to a timeout, then fail
/// with `store-locked` naming the pid.
public final class OperationLock {
    /// The lock file.
    public let path: String
    /// The previous owner's record when it died holding the lock (nil after a clean release).
    public let brokenOwner: String?
    private var descriptor: Int32

    /// Takes the lock, waiting up to `timeoutSeconds` for a live owner.
    public init(path: String, timeoutSeconds: Double) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BourseError(.io, "cannot open the store lock: \(String(cString: strerror(errno)))", input: path)
        }
        let deadline = monotonicSeconds() + max(0, timeoutSeconds)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let owner = Self.readRecord(fd)
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw BourseError(.io, "cannot lock the store: \(String(cString: strerror(errno)))", input: path)
            }
            if monotonicSeconds() >= deadline {
                close(fd)
                let who = owner.isEmpty ? "another bourse process" : owner
                throw BourseError(.storeLocked, "the store is busy: another operation holds \(path) (\(who)); try again when it finishes", input: path)
            }
            usleep(20_000)
        }
        descriptor = fd
        let previous = Self.readRecord(fd)
        brokenOwner = previous.isEmpty ? nil : previous
        let record = "pid \(getpid()) user \(currentUserName()) since \(Int(time(nil)))\n"
        // Not fsynced: the record only informs (the kernel drops the flock of a
        // dead owner; after a power loss no owner is alive anyway).
        ftruncate(fd, 0)
        _ = record.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Clears the record and releases the lock (also done at deinit).
    public func release() {
        guard descriptor >= 0 else { return }
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The pid in a record text, if any.
    public static func ownerPID(in record: String) -> Int32? {
        let words = record.split(separator: " ")
        guard words.count >= 2, words[0] == "pid" else { return nil }
        return Int32(words[1])
    }

    private static func readRecord(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: "\n")
    }
}

/// The login name of the current user (`$USER`, else the passwd entry, else the uid).
func currentUserName() -> String {
    if let user = getenv("USER"), user.pointee != 0 { return String(cString: user) }
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
    return "uid \(getuid())"
}

/// CLOCK_MONOTONIC in seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
