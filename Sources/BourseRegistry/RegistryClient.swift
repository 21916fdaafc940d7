import BourseCore
import Foundation

/// Size limits for what a client fetches before it knows a file's length.
public struct RegistryFetchLimits: Sendable {
    /// `root.json` and `timestamp.json` (their lengths are not vouched for by anything).
    public var metadataBytes: Int
    /// A `.bpkg` archive.
    public var archiveBytes: Int

    /// 1 MiB of metadata, 256 MiB per archive.
    public static let `default` = RegistryFetchLimits(metadataBytes: 1 << 20, archiveBytes: 256 << 20)

    /// Creates limits.
    public init(metadataBytes: Int, archiveBytes: Int) {
        self.metadataBytes = metadataBytes
        self.archiveBytes = archiveBytes
    }
}

/// Talks to one configured registry: checks its signed metadata, then reads
/// index files and archives only through hashes that metadata vouches for.
///
/// ``refresh()`` follows TUF's order: root (rotation signed by the old root),
/// timestamp, snapshot (hash from the timestamp), config; each is checked for
/// signatures by keys the root trusts for its role, for expiry (freeze), and
/// against the highest version recorded in the state store (rollback).
public final class RegistryClient {
    /// The registry as configured.
    public private(set) var record: RegistryRecord
    /// Where files come from.
    public let source: RegistrySource
    /// Persistent highest-versions-seen (and the trusted root).
    public let state: RegistryStateStore
    /// Fetch size limits.
    public var limits: RegistryFetchLimits = .default
    /// The clock used for expiry checks.
    public let now: @Sendable () -> Date

    /// A client for `record`; `source` defaults to the record's location.
    public init(record: RegistryRecord, state: RegistryStateStore, source: RegistrySource? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.record = record
        self.state = state
        self.source = try source ?? makeRegistrySource(location: record.location)
        self.now = now
    }

    /// A client for the registry called `name` in `state`.
    public convenience init(registryNamed name: String, state: RegistryStateStore,
                            now: @escaping @Sendable () -> Date = { Date() }) throws {
        try self.init(record: state.registry(named: name), state: state, now: now)
    }

    /// Fetches and checks the registry's current metadata; records the versions accepted.
    public func refresh() throws -> VerifiedRegistry {
        let current = now()
        let root = try refreshRoot(now: current)

        let timestampSource = describe(RegistryLayout.timestampFile)
        let timestampData = try source.fetch(RegistryLayout.timestampFile, maxBytes: limits.metadataBytes)
        let timestamp = try SignedMetadata<TimestampMetadata>.parse(timestampData, source: timestampSource)
        try check(timestamp, root: root, now: current, source: timestampSource)
        try state.recordMetadataVersion(timestamp.signed.version, registry: record.name, role: .timestamp)

        let snapshotSource = describe(RegistryLayout.snapshotFile)
        let snapshotData = try fetchVouched(RegistryLayout.snapshotFile, digest: timestamp.signed.snapshot, vouchedBy: "timestamp.json")
        let snapshot = try SignedMetadata<SnapshotMetadata>.parse(snapshotData, source: snapshotSource)
        guard snapshot.signed.version == timestamp.signed.snapshot_version else {
            throw BourseError(.registryTampered, "refusing \(snapshotSource): version \(snapshot.signed.version), but timestamp.json names version \(timestamp.signed.snapshot_version)", input: snapshotSource)
        }
        try check(snapshot, root: root, now: current, source: snapshotSource)
        try state.recordMetadataVersion(snapshot.signed.version, registry: record.name, role: .snapshot)

        guard let configDigest = snapshot.signed.meta[RegistryLayout.configFile] else {
            throw BourseError(.registryIndexInvalid, "\(snapshotSource) does not list \(RegistryLayout.configFile)", input: snapshotSource)
        }
        let configData = try fetchVouched(RegistryLayout.configFile, digest: configDigest, vouchedBy: "snapshot.json")
        let config = try RegistryConfig.parse(configData, source: describe(RegistryLayout.configFile))
        return VerifiedRegistry(name: record.name, source: source, limits: limits, root: root,
                                timestamp: timestamp.signed, snapshot: snapshot.signed, config: config)
    }

    /// Accepts the registry's `root.json` when it is the trusted one or a newer
    /// one signed both by the trusted root's keys and by its own (rotation).
    private func refreshRoot(now current: Date) throws -> RootMetadata {
        let trustedSource = "trusted root of registry '\(record.name)'"
        let trusted = try SignedMetadata<RootMetadata>.parse(record.trustedRoot, source: trustedSource)
        let rootSource = describe(RegistryLayout.rootFile)
        let remoteData = try source.fetch(RegistryLayout.rootFile, maxBytes: limits.metadataBytes)
        let remote = try SignedMetadata<RootMetadata>.parse(remoteData, source: rootSource)
        try MetadataVerification.checkNotRolledBack(remote.signed, highestSeen: trusted.signed.version, source: rootSource)
        try MetadataVerification.checkNotRolledBack(remote.signed, highestSeen: try state.highestMetadataVersion(registry: record.name, role: .root), source: rootSource)
        // The registry's root must be signed by the keys already trusted, whatever its version.
        try MetadataVerification.checkSignatures(remote, trustedBy: trusted.signed, source: rootSource)
        var root = trusted.signed
        if remote.signed.version > trusted.signed.version {
            try MetadataVerification.checkSignatures(remote, trustedBy: remote.signed, source: rootSource)
            root = remote.signed
            try state.updateTrustedRoot(remoteData, registry: record.name)
            record.trustedRoot = remoteData
        }
        try MetadataVerification.checkNotExpired(root, now: current, source: rootSource)
        try state.recordMetadataVersion(root.version, registry: record.name, role: .root)
        return root
    }

