import BourseCore

/// The state database's schema, as ordered migrations. `PRAGMA user_version`
/// holds the number of migrations applied; `schema_migrations` records when
/// each was applied. Migrations are append-only: never edit a released one,
/// add the next.
enum StateSchema {
    /// Migrations in order; migration i (1-based) brings user_version to i.
    static let migrations: [String] = [
        // 1: the initial schema.
        """
        CREATE TABLE schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
        );
        -- One row per unpacked version under store/NAME/VERSION.
        CREATE TABLE installed_versions (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            kind TEXT NOT NULL,
            manifest TEXT NOT NULL,
            signer_key_id TEXT NOT NULL,
            source TEXT NOT NULL,
            installed_at INTEGER NOT NULL,
            PRIMARY KEY (name, version)
        );
        -- Every file of an installed version with its signed SHA-256.
        CREATE TABLE installed_files (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (name, version, path),
            FOREIGN KEY (name, version) REFERENCES installed_versions (name, version) ON DELETE CASCADE
        );
        -- Dependencies an installed version declares on other plugins.
        CREATE TABLE dependencies (
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            dependency TEXT NOT NULL,
            version_range TEXT NOT NULL,
            PRIMARY KEY (name, version, dependency),
            FOREIGN KEY (name, version) REFERENCES installed_versions (name, version) ON DELETE CASCADE
        );
        -- The active version of each installed plugin.
        CREATE TABLE active_versions (
            name TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            revision INTEGER NOT NULL,
            FOREIGN KEY (name, version) REFERENCES installed_versions (name, version)
        );
        -- Numbered revisions: every change of an active version, who made it and when.
        CREATE TABLE revisions (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            operation TEXT NOT NULL,
            from_version TEXT,
            to_version TEXT,
            user TEXT NOT NULL,
            pid INTEGER NOT NULL,
            at INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX revisions_by_name ON revisions (name, number);
        -- Ed25519 public keys whose signatures are accepted.
        CREATE TABLE trusted_keys (
            key_id TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            label TEXT NOT NULL,
            added_at INTEGER NOT NULL
        );
        -- Registries plugins can be installed from, with the signed root metadata trusted for each.
        CREATE TABLE registries (
            name TEXT PRIMARY KEY,
            location TEXT NOT NULL,
            trusted_root BLOB NOT NULL,
            added_at INTEGER NOT NULL
        );
        -- Pinned plugins: no range, upgrade or resolution moves them off this version.
        CREATE TABLE pins (
            name TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            pinned_at INTEGER NOT NULL
        );
        -- Permissions an admin approved per plugin (names such as network, read-paths).
        CREATE TABLE approved_permissions (
            name TEXT NOT NULL,
            permission TEXT NOT NULL,
            approved_at INTEGER NOT NULL,
            PRIMARY KEY (name, permission)
        );
        -- Highest signed metadata version seen per registry and role (rollback protection).
        CREATE TABLE registry_metadata_versions (
            registry TEXT NOT NULL,
            role TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (registry, role)
        );
        """,
    ]

    /// Opens the database at `path` in WAL mode and applies missing migrations.
    static func open(_ path: String) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = FULL")
        try db.execute("PRAGMA foreign_keys = ON")
        let current = try db.userVersion
        guard current <= migrations.count else {
            throw BourseError(.stateDatabase,
                              "state database schema version \(current) is newer than this bourse understands (\(migrations.count)); use a newer bourse",
                              input: path)
        }
        for index in current..<migrations.count {
            try db.transaction {
                try db.execute(migrations[index])
                try db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))", [.int(index + 1)])
                try db.execute("PRAGMA user_version = \(index + 1)")
            }
        }
        return db
    }
}
