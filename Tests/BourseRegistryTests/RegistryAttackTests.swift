import BourseCore
import BoursePackage
@testable import BourseRegistry
import BourseTestSupport
import Foundation
import Testing

/// The attacks TUF-style metadata exists to stop: each must be refused with its own code.
@Suite struct RegistryAttackTests {
    @Test func rollbackToOlderMetadataIsRefusedEvenAfterARestart() throws {
        let fixture = try RegistryFixture()
        let oldTimestamp = try fixture.read("timestamp.json")
        let oldSnapshot = try fixture.read("snapshot.json")
        let oldIndex = try fixture.read("3/e/ema")
        // ema 1.2.0 fixes a vulnerability; the client sees it.
        try fixture.publish("ema", "1.2.0")
        let statePath = fixture.temporary.file("home/registries.json")
        let registry = try fixture.client(state: FileRegistryStateStore(path: statePath)).refresh()
        #expect(try registry.resolve(try PluginRequirement(parsing: "ema@^1")).vers == "1.2.0")

        // A mirror (or attacker) serves the older, validly signed, unexpired metadata.
        try fixture.write("timestamp.json", oldTimestamp)
        try fixture.write("snapshot.json", oldSnapshot)
        try fixture.write("3/e/ema", oldIndex)
        let state = FileRegistryStateStore(path: statePath)   // a new process: state from disk
        let client = try RegistryClient(record: try state.registry(named: "test"), state: state, now: { fixtureNow.addingTimeInterval(60) })
        let error = #expect(throws: BourseError.self) { try client.refresh() }
        #expect(error?.code == .metadataRollback)
        #expect(error?.message.contains("timestamp metadata version") == true)
        #expect(error?.message.contains("older than version") == true)

        // A fresh client with no memory would have accepted it: the refusal comes from the recorded version.
        #expect(try fixture.client().refresh().timestamp.version == 2 + 3)
    }

    @Test func expiredMetadataIsRefusedAsAFreeze() throws {
        let fixture = try RegistryFixture()
        #expect(throws: Never.self) { try fixture.client(offset: 23 * 3600).refresh() }
        let error = #expect(throws: BourseError.self) { try fixture.client(offset: 25 * 3600).refresh() }
        #expect(error?.code == .metadataExpired)
        #expect(error?.message.contains("timestamp metadata") == true)
        #expect(error?.message.contains("expired at") == true)
        // Re-signing (what a live registry does daily) ends the freeze.
        fixture.publisher.now = { fixtureNow.addingTimeInterval(24 * 3600) }
        try fixture.publisher.refresh()
        #expect(throws: Never.self) { try fixture.client(offset: 25 * 3600).refresh() }
        // The root expires too (a year by default).
        fixture.publisher.now = { fixtureNow.addingTimeInterval(400 * 86_400) }
        try fixture.publisher.refresh()
        let rootError = #expect(throws: BourseError.self) { try fixture.client(offset: 400 * 86_400).refresh() }
        #expect(rootError?.code == .metadataExpired)
        #expect(rootError?.message.contains("root metadata") == true)
    }

    @Test func tamperedArchiveIsRefusedByItsChecksum() throws {
        let fixture = try RegistryFixture()
        var bytes = try fixture.read("archives/ema/ema-1.1.0.bpkg")
        bytes[0] ^= 0x01
        try fixture.write("archives/ema/ema-1.1.0.bpkg", bytes)
        let registry = try fixture.client().refresh()
        let entry = try registry.resolve(try PluginRequirement(parsing: "ema@^1"))
        let error = #expect(throws: BourseError.self) { try registry.archive(for: entry) }
        #expect(error?.code == .registryTampered)
        #expect(error?.message.contains("tampered archive") == true)
        let target = fixture.temporary.file("ema.bpkg")
        #expect(throws: BourseError.self) { try registry.downloadArchive(for: entry, to: target) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func tamperedIndexFileIsRefusedByTheSnapshotHash() throws {
        let fixture = try RegistryFixture()
        // Point ema 2.0.0's line at a different archive and checksum (same length does not help).
        let original = String(decoding: try fixture.read("3/e/ema"), as: UTF8.self)
        let evilArchive = Data("evil archive\n".utf8)
        try fixture.write("archives/ema/evil.bpkg", evilArchive)
        var lines = original.split(separator: "\n").map(String.init)
        var entry = try JSONDecoder().decode(RegistryIndexEntry.self, from: Data(lines[2].utf8))
        entry.cksum = sha256Hex(evilArchive)
        entry.dl = "archives/ema/evil.bpkg"
        lines[2] = try entry.jsonLine()
        try fixture.write("3/e/ema", Data((lines.joined(separator: "\n") + "\n").utf8))

        let registry = try fixture.client().refresh()
        let error = #expect(throws: BourseError.self) { try registry.resolve(try PluginRequirement(parsing: "ema")) }
        #expect(error?.code == .registryTampered)
        #expect(error?.message.contains("3/e/ema") == true)
        #expect(error?.message.contains("tampered index") == true)
        // Other plugins' files are unaffected.
        #expect(try registry.resolve(try PluginRequirement(parsing: "rsi")).vers == "1.0.0")

        // A tampered snapshot is caught by the timestamp's hash of it.
        var snapshot = try fixture.read("snapshot.json")
        snapshot[snapshot.count - 2] = UInt8(ascii: " ")
        try fixture.write("snapshot.json", snapshot)
        let snapshotError = #expect(throws: BourseError.self) { try fixture.client().refresh() }
        #expect(snapshotError?.code == .registryTampered)
        #expect(snapshotError?.message.contains("snapshot.json") == true)
    }

