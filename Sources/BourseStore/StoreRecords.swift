import BourseCore

/// One version unpacked in the store.
public struct InstalledVersion: Codable, Sendable, Equatable {
    /// Plugin name.
    public var name: String
    /// Version text.
    public var version: String
    /// Plugin kind.
    public var kind: String
    /// Key id of the signer.
    public var signerKeyID: String
    /// Where it came from (package path or `registry NAME`).
    public var source: String
    /// Unix time of the install.
    public var installedAt: Int
    /// Dependencies: plugin name → range text.
    public var dependencies: [String: String]
    /// Permissions the manifest asks for.
    public var permissions: [String]
    /// The manifest's library path, relative to the version directory.
    public var library: String
    /// One-line summary.
    public var summary: String

    /// The parsed version (nil only if the row was written by hand).
    public var semanticVersion: SemanticVersion? { SemanticVersion(version) }
}

/// One numbered revision of the store's history.
public struct Revision: Codable, Sendable, Equatable {
    /// Revision number, increasing across all plugins.
    public var number: Int
    /// Plugin changed.
    public var name: String
    /// `install`, `upgrade`, `rollback`, `uninstall`.
    public var operation: String
    /// Active version before (nil when none).
    public var from: String?
    /// Active version after (nil after an uninstall).
    public var to: String?
    /// User who ran it.
    public var user: String
    /// Process id that ran it.
    public var pid: Int
    /// Unix time.
    public var at: Int
    /// Extra information (e.g. `to revision 3`).
    public var note: String
}

/// A trusted signing key.
public struct TrustedKey: Codable, Sendable, Equatable {
    /// Key id.
    public var keyID: String
    /// The public key file text.
    public var publicKey: String
    /// Where it came from (the file trusted).
    public var label: String
    /// Unix time added.
    public var addedAt: Int
}

/// The state the store's operations need in one snapshot.
public struct PluginStatus: Codable, Sendable, Equatable {
    /// Plugin name.
    public var name: String
    /// Active version (nil when installed versions remain but none is active).
    public var active: String?
    /// Pinned version, if any.
    public var pinned: String?
    /// Installed versions, ascending.
    public var installed: [String]
    /// Permissions approved for the plugin.
    public var approvedPermissions: [String]
}
