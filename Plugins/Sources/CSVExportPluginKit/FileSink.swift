// A buffered output file (POSIX), created with its directories.
import BourseCodecs
import BourseCommon
import BourseSDK
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One output file: writes are buffered and reach the file on ``flush()``
/// (the exporter flushes at the end of every delivered batch, so a batch is
/// in the file whole or not at all when a worker dies) and on ``close(sync:)``.
final class FileSink {
    /// The path as resolved (after `{topic}` substitution).
    let path: String
    /// The codec's encoder of this file's stream (made on first write).
    var encoder: (any MessageEncoder)?
    /// The CSV header line already in the file when it was continued (opened
    /// to append by a restarted instance); the encoder's own header line is
    /// checked against it and dropped.
    private var existingHeader: [UInt8]?
    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Creates missing parent directories and opens the file: truncated, or
    /// with `append` (a restarted instance continuing the file) kept as it is
    /// and written at its end. `headerLine`: the format starts with a header
    /// line (CSV), which a continued file already has.
    init(path: String, append: Bool = false, headerLine: Bool = false) throws {
        self.path = path
        try FileSink.makeParentDirectories(of: path)
        fd = open(path, append ? (O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC), 0o644)
        guard fd >= 0 else {
            throw PluginError("csv-export: cannot create \(path): \(String(cString: strerror(errno)))", code: 10)
        }
        if append && headerLine { existingHeader = try firstLine() }
        buffer.reserveCapacity(1 << 16)
    }

    /// The file's first line with its newline, or nil when the file is empty.
    private func firstLine() throws -> [UInt8]? {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(line.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PluginError("csv-export: cannot read \(path): \(String(cString: strerror(errno)))", code: 11)
            }
            if n == 0 { return line.isEmpty ? nil : line }
            if let newline = chunk[0..<n].firstIndex(of: 0x0A) {
                return line + chunk[0...newline]
            }
            line += chunk[0..<n]
            if line.count > 1 << 20 { return line }
        }
    }

    /// Lets `body` append bytes to the buffer. The first bytes written to a
    /// continued CSV file must start with the header the file already has,
    /// which is then left out.
    func write(_ body: (inout [UInt8]) throws -> Void) throws {
        guard let header = existingHeader else { return try body(&buffer) }
        var first: [UInt8] = []
        try body(&first)
        existingHeader = nil
        if let csvHeader = first.firstIndex(of: 0x0A).map({ Array(first[...$0]) }) {
            guard csvHeader == header else {
                throw PluginError("csv-export: cannot continue \(path) after a restart: it has the columns "
                    + "\(String(decoding: header.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)) and the messages now have "
                    + "\(String(decoding: csvHeader.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self))", code: 12)
            }
            buffer += first[csvHeader.count...]
        } else {
            buffer += first
        }
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