    @Test func metadataSignedByAnUntrustedKeyIsRefused() throws {
        let fixture = try RegistryFixture()
        let attackerKey = SigningKeyFile()
        // The attacker re-signs a timestamp with their own key (same content, new version).
        let timestamp = try SignedMetadata<TimestampMetadata>.parse(try fixture.read("timestamp.json"), source: "t")
        var forged = timestamp.signed
        forged.version += 1
        try fixture.write("timestamp.json", try MetadataVerification.sign(forged, with: [attackerKey]).encoded())
        let error = #expect(throws: BourseError.self) { try fixture.client().refresh() }
        #expect(error?.code == .metadataUntrusted)
        #expect(error?.message.contains("signed by key \(attackerKey.keyID)") == true)
        #expect(error?.message.contains(fixture.key.keyID) == true)

        // A signature by the right key id over different content is refused as tampered.
        var altered = timestamp
        altered.signed.version += 7
        try fixture.write("timestamp.json", try altered.encoded())
        let tampered = #expect(throws: BourseError.self) { try fixture.client().refresh() }
        #expect(tampered?.code == .metadataUntrusted)
        #expect(tampered?.message.contains("does not match the content") == true)
    }

    @Test func aWholeRegistryReplacedByAnAttackerIsRefused() throws {
        let fixture = try RegistryFixture()
        let record = try fixture.record()
        // The attacker controls the location and builds a complete, self-consistent registry with their key.
        let impostor = try RegistryFixture()
        let state = InMemoryRegistryStateStore()
        try state.saveRegistry(RegistryRecord(name: "test", location: impostor.directory, trustedRoot: record.trustedRoot))
        let client = try RegistryClient(registryNamed: "test", state: state, now: { fixtureNow.addingTimeInterval(60) })
        let error = #expect(throws: BourseError.self) { try client.refresh() }
        #expect(error?.code == .metadataUntrusted)
        #expect(error?.message.contains("root.json") == true)
    }

    @Test func aRootRotationSignedByTheOldKeyIsAdoptedAndPersisted() throws {
        let fixture = try RegistryFixture()
        let newKey = SigningKeyFile()
        var root = fixture.root.signed
        root.version = 2
        root.keys = [newKey.keyID: MetadataKey(public: Data(newKey.publicKey.rawRepresentation).base64EncodedString())]
        root.roles = Dictionary(uniqueKeysWithValues: MetadataRole.allCases.map { ($0.rawValue, RoleKeys(keyids: [newKey.keyID])) })
        try fixture.write("root.json", try MetadataVerification.sign(root, with: [fixture.key, newKey]).encoded())
        var publisher = RegistryPublisher(directory: fixture.directory, key: newKey)
        publisher.now = { fixtureNow }
        try publisher.refresh()

        let state = InMemoryRegistryStateStore()
        #expect(try fixture.client(state: state).refresh().root.version == 2)
        let stored = try SignedMetadata<RootMetadata>.parse(try state.registry(named: "test").trustedRoot, source: "stored")
        #expect(stored.signed.version == 2)
        // The old key can no longer sign for this registry.
        #expect(throws: BourseError.self) { try fixture.publisher.refresh() }

        // A rotation signed only by the new key is refused.
        let other = try RegistryFixture()
        var hijack = other.root.signed
        hijack.version = 2
        hijack.keys = root.keys
        hijack.roles = root.roles
        try other.write("root.json", try MetadataVerification.sign(hijack, with: [newKey]).encoded())
        let error = #expect(throws: BourseError.self) { try other.client().refresh() }
        #expect(error?.code == .metadataUntrusted)
    }

    @Test func oversizedFilesAreNotReadPastTheirVouchedLength() throws {
        let fixture = try RegistryFixture()
        var index = try fixture.read("3/e/ema")
        index.append(Data(repeating: 0x20, count: 1 << 16))
        try fixture.write("3/e/ema", index)
        let registry = try fixture.client().refresh()
        let error = #expect(throws: BourseError.self) { try registry.indexFile(for: "ema") }
        #expect(error?.code == .registryTampered)
    }

    @Test func endlessDataOverHTTPIsCutAtTheLimit() throws {
        let fixture = try RegistryFixture()
        let server = try RegistryHTTPServer(directory: fixture.directory)
        server.start()
        defer { server.stop() }
        var index = try fixture.read("3/e/ema")
        index.append(Data(repeating: 0x20, count: 1 << 16))
        try fixture.write("3/e/ema", index)
        let registry = try fixture.client(location: server.baseURL).refresh()
        let error = #expect(throws: BourseError.self) { try registry.indexFile(for: "ema") }
        #expect(error?.code == .registryTampered)
        #expect(error?.message.contains("download stopped") == true)

        // An oversized timestamp.json (its length is vouched by nothing) is cut at 1 MiB.
        try fixture.write("timestamp.json", Data(repeating: 0x20, count: (1 << 20) + 1))
        let timestampError = #expect(throws: BourseError.self) { try fixture.client(location: server.baseURL).refresh() }
        #expect(timestampError?.code == .registryTampered)
    }
}
