#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseStore
import BourseTestSupport
import Foundation

/// A temporary `$BOURSE_HOME`, a fresh signing key (never committed: made per test) and packages made on demand.
final class StoreFixture {
    let directory = TemporaryDirectory(prefix: "bourse-store-test")
    let key = SigningKeyFile()
    var home: StoreHome { StoreHome(root: directory.file("home")) }
    var publicKeyFile: String { directory.file("test.pub") }

    init() throws {
        try key.publicKey.fileText.write(toFile: publicKeyFile, atomically: true, encoding: .utf8)
    }

    /// Writes (once) and returns the path of package NAME-VERSION.
    @discardableResult
    func package(_ name: String, _ version: String, dependencies: [String: String] = [:], permissions: [String] = [],
                 librarySize: Int = 4096, key: SigningKeyFile? = nil) throws -> String {
        let path = directory.file("packages/\(name)-\(version).bpkg")
        try FileManager.default.createDirectory(atPath: directory.file("packages"), withIntermediateDirectories: true)
        try SyntheticPackages.write(name: name, version: version, librarySize: librarySize, dependencies: dependencies,
                                    permissions: permissions, extraFiles: ["docs/README.md": "# \(name) \(version)\n"],
                                    key: key ?? self.key, to: path)
        return path
    }

    /// Opens the store, runs `body`, closes it.
    func withStore<T>(_ body: (PluginStore) throws -> T) throws -> T {
        let store = try PluginStore(home: home, lockTimeout: 5)
        defer { store.close() }
        return try body(store)
    }

    /// Opens the store and trusts the test key.
    func trustKey() throws {
        try withStore { _ = try $0.trustKey(fileAt: publicKeyFile) }
    }

    /// Runs the built `bourse` with `--home` appended.
    func bourse(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in extra { environment[k] = v }
        return try runProcess(TestPaths.bourseExecutable, arguments + ["--home", home.root], environment: environment)
    }

    /// Everything observable about the store: active versions, installed versions, revisions, pins, approvals,
    /// every file under store/ with its size and FNV-1a 64 hash (enough to tell files apart; not a security check),
    /// and what is left in staging.
    func snapshot() throws -> String {
        var lines: [String] = []
        try withStore { store in
            for s in try store.status() {
                lines.append("plugin \(s.name) active=\(s.active ?? "-") pinned=\(s.pinned ?? "-") installed=\(s.installed) approved=\(s.approvedPermissions)")
            }
            for r in try store.state.revisions() {
                lines.append("revision \(r.number) \(r.name) \(r.operation) \(r.from ?? "-")→\(r.to ?? "-") \(r.note)")
            }
        }
        let storeDir = home.storeDirectory
        if let walker = FileManager.default.enumerator(atPath: storeDir) {
            var files: [String] = []
            while let relative = walker.nextObject() as? String { files.append(relative) }
            for relative in files.sorted() {
                var info = stat()
                lstat(storeDir + "/" + relative, &info)
                if (info.st_mode & S_IFMT) == S_IFDIR { lines.append("dir \(relative)"); continue }
                let data = FileManager.default.contents(atPath: storeDir + "/" + relative) ?? Data()
                lines.append("file \(relative) \(data.count) \(data.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })")
            }
        }
        lines.append("staging \(DurableFilesProbe.entries(home.stagingDirectory))")
        return lines.joined(separator: "\n")
    }
}

extension StoreFixture {
    /// Every row of every table of the state database (rowid order), one line per row: with ``snapshot()``,
    /// everything a refused operation could have changed, timestamps included.
    func databaseDump() throws -> String {
        try withStore { store in
            var lines: [String] = []
            for table in try store.state.database.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap({ $0.text(0) }) {
                lines.append("table \(table)")
                for row in try store.state.database.query("SELECT * FROM \"\(table)\" ORDER BY rowid") {
                    lines.append("  \(row.values)")
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// Directory listing for snapshots.
enum DurableFilesProbe {
    static func entries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }
}
