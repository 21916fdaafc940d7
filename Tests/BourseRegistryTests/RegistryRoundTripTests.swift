#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
@testable import BourseRegistry
import BourseTestSupport
import Foundation
import Testing

@Suite struct RegistryRoundTripTests {
    /// Publish → refresh → resolve → download, against a client of the given location.
    private func checkRoundTrip(_ fixture: RegistryFixture, location: String) throws {
        let registry = try fixture.client(location: location).refresh()
        #expect(registry.pluginNames == ["ema", "rsi"])
        #expect(registry.config.name == "fixture")
        let ema = try registry.resolve(try PluginRequirement(parsing: "ema@^1"))
        #expect(ema.vers == "1.1.0")
        #expect(ema.kind == "indicator" && ema.abi == ABIVersion.host.description && ema.permissions == ["threads"])
        #expect(try registry.archive(for: ema) == RegistryFixture.archiveBytes("ema", "1.1.0"))
        #expect(try registry.resolve(try PluginRequirement(parsing: "ema")).vers == "2.0.0")
        let rsi = try registry.resolve(try PluginRequirement(parsing: "rsi@1"))
        #expect(rsi.deps == [.init(name: "ema", req: "^1")])
        let downloaded = fixture.temporary.file("rsi.bpkg")
        try registry.downloadArchive(for: rsi, to: downloaded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: downloaded)) == RegistryFixture.archiveBytes("rsi", "1.0.0"))
        #expect(try registry.search("em").map(\.name) == ["ema"])
        #expect(try registry.search("").map(\.vers) == ["2.0.0", "1.0.0"])
        let missing = #expect(throws: BourseError.self) { try registry.indexFile(for: "macd") }
        #expect(missing?.code == .versionNotFound)
        let noMatch = #expect(throws: BourseError.self) { try registry.resolve(try PluginRequirement(parsing: "ema@^3")) }
        #expect(noMatch?.code == .versionNotFound)
        #expect(noMatch?.message.contains("1.0.0, 1.1.0, 2.0.0") == true)
    }

    @Test func publishAndFetchFromADirectory() throws {
        let fixture = try RegistryFixture()
        try checkRoundTrip(fixture, location: fixture.directory)
        #expect(FileManager.default.fileExists(atPath: fixture.path("3/e/ema")))
        #expect(FileManager.default.fileExists(atPath: fixture.path("archives/ema/ema-1.1.0.bpkg")))
        let lines = String(decoding: try fixture.read("3/e/ema"), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
    }

    @Test func publishAndFetchOverHTTP() throws {
        let fixture = try RegistryFixture()
        let server = try RegistryHTTPServer(directory: fixture.directory)
        server.start()
        defer { server.stop() }
        try checkRoundTrip(fixture, location: server.baseURL)
        #expect(try makeRegistrySource(location: server.baseURL) is HTTPRegistrySource)
        let missing = #expect(throws: BourseError.self) {
            try HTTPRegistrySource(baseURL: URL(string: server.baseURL)!).fetch("no/such/file", maxBytes: 100)
        }
        #expect(missing?.code == .registryFileMissing)
    }

    @Test func serverRefusesPathTraversalAndSymlinkEscapes() throws {
        let fixture = try RegistryFixture(publish: false)
        let outside = try fixture.temporary.write("secret.txt", "secret\n")
        symlink(outside, fixture.path("escape"))
        let server = try RegistryHTTPServer(directory: fixture.directory)
        server.start()
        defer { server.stop() }
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /root.json HTTP/1.1") == 200)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /../secret.txt HTTP/1.1") == 403)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /%2e%2e/secret.txt HTTP/1.1") == 403)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /3/..%2f..%2fsecret.txt HTTP/1.1") == 403)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /escape HTTP/1.1") == 403)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /nothing-here HTTP/1.1") == 404)
        #expect(rawHTTPStatus(port: server.port, requestLine: "GET /3 HTTP/1.1") == 404)
        #expect(rawHTTPStatus(port: server.port, requestLine: "POST /root.json HTTP/1.1") == 405)
        #expect(rawHTTPStatus(port: server.port, requestLine: "garbage") == 400)
    }

    @Test func publishingAVersionTwiceIsRefused() throws {
        let fixture = try RegistryFixture()
        let error = #expect(throws: BourseError.self) { try fixture.publish("ema", "1.0.0") }
        #expect(error?.code == .versionExists)
        let collision = #expect(throws: BourseError.self) { try fixture.publish("EMA_", "9.0.0") }
        #expect(collision?.code == .versionExists)
    }

    @Test func everyChangeBumpsSnapshotAndTimestampVersions() throws {
        let fixture = try RegistryFixture(publish: false)
        func versions() throws -> (Int, Int) {
            let snapshot = try SignedMetadata<SnapshotMetadata>.parse(try fixture.read("snapshot.json"), source: "s")
            let timestamp = try SignedMetadata<TimestampMetadata>.parse(try fixture.read("timestamp.json"), source: "t")
            return (snapshot.signed.version, timestamp.signed.version)
        }
        #expect(try versions() == (1, 1))
        try fixture.publish("ema", "1.0.0")
        #expect(try versions() == (2, 2))
        try fixture.publisher.yank("ema", version: SemanticVersion("1.0.0")!)
        #expect(try versions() == (3, 3))
        try fixture.publisher.refresh()
        #expect(try versions() == (4, 4))
        let again = #expect(throws: BourseError.self) { try fixture.publisher.initialize() }
        #expect(again?.code == .versionExists)
    }

    @Test func yankedVersionIsNotChosenByARangeButStaysReachableExactly() throws {
        let fixture = try RegistryFixture()
        let before = try RegistryIndexFile(parsing: try fixture.read("3/e/ema"), source: "ema")
        try fixture.publisher.yank("ema", version: SemanticVersion("1.1.0")!)
        let after = try RegistryIndexFile(parsing: try fixture.read("3/e/ema"), source: "ema")
        // Only the yanked flag of that one line changed.
        var expected = before
        expected.entries[1].yanked = true
        #expect(after == expected)

        let registry = try fixture.client().refresh()
        #expect(try registry.resolve(try PluginRequirement(parsing: "ema@^1")).vers == "1.0.0")
        #expect(throws: BourseError.self) { try registry.resolve(try PluginRequirement(parsing: "ema@~1.1")) }
        let exact = try registry.entry("ema", version: SemanticVersion("1.1.0")!)
        #expect(exact.yanked)
        #expect(try registry.archive(for: exact) == RegistryFixture.archiveBytes("ema", "1.1.0"))
        let error = #expect(throws: BourseError.self) { try registry.resolve(try PluginRequirement(parsing: "ema@=1.1.0")) }
        #expect(error?.code == .versionNotFound)
        #expect(error?.message.contains("1.1.0 (yanked)") == true)
    }

    @Test func fileStatePersistsAcrossInstances() throws {
        let temporary = TemporaryDirectory(prefix: "bourse-registry-state")
        let path = temporary.file("home/registries.json")
        let record = RegistryRecord(name: "local", location: "/x", trustedRoot: Data("{}".utf8))
        try FileRegistryStateStore(path: path).saveRegistry(record)
        try FileRegistryStateStore(path: path).recordMetadataVersion(5, registry: "local", role: .timestamp)
        try FileRegistryStateStore(path: path).recordMetadataVersion(3, registry: "local", role: .timestamp)
        let reopened = FileRegistryStateStore(path: path)
        #expect(try reopened.registries() == [record])
        #expect(try reopened.highestMetadataVersion(registry: "local", role: .timestamp) == 5)
        #expect(try reopened.removeRegistry(named: "local"))
        #expect(try !reopened.removeRegistry(named: "local"))
        #expect(try reopened.highestMetadataVersion(registry: "local", role: .timestamp) == nil)
        let unknown = #expect(throws: BourseError.self) { try reopened.registry(named: "local") }
        #expect(unknown?.code == .registryNotFound)
    }

    @Test func thePublisherNeverSignsAnIndexFileClientsWouldRefuse() throws {
        let fixture = try RegistryFixture()
        let snapshotBefore = try fixture.read("snapshot.json")
        var index = try fixture.read("3/e/ema")
        index.append(Data("{\"half a line\n".utf8))
        try fixture.write("3/e/ema", index)
        let error = #expect(throws: BourseError.self) { try fixture.publisher.refresh() }
        #expect(error?.code == .registryIndexInvalid)
        #expect(error?.message.contains("3/e/ema:4") == true)
        #expect(try fixture.read("snapshot.json") == snapshotBefore, "nothing re-signed")
    }
}
