#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// A package that passed every check of ``PackageArchive/read(at:trustedKeys:limits:)``,
/// held in memory until ``extract(into:)`` writes it out.
public struct VerifiedPackage: Sendable {
    /// The archive as the caller named it.
    public let archivePath: String
    /// The parsed manifest.
    public let manifest: PackageManifest
    /// The files covered by `checksums` (every file but `checksums` and `signature`), sorted by path.
    public let files: [PackageFile]
    /// Lower-case hex SHA-256 of the archive file itself (the registry's `cksum`).
    public let archiveSHA256: String
    /// Id of the trusted key whose signature verified; nil only from ``PackageArchive/readUnsigned(at:limits:)``.
    public let signerKeyID: String?
    /// Every file including `checksums` and `signature`, in archive order.
    let allFiles: [PackageFile]
    /// Path → contents of every file.
    let contents: [String: [UInt8]]
    /// Directory entries, as listed in the archive.
    let directories: [String]

    /// The bytes of one file of the package (`manifest.json`, `checksums`, `lib/…`), or nil.
    public func contents(of path: String) -> [UInt8]? { contents[path] }

    /// The signed checksums (path → SHA-256 hex): what `bourse verify` re-hashes installed files against.
    public var checksums: [String: String] {
        Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.sha256) })
    }

    /// Writes every file of the package (`manifest.json`, `checksums` and
    /// `signature` included) below `stagingDirectory`, which must be absent
    /// or empty; it is created with mode 0755 if absent. Regular files only
    /// (0644, or 0755 when executable in the archive), created exclusively
    /// without following links; each file is fsynced, then every directory
    /// from the deepest up to `stagingDirectory`. `afterEach` is called with
    /// the relative path after each file is written and fsynced and after each
    /// directory is fsynced (`.` for `stagingDirectory`): the store's
    /// fault-injection kill points.
    public func extract(into stagingDirectory: String, afterEach: (String) -> Void = { _ in }) throws {
        if mkdir(stagingDirectory, 0o755) != 0 {
            guard errno == EEXIST else { throw FileIO.systemError("create directory", stagingDirectory) }
            guard let listing = opendir(stagingDirectory) else { throw FileIO.systemError("open directory", stagingDirectory) }
            defer { closedir(listing) }
            while let item = readdir(listing) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name != "." && name != ".." {
                    throw BourseError(.io, "staging directory \(stagingDirectory) is not empty (found \(name))", input: stagingDirectory)
                }
            }
        }
        var createdDirectories: [String] = []
        func ensureDirectory(_ relative: String) throws {
            var built = ""
            for component in relative.split(separator: "/") {
                built = built.isEmpty ? String(component) : built + "/" + component
                let full = stagingDirectory + "/" + built
                if mkdir(full, 0o755) == 0 {
                    createdDirectories.append(full)
                } else if errno != EEXIST {
                    throw FileIO.systemError("create directory", full)
                }
            }
        }
        for directory in directories { try ensureDirectory(directory) }
        for file in allFiles {
            if let slash = file.path.lastIndex(of: "/") { try ensureDirectory(String(file.path[..<slash])) }
            let full = stagingDirectory + "/" + file.path
            let mode: mode_t = file.executable ? 0o755 : 0o644
            let fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard fd >= 0 else { throw FileIO.systemError("create", full) }
            defer { close(fd) }
            fchmod(fd, mode)
            try FileIO.writeAll(fd: fd, bytes: contents[file.path] ?? [], path: full)
            guard fsync(fd) == 0 else { throw FileIO.systemError("fsync", full) }
            afterEach(file.path)
        }
        for directory in createdDirectories.sorted(by: { $0.count > $1.count }) {
            try FileIO.syncDirectory(directory)
            afterEach(String(directory.dropFirst(stagingDirectory.count + 1)) + "/")
        }
        try FileIO.syncDirectory(stagingDirectory)
        afterEach(".")
    }
}
