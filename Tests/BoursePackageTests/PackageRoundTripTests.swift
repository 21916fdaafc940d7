#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseTestSupport
import Foundation
import Testing

@Suite("packages round-trip")
struct PackageRoundTripTests {
    let directory = TemporaryDirectory(prefix: "bourse-pkg-roundtrip")
    typealias Fixture = PackageFixture

    @Test("write → read → extract gives the same bytes, modes and metadata")
    func roundTrip() throws {
        let path = directory.file("demo-1.2.3.bpkg")
        let digest = try PackageWriter.write(manifest: Fixture.manifest(), files: Fixture.files(), signingKey: Fixture.key, to: path)
        let package = try PackageArchive.read(at: path, trustedKeys: [Fixture.strangerKey.publicKey, Fixture.key.publicKey])
        #expect(package.manifest == Fixture.manifest())
        #expect(package.signerKeyID == Fixture.key.keyID)
        #expect(package.archiveSHA256 == digest)
        #expect(package.files.map(\.path) == ["docs/README.md", Fixture.libraryPath, "manifest.json"])
        let staging = directory.file("staging")
        try package.extract(into: staging)
        for file in Fixture.files() {
            let written = try Data(contentsOf: URL(fileURLWithPath: staging + "/" + file.path))
            #expect([UInt8](written) == file.contents, "\(file.path)")
            #expect(package.checksums[file.path] == file.sha256Hex)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: staging + "/" + Fixture.libraryPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o755)
        let readme = try FileManager.default.attributesOfItem(atPath: staging + "/docs/README.md")
        #expect((readme[.posixPermissions] as? Int) == 0o644)
        for metadata in ["manifest.json", "checksums", "signature"] {
            #expect(FileManager.default.fileExists(atPath: staging + "/" + metadata))
        }
        let reparsed = try PackageManifest.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/manifest.json"))))
        #expect(reparsed == Fixture.manifest())
    }

    @Test("a package re-made with GNU tar from an extracted one reads back (./ entries, directories)")
    func systemTarInterop() throws {
        let path = directory.file("original.bpkg")
        try PackageWriter.write(manifest: Fixture.manifest(), files: Fixture.files(), signingKey: Fixture.key, to: path)
        let staging = directory.file("tree")
        try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey]).extract(into: staging)
        let remade = directory.file("remade.bpkg")
        let tar = try runProcess("/usr/bin/tar", ["czf", remade, "-C", staging, "."])
        #expect(tar.status == 0, "\(tar.stderr)")
        let package = try PackageArchive.read(at: remade, trustedKeys: [Fixture.key.publicKey])
        #expect(package.manifest == Fixture.manifest())
        try package.extract(into: directory.file("tree2"))
        #expect(FileManager.default.contentsEqual(atPath: staging + "/" + Fixture.libraryPath, andPath: directory.file("tree2/" + Fixture.libraryPath)))
    }

    @Test("the same input gives the same archive bytes")
    func deterministic() throws {
        let first = try PackageWriter.archiveBytes(manifestBytes: Fixture.manifest().encoded, files: Fixture.files(), signingKey: Fixture.key)
        let second = try PackageWriter.archiveBytes(manifestBytes: Fixture.manifest().encoded, files: Fixture.files(), signingKey: Fixture.key)
        #expect(first == second)
    }

    @Test("extract refuses a non-empty staging directory")
    func extractNeedsEmptyDirectory() throws {
        let path = directory.file("p.bpkg")
        try PackageWriter.write(manifest: Fixture.manifest(), files: Fixture.files(), signingKey: Fixture.key, to: path)
        let package = try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey])
        try directory.write("busy/something", "x")
        #expect(throws: BourseError.self) { try package.extract(into: directory.file("busy")) }
    }

    @Test("sign adds a signature to an unsigned package and replaces an old one")
    func signing() throws {
        let path = directory.file("unsigned.bpkg")
        try PackageWriter.write(manifest: Fixture.manifest(), files: Fixture.files(), signingKey: nil, to: path)
        expectRefusal(path, rule: .missingSignature, entry: "signature")
        try PackageWriter.sign(packageAt: path, key: Fixture.key)
        #expect(try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey]).signerKeyID == Fixture.key.keyID)
        let resigned = directory.file("resigned.bpkg")
        try PackageWriter.sign(packageAt: path, key: Fixture.strangerKey, output: resigned)
        expectRefusal(resigned, rule: .untrustedSigner, entry: "signature")
        #expect(try PackageArchive.read(at: resigned, trustedKeys: [Fixture.strangerKey.publicKey]).signerKeyID == Fixture.strangerKey.keyID)
    }

    @Test("the writer refuses bad paths and a missing library")
    func writerChecks() throws {
        let bad = [PackageFileContent(path: "../x", contents: [1])] + Fixture.files()
        #expect(throws: BourseError.self) {
            try PackageWriter.write(manifest: Fixture.manifest(), files: bad, signingKey: nil, to: directory.file("bad.bpkg"))
        }
        #expect(throws: BourseError.self) {
            try PackageWriter.write(manifest: Fixture.manifest(), files: [Fixture.files()[1]], signingKey: nil, to: directory.file("nolib.bpkg"))
        }
    }
}

@Suite("signing keys")
struct SigningKeyTests {
    let directory = TemporaryDirectory(prefix: "bourse-pkg-keys")

