#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Crypto

/// A file to put into a package.
public struct PackageFileContent: Sendable {
    /// Path inside the package.
    public var path: String
    /// The bytes.
    public var contents: [UInt8]
    /// Extracted with mode 0755 when true (0644 otherwise).
    public var executable: Bool

    /// Creates a file.
    public init(path: String, contents: [UInt8], executable: Bool = false) {
        self.path = path
        self.contents = contents
        self.executable = executable
    }
}

/// Makes `.bpkg` archives: `manifest.json`, `checksums`, `signature` (when
/// a key is given), then the files sorted by path.
public enum PackageWriter {
    /// Writes a package of `manifest` and `files` to `path` (atomically:
    /// temporary file, fsync, rename). Returns the archive's SHA-256 (hex).
    @discardableResult
    public static func write(manifest: PackageManifest, files: [PackageFileContent], signingKey: SigningKeyFile?,
                             to path: String) throws -> String {
        try PackagePathCheck.validate(files.map(\.path) + [manifest.library])
        guard files.contains(where: { $0.path == manifest.library }) else {
            throw BourseError(.invalidManifest, "the manifest's library \(manifest.library) is not among the package's files", input: manifest.library)
        }
        return try writeRaw(manifestBytes: manifest.encoded, files: files, signingKey: signingKey, to: path)
    }

    /// Writes a package of `manifest` and every regular file below `directory`
    /// (paths relative to it). Refuses symbolic links and special files.
    @discardableResult
    public static func write(manifest: PackageManifest, directory: String, signingKey: SigningKeyFile?, to path: String) throws -> String {
        try write(manifest: manifest, files: try collectFiles(in: directory), signingKey: signingKey, to: path)
    }

    /// Writes whatever manifest bytes are given (valid or not) with checksums
    /// of `manifest.json` and `files` and, when a key is given, a signature.
    /// For tests that craft bad packages; use ``write(manifest:files:signingKey:to:)`` otherwise.
    @discardableResult
    public static func writeRaw(manifestBytes: [UInt8], files: [PackageFileContent], signingKey: SigningKeyFile?,
                                to path: String) throws -> String {
        let bytes = try archiveBytes(manifestBytes: manifestBytes, files: files, signingKey: signingKey)
        try FileIO.writeAtomically(bytes, to: path)
        return hex(SHA256.hash(data: bytes))
    }

    /// The archive bytes ``writeRaw(manifestBytes:files:signingKey:to:)`` writes.
    public static func archiveBytes(manifestBytes: [UInt8], files: [PackageFileContent], signingKey: SigningKeyFile?) throws -> [UInt8] {
        try TarGzWriter.archive(try entries(manifestBytes: manifestBytes, files: files, signingKey: signingKey))
    }

    /// The tar entries of a package, in order: `manifest.json`, `checksums`,
    /// `signature` (when a key is given), the files sorted by path. Tests edit
    /// them to craft bad archives, then write them with ``TarGzWriter``.
    public static func entries(manifestBytes: [UInt8], files: [PackageFileContent], signingKey: SigningKeyFile?) throws -> [RawArchiveEntry] {
        var digests = [PackageManifest.fileName: hex(SHA256.hash(data: manifestBytes))]
        for file in files { digests[file.path] = hex(SHA256.hash(data: file.contents)) }
        let checksums = PackageChecksums(digests: digests).encoded
        var entries = [RawArchiveEntry(path: PackageManifest.fileName, contents: manifestBytes),
                       RawArchiveEntry(path: PackageChecksums.fileName, contents: checksums)]
        if let signingKey {
            let signature = try PackageSignature.sign(manifest: manifestBytes, checksums: checksums, key: signingKey)
            entries.append(RawArchiveEntry(path: PackageSignature.fileName, contents: signature.encoded))
        }
        for file in files.sorted(by: { $0.path < $1.path }) {
            entries.append(RawArchiveEntry(path: file.path, mode: file.executable ? 0o755 : 0o644, contents: file.contents))
        }
        return entries
    }

    /// Re-signs the package at `path` with `key` (replacing any signature),
    /// writing to `output` (default: `path` itself). The package must pass
    /// every other check first. Returns the re-read, verified package.
    @discardableResult
    public static func sign(packageAt path: String, key: SigningKeyFile, output: String? = nil,
                            limits: ArchiveLimits = .default) throws -> VerifiedPackage {
        let package = try PackageArchive.readUnsigned(at: path, limits: limits)
        let files = package.files.filter { $0.path != PackageManifest.fileName }.map {
            PackageFileContent(path: $0.path, contents: package.contents(of: $0.path) ?? [], executable: $0.executable)
        }
        let destination = output ?? path
        try writeRaw(manifestBytes: package.contents(of: PackageManifest.fileName) ?? [], files: files, signingKey: key, to: destination)
        return try PackageArchive.read(at: destination, trustedKeys: [key.publicKey], limits: limits)
    }

    /// The single regular file at `path`, named `name` in the package.
    static func collectFiles(inFile path: String, as name: String) throws -> [PackageFileContent] {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw FileIO.systemError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw BourseError(.io, "\(path) is not a regular file; packages hold regular files only", input: path)
        }
        let bytes = try FileIO.readRegularFile(path, limit: ArchiveLimits.default.maxEntryBytes) { size in
            BourseError(.io, "\(path) has \(size) bytes, over the package file limit", input: path)
        }
        return [PackageFileContent(path: name, contents: bytes, executable: info.st_mode & 0o111 != 0)]
    }

    /// Every regular file below `directory`, sorted, with relative paths.
    static func collectFiles(in directory: String) throws -> [PackageFileContent] {
        var result: [PackageFileContent] = []
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? directory : directory + "/" + relative
            guard let listing = opendir(full) else { throw FileIO.systemError("open directory", full) }
            defer { closedir(listing) }
            var names: [String] = []
            while let item = readdir(listing) {
                let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            for name in names.sorted() {
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let child = directory + "/" + childRelative
                var info = stat()
                guard lstat(child, &info) == 0 else { throw FileIO.systemError("stat", child) }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: try walk(childRelative)
                case S_IFREG:
                    let bytes = try FileIO.readRegularFile(child, limit: ArchiveLimits.default.maxEntryBytes) { size in
                        BourseError(.io, "\(child) has \(size) bytes, over the package file limit", input: child)
                    }
                    result.append(PackageFileContent(path: childRelative, contents: bytes, executable: info.st_mode & 0o111 != 0))
                default:
                    throw BourseError(.io, "\(child) is not a regular file or directory; packages hold regular files only", input: child)
                }
            }
        }
        try walk("")
        return result
    }
}

/// Path checks shared by the writer (the reader applies the same rules to entries).
enum PackagePathCheck {
    static func validate(_ paths: [String]) throws {
        var seen: [String: String] = [:]
        let reserved: Set = [PackageManifest.fileName, PackageChecksums.fileName, PackageSignature.fileName]
        for path in paths {
            if let problem = PackagePath.problem(path) {
                throw BourseError(.invalidValue, "package path '\(path)': \(problem)", input: path)
            }
            if reserved.contains(path) {
                throw BourseError(.invalidValue, "package path '\(path)' is reserved for the package's own metadata", input: path)
            }
            let key = PackageArchive.normalisedKey(path)
            if let earlier = seen[key], earlier != path {
                throw BourseError(.invalidValue, "package paths '\(earlier)' and '\(path)' differ only in case or Unicode form", input: path)
            }
            seen[key] = path
        }
    }
}
