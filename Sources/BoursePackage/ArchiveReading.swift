#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CArchive

/// One entry of a tar stream, as read (nothing written anywhere).
struct ArchiveEntryRecord {
    /// The path, with a leading `./` removed and a trailing `/` (directories) removed.
    var path: String
    /// True for directories (their contents are not kept).
    var isDirectory: Bool
    /// Permission bits from the header.
    var mode: UInt32
    /// File contents (empty for directories).
    var contents: [UInt8]
}

/// The two libarchive passes of a package read: gunzip with limits, then
/// walk the tar entries with the per-entry structural rules.
struct ArchiveStreamReader {
    let refuse: PackageRefusal
    let limits: ArchiveLimits

    // File types (`AE_IF*`; their C macros are casts Swift does not import).
    private static let typeMask: UInt32 = 0o170000
    private static let regularFile: UInt32 = 0o100000
    private static let directory: UInt32 = 0o040000
    private static let symbolicLink: UInt32 = 0o120000
    private static let characterDevice: UInt32 = 0o020000
    private static let blockDevice: UInt32 = 0o060000
    private static let namedPipe: UInt32 = 0o010000

    private func errorText(_ archive: OpaquePointer?) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// The uncompressed bytes of a gzip stream; stops as soon as
    /// ``ArchiveLimits/maxUncompressedBytes`` is crossed.
    func gunzip(_ compressed: [UInt8]) throws -> [UInt8] {
        guard compressed.count >= 2, compressed[0] == 0x1F, compressed[1] == 0x8B else {
            throw refuse(.notGzip, entry: PackageRefusal.wholeArchive, "the file is not gzip-compressed (a package is a .tar.gz)")
        }
        guard let archive = archive_read_new() else { throw BourseError(.io, "libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_raw(archive)
        return try compressed.withUnsafeBytes { buffer -> [UInt8] in
            guard archive_read_open_memory(archive, buffer.baseAddress, buffer.count) == ARCHIVE_OK else {
                throw refuse(.corruptGzip, entry: PackageRefusal.wholeArchive, "cannot open the gzip stream: \(errorText(archive))")
            }
            var entry: OpaquePointer?
            guard archive_read_next_header(archive, &entry) == ARCHIVE_OK else {
                throw refuse(.corruptGzip, entry: PackageRefusal.wholeArchive, "truncated or corrupt gzip data: \(errorText(archive))")
            }
            var output: [UInt8] = []
            var block = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = block.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if count == 0 { break }
                guard count > 0 else {
                    throw refuse(.corruptGzip, entry: PackageRefusal.wholeArchive, "truncated or corrupt gzip data: \(errorText(archive))")
                }
                guard output.count + count <= limits.maxUncompressedBytes else {
                    throw refuse(.uncompressedTooLarge, entry: PackageRefusal.wholeArchive,
                                 "the uncompressed archive is larger than the limit of \(limits.maxUncompressedBytes) bytes (decompression bomb?); reading stopped")
                }
                output.append(contentsOf: block[0..<count])
            }
            try checkTrailer(compressed, output)
            return output
        }
    }

    /// Compares the gzip trailer (CRC-32 and length of the uncompressed data,
    /// RFC 1952) with the data: libarchive does not always report a mismatch.
    /// A package is one gzip member, so the trailer is the file's last 8 bytes.
    private func checkTrailer(_ compressed: [UInt8], _ output: [UInt8]) throws {
        guard compressed.count >= 18 else {
            throw refuse(.corruptGzip, entry: PackageRefusal.wholeArchive, "the gzip stream is too short to hold its trailer")
        }
        let trailer = compressed.suffix(8).map(UInt32.init)
        let crc = trailer[0] | trailer[1] << 8 | trailer[2] << 16 | trailer[3] << 24
        let length = trailer[4] | trailer[5] << 8 | trailer[6] << 16 | trailer[7] << 24
        guard crc == CRC32.checksum(output), length == UInt32(truncatingIfNeeded: output.count) else {
            throw refuse(.corruptGzip, entry: PackageRefusal.wholeArchive,
                         "corrupt gzip data: the CRC-32 or length in the gzip trailer does not match the uncompressed data")
        }
    }

    /// Every entry of an uncompressed tar stream, with the structural rules
    /// (paths, entry types, setuid, sizes, duplicates) applied to each.
    func entries(ofTar tar: [UInt8]) throws -> [ArchiveEntryRecord] {
        guard let archive = archive_read_new() else { throw BourseError(.io, "libarchive: out of memory") }
        defer { archive_read_free(archive) }
        archive_read_support_format_tar(archive)
        return try tar.withUnsafeBytes { buffer -> [ArchiveEntryRecord] in
            guard archive_read_open_memory(archive, buffer.baseAddress, buffer.count) == ARCHIVE_OK else {
                throw refuse(.notTar, entry: PackageRefusal.wholeArchive, "the uncompressed data is not a tar archive: \(errorText(archive))")
            }
            var records: [ArchiveEntryRecord] = []
            var seen: [String: String] = [:]  // normalised path → path as written
            var total = 0
            while true {
                var entry: OpaquePointer?
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { break }
                guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                    let after = records.last.map { "after '\($0.path)'" } ?? "at the start"
                    let rule: PackageRule = records.isEmpty ? .notTar : .corruptTar
                    throw refuse(rule, entry: PackageRefusal.wholeArchive, "bad tar header \(after): \(errorText(archive))")
                }
                guard records.count < limits.maxEntries else {
                    throw refuse(.tooManyEntries, entry: PackageRefusal.wholeArchive, "more than \(limits.maxEntries) entries")
                }
                guard var record = try checkHeader(entry) else { continue }
                let key = PackageArchive.normalisedKey(record.path)
                if let earlier = seen[key] {
                    throw refuse(.duplicateEntry, entry: record.path,
                                 earlier == record.path ? "the path appears twice" : "the path is the same as '\(earlier)' once case and Unicode are normalised")
                }
                seen[key] = record.path
                if !record.isDirectory {
                    record.contents = try readData(archive, entry: record.path, declared: Int(archive_entry_size(entry)), total: &total)
                }
                records.append(record)
            }
            try checkFileDirectoryConflicts(records)
            return records
        }
    }

