import BourseCore

/// Every rule a package archive is checked against. A refused archive gets
/// `BourseError(.packageRejected)` whose message names the archive, the entry
/// and the rule as `[rule: RAW-VALUE]`; docs/package-format.md lists them all.
public enum PackageRule: String, Sendable, CaseIterable {
    /// The file cannot be read, or is not a regular file.
    case unreadable = "unreadable"
    /// The archive file is larger than ``ArchiveLimits/maxArchiveBytes``.
    case archiveTooLarge = "archive-too-large"
    /// The file does not start with the gzip magic bytes.
    case notGzip = "not-gzip"
    /// The gzip stream is truncated or corrupt (bad CRC, bad deflate data).
    case corruptGzip = "corrupt-gzip"
    /// The uncompressed stream is larger than ``ArchiveLimits/maxUncompressedBytes`` (a decompression bomb).
    case uncompressedTooLarge = "uncompressed-too-large"
    /// The uncompressed stream is not a tar archive.
    case notTar = "not-tar"
    /// A tar header is damaged.
    case corruptTar = "corrupt-tar"
    /// More entries than ``ArchiveLimits/maxEntries``.
    case tooManyEntries = "too-many-entries"
    /// One entry larger than ``ArchiveLimits/maxEntryBytes``.
    case entryTooLarge = "entry-too-large"
    /// The files together larger than ``ArchiveLimits/maxTotalBytes``.
    case totalTooLarge = "total-too-large"
    /// An entry path starting with `/`.
    case absolutePath = "absolute-path"
    /// An entry path with a `..` component.
    case parentPath = "parent-path"
    /// An empty, over-long, non-UTF-8 path, or one with `.`/empty components, control characters or backslashes.
    case badPath = "bad-path"
    /// A symbolic link entry.
    case symlink = "symlink"
    /// A hard link entry.
    case hardLink = "hard-link"
    /// A character or block device entry.
    case deviceFile = "device-file"
    /// A FIFO (named pipe) entry.
    case fifo = "fifo"
    /// A socket or other special entry.
    case specialFile = "special-file"
    /// An entry with the setuid or setgid bit.
    case setuidBit = "setuid-bit"
    /// Two entries whose paths are equal after Unicode NFC normalisation and case folding.
    case duplicateEntry = "duplicate-entry"
    /// A file whose path is also used as a directory (`a` and `a/b`).
    case pathConflict = "path-conflict"
    /// No `manifest.json`.
    case missingManifest = "missing-manifest"
    /// `manifest.json` is not valid JSON (the message gives line and column).
    case malformedManifest = "malformed-manifest"
    /// `manifest.json` has a `format` this bourse does not read.
    case unknownManifestFormat = "unknown-manifest-format"
    /// `manifest.json` is valid JSON but a field is missing or wrong.
    case invalidManifest = "invalid-manifest"
    /// No `checksums` file.
    case missingChecksums = "missing-checksums"
    /// The `checksums` file has a malformed line.
    case malformedChecksums = "malformed-checksums"
    /// A file's SHA-256 differs from the one in `checksums`.
    case checksumMismatch = "checksum-mismatch"
    /// A file in the archive that `checksums` does not list.
    case unlistedFile = "unlisted-file"
    /// A file `checksums` lists that the archive lacks.
    case missingFile = "missing-file"
    /// No `signature` file.
    case missingSignature = "missing-signature"
    /// The signature file is malformed or the signature does not verify.
    case badSignature = "bad-signature"
    /// The signature is valid but its key is not among the trusted keys.
    case untrustedSigner = "untrusted-signer"
    /// The manifest's `library` is not in the archive.
    case missingLibrary = "missing-library"
    /// Target triple or ELF machine of the library differ from this host's.
    case wrongArchitecture = "wrong-architecture"
    /// The plugin's ABI version is not one this host accepts.
    case unsupportedABI = "unsupported-abi"
}

/// Builds refusals for one archive.
struct PackageRefusal {
    /// The archive as the caller named it.
    let archive: String

    /// Entry name used for rules about the archive as a whole.
    static let wholeArchive = "(whole archive)"

    func callAsFunction(_ rule: PackageRule, entry: String, _ detail: String) -> BourseError {
        let shownEntry = entry == PackageRefusal.wholeArchive ? entry : "'\(entry)'"
        return BourseError(.packageRejected, "package \(archive) refused: entry \(shownEntry): \(detail) [rule: \(rule.rawValue)]", input: archive)
    }
}

/// Size and count limits applied while reading an archive; reading stops as
/// soon as one is crossed.
public struct ArchiveLimits: Sendable, Equatable {
    /// Largest archive file accepted (compressed bytes).
    public var maxArchiveBytes: Int
    /// Largest uncompressed tar stream (headers included).
    public var maxUncompressedBytes: Int
    /// Largest single file.
    public var maxEntryBytes: Int
    /// Largest sum of all file sizes.
    public var maxTotalBytes: Int
    /// Most entries (files and directories).
    public var maxEntries: Int

    /// Creates limits.
    public init(maxArchiveBytes: Int, maxUncompressedBytes: Int, maxEntryBytes: Int, maxTotalBytes: Int, maxEntries: Int) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxUncompressedBytes = maxUncompressedBytes
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
    }

    /// 256 MiB archive, 512 MiB uncompressed, 256 MiB per file, 512 MiB of files, 4096 entries.
    public static let `default` = ArchiveLimits(maxArchiveBytes: 256 << 20, maxUncompressedBytes: 512 << 20,
                                                maxEntryBytes: 256 << 20, maxTotalBytes: 512 << 20, maxEntries: 4096)
}
