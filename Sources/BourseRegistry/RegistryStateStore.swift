import BourseCore
import Foundation

/// A configured registry: a name, where it is, and the root metadata trusted for it.
public struct RegistryRecord: Codable, Sendable, Equatable {
    /// The name used on the command line (`bourse install ema --registry NAME`).
    public var name: String
    /// A local directory (absolute path) or an `http://` / `https://` base URL.
    public var location: String
    /// The trusted root metadata (the whole signed `root.json`), as first given
    /// with `bourse registry add --root` and then updated by verified rotations.
    public var trustedRoot: Data

    /// Creates a record.
    public init(name: String, location: String, trustedRoot: Data) {
        self.name = name
        self.location = location
        self.trustedRoot = trustedRoot
    }
}

/// The roles of signed registry metadata, as TUF names them.
public enum MetadataRole: String, Codable, Sendable, CaseIterable {
    /// Trusted keys per role, threshold, expiry.
    case root
    /// Hashes of every index file.
    case snapshot
    /// Hash of the snapshot; re-signed often, shortest expiry.
    case timestamp
}

/// Persistent client state for registries: the configured registries, and the
/// highest metadata version seen per registry and role (so that older metadata,
/// a rollback, is refused even across runs).
///
/// BourseStore implements this over its SQLite state; ``FileRegistryStateStore``
/// and ``InMemoryRegistryStateStore`` are simple implementations.
public protocol RegistryStateStore: AnyObject {
    /// Every configured registry, by name.
    func registries() throws -> [RegistryRecord]
    /// Adds or replaces a registry (same name) and forgets the metadata versions
    /// recorded for a previous registry of that name.
    func saveRegistry(_ record: RegistryRecord) throws
    /// Removes a registry and its recorded versions; false when there was none.
    func removeRegistry(named name: String) throws -> Bool
    /// The highest version of `role` metadata accepted so far from registry `name`.
    func highestMetadataVersion(registry name: String, role: MetadataRole) throws -> Int?
    /// Records that version `version` of `role` metadata was accepted (never lowers the value).
    func recordMetadataVersion(_ version: Int, registry name: String, role: MetadataRole) throws
    /// Replaces the trusted root of registry `name` after a verified root rotation
    /// (the new root was signed by the keys of the one it replaces).
    func updateTrustedRoot(_ root: Data, registry name: String) throws
}

extension RegistryStateStore {
    /// The registry called `name`, or a `registry-not-found` error listing the known ones.
    public func registry(named name: String) throws -> RegistryRecord {
        let all = try registries()
        if let record = all.first(where: { $0.name == name }) { return record }
        let known = all.map(\.name).sorted()
        throw BourseError(.registryNotFound,
                          "no registry named '\(name)'" + (known.isEmpty ? " (none configured: bourse registry add NAME URL|DIR --root ROOT.json)" : " (known: \(known.joined(separator: ", ")))"),
                          input: name)
    }
}

/// Registry state in memory (tests, one-shot clients).
public final class InMemoryRegistryStateStore: RegistryStateStore, @unchecked Sendable {
    private let lock = NSLock()
    private var records: [RegistryRecord] = []
    private var versions: [String: Int] = [:]

    /// Creates an empty store.
    public init() {}

    /// Every configured registry.
    public func registries() throws -> [RegistryRecord] { lock.withLock { records } }

    /// Adds or replaces a registry.
    public func saveRegistry(_ record: RegistryRecord) throws {
        lock.withLock {
            records.removeAll { $0.name == record.name }
            records.append(record)
            for role in MetadataRole.allCases { versions[key(record.name, role)] = nil }
        }
    }

    /// Removes a registry.
    public func removeRegistry(named name: String) throws -> Bool {
        lock.withLock {
            let before = records.count
            records.removeAll { $0.name == name }
            for role in MetadataRole.allCases { versions[key(name, role)] = nil }
            return records.count != before
        }
    }

    /// The highest version recorded.
    public func highestMetadataVersion(registry name: String, role: MetadataRole) throws -> Int? {
        lock.withLock { versions[key(name, role)] }
    }

    /// Records a version (never lowers).
    public func recordMetadataVersion(_ version: Int, registry name: String, role: MetadataRole) throws {
        lock.withLock { versions[key(name, role)] = max(version, versions[key(name, role)] ?? version) }
    }

    /// Replaces the trusted root of a registry after a verified rotation.
    public func updateTrustedRoot(_ root: Data, registry name: String) throws {
        lock.withLock {
            if let i = records.firstIndex(where: { $0.name == name }) { records[i].trustedRoot = root }
        }
    }

    private func key(_ name: String, _ role: MetadataRole) -> String { "\(name)\u{0}\(role.rawValue)" }
}

/// Registry state in one JSON file, replaced atomically on every change
/// (`registries.json` under `$BOURSE_HOME` until the SQLite store takes over).
public final class FileRegistryStateStore: RegistryStateStore, @unchecked Sendable {
    private struct Contents: Codable {
        var registries: [RegistryRecord] = []
        /// registry name → role → highest version.
        var versions: [String: [String: Int]] = [:]
    }

    /// The file.
    public let path: String
    private let lock = NSLock()

    /// A store in `path` (created on the first change).
    public init(path: String) {
        self.path = path
    }

    /// Every configured registry.
    public func registries() throws -> [RegistryRecord] { try lock.withLock { try load().registries } }

    /// Adds or replaces a registry.
    public func saveRegistry(_ record: RegistryRecord) throws {
        try update { contents in
            contents.registries.removeAll { $0.name == record.name }
            contents.registries.append(record)
            contents.versions[record.name] = nil
        }
    }

    /// Removes a registry.
    public func removeRegistry(named name: String) throws -> Bool {
        var removed = false
        try update { contents in
            let before = contents.registries.count
            contents.registries.removeAll { $0.name == name }
            contents.versions[name] = nil
            removed = contents.registries.count != before
        }
        return removed
    }

    /// The highest version recorded.
    public func highestMetadataVersion(registry name: String, role: MetadataRole) throws -> Int? {
        try lock.withLock { try load().versions[name]?[role.rawValue] }
    }

    /// Records a version (never lowers).
    public func recordMetadataVersion(_ version: Int, registry name: String, role: MetadataRole) throws {
        try update { contents in
            let old = contents.versions[name]?[role.rawValue] ?? version
            contents.versions[name, default: [:]][role.rawValue] = max(old, version)
        }
    }

    /// Replaces the trusted root of a registry after a verified rotation.
    public func updateTrustedRoot(_ root: Data, registry name: String) throws {
        try update { contents in
            if let i = contents.registries.firstIndex(where: { $0.name == name }) { contents.registries[i].trustedRoot = root }
        }
    }

    private func load() throws -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { return Contents() }
        do {
            return try JSONDecoder().decode(Contents.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw BourseError(.io, "cannot read registry state \(path): \(describeDecodingError(error))", input: path)
        }
    }

    private func update(_ change: (inout Contents) -> Void) throws {
        try lock.withLock {
            var contents = try load()
            change(&contents)
            let data = try CanonicalJSON.encode(contents, pretty: true)
            try writeFileAtomically(data, to: path)
        }
    }
}
