import BourseCore
import CArchive

/// One entry to write into a tar archive, of any type: ``TarGzWriter`` writes
/// exactly what it is given (tests use it to craft hostile archives).
public struct RawArchiveEntry: Sendable {
    /// What the entry is.
    public enum Kind: Sendable {
        /// A regular file with `contents`.
        case file
        /// A directory.
        case directory
        /// A symbolic link to the target.
        case symbolicLink(String)
        /// A hard link to an earlier entry's path.
        case hardLink(String)
        /// A character device (1, 3: /dev/null).
        case characterDevice
        /// A block device.
        case blockDevice
        /// A named pipe.
        case fifo
    }

    /// The path written in the header, verbatim.
    public var path: String
    /// The type.
    public var kind: Kind
    /// Permission bits (including setuid 0o4000, setgid 0o2000).
    public var mode: UInt32
    /// File data (files only).
    public var contents: [UInt8]

    /// Creates an entry; `mode` defaults to 0644 (0755 for directories).
    public init(path: String, kind: Kind = .file, mode: UInt32? = nil, contents: [UInt8] = []) {
        self.path = path
        self.kind = kind
        if case .directory = kind { self.mode = mode ?? 0o755 } else { self.mode = mode ?? 0o644 }
        self.contents = contents
    }
}

/// Writes tar.gz (pax) archives with libarchive, deterministically (times,
/// owners and the gzip timestamp are zero), into memory.
public enum TarGzWriter {
    private final class Sink {
        var bytes: [UInt8] = []
    }

    /// The archive bytes of `entries`, gzip-compressed unless `compress` is false.
    public static func archive(_ entries: [RawArchiveEntry], compress: Bool = true) throws -> [UInt8] {
        try withWriter(compress: compress, format: { archive_write_set_format_pax_restricted($0) }) { archive in
            for item in entries { try writeEntry(item, to: archive) }
        }
    }

    /// `bytes` gzip-compressed as a bare stream (no tar inside).
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        try withWriter(compress: true, format: { archive_write_set_format_raw($0) }) { archive in
            try writeEntry(RawArchiveEntry(path: "data", contents: bytes), to: archive)
        }
    }

    private static func withWriter(compress: Bool, format: (OpaquePointer) -> Int32,
                                   body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        guard let archive = archive_write_new() else { throw BourseError(.io, "libarchive: out of memory") }
        defer { archive_write_free(archive) }
        let sink = Sink()
        func check(_ status: Int32, _ what: String) throws {
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                let reason = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
                throw BourseError(.io, "libarchive: cannot \(what): \(reason)")
            }
        }
        if compress {
            try check(archive_write_add_filter_gzip(archive), "add gzip")
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        } else {
            try check(archive_write_add_filter_none(archive), "set no compression")
        }
        try check(format(archive), "set the archive format")
        _ = archive_write_set_bytes_in_last_block(archive, 1)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(archive_write_open(archive, context, nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        }, nil), "open the output")
        try body(archive)
        try check(archive_write_close(archive), "finish the archive")
        return withExtendedLifetime(sink) { sink.bytes }
    }

    private static func writeEntry(_ item: RawArchiveEntry, to archive: OpaquePointer) throws {
        guard let entry = archive_entry_new() else { throw BourseError(.io, "libarchive: out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, item.path)
        archive_entry_set_perm(entry, mode_t(item.mode))
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        var size = 0
        switch item.kind {
        case .file:
            archive_entry_set_filetype(entry, 0o100000)
            size = item.contents.count
        case .directory:
            archive_entry_set_filetype(entry, 0o040000)
        case .symbolicLink(let target):
            archive_entry_set_filetype(entry, 0o120000)
            archive_entry_set_symlink(entry, target)
        case .hardLink(let target):
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_hardlink(entry, target)
        case .characterDevice:
            archive_entry_set_filetype(entry, 0o020000)
            archive_entry_set_rdevmajor(entry, 1)
            archive_entry_set_rdevminor(entry, 3)
        case .blockDevice:
            archive_entry_set_filetype(entry, 0o060000)
            archive_entry_set_rdevmajor(entry, 8)
        case .fifo:
            archive_entry_set_filetype(entry, 0o010000)
        }
        archive_entry_set_size(entry, la_int64_t(size))
        guard archive_write_header(archive, entry) >= ARCHIVE_WARN else {
            let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            throw BourseError(.io, "libarchive: cannot write the header of '\(item.path)': \(reason)")
        }
        if size > 0 {
            let written = item.contents.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            guard written == size else {
                let reason = archive_error_string(archive).map { String(cString: $0) } ?? "short write"
                throw BourseError(.io, "libarchive: cannot write the data of '\(item.path)': \(reason)")
            }
        }
    }
}