    private func check<Content>(_ metadata: SignedMetadata<Content>, root: RootMetadata, now current: Date, source: String) throws {
        try MetadataVerification.checkSignatures(metadata, trustedBy: root, source: source)
        let highest = try state.highestMetadataVersion(registry: record.name, role: Content.role)
        try MetadataVerification.checkNotRolledBack(metadata.signed, highestSeen: highest, source: source)
        try MetadataVerification.checkNotExpired(metadata.signed, now: current, source: source)
    }

    private func fetchVouched(_ path: String, digest: FileDigest, vouchedBy: String) throws -> Data {
        try VerifiedRegistry.fetchVouched(path, digest: digest, vouchedBy: vouchedBy, source: source)
    }

    private func describe(_ path: String) -> String { "\(path) of registry '\(record.name)'" }
}

/// A registry whose metadata has been checked: reads index files and archives
/// only when their hashes match what the signed metadata says.
public struct VerifiedRegistry: Sendable {
    /// The registry's configured name.
    public let name: String
    /// Where files come from.
    public let source: RegistrySource
    /// Fetch size limits.
    public let limits: RegistryFetchLimits
    /// The trusted root.
    public let root: RootMetadata
    /// The accepted timestamp.
    public let timestamp: TimestampMetadata
    /// The accepted snapshot.
    public let snapshot: SnapshotMetadata
    /// The registry settings.
    public let config: RegistryConfig

    /// Plugin names published in the registry, sorted.
    public var pluginNames: [String] { snapshot.pluginNames }

    /// The index file of plugin `name`; `version-not-found` when the registry has no such plugin,
    /// `registry-tampered` when the file does not match the snapshot.
    public func indexFile(for plugin: String) throws -> RegistryIndexFile {
        let path = RegistryLayout.indexPath(for: plugin)
        guard !path.isEmpty, let digest = snapshot.meta[path] else {
            throw BourseError(.versionNotFound, "registry '\(name)' has no plugin named '\(plugin)'", input: plugin)
        }
        let data = try Self.fetchVouched(path, digest: digest, vouchedBy: "snapshot.json", source: source)
        let file = try RegistryIndexFile(parsing: data, source: "\(path) of registry '\(name)'")
        if let stray = file.entries.first(where: { $0.name.lowercased() != plugin.lowercased() }) {
            throw BourseError(.registryIndexInvalid, "index file \(path) of registry '\(name)' holds a line for '\(stray.name)'", input: path)
        }
        return file
    }

    /// The highest version of `plugin` that `matches` accepts, never a yanked one.
    public func resolve(_ plugin: String, rangeText: String, matching matches: (SemanticVersion) -> Bool) throws -> RegistryIndexEntry {
        let file = try indexFile(for: plugin)
        if let entry = file.highest(matching: matches) { return entry }
        let available = file.entries.map { $0.vers + ($0.yanked ? " (yanked)" : "") }
        throw BourseError(.versionNotFound,
                          "registry '\(name)' has no version of \(plugin) matching \(rangeText) that is not yanked (published: \(available.isEmpty ? "none" : available.joined(separator: ", ")))",
                          input: "\(plugin)@\(rangeText)")
    }

    /// The highest non-yanked version of `requirement.name` within its range.
    public func resolve(_ requirement: PluginRequirement) throws -> RegistryIndexEntry {
        try resolve(requirement.name, rangeText: requirement.range.text, matching: requirement.range.contains)
    }

    /// The entry for an exact version, yanked or not (yanked ones are for exact references only).
    public func entry(_ plugin: String, version: SemanticVersion) throws -> RegistryIndexEntry {
        guard let entry = try indexFile(for: plugin).entry(version: version) else {
            throw BourseError(.versionNotFound, "registry '\(name)' has no version \(version) of \(plugin)", input: "\(plugin)@\(version)")
        }
        return entry
    }

    /// The archive of `entry`, checked against its `cksum` (SHA-256).
    public func archive(for entry: RegistryIndexEntry) throws -> Data {
        let data = try source.fetch(entry.dl, maxBytes: limits.archiveBytes)
        let actual = sha256Hex(data)
        guard actual == entry.cksum.lowercased() else {
            throw BourseError(.registryTampered,
                              "refusing archive \(entry.dl) of \(entry.name) \(entry.vers) from registry '\(name)': SHA-256 is \(actual), the signed index says \(entry.cksum) (tampered archive)",
                              input: entry.dl)
        }
        return data
    }

    /// Downloads the archive of `entry` to `path` (atomically), checked against its `cksum`.
    public func downloadArchive(for entry: RegistryIndexEntry, to path: String) throws {
        try writeFileAtomically(try archive(for: entry), to: path)
    }

    /// The latest non-yanked version of every plugin whose name contains `term`
    /// (case-insensitive; an empty term matches all), sorted by name.
    public func search(_ term: String) throws -> [RegistryIndexEntry] {
        let needle = term.lowercased()
        return try pluginNames.filter { needle.isEmpty || $0.contains(needle) }.compactMap { try indexFile(for: $0).latest }
    }

    /// Fetches `path` and checks it against `digest`.
    static func fetchVouched(_ path: String, digest: FileDigest, vouchedBy: String, source: RegistrySource) throws -> Data {
        let data = try source.fetch(path, maxBytes: digest.length)
        let actual = sha256Hex(data)
        guard data.count == digest.length, actual == digest.sha256 else {
            throw BourseError(.registryTampered,
                              "refusing \(path) from \(source.location): SHA-256 \(actual) (\(data.count) bytes) does not match \(vouchedBy), which says \(digest.sha256) (\(digest.length) bytes) (tampered index)",
                              input: path)
        }
        return data
    }
}
