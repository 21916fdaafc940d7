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
    /// True when the file was continued rather than started over.
    private(set) var continued = false

    /// How a continued file's records end, to cut a record a dying writer
    /// left half-written.
    enum Records {
        /// Lines (CSV, with a header line; JSON lines without).
        case lines(header: Bool)
        /// The binary codec's headers and frames.
        case binaryFrames
    }

    /// Creates missing parent directories and opens the file. A first
    /// instance (`restartCount` 0) truncates it and marks it with the run's id
    /// (``marker(of:)``). A restarted instance continues — keeps and appends
    /// to — a file whose mark is this run's (an earlier instance of this run
    /// wrote it), after cutting a last record left half-written; any other
    /// file is started over like a first instance would.
    init(path: String, records: Records, runID: UInt64, restartCount: Int) throws {
        self.path = path
        try FileSink.makeParentDirectories(of: path)
        let mark = "run \(runID)\n"
        continued = restartCount > 0 && runID != 0 && FileSink.readSmallFile(FileSink.marker(of: path)) == mark
        fd = open(path, continued ? (O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC), 0o644)
        guard fd >= 0 else {
            throw PluginError("csv-export: cannot create \(path): \(String(cString: strerror(errno)))", code: 10)
        }
        if continued {
            try cutHalfWrittenRecord(records)
            if case .lines(header: true) = records { existingHeader = try firstLine() }
        } else {
            try FileSink.writeSmallFile(FileSink.marker(of: path), mark)
        }
        buffer.reserveCapacity(1 << 16)
    }

    /// The file beside `path` that holds the id of the run that started it:
    /// `DIR/.NAME.bourse-run`.
    static func marker(of path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return directory + "." + name + ".bourse-run"
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
        return n > 0 ? String(decoding: bytes[0..<n], as: UTF8.self) : nil
    }

    private static func writeSmallFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PluginError("csv-export: cannot create \(path): \(String(cString: strerror(errno)))", code: 10)
        }
        defer { _ = Glibc.close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress!, $0.count) }) == bytes.count else {
            throw PluginError("csv-export: cannot write \(path): \(String(cString: strerror(errno)))", code: 11)
        }
    }

    /// `count` bytes at `offset` (fewer at the end of the file).
    private func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PluginError("csv-export: cannot read \(path): \(String(cString: strerror(errno)))", code: 11)
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }

    /// Cuts the file after its last whole record: a writer killed inside a
    /// `write` can leave part of a batch's last line or frame. (That batch
    /// was not acknowledged, so it is delivered again.)
    private func cutHalfWrittenRecord(_ records: Records) throws {
        let size = Int(lseek(fd, 0, SEEK_END))
        guard size > 0 else { return }
        var keep: Int
        switch records {
        case .lines:
            keep = 0
            var end = size
            search: while end > 0 {
                let start = max(0, end - 65536)
                let chunk = try read(at: start, count: end - start)
                if let newline = chunk.lastIndex(of: 0x0A) {
                    keep = start + newline + 1
                    break search
                }
                end = start
            }
        case .binaryFrames:
            var cache: (offset: Int, bytes: [UInt8]) = (0, [])
            keep = try BinaryCodec.wholeRecordsLength(size: size) { offset, count in
                if offset < cache.offset || offset + count > cache.offset + cache.bytes.count {
                    cache = (offset, try read(at: offset, count: max(count, 65536)))
                }
                return Array(cache.bytes[(offset - cache.offset)..<(offset - cache.offset + count)])
            }
        }
        if keep < size && ftruncate(fd, off_t(keep)) != 0 {
            throw PluginError("csv-export: cannot cut the half-written end of \(path): \(String(cString: strerror(errno)))", code: 11)
        }
    }

    /// The file's first line with its newline, or nil when the file is empty.
    private func firstLine() throws -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            let chunk = try read(at: line.count, count: 4096)
            if chunk.isEmpty { return line.isEmpty ? nil : line }
            if let newline = chunk.firstIndex(of: 0x0A) { return line + chunk[0...newline] }
            line += chunk
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
                let reason = String(cString: strerror(errno))
                buffer.removeFirst(offset)  // written: never write it twice
                throw PluginError("csv-export: cannot write \(path): \(reason)", code: 11)
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
