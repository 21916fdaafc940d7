#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Small POSIX file helpers with `BourseError`s naming the path.
public enum FileIO {
    static func systemError(_ what: String, _ path: String) -> BourseError {
        BourseError(.io, "cannot \(what) \(path): \(String(cString: strerror(errno)))", input: path)
    }

    /// Writes every byte, retrying on EINTR and short writes.
    static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw systemError("write", path)
            }
            done += written
        }
    }

    /// The whole content of a regular file, refusing anything larger than
    /// `limit` bytes (`tooLarge` builds that error from the size).
    static func readRegularFile(_ path: String, limit: Int, tooLarge: (Int) -> BourseError) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw BourseError(.fileNotFound, "no such file: \(path)", input: path) }
            throw systemError("open", path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw systemError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw BourseError(.io, "\(path) is not a regular file", input: path)
        }
        let size = Int(info.st_size)
        guard size <= limit else { throw tooLarge(size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if count < 0 {
                if errno == EINTR { continue }
                throw systemError("read", path)
            }
            if count == 0 { break }
            done += count
        }
        return Array(bytes[0..<done])
    }

    /// fsyncs a directory so the names created in it are durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw systemError("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw systemError("fsync directory", path) }
    }

    /// Writes `bytes` to `path` through a temporary file in the same
    /// directory, fsyncs it, renames it over `path` and fsyncs the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw systemError("create", temporary) }
        do {
            try writeAll(fd: fd, bytes: bytes, path: temporary)
            guard fsync(fd) == 0 else { throw systemError("fsync", temporary) }
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = systemError("rename \(temporary) to", path)
            unlink(temporary)
            throw error
        }
        try syncDirectory(parentDirectory(of: path))
    }

    /// The directory part of `path` (`.` for a bare name).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Questions about paths that do not throw.
enum FileIOProbe {
    /// Whether `path` is a directory (not following a final symbolic link).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether something exists at `path` (not following a final symbolic link).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
