import BourseCore
import Foundation

/// A public key as listed in root metadata.
public struct MetadataKey: Codable, Sendable, Equatable {
    /// Always `ed25519`.
    public var keytype: String
    /// The raw 32-byte public key, base64.
    public var `public`: String

    /// Creates a key entry.
    public init(keytype: String = "ed25519", public: String) {
        self.keytype = keytype
        self.public = `public`
    }
}

/// The keys allowed to sign one role's metadata, and how many must sign.
public struct RoleKeys: Codable, Sendable, Equatable {
    /// Key ids (see root's `keys`).
    public var keyids: [String]
    /// How many distinct listed keys must have signed.
    public var threshold: Int

    /// Creates a role entry.
    public init(keyids: [String], threshold: Int = 1) {
        self.keyids = keyids
        self.threshold = threshold
    }
}

/// The hash and length of a file that metadata vouches for.
public struct FileDigest: Codable, Sendable, Equatable {
    /// SHA-256, lower-case hex.
    public var sha256: String
    /// Size in bytes.
    public var length: Int

    /// Creates a digest.
    public init(sha256: String, length: Int) {
        self.sha256 = sha256
        self.length = length
    }
}

/// Signed metadata content: what every role has in common.
public protocol RoleMetadata: Codable, Sendable {
    /// The role this metadata is for.
    static var role: MetadataRole { get }
    /// `root`, `snapshot` or `timestamp`: checked, so one role's file cannot stand in for another's.
    var _type: String { get }
    /// Increases with every new signing.
    var version: Int { get }
    /// ISO 8601 UTC time after which the metadata must not be trusted.
    var expires: String { get }
}

/// `root.json`: the keys trusted for each role.
public struct RootMetadata: RoleMetadata, Equatable {
    /// The role.
    public static let role = MetadataRole.root
    /// `root`.
    public var _type: String = "root"
    /// The metadata spec this follows.
    public var spec_version: String = "1"
    /// Root version (1, then one more per rotation).
    public var version: Int
    /// Expiry (ISO 8601 UTC).
    public var expires: String
    /// Keys by key id.
    public var keys: [String: MetadataKey]
    /// Keys per role (`root`, `snapshot`, `timestamp`).
    public var roles: [String: RoleKeys]

    /// Creates root metadata.
    public init(version: Int, expires: String, keys: [String: MetadataKey], roles: [String: RoleKeys]) {
        self.version = version
        self.expires = expires
        self.keys = keys
        self.roles = roles
    }
}

/// `snapshot.json`: the hash of every index file and of `config.json`.
public struct SnapshotMetadata: RoleMetadata, Equatable {
    /// The role.
    public static let role = MetadataRole.snapshot
    /// `snapshot`.
    public var _type: String = "snapshot"
    /// Snapshot version.
    public var version: Int
    /// Expiry (ISO 8601 UTC).
    public var expires: String
    /// Digest per file path relative to the registry root.
    public var meta: [String: FileDigest]

    /// Creates snapshot metadata.
    public init(version: Int, expires: String, meta: [String: FileDigest]) {
        self.version = version
        self.expires = expires
        self.meta = meta
    }

    /// Plugin names with an index file, sorted.
    public var pluginNames: [String] {
        meta.keys.filter(RegistryLayout.isIndexPath).map(RegistryLayout.pluginName(ofIndexPath:)).sorted()
    }
}

/// `timestamp.json`: the hash of the current snapshot.
public struct TimestampMetadata: RoleMetadata, Equatable {
    /// The role.
    public static let role = MetadataRole.timestamp
    /// `timestamp`.
    public var _type: String = "timestamp"
    /// Timestamp version.
    public var version: Int
    /// Expiry (ISO 8601 UTC).
    public var expires: String
    /// The snapshot's version.
    public var snapshot_version: Int
    /// The snapshot file's digest.
    public var snapshot: FileDigest

    /// Creates timestamp metadata.
    public init(version: Int, expires: String, snapshotVersion: Int, snapshot: FileDigest) {
        self.version = version
        self.expires = expires
        self.snapshot_version = snapshotVersion
        self.snapshot = snapshot
    }
}

/// One signature over the canonical JSON of `signed`.
public struct MetadataSignature: Codable, Sendable, Equatable {
    /// The signing key's id.
    public var keyid: String
    /// The Ed25519 signature, base64.
    public var sig: String

    /// Creates a signature entry.
    public init(keyid: String, sig: String) {
        self.keyid = keyid
        self.sig = sig
    }
}

/// A metadata file: `{"signed": …, "signatures": [...]}` (TUF's envelope).
public struct SignedMetadata<Content: RoleMetadata>: Codable, Sendable {
    /// The content.
    public var signed: Content
    /// Signatures over ``canonicalSigned``.
    public var signatures: [MetadataSignature]

    /// Creates an envelope.
    public init(signed: Content, signatures: [MetadataSignature]) {
        self.signed = signed
        self.signatures = signatures
    }

    /// The bytes signatures are made over: the canonical JSON of `signed`.
    public var canonicalSigned: Data {
        get throws { try CanonicalJSON.encode(signed) }
    }

    /// The file's bytes (pretty, key-sorted).
    public func encoded() throws -> Data {
        var data = try CanonicalJSON.encode(self, pretty: true)
        data.append(0x0A)
        return data
    }

    /// Parses a metadata file; `source` names it in errors. Checks `_type`.
    public static func parse(_ data: Data, source: String) throws -> SignedMetadata<Content> {
        let parsed: SignedMetadata<Content>
        do {
            parsed = try JSONDecoder().decode(SignedMetadata<Content>.self, from: data)
        } catch {
            throw BourseError(.registryIndexInvalid, "\(source) is not valid \(Content.role.rawValue) metadata: \(describeDecodingError(error))", input: source)
        }
        guard parsed.signed._type == Content.role.rawValue else {
            throw BourseError(.registryIndexInvalid, "\(source) holds '\(parsed.signed._type)' metadata where '\(Content.role.rawValue)' was expected", input: source)
        }
        return parsed
    }
}

/// ISO 8601 UTC times as metadata writes them (`2026-11-22T10:00:00Z`).
public enum MetadataTime {
    /// `date` as text.
    public static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    /// Parses text written by ``format(_:)``; nil when malformed.
    public static func parse(_ text: String) -> Date? {
        formatter().date(from: text)
    }

    private static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
