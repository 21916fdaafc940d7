#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Foundation

/// The one JSON encoding used for everything the registry signs or hashes:
/// keys sorted, no insignificant whitespace, slashes unescaped. Signatures are
/// computed over these bytes, and checked against the re-encoding of what was
/// decoded, so a verified value is exactly the value that was signed.
enum CanonicalJSON {
    /// `value` encoded canonically (or pretty-printed, for files people read).
    static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw BourseError(.io, "cannot encode \(T.self) as JSON: \(error)")
        }
    }
}

/// Writes `data` to `path` atomically: a temporary file in the same directory,
/// fsync, rename over `path`, fsync of the directory. Creates parent directories.
func writeFileAtomically(_ data: Data, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    do {
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
    } catch {
        throw BourseError(.io, "cannot create directory \(directory): \(error.localizedDescription)", input: directory)
    }
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BourseError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))", input: temporary) }
    var written = 0
    let ok = data.withUnsafeBytes { raw -> Bool in
        while written < raw.count {
            let n = write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 { if errno == EINTR { continue }; return false }
            written += n
        }
        return fsync(fd) == 0
    }
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw BourseError(.io, "cannot write \(path): \(reason)", input: path)
    }
    let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirfd >= 0 { fsync(dirfd); close(dirfd) }
}

/// Reads a whole file, or a BourseError naming it.
func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        let exists = FileManager.default.fileExists(atPath: path)
        throw BourseError(exists ? .io : .fileNotFound, exists ? "cannot read \(path)" : "no such file: \(path)", input: path)
    }
    return data
}
