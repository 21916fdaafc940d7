// A buffered output file (POSIX), created with its directories.
import BourseCodecs
import BourseCommon
import BourseSDK
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One output file: writes are buffered and reach the file when the buffer
/// exceeds 64 KiB, on ``flush()`` and on ``close(sync:)``.
final class FileSink {
    /// The path as resolved (after `{topic}` substitution).
    let path: String
    /// The codec's encoder of this file's stream (made on first write).
    var encoder: (any MessageEncoder)?
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let threshold = 1 << 16

    /// Creates missing parent directories and opens (truncates) the file.
    init(path: String) throws {
        self.path = path
        try FileSink.makeParentDirectories(of: path)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PluginError("csv-export: cannot create \(path): \(String(cString: strerror(errno)))", code: 10)
        }
        buffer.reserveCapacity(FileSink.threshold + 4096)
    }

    /// Lets `body` append bytes to the buffer, then writes the buffer out when it is large.
    func write(_ body: (inout [UInt8]) throws -> Void) throws {
        try body(&buffer)
        if buffer.count >= FileSink.threshold { try flush() }
    }

    /// Writes the buffered bytes to the file.
    func flush() throws {
        guard fd >= 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PluginError("csv-export: cannot write \(path): \(String(cString: strerror(errno)))", code: 11)
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, optionally fsyncs, and closes the file.
    func close(sync: Bool) throws {
        guard fd >= 0 else { return }
        defer {
            _ = Glibc.close(fd)
            fd = -1
        }
        try flush()
        if sync && fsync(fd) != 0 {
            throw PluginError("csv-export: cannot fsync \(path): \(String(cString: strerror(errno)))", code: 11)
        }
    }

    deinit {
        if fd >= 0 {
            try? flush()
            _ = Glibc.close(fd)
        }
    }

    /// `mkdir -p` of the directory part of `path`.
    static func makeParentDirectories(of path: String) throws {
        if let (directory, reason) = Directories.createParents(of: path) {
            throw PluginError("csv-export: cannot create directory \(directory): \(reason)", code: 10)
        }
    }
}
