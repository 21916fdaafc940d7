#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseRegistry
import BourseStore
import BourseTestSupport
import Foundation
import Testing

@Suite("Installing from a registry", .serialized)
struct RegistryInstallTests {
    @Test("install NAME@RANGE picks the highest non-yanked version and pulls dependencies; upgrade follows new versions")
    func installByName() throws {
        let f = try StoreFixture()
        let registry = f.directory.file("registry")
        let publisher = RegistryPublisher(directory: registry, key: f.key)
        _ = try publisher.initialize(name: "test")
        func publish(_ name: String, _ version: String, _ deps: [String: String] = [:]) throws {
            let path = try f.package(name, version, dependencies: deps)
            _ = try publisher.publish(archivePath: path, trustedKeys: [f.key.publicKey])
        }
        for v in ["1.0.0", "1.1.0", "1.2.0"] { try publish("ema", v) }
        _ = try publisher.yank("ema", version: SemanticVersion("1.2.0")!)
        try publish("codec-json", "2.0.0")
        try publish("codec-json", "3.0.0")
        try publish("rsi", "1.0.0", ["codec-json": "^2"])

        var r = try f.bourse(["registry", "add", "test", registry, "--root", registry + "/root.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)

        r = try f.bourse(["install", "ema@^1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ema: install none → 1.1.0"), "yanked 1.2.0 is never chosen: \(r.stdout)")
        r = try f.bourse(["install", "ema@~1.2"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("install needs ema@~1.2; but every matching version of ema is yanked (1.2.0)"), "\(r.stderr)")
        r = try f.bourse(["install", "ema@=1.2.0", "--json"])
        #expect(r.status == 0, "an exact version reaches a yanked one: \(r.stderr)")
        #expect(r.stderr.contains("warning: ema 1.2.0 is yanked from its registry"), "\(r.stderr)")
        let changes = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
        #expect(changes.first?["to"] as? String == "1.2.0" && (changes.first?["warning"] as? String)?.contains("yanked") == true, "\(r.stdout)")
        r = try f.bourse(["upgrade", "ema"])
        #expect(r.stdout.contains("already at the highest"), "the active yanked version stays: \(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema", "--to", "1.1.0"])
        #expect(r.status == 0 && r.stdout.contains("ema: downgrade 1.2.0 → 1.1.0"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema"])
        #expect(r.stdout.contains("already at the highest"), "installed but yanked: a range does not move onto it: \(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema", "--to", "1.2.0"])
        #expect(r.status == 0 && r.stderr.contains("warning: ema 1.2.0 is yanked"), "an exact version does, with a warning: \(r.stderr)")
        #expect(try f.bourse(["upgrade", "ema", "--to", "1.1.0"]).status == 0)
        r = try f.bourse(["install", "rsi@^1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("codec-json: install none → 2.0.0"), "\(r.stdout)")
        #expect(r.stdout.contains("rsi: install none → 1.0.0"), "\(r.stdout)")
        r = try f.bourse(["install", "rsi@^2"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("install needs rsi@^2; but no version of rsi matches ^2 (available: 1.0.0)"), "\(r.stderr)")
        r = try f.bourse(["upgrade", "codec-json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("installed rsi 1.0.0 needs codec-json@^2"), "\(r.stderr)")

        r = try f.bourse(["upgrade", "ema"])
        #expect(r.stdout.contains("already at the highest"), "\(r.stdout) \(r.stderr)")
        try publish("ema", "1.3.0")
        r = try f.bourse(["upgrade"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ema: upgrade 1.1.0 → 1.3.0"), "\(r.stdout)")
        #expect(try f.bourse(["verify"]).status == 0)
    }
    @Test("older signed metadata is refused after a newer one was seen, across runs (versions recorded in SQLite)")
    func metadataRollbackRefused() throws {
        let f = try StoreFixture()
        let registry = f.directory.file("registry"), saved = f.directory.file("registry-old")
        let publisher = RegistryPublisher(directory: registry, key: f.key)
        _ = try publisher.initialize(name: "test")
        _ = try publisher.publish(archivePath: try f.package("ema", "1.0.0"), trustedKeys: [f.key.publicKey])
        #expect(try f.bourse(["registry", "add", "test", registry, "--root", registry + "/root.json"]).status == 0)
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        var r = try f.bourse(["search", "ema"])
        #expect(r.status == 0 && r.stdout.contains("1.0.0"), "\(r.stdout) \(r.stderr)")
        // The registry as it is now (validly signed), kept to be served again later.
        try FileManager.default.copyItem(atPath: registry, toPath: saved)

        _ = try publisher.publish(archivePath: try f.package("ema", "1.1.0"), trustedKeys: [f.key.publicKey])
        r = try f.bourse(["search", "ema"])
        #expect(r.status == 0 && r.stdout.contains("1.1.0"), "this run records the newer timestamp and snapshot: \(r.stdout) \(r.stderr)")
        let recorded = try f.withStore { try $0.state.highestMetadataVersion(registry: "test", role: .timestamp) }

        // An attacker (or a stale mirror) serves the older metadata again, hiding 1.1.0.
        let metadata = [RegistryLayout.timestampFile, RegistryLayout.snapshotFile]
        for file in metadata {
            try FileManager.default.moveItem(atPath: registry + "/" + file, toPath: f.directory.file("current-" + file))
            try FileManager.default.copyItem(atPath: saved + "/" + file, toPath: registry + "/" + file)
        }
        r = try f.bourse(["install", "ema@^1", "--json"])
        #expect(r.status == 1)
        let error = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "metadata-rollback", "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("rollback"), "\(r.stderr)")
        r = try f.bourse(["list"])
        #expect(r.stdout.contains("no plugins installed"), "nothing was installed from the old metadata: \(r.stdout)")
        #expect(try f.withStore { try $0.state.highestMetadataVersion(registry: "test", role: .timestamp) } == recorded,
                "the recorded version is never lowered")

        // The current metadata back, and a newer version published over it: accepted.
        for file in metadata {
            try FileManager.default.removeItem(atPath: registry + "/" + file)
            try FileManager.default.moveItem(atPath: f.directory.file("current-" + file), toPath: registry + "/" + file)
        }
        _ = try publisher.publish(archivePath: try f.package("ema", "1.2.0"), trustedKeys: [f.key.publicKey])
        r = try f.bourse(["install", "ema@^1"])
        #expect(r.status == 0 && r.stdout.contains("ema: install none → 1.2.0"), "\(r.stdout) \(r.stderr)")
    }
}
