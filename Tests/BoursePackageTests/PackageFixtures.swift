import BourseCore
import BoursePackage
import BourseTestSupport
import Foundation
import Testing

/// Keys, libraries and manifests the package tests craft archives from.
enum PackageFixture {
    /// The key every good fixture package is signed with (generated per test run).
    static let key = SigningKeyFile()
    /// Another key, never trusted.
    static let strangerKey = SigningKeyFile()

    /// A 64-byte ELF header for `machine` followed by some payload: enough for
    /// the package reader's architecture check (it never loads the library).
    static func library(machine: UInt16 = HostPlatform.elfMachine, payload: Int = 256) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = 2  // 64-bit
        bytes[5] = 1  // little-endian
        bytes[6] = 1
        bytes[16] = 3  // ET_DYN
        bytes[18] = UInt8(machine & 0xFF)
        bytes[19] = UInt8(machine >> 8)
        return bytes + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    }

    static let libraryPath = "lib/libbourse-demo.so"

    static func manifest(name: String = "demo", target: String = HostPlatform.targetTriple,
                         abi: ABIVersion = .host) -> PackageManifest {
        PackageManifest(name: name, version: SemanticVersion("1.2.3")!, kind: .indicator, summary: "A demo indicator",
                        abi: abi, target: target, toolchain: "swift-6.3.1", library: libraryPath,
                        dependencies: [PackageDependency(name: "codec-json", range: "^2.1")],
                        permissions: ["read-paths"], configSchema: .object([("type", .string("object"))]),
                        consumes: [MessageFlow(messageType: "bar")], produces: [MessageFlow(messageType: "values", topic: "ind.demo")],
                        licence: "MIT", authors: ["Ada <ada@example.com>"], homepage: "https://example.com/demo")
    }

    static func files(library: [UInt8] = library()) -> [PackageFileContent] {
        [PackageFileContent(path: libraryPath, contents: library, executable: true),
         PackageFileContent(path: "docs/README.md", contents: Array("# demo\n".utf8))]
    }

    /// The tar entries of a good package, for tests to edit.
    static func entries(manifestBytes: [UInt8] = manifest().encoded, files: [PackageFileContent] = files(),
                        key: SigningKeyFile? = key) throws -> [RawArchiveEntry] {
        try PackageWriter.entries(manifestBytes: manifestBytes, files: files, signingKey: key)
    }

    /// Writes `entries` as a .tar.gz named `name` in `directory`.
    static func write(_ entries: [RawArchiveEntry], _ name: String, in directory: TemporaryDirectory) throws -> String {
        try write(bytes: try TarGzWriter.archive(entries), name, in: directory)
    }

    /// Writes raw bytes as `name` in `directory`.
    static func write(bytes: [UInt8], _ name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Reads `path` and expects a `package-rejected` refusal whose message names
/// `entry` and `rule`.
func expectRefusal(_ path: String, rule: PackageRule, entry: String, trusted: [PublicKey] = [PackageFixture.key.publicKey],
                   limits: ArchiveLimits = .default, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        let package = try PackageArchive.read(at: path, trustedKeys: trusted, limits: limits)
        Issue.record("expected refusal [\(rule.rawValue)], but \(package.manifest.name) was accepted", sourceLocation: sourceLocation)
    } catch let error as BourseError {
        #expect(error.code == .packageRejected, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains("[rule: \(rule.rawValue)]"), "wrong rule: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains(entry), "entry '\(entry)' not named: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.message.contains(path), "archive not named: \(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected BourseError, got \(error)", sourceLocation: sourceLocation)
    }
}