    /// Applies the rules that need only the header. Returns nil for the
    /// archive's own root directory entry (`./`, as `tar -C DIR .` writes it).
    private func checkHeader(_ entry: OpaquePointer) throws -> ArchiveEntryRecord? {
        guard let rawPath = archive_entry_pathname(entry) else {
            throw refuse(.badPath, entry: "(unnamed)", "an entry has no path")
        }
        let bytes = Array(UnsafeBufferPointer(start: rawPath, count: strlen(rawPath))).map { UInt8(bitPattern: $0) }
        guard var path = String(validating: bytes, as: UTF8.self) else {
            throw refuse(.badPath, entry: String(decoding: bytes, as: UTF8.self), "the path is not valid UTF-8")
        }
        let written = path
        if path.hasPrefix("./") { path.removeFirst(2) }
        let type = archive_entry_filetype(entry) & ArchiveStreamReader.typeMask
        if type == ArchiveStreamReader.directory, path.hasSuffix("/") { path.removeLast() }
        if type == ArchiveStreamReader.directory, path.isEmpty || path == ".", written == "./" || written == "." {
            let mode = UInt32(archive_entry_mode(entry)) & 0o7777
            if mode & 0o6000 != 0 {
                throw refuse(.setuidBit, entry: written, "setuid and setgid bits are not allowed (mode \(String(mode, radix: 8)))")
            }
            return nil
        }
        if let hardLink = archive_entry_hardlink(entry) {
            throw refuse(.hardLink, entry: written, "hard links are not allowed (link to '\(String(cString: hardLink))')")
        }
        if let (rule, detail) = PackagePath.rule(path) { throw refuse(rule, entry: written, detail) }
        switch type {
        case ArchiveStreamReader.regularFile, ArchiveStreamReader.directory: break
        case ArchiveStreamReader.symbolicLink:
            let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? "?"
            throw refuse(.symlink, entry: written, "symbolic links are not allowed (link to '\(target)')")
        case ArchiveStreamReader.characterDevice, ArchiveStreamReader.blockDevice:
            throw refuse(.deviceFile, entry: written, "device files are not allowed")
        case ArchiveStreamReader.namedPipe:
            throw refuse(.fifo, entry: written, "FIFOs (named pipes) are not allowed")
        default:
            throw refuse(.specialFile, entry: written, "only regular files and directories are allowed (file type \(String(type, radix: 8)))")
        }
        let mode = UInt32(archive_entry_mode(entry)) & 0o7777
        if mode & 0o6000 != 0 {
            throw refuse(.setuidBit, entry: written, "setuid and setgid bits are not allowed (mode \(String(mode, radix: 8)))")
        }
        return ArchiveEntryRecord(path: path, isDirectory: type == ArchiveStreamReader.directory, mode: mode, contents: [])
    }

    /// Reads one file's data, refusing it as soon as a size limit is crossed.
    private func readData(_ archive: OpaquePointer, entry path: String, declared: Int, total: inout Int) throws -> [UInt8] {
        func checkSizes(_ size: Int) throws {
            if size > limits.maxEntryBytes {
                throw refuse(.entryTooLarge, entry: path, "the file is larger than the limit of \(limits.maxEntryBytes) bytes")
            }
            if total + size > limits.maxTotalBytes {
                throw refuse(.totalTooLarge, entry: path, "the files together are larger than the limit of \(limits.maxTotalBytes) bytes")
            }
        }
        try checkSizes(max(declared, 0))
        var contents: [UInt8] = []
        contents.reserveCapacity(max(0, min(declared, limits.maxEntryBytes)))
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = block.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                throw refuse(.corruptTar, entry: path, "cannot read the file's data: \(errorText(archive))")
            }
            try checkSizes(contents.count + count)
            contents.append(contentsOf: block[0..<count])
        }
        total += contents.count
        return contents
    }

    /// Refuses a file whose path is also a directory prefix of another entry.
    private func checkFileDirectoryConflicts(_ records: [ArchiveEntryRecord]) throws {
        let files = Dictionary(records.filter { !$0.isDirectory }.map { (PackageArchive.normalisedKey($0.path), $0.path) },
                               uniquingKeysWith: { first, _ in first })
        for record in records {
            var prefix = Substring(record.path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if let file = files[PackageArchive.normalisedKey(String(prefix))] {
                    throw refuse(.pathConflict, entry: record.path, "'\(file)' is a file but is used here as a directory")
                }
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, the gzip checksum).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
