// Raw byte input: plain files, or the single CSV inside a zip/gzip via libarchive.
import CArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something that fills buffers with bytes until the end of its data.
public protocol ByteSource: AnyObject {
    /// The name used in errors: the path, or `archive#entry` for archives.
    var displayName: String { get }
    /// The name of the data file itself (the archive entry name for archives).
    var entryName: String { get }
    /// Reads up to `buffer.count` bytes; 0 means end of data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BarFileError) -> Int
    /// Releases the underlying file; further reads return 0.
    func close()
}

/// Opens `path`: zip and gzip files (recognised by their magic bytes) are
/// read through libarchive (the first regular file of a zip, the payload
/// of a gzip), anything else as a plain file.
/// - Throws: ``BarFileError`` with code `cannotOpen` or `archive`.
public func openByteSource(path: String) throws(BarFileError) -> ByteSource {
    let plain = try FileByteSource(path: path)
    var magic = [UInt8](repeating: 0, count: 4)
    let n = try magic.withUnsafeMutableBytes { b in Result { () throws(BarFileError) in try plain.read(into: b) } }.get()
    plain.close()
    if n >= 4 && magic[0] == 0x50 && magic[1] == 0x4B && magic[2] == 0x03 && magic[3] == 0x04 {
        return try ArchiveByteSource(path: path, gzip: false)
    }
    if n >= 2 && magic[0] == 0x1F && magic[1] == 0x8B {
        return try ArchiveByteSource(path: path, gzip: true)
    }
    return try FileByteSource(path: path)
}

/// A plain file read with POSIX `read(2)`.
final class FileByteSource: ByteSource {
    let displayName: String
    var entryName: String { displayName }
    private var fd: Int32

    init(path: String) throws(BarFileError) {
        displayName = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw BarFileError(code: .cannotOpen, message: "cannot open: \(reason)", file: path)
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            _ = Glibc.close(fd)
            fd = -1
            throw BarFileError(code: .cannotOpen, message: "cannot open: is a directory", file: path)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BarFileError) -> Int {
        guard fd >= 0, let base = buffer.baseAddress else { return 0 }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw BarFileError(code: .cannotOpen, message: "read failed: \(String(cString: strerror(errno)))",
                               file: displayName)
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// The first regular file inside a zip archive (or the payload of a gzip
/// file), decompressed by libarchive.
final class ArchiveByteSource: ByteSource {
    let displayName: String
    let entryName: String
    private var archive: OpaquePointer?

    init(path: String, gzip: Bool) throws(BarFileError) {
        guard let a = archive_read_new() else {
            throw BarFileError(code: .archive, message: "libarchive: out of memory", file: path)
        }
        archive = a
        if gzip {
            archive_read_support_filter_gzip(a)
            archive_read_support_format_raw(a)
        } else {
            archive_read_support_filter_all(a)
            archive_read_support_format_zip(a)
        }
        var name = ""
        var failure: BarFileError?
        if archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK {
            failure = BarFileError(code: .archive, message: "cannot open archive: \(Self.message(a))", file: path)
        } else {
            var entry: OpaquePointer?
            while true {
                let r = archive_read_next_header(a, &entry)
                if r == ARCHIVE_EOF {
                    failure = BarFileError(code: .archive, message: "archive holds no regular file", file: path)
                    break
                }
                if r < ARCHIVE_WARN {
                    failure = BarFileError(code: .archive, message: "damaged archive: \(Self.message(a))", file: path)
                    break
                }
                // Raw (gzip) entries have no file type; zip entries must be regular files.
                if gzip || archive_entry_filetype(entry) == 0o100000 {
                    name = archive_entry_pathname(entry).map { String(cString: $0) } ?? "data"
                    break
                }
            }
        }
        if let failure {
            archive_read_free(a)
            archive = nil
            throw failure
        }
        entryName = name
        displayName = "\(path)#\(name)"
    }

    private static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BarFileError) -> Int {
        guard let a = archive, let base = buffer.baseAddress else { return 0 }
        let n = archive_read_data(a, base, buffer.count)
        if n < 0 {
            throw BarFileError(code: .archive, message: "cannot decompress: \(Self.message(a))", file: displayName)
        }
        return n
    }

    func close() {
        if let a = archive { archive_read_free(a) }
        archive = nil
    }

    deinit { close() }
}
