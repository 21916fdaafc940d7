#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseRegistry
import Foundation

/// The registry client's persistent state (configured registries, highest
/// metadata versions seen) kept in the store's SQLite database, so that a
/// metadata rollback is refused across runs.
extension StoreState: RegistryStateStore {
    /// Every configured registry, by name.
    public func registries() throws -> [RegistryRecord] {
        try database.query("SELECT name, location, trusted_root FROM registries ORDER BY name").map {
            RegistryRecord(name: $0.text(0)!, location: $0.text(1)!, trustedRoot: Data($0.blob(2) ?? []))
        }
    }

    /// Adds or replaces a registry and forgets the versions recorded for a previous one of that name.
    public func saveRegistry(_ record: RegistryRecord) throws {
        try database.transaction {
            try database.run("DELETE FROM registry_metadata_versions WHERE registry = ?", [.text(record.name)])
            try database.run("INSERT OR REPLACE INTO registries (name, location, trusted_root, added_at) VALUES (?, ?, ?, ?)",
                             [.text(record.name), .text(record.location), .blob(Array(record.trustedRoot)), .int(Int(time(nil)))])
        }
    }

    /// Removes a registry and its recorded versions.
    public func removeRegistry(named name: String) throws -> Bool {
        try database.transaction {
            try database.run("DELETE FROM registry_metadata_versions WHERE registry = ?", [.text(name)])
            return try database.run("DELETE FROM registries WHERE name = ?", [.text(name)]) > 0
        }
    }

    /// The highest version of `role` metadata accepted from registry `name`.
    public func highestMetadataVersion(registry name: String, role: MetadataRole) throws -> Int? {
        try database.query("SELECT version FROM registry_metadata_versions WHERE registry = ? AND role = ?",
                           [.text(name), .text(role.rawValue)]).first?.int(0)
    }

    /// Records an accepted metadata version (never lowers the stored value).
    public func recordMetadataVersion(_ version: Int, registry name: String, role: MetadataRole) throws {
        try database.run("""
            INSERT INTO registry_metadata_versions (registry, role, version) VALUES (?1, ?2, ?3)
            ON CONFLICT (registry, role) DO UPDATE SET version = max(version, ?3)
            """, [.text(name), .text(role.rawValue), .int(version)])
    }

    /// Replaces the trusted root of registry `name` after a verified rotation.
    public func updateTrustedRoot(_ root: Data, registry name: String) throws {
        try database.run("UPDATE registries SET trusted_root = ? WHERE name = ?", [.blob(Array(root)), .text(name)])
    }
}
