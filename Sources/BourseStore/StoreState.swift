#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Foundation

/// Typed reads and writes of the state database. Writes are meant to run
/// inside `database.transaction`; each statement is a fault-injection step.
public final class StoreState {
    /// The database.
    public let database: SQLiteDatabase

    /// Opens (and migrates) the state database at `path`.
    public init(path: String) throws {
        database = try StateSchema.open(path)
    }

    private func write(_ sql: String, _ parameters: [SQLiteValue], step: String) throws {
        try database.run(sql, parameters)
        FaultInjection.step("SQL \(step)")
    }

    private static func now() -> SQLiteValue { .int(Int(time(nil))) }

    // MARK: Installed versions

    /// Every installed version (all plugins, or one), ordered by name then version.
    public func installedVersions(of name: String? = nil) throws -> [InstalledVersion] {
        let rows = try database.query("""
            SELECT name, version, kind, manifest, signer_key_id, source, installed_at FROM installed_versions
            WHERE ?1 IS NULL OR name = ?1
            """, [.optionalText(name)])
        var result: [InstalledVersion] = []
        for row in rows {
            let (n, v) = (row.text(0)!, row.text(1)!)
            let deps = try database.query("SELECT dependency, version_range FROM dependencies WHERE name = ? AND version = ?", [.text(n), .text(v)])
            let manifest = ManifestSummary(json: row.text(3) ?? "{}")
            result.append(InstalledVersion(name: n, version: v, kind: row.text(2)!, signerKeyID: row.text(4)!, source: row.text(5)!,
                                           installedAt: row.int(6) ?? 0,
                                           dependencies: Dictionary(deps.map { ($0.text(0)!, $0.text(1)!) }, uniquingKeysWith: { a, _ in a }),
                                           permissions: manifest.permissions, library: manifest.library, summary: manifest.summary))
        }
        return result.sorted { ($0.name, $0.semanticVersion ?? SemanticVersion("0.0.0")!) < ($1.name, $1.semanticVersion ?? SemanticVersion("0.0.0")!) }
    }

    /// One installed version, if present.
    public func installedVersion(_ name: String, _ version: String) throws -> InstalledVersion? {
        try installedVersions(of: name).first { $0.version == version }
    }

    /// The manifest text stored for a version.
    public func manifestText(_ name: String, _ version: String) throws -> String? {
        try database.query("SELECT manifest FROM installed_versions WHERE name = ? AND version = ?", [.text(name), .text(version)]).first?.text(0)
    }

