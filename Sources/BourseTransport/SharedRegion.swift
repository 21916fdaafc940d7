#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseRing

/// A shared memory file (memfd) mapped read-write into this process.
///
/// The host creates one with `create(name:size:)`: an anonymous memfd whose
/// size is sealed (a peer can neither shrink it, which would make our
/// accesses fault, nor grow it), mapped `MAP_SHARED`, zero-filled. It then
/// passes `fileDescriptor` to the worker process (for example with
/// `posix_spawn_file_actions_adddup2`; the descriptor itself is
/// close-on-exec), which maps the same memory with `attach(fileDescriptor:)`.
///
/// The region owns its descriptor and mapping and releases both on deinit.
/// Everything inside may be written by the peer at any time: read it only
/// through validating code such as `FrameReader`.
public final class SharedRegion: @unchecked Sendable {
    /// The memfd; owned by the region, closed on deinit.
    public let fileDescriptor: Int32
    /// Start of the mapping (page aligned).
    public let base: UnsafeMutableRawPointer
    /// Bytes mapped.
    public let size: Int
    /// Name used in errors.
    public let name: String

    private init(fileDescriptor: Int32, base: UnsafeMutableRawPointer, size: Int, name: String) {
        self.fileDescriptor = fileDescriptor
        self.base = base
        self.size = size
        self.name = name
    }

    deinit {
        munmap(base, size)
        SystemCall.close(fileDescriptor)
    }

    /// Creates a zero-filled, size-sealed shared memory file of `size` bytes
    /// and maps it. `name` shows in /proc/PID/fd and in errors.
    public static func create(name: String, size: Int) throws(BourseError) -> SharedRegion {
        guard size > 0 else {
            throw BourseError(.invalidValue, "shared region '\(name)' must have a positive size, not \(size)", input: name)
        }
        var fd: Int32 = -1
        var memory: UnsafeMutableRawPointer?
        var failedCall: UnsafePointer<CChar>?
        while bourse_shm_create(name, size, &fd, &memory, &failedCall) != 0 {
            let code = errno
            if code == EINTR { continue }
            let call = failedCall.map { String(cString: $0) } ?? "memfd_create"
            throw SystemCall.error(call, errno: code, input: name)
        }
        return SharedRegion(fileDescriptor: fd, base: memory!, size: size, name: name)
    }

    /// Maps the whole shared memory file behind `fileDescriptor` (an fd the
    /// host passed down). The region takes ownership of the descriptor and
    /// closes it on deinit, also when mapping fails.
    public static func attach(fileDescriptor: Int32, name: String = "channel") throws(BourseError) -> SharedRegion {
        var size = 0
        var memory: UnsafeMutableRawPointer?
        var failedCall: UnsafePointer<CChar>?
        while bourse_shm_map(fileDescriptor, &size, &memory, &failedCall) != 0 {
            let code = errno
            if code == EINTR { continue }
            SystemCall.close(fileDescriptor)
            let call = failedCall.map { String(cString: $0) } ?? "mmap"
            throw SystemCall.error(call, errno: code, input: name)
        }
        return SharedRegion(fileDescriptor: fileDescriptor, base: memory!, size: size, name: name)
    }

    /// A pointer `offset` bytes into the region after checking that
    /// `byteCount` bytes starting there lie inside it.
    func pointer(at offset: Int, byteCount: Int) throws(BourseError) -> UnsafeMutableRawPointer {
        guard offset >= 0, byteCount >= 0, offset <= size, byteCount <= size - offset else {
            throw BourseError(.invalidValue, "bytes \(offset)..<\(offset &+ byteCount) lie outside the \(size)-byte shared region '\(name)'", input: name)
        }
        return base + offset
    }
}
