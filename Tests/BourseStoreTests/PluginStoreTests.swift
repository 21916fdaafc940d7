#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseStore
import BourseTestSupport
import Foundation
import Testing

private func expectError(_ code: BourseError.Code, containing text: String = "", _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected error \(code.rawValue)")
    } catch let error as BourseError {
        #expect(error.code == code, "\(error)")
        #expect(text.isEmpty || error.message.contains(text), "\(error.message)")
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Suite("Plugin store", .serialized)
struct PluginStoreTests {
    @Test("state database: WAL mode, schema version, every table")
    func schema() throws {
        let f = try StoreFixture()
        try f.withStore { store in
            #expect(try store.state.database.query("PRAGMA journal_mode").first?.text(0) == "wal")
            #expect(try store.state.database.userVersion == 1)
            let tables = Set(try store.state.database.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.text(0) })
            for table in ["schema_migrations", "installed_versions", "installed_files", "dependencies", "active_versions", "revisions",
                          "trusted_keys", "registries", "pins", "approved_permissions", "registry_metadata_versions"] {
                #expect(tables.contains(table), "\(table)")
            }
        }
        // Re-opening does not re-run migrations.
        let applied = try f.withStore { try $0.state.database.query("SELECT count(*) FROM schema_migrations").first?.int(0) }
        #expect(applied == 1)
        // A database from a newer bourse is refused, not rewritten.
        try f.withStore { try $0.state.database.execute("PRAGMA user_version = 99") }
        expectError(.stateDatabase, containing: "schema version 99 is newer") { _ = try StoreState(path: f.home.databasePath) }
    }

    @Test("install, upgrade, rollback, history, uninstall")
    func lifecycle() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let v1 = try f.package("ema", "1.0.0"), v2 = try f.package("ema", "1.1.0")
        try f.withStore { store in
            let installed = try store.install(packageAt: v1, allow: [])
            #expect(installed.map(\.operation) == ["install"])
            #expect(try store.install(packageAt: v1, allow: []).isEmpty)
            let upgraded = try store.install(packageAt: v2, allow: [])
            #expect(upgraded.first?.operation == "upgrade" && upgraded.first?.from == "1.0.0" && upgraded.first?.to == "1.1.0")
            let back = try store.rollback("ema", toRevision: nil)
            #expect(back.operation == "rollback" && back.to == "1.0.0" && back.revision == 3)
            let forward = try store.rollback("ema", toRevision: 2)
            #expect(forward.to == "1.1.0")
            #expect(try store.state.revisions(of: "ema").map(\.operation) == ["install", "upgrade", "rollback", "rollback"])
            #expect(try store.verify().drift.isEmpty)
            let library = try store.state.installedVersion("ema", "1.1.0")?.library
            #expect(access(store.directory("ema", "1.1.0") + "/" + (library ?? ""), R_OK) == 0)
            _ = try store.uninstall("ema", force: false)
            #expect(try store.status().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: store.home.pluginDirectory("ema")))
            #expect(try store.state.revisions(of: "ema").last?.operation == "uninstall")
        }
    }

    @Test("a name colliding with an installed plugin's (ignoring '-') is refused")
    func nameCollision() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let first = try f.package("codec-json", "1.0.0"), second = try f.package("codecjson", "1.0.0")
        try f.withStore { store in
            _ = try store.install(packageAt: first, allow: [])
            expectError(.resolutionConflict, containing: "collides with installed plugin 'codec-json'") { _ = try store.install(packageAt: second, allow: []) }
            #expect(try store.status().map(\.name) == ["codec-json"])
        }
    }

    @Test("untrusted signers are refused and nothing lands in the store")
    func untrusted() throws {
        let f = try StoreFixture()
        let path = try f.package("ema", "1.0.0")
        try f.withStore { store in
            expectError(.packageRejected) { _ = try store.install(packageAt: path, allow: []) }
            #expect(DurableFilesProbe.entries(store.home.storeDirectory).isEmpty)
        }
    }

    @Test("permissions must be approved; an upgrade asking for more needs approval again")
    func permissions() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let v1 = try f.package("feed", "1.0.0", permissions: ["network"])
        let v2 = try f.package("feed", "2.0.0", permissions: ["network", "read-paths"])
        try f.withStore { store in
            expectError(.permissionNotApproved, containing: "feed 1.0.0 asks for network") { _ = try store.install(packageAt: v1, allow: []) }
            #expect(try store.status().isEmpty)
            _ = try store.install(packageAt: v1, allow: ["network"])
            #expect(try store.state.approvedPermissions("feed") == ["network"])
            expectError(.permissionNotApproved, containing: "--allow read-paths") { _ = try store.install(packageAt: v2, allow: []) }
            #expect(try store.state.activeVersion("feed") == "1.0.0")
            _ = try store.install(packageAt: v2, allow: ["read-paths"])
            #expect(try store.state.approvedPermissions("feed") == ["network", "read-paths"])
        }
    }

    @Test("dependencies: missing ones are refused, dependents block uninstall and incompatible upgrades")
    func dependencies() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let codec2 = try f.package("codec-json", "2.4.0"), codec3 = try f.package("codec-json", "3.0.0")
        let rsi = try f.package("rsi", "1.0.0", dependencies: ["codec-json": "^2"])
        let rsi2 = try f.package("rsi", "2.1.0", dependencies: ["codec-json": "^3"])
        try f.withStore { store in
            expectError(.resolutionConflict, containing: "rsi 1.0.0 needs codec-json@^2; but no version of codec-json is installed") {
                _ = try store.install(packageAt: rsi, allow: [])
            }
            _ = try store.install(packageAt: codec2, allow: [])
            _ = try store.install(packageAt: rsi, allow: [])
            expectError(.dependedOn, containing: "rsi 1.0.0 depends on codec-json@^2") { _ = try store.uninstall("codec-json", force: false) }
            expectError(.resolutionConflict, containing: "installed rsi 1.0.0 needs codec-json@^2") { _ = try store.install(packageAt: codec3, allow: []) }
            _ = try store.pin("codec-json", "2.4.0")
            // rsi 2.1.0 needs codec-json 3, which is installed but codec-json is pinned at 2.4.0.
            expectError(.resolutionConflict, containing: "rsi 2.1.0 needs codec-json@^3; but installed codec-json 2.4.0 is pinned") {
                _ = try store.install(packageAt: rsi2, allow: [])
            }
            #expect(try store.state.activeVersion("rsi") == "1.0.0")
            _ = try store.uninstall("codec-json", force: true)
            #expect(try store.state.activeVersion("codec-json") == nil)
        }
    }

    @Test("pin moves the active version and blocks upgrade; gc removes versions no rollback reaches")
    func pinAndGC() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let paths = try ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].map { try f.package("ema", $0) }
        try f.withStore { store in
            for p in paths { _ = try store.install(packageAt: p, allow: []) }
            #expect(try store.state.activeVersion("ema") == "1.3.0")
            let change = try store.pin("ema", "1.2.0")
            #expect(change?.operation == "pin")
            expectError(.resolutionConflict, containing: "pinned to 1.2.0") { _ = try store.upgrade("ema", to: nil, allow: []) }
            _ = try store.pin("ema", nil)
            let upgraded = try store.upgrade("ema", to: nil, allow: [])
            #expect(upgraded.first?.to == "1.3.0")
            let removed = try store.collectGarbage(keepRevisions: 2)
            #expect(removed == ["ema 1.0.0", "ema 1.1.0"])
            #expect(try store.status(of: "ema").first?.installed == ["1.2.0", "1.3.0"])
            #expect(try store.verify().drift.isEmpty)
            expectError(.notInstalled) { _ = try store.rollback("ema", toRevision: 1) }
        }
    }

    @Test("graph lookups: active version in range, else the most recently active in range, else the highest")
    func locator() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let paths = try ["1.0.0", "1.1.0", "1.2.0", "2.0.0"].map { try f.package("ema", $0) }
        try f.withStore { store in
            for p in paths.prefix(3) { _ = try store.install(packageAt: p, allow: []) }
            _ = try store.rollback("ema", toRevision: nil)          // 1.2.0 misbehaved: back to 1.1.0
            _ = try store.install(packageAt: paths[3], allow: [])  // then 2.0.0
        }
        let locator = StoreLocator(home: f.home)
        func version(_ text: String) throws -> String {
            let path = try locator.libraryPath(for: try PluginRequirement(parsing: text))
            return path.components(separatedBy: "/store/ema/")[1].components(separatedBy: "/")[0]
        }
        #expect(try version("ema") == "2.0.0")
        #expect(try version("ema@^1") == "1.1.0")
        #expect(try version("ema@=1.2.0") == "1.2.0")
        #expect(try version("ema@~1.0") == "1.0.0")
        #expect(throws: BourseError.self) { try version("ema@^3") }
    }

    @Test("verify reports modified, missing and unexpected files")
    func drift() throws {
        let f = try StoreFixture()
        try f.trustKey()
        let path = try f.package("ema", "1.0.0")
        try f.withStore { store in
            _ = try store.install(packageAt: path, allow: [])
            let dir = store.directory("ema", "1.0.0")
            try "tampered".write(toFile: dir + "/docs/README.md", atomically: false, encoding: .utf8)
            try "extra".write(toFile: dir + "/extra.txt", atomically: false, encoding: .utf8)
            unlink(dir + "/manifest.json")
            let drift = try store.verify().drift.map { "\($0.path):\($0.problem)" }.sorted()
            #expect(drift == ["docs/README.md:modified", "extra.txt:unexpected", "manifest.json:missing"])
            // Installing the same package again repairs the files, as a revision of its own.
            let repaired = try store.install(packageAt: path, allow: [])
            #expect(repaired.map(\.operation) == ["repair"])
            #expect(try store.verify().drift.isEmpty)
            #expect(try store.install(packageAt: path, allow: []).isEmpty)
            // Switching back to a drifted installed version from its package unpacks it again.
            _ = try store.install(packageAt: try f.package("ema", "2.0.0"), allow: [])
            try "tampered again".write(toFile: dir + "/docs/README.md", atomically: false, encoding: .utf8)
            #expect(try store.install(packageAt: path, allow: []).map(\.operation) == ["downgrade"])
            #expect(try store.verify().drift.isEmpty)
        }
    }

    @Test("recovery removes staging leftovers and store directories no committed state references")
    func recovery() throws {
        let f = try StoreFixture()
        try f.trustKey()
        try FileManager.default.createDirectory(atPath: f.home.stagingDirectory + "/ema-1.0.0-999", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: f.home.versionDirectory("ghost", "1.0.0") + "/lib", withIntermediateDirectories: true)
        try f.withStore { store in
            #expect(store.recoveryNotes.contains { $0.contains("ghost 1.0.0") })
            #expect(DurableFilesProbe.entries(store.home.stagingDirectory).isEmpty)
            #expect(DurableFilesProbe.entries(store.home.storeDirectory).isEmpty)
        }
    }

    @Test("a live lock makes others wait, then fail naming the owner")
    func lock() throws {
        let f = try StoreFixture()
        let held = try PluginStore(home: f.home, lockTimeout: 1)
        do {
            _ = try PluginStore(home: f.home, lockTimeout: 0.2)
            Issue.record("expected store-locked")
        } catch let error as BourseError {
            #expect(error.code == .storeLocked)
            #expect(error.message.contains("pid \(getpid())"), "\(error.message)")
        }
        held.close()
        let next = try PluginStore(home: f.home, lockTimeout: 0.2)
        #expect(next.recoveryNotes.isEmpty, "a cleanly released lock is not reported as broken")
        next.close()
    }
}