    /// Records a new installed version, its files and dependencies.
    func insertVersion(_ v: InstalledVersion, manifest: String, files: [String: String]) throws {
        try write("""
            INSERT INTO installed_versions (name, version, kind, manifest, signer_key_id, source, installed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [.text(v.name), .text(v.version), .text(v.kind), .text(manifest), .text(v.signerKeyID), .text(v.source), .int(v.installedAt)],
            step: "insert version \(v.name) \(v.version)")
        let fileStatement = try database.prepare("INSERT INTO installed_files (name, version, path, sha256) VALUES (?, ?, ?, ?)")
        for (path, digest) in files.sorted(by: { $0.key < $1.key }) {
            fileStatement.reset()
            try fileStatement.bind([.text(v.name), .text(v.version), .text(path), .text(digest)])
            while try fileStatement.step() {}
        }
        FaultInjection.step("SQL insert \(files.count) file rows")
        for (dependency, range) in v.dependencies.sorted(by: { $0.key < $1.key }) {
            try write("INSERT INTO dependencies (name, version, dependency, version_range) VALUES (?, ?, ?, ?)",
                      [.text(v.name), .text(v.version), .text(dependency), .text(range)], step: "insert dependency \(dependency)")
        }
    }

    /// Deletes an installed version's rows (files and dependencies cascade).
    func deleteVersion(_ name: String, _ version: String) throws {
        try write("DELETE FROM installed_versions WHERE name = ? AND version = ?", [.text(name), .text(version)],
                  step: "delete version \(name) \(version)")
    }

    /// Path → SHA-256 of every file of an installed version.
    public func files(_ name: String, _ version: String) throws -> [String: String] {
        let rows = try database.query("SELECT path, sha256 FROM installed_files WHERE name = ? AND version = ?", [.text(name), .text(version)])
        return Dictionary(rows.map { ($0.text(0)!, $0.text(1)!) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: Active versions and revisions

    /// Name → active version.
    public func activeVersions() throws -> [String: String] {
        let rows = try database.query("SELECT name, version FROM active_versions")
        return Dictionary(rows.map { ($0.text(0)!, $0.text(1)!) }, uniquingKeysWith: { a, _ in a })
    }

    /// The active version of `name`.
    public func activeVersion(_ name: String) throws -> String? {
        try database.query("SELECT version FROM active_versions WHERE name = ?", [.text(name)]).first?.text(0)
    }

    /// Switches `name` to `version` (nil = no active version) and records a revision; returns its number.
    @discardableResult
    func recordRevision(_ name: String, operation: String, from: String?, to: String?, note: String = "") throws -> Int {
        try write("INSERT INTO revisions (name, operation, from_version, to_version, user, pid, at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  [.text(name), .text(operation), .optionalText(from), .optionalText(to), .text(currentUserName()),
                   .int(Int(getpid())), Self.now(), .text(note)], step: "insert revision \(operation) \(name)")
        let number = Int(database.lastInsertedRowID)
        if let to {
            try write("INSERT INTO active_versions (name, version, revision) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET version = ?2, revision = ?3",
                      [.text(name), .text(to), .int(number)], step: "set active \(name) \(to)")
        } else {
            try write("DELETE FROM active_versions WHERE name = ?", [.text(name)], step: "clear active \(name)")
        }
        return number
    }

    /// Revisions, oldest first (all plugins, or one).
    public func revisions(of name: String? = nil) throws -> [Revision] {
        try database.query("""
            SELECT number, name, operation, from_version, to_version, user, pid, at, note FROM revisions
            WHERE ?1 IS NULL OR name = ?1 ORDER BY number
            """, [.optionalText(name)]).map { row in
            Revision(number: row.int(0)!, name: row.text(1)!, operation: row.text(2)!, from: row.text(3), to: row.text(4),
                     user: row.text(5)!, pid: row.int(6)!, at: row.int(7)!, note: row.text(8) ?? "")
        }
    }

    // MARK: Pins and permissions

    /// Name → pinned version.
    public func pins() throws -> [String: String] {
        let rows = try database.query("SELECT name, version FROM pins")
        return Dictionary(rows.map { ($0.text(0)!, $0.text(1)!) }, uniquingKeysWith: { a, _ in a })
    }

    /// Pins `name` to `version`, or removes the pin (nil).
    func setPin(_ name: String, _ version: String?) throws {
        if let version {
            try write("INSERT INTO pins (name, version, pinned_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET version = ?2, pinned_at = ?3",
                      [.text(name), .text(version), Self.now()], step: "pin \(name)")
        } else {
            try write("DELETE FROM pins WHERE name = ?", [.text(name)], step: "unpin \(name)")
        }
    }

    /// Permissions approved for `name`.
    public func approvedPermissions(_ name: String) throws -> [String] {
        try database.query("SELECT permission FROM approved_permissions WHERE name = ? ORDER BY permission", [.text(name)]).compactMap { $0.text(0) }
    }

    /// Adds approvals for `name`.
    func approve(_ name: String, _ permissions: [String]) throws {
        for permission in permissions.sorted() {
            try write("INSERT OR IGNORE INTO approved_permissions (name, permission, approved_at) VALUES (?, ?, ?)",
                      [.text(name), .text(permission), Self.now()], step: "approve \(permission) for \(name)")
        }
    }

    /// Forgets every approval and pin of `name` (at uninstall).
    func forget(_ name: String) throws {
        try write("DELETE FROM approved_permissions WHERE name = ?", [.text(name)], step: "forget approvals of \(name)")
        try write("DELETE FROM pins WHERE name = ?", [.text(name)], step: "forget pin of \(name)")
    }

    // MARK: Trusted keys

    /// Every trusted key.
    public func trustedKeys() throws -> [TrustedKey] {
        try database.query("SELECT key_id, public_key, label, added_at FROM trusted_keys ORDER BY added_at, key_id").map {
            TrustedKey(keyID: $0.text(0)!, publicKey: $0.text(1)!, label: $0.text(2)!, addedAt: $0.int(3)!)
        }
    }

    /// Trusts a key (replacing a key with the same id).
    func trust(_ key: TrustedKey) throws {
        try database.run("INSERT OR REPLACE INTO trusted_keys (key_id, public_key, label, added_at) VALUES (?, ?, ?, ?)",
                         [.text(key.keyID), .text(key.publicKey), .text(key.label), .int(key.addedAt)])
    }

    /// Stops trusting a key; false when it was not trusted.
    func untrust(_ keyID: String) throws -> Bool {
        try database.run("DELETE FROM trusted_keys WHERE key_id = ?", [.text(keyID)]) > 0
    }
}

/// The few manifest fields the state shows without parsing the whole manifest.
struct ManifestSummary {
    var permissions: [String] = []
    var library = ""
    var summary = ""

    init(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return }
        permissions = object["permissions"] as? [String] ?? []
        library = object["library"] as? String ?? ""
        summary = object["summary"] as? String ?? ""
    }
}