    @Test("generate writes a 0600 private key and a .pub that load back; never overwrites")
    func generateAndLoad() throws {
        let path = directory.file("author.key")
        let key = try SigningKeyFile.generate(path: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let loaded = try SigningKeyFile.load(path: path)
        #expect(loaded.keyID == key.keyID)
        let publicKey = try PublicKey.load(path: path + ".pub")
        #expect(publicKey == key.publicKey)
        #expect(key.keyID.count == 16 && key.keyID.allSatisfy(\.isHexDigit))
        let message: [UInt8] = Array("hello".utf8)
        #expect(publicKey.isValidSignature(try loaded.signature(for: message), for: message))
        #expect(throws: BourseError.self) { try SigningKeyFile.generate(path: path) }
    }

    @Test("a private key readable by others is refused")
    func permissiveModeRefused() throws {
        let path = directory.file("loose.key")
        try SigningKeyFile.generate(path: path)
        chmod(path, 0o644)
        #expect(throws: BourseError.self) { try SigningKeyFile.load(path: path) }
    }

    @Test("malformed key files name the file and the problem")
    func malformed() throws {
        let key = SigningKeyFile()
        let cases = [
            "not a key\n",
            "bourse-public-key-v1\npublic: AAAA\n",
            "bourse-public-key-v1\nkey-id: 0000000000000000\npublic: \(key.publicKey.fileText.split(separator: " ").last!)",
        ]
        for text in cases {
            do {
                _ = try PublicKey(fileText: text, source: "x.pub")
                Issue.record("accepted \(text)")
            } catch let error as BourseError {
                #expect(error.code == .invalidKey)
                #expect(error.message.hasPrefix("x.pub:"), "\(error.message)")
            }
        }
    }
}

@Suite("manifests and names")
struct ManifestTests {
    @Test("plugin names: allowed characters, length, collisions")
    func names() {
        for good in ["rsi", "rsi-fast", "a1", String(repeating: "a", count: 64)] { #expect(PluginName.isValid(good), "\(good)") }
        for bad in ["", "RSI", "rsi_fast", "rsi fast", "-rsi", "rsi-", "1rsi", "rs--i", "résumé", String(repeating: "a", count: 65)] {
            #expect(!PluginName.isValid(bad), "\(bad)")
        }
        #expect(PluginName.collide("rsi-fast", "RSI_Fast"))
        #expect(PluginName.collide("rsifast", "rsi-fast"))
        #expect(!PluginName.collide("rsi", "rsi2"))
        #expect(PluginName.collisionKey("Codec-JSON_2") == "codecjson2")
    }

    @Test("manifest JSON round-trips and unknown keys are refused")
    func manifestRoundTrip() throws {
        let manifest = PackageFixture.manifest()
        #expect(try PackageManifest.parse(manifest.encoded) == manifest)
        let text = String(decoding: manifest.encoded, as: UTF8.self).replacingOccurrences(of: "\"format\": 1,", with: "\"format\": 1, \"colour\": 1,")
        #expect(throws: BourseError.self) { try PackageManifest.parse(Array(text.utf8)) }
    }

    @Test("JSON errors carry line and column")
    func positions() {
        let cases: [(String, String)] = [
            ("{\n  \"format\": 1,\n  \"name\": tru\n}", "m.json:3:14:"),
            ("{\"format\": 1, \"format\": 1}", "m.json:1:15:"),
            ("{\n\t\"a\": \"é\" ,,\n}", "m.json:2:12:"),
        ]
        for (text, prefix) in cases {
            do {
                _ = try PackageManifest.parse(Array(text.utf8), file: "m.json")
                Issue.record("accepted \(text)")
            } catch let error as BourseError {
                #expect(error.code == .invalidManifest)
                #expect(error.message.hasPrefix(prefix), "\(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("permissions are checked with the sandbox's parser")
    func permissions() throws {
        var manifest = PackageFixture.manifest()
        manifest.permissions = ["network", "write-paths:/out"]
        #expect(try PackageManifest.parse(manifest.encoded).permissions == ["network", "write-paths:/out"])
        manifest.permissions = ["root-access"]
        #expect(throws: BourseError.self) { try PackageManifest.parse(manifest.encoded) }
    }

    @Test("author metadata parses and applies to a manifest")
    func authorMetadata() throws {
        let text = #"{"licence": "Apache-2.0", "authors": ["Bo"], "dependencies": [{"name": "codec-json", "range": "^2"}], "docs": ["README.md"]}"#
        let metadata = try PackageAuthorMetadata.parse(Array(text.utf8), file: "bourse-package.json")
        var manifest = PackageFixture.manifest()
        metadata.apply(to: &manifest)
        #expect(manifest.licence == "Apache-2.0")
        #expect(manifest.dependencies == [PackageDependency(name: "codec-json", range: "^2")])
        #expect(metadata.docs == ["README.md"])
        #expect(throws: BourseError.self) { try PackageAuthorMetadata.parse(Array(#"{"licence": 3}"#.utf8), file: "b.json") }
    }
}

extension PackageFileContent {
    /// Hex SHA-256 of the contents, computed the way the checksums file is.
    var sha256Hex: String {
        let path = NSTemporaryDirectory() + "/sha-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try? runProcess("/usr/bin/sha256sum", [path])
        return String(result?.stdout.prefix(64) ?? "")
    }
}
