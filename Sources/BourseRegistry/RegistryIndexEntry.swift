import BourseCore
import Foundation

/// One published version of a plugin: one JSON line of its index file.
///
/// Lines are append-only; once published, only `yanked` may change.
public struct RegistryIndexEntry: Codable, Sendable, Equatable {
    /// A dependency on another plugin, with a semver range (`^1.2`, `>=1, <2`).
    public struct Dependency: Codable, Sendable, Equatable {
        /// The plugin depended on.
        public var name: String
        /// The range of its versions that fits, as written in the manifest.
        public var req: String

        /// Creates a dependency.
        public init(name: String, req: String) {
            self.name = name
            self.req = req
        }
    }

    /// The schema version of index lines this code writes.
    public static let schemaVersion = 1

    /// The plugin's name.
    public var name: String
    /// The version, as semver text.
    public var vers: String
    /// SHA-256 of the whole `.bpkg` archive, lower-case hex.
    public var cksum: String
    /// The plugin ABI it was built against, `major.minor`.
    public var abi: String
    /// The plugin kind (`source`, `indicator`, `model`, `codec`, `exporter`).
    public var kind: String
    /// Dependencies on other plugins.
    public var deps: [Dependency]
    /// Permissions the plugin asks for (shown before download).
    public var permissions: [String]
    /// Where the archive is, relative to the registry root.
    public var dl: String
    /// Whether the version was withdrawn: kept for exact references, never chosen by a range.
    public var yanked: Bool
    /// Schema version of this line.
    public var v: Int

    /// Creates an entry.
    public init(name: String, vers: String, cksum: String, abi: String, kind: String, deps: [Dependency] = [],
                permissions: [String] = [], dl: String, yanked: Bool = false, v: Int = RegistryIndexEntry.schemaVersion) {
        self.name = name
        self.vers = vers
        self.cksum = cksum
        self.abi = abi
        self.kind = kind
        self.deps = deps
        self.permissions = permissions
        self.dl = dl
        self.yanked = yanked
        self.v = v
    }

    /// The version, parsed (nil when the line holds invalid semver; such lines are refused on parse).
    public var version: SemanticVersion? { SemanticVersion(vers) }

    /// The line as written in the index file (key-sorted, no trailing newline).
    public func jsonLine() throws -> String {
        String(decoding: try CanonicalJSON.encode(self), as: UTF8.self)
    }

    private enum CodingKeys: String, CodingKey {
        case name, vers, cksum, abi, kind, deps, permissions, dl, yanked, v
    }

    /// Decodes a line; `permissions` and `deps` may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        vers = try c.decode(String.self, forKey: .vers)
        cksum = try c.decode(String.self, forKey: .cksum)
        abi = try c.decode(String.self, forKey: .abi)
        kind = try c.decode(String.self, forKey: .kind)
        deps = try c.decodeIfPresent([Dependency].self, forKey: .deps) ?? []
        permissions = try c.decodeIfPresent([String].self, forKey: .permissions) ?? []
        dl = try c.decode(String.self, forKey: .dl)
        yanked = try c.decodeIfPresent(Bool.self, forKey: .yanked) ?? false
        v = try c.decode(Int.self, forKey: .v)
    }
}

/// A plugin's index file: its published versions in publication order.
public struct RegistryIndexFile: Sendable, Equatable {
    /// The entries, one per line, oldest first.
    public var entries: [RegistryIndexEntry]

    /// Creates a file from entries.
    public init(entries: [RegistryIndexEntry] = []) {
        self.entries = entries
    }

    /// Parses an index file. `source` names it in errors. Lines with a schema
    /// version newer than this code understands are skipped (cargo's rule);
    /// malformed lines are refused with their line number.
    public init(parsing data: Data, source: String) throws {
        var entries: [RegistryIndexEntry] = []
        let text = String(decoding: data, as: UTF8.self)
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let entry: RegistryIndexEntry
            do {
                entry = try JSONDecoder().decode(RegistryIndexEntry.self, from: Data(trimmed.utf8))
            } catch {
                throw BourseError(.registryIndexInvalid, "\(source):\(offset + 1): not a valid index line (\(describeDecodingError(error)))", input: source)
            }
            if entry.v > RegistryIndexEntry.schemaVersion { continue }
            guard entry.version != nil else {
                throw BourseError(.registryIndexInvalid, "\(source):\(offset + 1): version '\(entry.vers)' is not valid semver", input: source)
            }
            guard RegistryLayout.isSafeRelativePath(entry.dl) else {
                throw BourseError(.registryIndexInvalid, "\(source):\(offset + 1): archive path '\(entry.dl)' escapes the registry", input: source)
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// The file's bytes: one line per entry, each ending in a newline.
    public func encoded() throws -> Data {
        Data(try entries.map { try $0.jsonLine() + "\n" }.joined().utf8)
    }

    /// The entry for an exact version, yanked or not.
    public func entry(version: SemanticVersion) -> RegistryIndexEntry? {
        entries.first { $0.version == version }
    }

    /// The highest version accepted by `matches`, never a yanked one.
    public func highest(matching matches: (SemanticVersion) -> Bool) -> RegistryIndexEntry? {
        entries.filter { !$0.yanked }
            .compactMap { entry in entry.version.map { (entry, $0) } }
            .filter { matches($0.1) }
            .max { $0.1 < $1.1 }?.0
    }

    /// The highest version that is not yanked.
    public var latest: RegistryIndexEntry? { highest { _ in true } }
}

/// A short description of a JSON decoding error (the key path and what was wrong).
func describeDecodingError(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return keys.isEmpty ? "" : " at \(keys)"
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(path(context))"
    case .typeMismatch(_, let context): return "wrong type\(path(context)): \(context.debugDescription)"
    case .valueNotFound(_, let context): return "missing value\(path(context))"
    case .dataCorrupted(let context): return "malformed JSON\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
