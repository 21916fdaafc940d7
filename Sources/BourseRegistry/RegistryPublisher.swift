#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import Foundation

/// Expiry periods for newly signed metadata.
public struct MetadataExpiries: Sendable {
    /// Root metadata (rarely re-signed).
    public var root: TimeInterval
    /// Snapshot metadata.
    public var snapshot: TimeInterval
    /// Timestamp metadata (the shortest: clients notice a freeze within this time).
    public var timestamp: TimeInterval

    /// Root 1 year, snapshot 7 days, timestamp 1 day.
    public static let `default` = MetadataExpiries(root: 365 * 86_400, snapshot: 7 * 86_400, timestamp: 86_400)

    /// Creates expiries.
    public init(root: TimeInterval, snapshot: TimeInterval, timestamp: TimeInterval) {
        self.root = root
        self.snapshot = snapshot
        self.timestamp = timestamp
    }
}

/// Writes a registry directory: creates it, publishes and yanks versions, and
/// re-signs the snapshot and timestamp after every change (each a new version).
///
/// Every change takes an exclusive lock on `DIR/.publish.lock`. Files are
/// replaced atomically in the order archive → index file → snapshot → timestamp,
/// so a reader never sees a timestamp naming files that are not there yet.
public struct RegistryPublisher {
    /// The registry directory.
    public let directory: String
    /// The key that signs snapshot and timestamp metadata (must be listed for both roles in root.json).
    public let key: SigningKeyFile
    /// Expiry periods.
    public var expiries: MetadataExpiries = .default
    /// The clock used for expiries.
    public var now: @Sendable () -> Date = { Date() }

    /// A publisher for the registry in `directory`, signing with `key`.
    public init(directory: String, key: SigningKeyFile) {
        self.directory = directory
        self.key = key
    }

    /// Creates a registry in `directory` (which may exist, but must not hold a
    /// `root.json`): config.json, a root trusting `key` for every role, an empty
    /// snapshot and a timestamp. Returns the root (give `root.json` to clients).
    @discardableResult
    public func initialize(name: String? = nil) throws -> SignedMetadata<RootMetadata> {
        try withLock {
            let rootPath = path(RegistryLayout.rootFile)
            guard !FileManager.default.fileExists(atPath: rootPath) else {
                throw BourseError(.versionExists, "\(directory) already holds a registry (\(RegistryLayout.rootFile) exists)", input: rootPath)
            }
            let config = RegistryConfig(name: name ?? ((absolutePath(directory) as NSString).lastPathComponent))
            try writeFileAtomically(try CanonicalJSON.encode(config, pretty: true) + Data([0x0A]), to: path(RegistryLayout.configFile))
            let publicKey = MetadataKey(public: Data(key.publicKey.rawRepresentation).base64EncodedString())
            let roles = Dictionary(uniqueKeysWithValues: MetadataRole.allCases.map { ($0.rawValue, RoleKeys(keyids: [key.keyID])) })
            let root = RootMetadata(version: 1, expires: MetadataTime.format(now().addingTimeInterval(expiries.root)),
                                    keys: [key.keyID: publicKey], roles: roles)
            let signed = try MetadataVerification.sign(root, with: [key])
            try writeFileAtomically(try signed.encoded(), to: rootPath)
            try resign()
            return signed
        }
    }

    /// Publishes the package at `archivePath`: reads and verifies it (its signer
    /// must be one of `trustedKeys`), refuses a version already published,
    /// copies the archive, appends its index line and re-signs.
    @discardableResult
    public func publish(archivePath: String, trustedKeys: [PublicKey]) throws -> RegistryIndexEntry {
        let package = try PackageArchive.read(at: archivePath, trustedKeys: trustedKeys)
        let data = try readFile(archivePath)
        guard sha256Hex(data) == package.archiveSHA256 else {
            throw BourseError(.io, "\(archivePath) changed while it was being published", input: archivePath)
        }
        return try publish(archive: data, manifest: package.manifest)
    }

    /// Publishes archive bytes described by `manifest` (already verified by the caller).
    @discardableResult
    public func publish(archive: Data, manifest: PackageManifest) throws -> RegistryIndexEntry {
        try withLock {
            let config = try loadConfig()
            let name = manifest.name
            let indexPath = RegistryLayout.indexPath(for: name)
            var file = try loadIndexFile(indexPath)
            if let existing = file.entries.first(where: { $0.version == manifest.version }) {
                throw BourseError(.versionExists,
                                  "\(name) \(manifest.version) is already published in \(directory) (cksum \(existing.cksum)); index lines never change: publish a new version",
                                  input: "\(name)@\(manifest.version)")
            }
            if let other = try existingName(collidingWith: name) {
                throw BourseError(.versionExists, "'\(name)' collides with '\(other)' already in \(directory) (names are compared ignoring case, '-' and '_')", input: name)
            }
            let dl = RegistryLayout.archivePath(template: config.dl, name: name, version: manifest.version.description)
            guard RegistryLayout.isSafeRelativePath(dl) else {
                throw BourseError(.registryIndexInvalid, "archive path '\(dl)' from config.json escapes the registry", input: dl)
            }
            let entry = RegistryIndexEntry(
                name: name, vers: manifest.version.description, cksum: sha256Hex(archive),
                abi: manifest.abi.description, kind: manifest.kind.description,
                deps: manifest.dependencies.map { RegistryIndexEntry.Dependency(name: $0.name, req: $0.range) },
                permissions: manifest.permissions, dl: dl)
            try writeFileAtomically(archive, to: path(dl))
            file.entries.append(entry)
            try writeFileAtomically(try file.encoded(), to: path(indexPath))
            try resign()
            return entry
        }
    }

