import BourseCore
import BoursePackage
import Foundation

/// The checks every piece of signed metadata goes through: signatures by
/// enough keys the root trusts for the role, and expiry.
enum MetadataVerification {
    /// Throws `metadata-untrusted` unless at least the role's threshold of
    /// distinct keys listed for the role in `root` signed `metadata`.
    static func checkSignatures<Content>(_ metadata: SignedMetadata<Content>, trustedBy root: RootMetadata, source: String) throws {
        let role = Content.role.rawValue
        guard let roleKeys = root.roles[role], roleKeys.threshold >= 1 else {
            throw BourseError(.metadataUntrusted, "\(source): the trusted root lists no keys for the \(role) role", input: source)
        }
        let message = Array(try metadata.canonicalSigned)
        var valid = Set<String>()
        var untrusted: [String] = []
        var bad: [String] = []
        for signature in metadata.signatures {
            guard roleKeys.keyids.contains(signature.keyid), let listed = root.keys[signature.keyid],
                  let key = publicKey(listed), key.keyID == signature.keyid else {
                untrusted.append(signature.keyid)
                continue
            }
            guard let bytes = Data(base64Encoded: signature.sig), key.isValidSignature(Array(bytes), for: message) else {
                bad.append(signature.keyid)
                continue
            }
            valid.insert(signature.keyid)
        }
        guard valid.count < roleKeys.threshold else { return }
        var reasons: [String] = []
        if metadata.signatures.isEmpty { reasons.append("it has no signatures") }
        if !untrusted.isEmpty { reasons.append("signed by key \(untrusted.joined(separator: ", ")), which the trusted root does not list for the \(role) role") }
        if !bad.isEmpty { reasons.append("the signature by key \(bad.joined(separator: ", ")) does not match the content (tampered)") }
        reasons.append("\(valid.count) valid of \(roleKeys.threshold) required; trusted \(role) keys: \(roleKeys.keyids.joined(separator: ", "))")
        throw BourseError(.metadataUntrusted, "refusing \(source): " + reasons.joined(separator: "; "), input: source)
    }

    /// Throws `metadata-expired` when `now` is past the metadata's expiry (a freeze
    /// attack, or a registry nobody re-signed: `bourse index refresh`).
    static func checkNotExpired(_ content: some RoleMetadata, now: Date, source: String) throws {
        guard let expiry = MetadataTime.parse(content.expires) else {
            throw BourseError(.registryIndexInvalid, "\(source): expiry '\(content.expires)' is not an ISO 8601 UTC time", input: source)
        }
        guard now <= expiry else {
            throw BourseError(.metadataExpired,
                              "refusing \(source): \(type(of: content).role.rawValue) metadata version \(content.version) expired at \(content.expires) (now \(MetadataTime.format(now))); the registry may be frozen by an attacker, or was not re-signed (bourse index refresh)",
                              input: source)
        }
    }

    /// Throws `metadata-rollback` when `version` is lower than the highest seen.
    static func checkNotRolledBack(_ content: some RoleMetadata, highestSeen: Int?, source: String) throws {
        if let highestSeen, content.version < highestSeen {
            throw BourseError(.metadataRollback,
                              "refusing \(source): \(type(of: content).role.rawValue) metadata version \(content.version) is older than version \(highestSeen) already seen (rollback attack?)",
                              input: source)
        }
    }

    /// The key a root entry describes, or nil when it is not a valid Ed25519 key.
    static func publicKey(_ key: MetadataKey) -> PublicKey? {
        guard key.keytype == "ed25519", let raw = Data(base64Encoded: key.public) else { return nil }
        return try? PublicKey(rawRepresentation: Array(raw))
    }

    /// Signs `content` with `keys` (one signature each).
    static func sign<Content: RoleMetadata>(_ content: Content, with keys: [SigningKeyFile]) throws -> SignedMetadata<Content> {
        let message = Array(try CanonicalJSON.encode(content))
        let signatures = try keys.map { key in
            MetadataSignature(keyid: key.keyID, sig: Data(try key.signature(for: message)).base64EncodedString())
        }
        return SignedMetadata(signed: content, signatures: signatures)
    }

    /// `SHA-256` of `data` and its length.
    static func digest(_ data: Data) -> FileDigest {
        FileDigest(sha256: sha256Hex(data), length: data.count)
    }
}

/// Checks on a root file given by a user (`bourse registry add --root`).
public enum RegistryTrust {
    /// Throws unless `root` is signed by the threshold of its own root-role keys and not expired at `now`.
    public static func checkSelfSigned(_ root: SignedMetadata<RootMetadata>, source: String, now: Date = Date()) throws {
        try MetadataVerification.checkSignatures(root, trustedBy: root.signed, source: source)
        try MetadataVerification.checkNotExpired(root.signed, now: now, source: source)
    }
}
