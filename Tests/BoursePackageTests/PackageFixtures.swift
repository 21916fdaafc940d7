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

/// Hand-built tar headers, for entries libarchive's writers refuse to write.
enum RawTar {
    /// One 512-byte ustar header (uid, gid and mtime zero) with its checksum.
    static func header(path: String, typeflag: Character, mode: UInt32, size: Int = 0) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(path, at: 0)
        put(octal(Int(mode), width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put(String(typeflag), at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        put("        ", at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// The offset of the second header of an uncompressed tar whose first entry has no extended header.
    static func secondHeaderOffset(_ tar: [UInt8]) -> Int {
        let sizeField = String(decoding: tar[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
        let size = Int(sizeField, radix: 8) ?? 0
        return 512 + (size + 511) / 512 * 512
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