    /// Sets (or clears) the `yanked` flag of `name`@`version` — the only change an index line may get.
    @discardableResult
    public func yank(_ name: String, version: SemanticVersion, yanked: Bool = true) throws -> RegistryIndexEntry {
        try withLock {
            let indexPath = RegistryLayout.indexPath(for: name)
            var file = try loadIndexFile(indexPath)
            guard let i = file.entries.firstIndex(where: { $0.version == version }) else {
                throw BourseError(.versionNotFound, "\(name) \(version) is not published in \(directory)", input: "\(name)@\(version)")
            }
            file.entries[i].yanked = yanked
            try writeFileAtomically(try file.encoded(), to: path(indexPath))
            try resign()
            return file.entries[i]
        }
    }

    /// Re-signs snapshot and timestamp with new versions and expiries (run it
    /// before the timestamp expires, or clients refuse the registry as frozen).
    public func refresh() throws {
        try withLock { try resign() }
    }

    // MARK: - Signing

    /// Writes a new snapshot over every index file and config.json, then a new timestamp over it.
    private func resign() throws {
        let root = try SignedMetadata<RootMetadata>.parse(try readFile(path(RegistryLayout.rootFile)), source: path(RegistryLayout.rootFile))
        for role in [MetadataRole.snapshot, .timestamp] where !(root.signed.roles[role.rawValue]?.keyids.contains(key.keyID) ?? false) {
            throw BourseError(.metadataUntrusted,
                              "key \(key.keyID) is not trusted for the \(role.rawValue) role by \(path(RegistryLayout.rootFile)); clients would refuse what it signs",
                              input: key.keyID)
        }
        let current = now()
        var meta: [String: FileDigest] = [:]
        for relative in try indexFilePaths() + [RegistryLayout.configFile] {
            let data = try readFile(path(relative))
            // Never vouch for a file clients would refuse (a hand edit, a half-written line).
            if relative == RegistryLayout.configFile {
                _ = try RegistryConfig.parse(data, source: path(relative))
            } else {
                let file = try RegistryIndexFile(parsing: data, source: path(relative))
                let name = RegistryLayout.pluginName(ofIndexPath: relative)
                if let stray = file.entries.first(where: { $0.name.lowercased() != name }) {
                    throw BourseError(.registryIndexInvalid, "\(path(relative)) holds a line for '\(stray.name)'; refusing to sign it", input: path(relative))
                }
            }
            meta[relative] = MetadataVerification.digest(data)
        }
        let snapshotVersion = (try previousVersion(SnapshotMetadata.self, RegistryLayout.snapshotFile) ?? 0) + 1
        let snapshot = try MetadataVerification.sign(
            SnapshotMetadata(version: snapshotVersion, expires: MetadataTime.format(current.addingTimeInterval(expiries.snapshot)), meta: meta),
            with: [key]).encoded()
        try writeFileAtomically(snapshot, to: path(RegistryLayout.snapshotFile))
        let timestampVersion = (try previousVersion(TimestampMetadata.self, RegistryLayout.timestampFile) ?? 0) + 1
        let timestamp = TimestampMetadata(version: timestampVersion, expires: MetadataTime.format(current.addingTimeInterval(expiries.timestamp)),
                                          snapshotVersion: snapshotVersion, snapshot: MetadataVerification.digest(snapshot))
        try writeFileAtomically(try MetadataVerification.sign(timestamp, with: [key]).encoded(), to: path(RegistryLayout.timestampFile))
    }

    private func previousVersion<Content: RoleMetadata>(_ type: Content.Type, _ file: String) throws -> Int? {
        guard FileManager.default.fileExists(atPath: path(file)) else { return nil }
        return try SignedMetadata<Content>.parse(try readFile(path(file)), source: path(file)).signed.version
    }

    /// Every index file in the registry (relative paths with cargo's prefix layout), sorted.
    func indexFilePaths() throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw BourseError(.fileNotFound, "cannot list registry directory \(directory)", input: directory)
        }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasPrefix("archives") || relative.hasPrefix(".") { continue }
            var isDirectory: ObjCBool = false
            if RegistryLayout.isIndexPath(relative), FileManager.default.fileExists(atPath: path(relative), isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(relative)
            }
        }
        return paths.sorted()
    }

    // MARK: - Files

    private func path(_ relative: String) -> String { directory + "/" + relative }

    private func loadConfig() throws -> RegistryConfig {
        let configPath = path(RegistryLayout.configFile)
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw BourseError(.fileNotFound, "\(directory) is not a registry (no \(RegistryLayout.configFile); create one with bourse index init)", input: directory)
        }
        return try RegistryConfig.parse(try readFile(configPath), source: configPath)
    }

    private func loadIndexFile(_ relative: String) throws -> RegistryIndexFile {
        guard FileManager.default.fileExists(atPath: path(relative)) else { return RegistryIndexFile() }
        return try RegistryIndexFile(parsing: try readFile(path(relative)), source: path(relative))
    }

    private func existingName(collidingWith name: String) throws -> String? {
        try indexFilePaths().map(RegistryLayout.pluginName(ofIndexPath:))
            .first { $0 != name.lowercased() && PluginName.collide($0, name) }
    }

    /// Runs `body` holding an exclusive flock on `DIR/.publish.lock`.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BourseError(.io, "cannot create registry directory \(directory): \(error.localizedDescription)", input: directory)
        }
        let lockPath = path(".publish.lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BourseError(.io, "cannot open \(lockPath): \(String(cString: strerror(errno)))", input: lockPath) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw BourseError(.io, "cannot lock \(lockPath): \(String(cString: strerror(errno)))", input: lockPath) }
        }
        return try body()
    }
}
