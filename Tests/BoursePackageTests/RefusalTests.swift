import BourseCore
import BoursePackage
import BourseTestSupport
import Foundation
import Testing

/// One crafted archive per refusal rule (docs/package-format.md, "Refusals").
@Suite("hostile archives are refused")
struct RefusalTests {
    let directory = TemporaryDirectory(prefix: "bourse-pkg-refusal")
    typealias Fixture = PackageFixture

    /// A good package's entries plus `extra`.
    func withExtra(_ extra: RawArchiveEntry, _ name: String) throws -> String {
        try Fixture.write(try Fixture.entries() + [extra], name, in: directory)
    }

    @Test func absolutePath() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "/etc/cron.d/evil", contents: [1]), "abs.bpkg"),
                      rule: .absolutePath, entry: "/etc/cron.d/evil")
    }

    @Test func parentPath() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/../../evil", contents: [1]), "dotdot.bpkg"),
                      rule: .parentPath, entry: "docs/../../evil")
    }

    @Test func controlCharacterOrBackslashInPath() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs\\..\\evil", contents: [1]), "backslash.bpkg"),
                      rule: .badPath, entry: "docs\\..\\evil")
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/a\u{1B}[2Jb", contents: [1]), "escape.bpkg"),
                      rule: .badPath, entry: "docs/a")
    }

    @Test func malformedChecksums() throws {
        var entries = try Fixture.entries(key: nil)
        let index = entries.firstIndex { $0.path == "checksums" }!
        entries[index].contents += Array("not-a-digest lib/x.so\n".utf8)
        let checksums = entries[index].contents
        let manifest = entries.first { $0.path == "manifest.json" }!.contents
        let signature = try PackageSignature.sign(manifest: manifest, checksums: checksums, key: Fixture.key)
        entries.insert(RawArchiveEntry(path: "signature", contents: signature.encoded), at: index + 1)
        expectRefusal(try Fixture.write(entries, "badsums.bpkg", in: directory), rule: .malformedChecksums, entry: "checksums:4")
    }

    @Test func symbolicLink() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/passwd", kind: .symbolicLink("/etc/passwd")), "symlink.bpkg"),
                      rule: .symlink, entry: "docs/passwd")
    }

    @Test func hardLink() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/copy", kind: .hardLink("docs/README.md")), "hardlink.bpkg"),
                      rule: .hardLink, entry: "docs/copy")
    }

    @Test func characterDevice() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/null", kind: .characterDevice), "chr.bpkg"),
                      rule: .deviceFile, entry: "docs/null")
    }

    @Test func blockDevice() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/sda", kind: .blockDevice), "blk.bpkg"),
                      rule: .deviceFile, entry: "docs/sda")
    }

    @Test func fifo() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/pipe", kind: .fifo), "fifo.bpkg"),
                      rule: .fifo, entry: "docs/pipe")
    }

    @Test func setuidBit() throws {
        var entries = try Fixture.entries()
        let index = entries.firstIndex { $0.path == Fixture.libraryPath }!
        entries[index].mode = 0o4755
        expectRefusal(try Fixture.write(entries, "setuid.bpkg", in: directory), rule: .setuidBit, entry: Fixture.libraryPath)
    }

    @Test func setgidBitOnDirectory() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "examples", kind: .directory, mode: 0o2755), "setgid.bpkg"),
                      rule: .setuidBit, entry: "examples")
    }

    @Test func duplicateEntry() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/README.md", contents: Array("# other\n".utf8)), "dup.bpkg"),
                      rule: .duplicateEntry, entry: "docs/README.md")
    }

    @Test func duplicateAfterCaseFolding() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "DOCS/readme.MD", contents: [1]), "dupcase.bpkg"),
                      rule: .duplicateEntry, entry: "DOCS/readme.MD")
    }

    @Test func duplicateAfterUnicodeNormalisation() throws {
        let composed = "docs/caf\u{E9}.md"  // é as one scalar (NFC)
        let decomposed = "docs/cafe\u{301}.md"  // e + combining acute (NFD)
        let entries = try Fixture.entries(files: Fixture.files() + [PackageFileContent(path: composed, contents: [1])])
            + [RawArchiveEntry(path: decomposed, contents: [2])]
        expectRefusal(try Fixture.write(entries, "dupnfc.bpkg", in: directory), rule: .duplicateEntry, entry: decomposed)
    }

    @Test func fileUsedAsDirectory() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/README.md/inner", contents: [1]), "conflict.bpkg"),
                      rule: .pathConflict, entry: "docs/README.md/inner")
    }

    @Test func entryOverLimit() throws {
        let big = PackageFileContent(path: "examples/big.csv", contents: [UInt8](repeating: 7, count: 300_000))
        let path = try Fixture.write(try Fixture.entries(files: Fixture.files() + [big]), "bigentry.bpkg", in: directory)
        var limits = ArchiveLimits.default
        limits.maxEntryBytes = 100_000
        expectRefusal(path, rule: .entryTooLarge, entry: "examples/big.csv", limits: limits)
    }

    @Test func totalOverLimit() throws {
        let parts = (0..<5).map { PackageFileContent(path: "examples/part\($0).csv", contents: [UInt8](repeating: 7, count: 60_000)) }
        let path = try Fixture.write(try Fixture.entries(files: Fixture.files() + parts), "bigtotal.bpkg", in: directory)
        var limits = ArchiveLimits.default
        limits.maxEntryBytes = 100_000
        limits.maxTotalBytes = 200_000
        expectRefusal(path, rule: .totalTooLarge, entry: "examples/part3.csv", limits: limits)
    }

    @Test func decompressionBomb() throws {
        // 64 MiB of zeros compresses to about 64 KiB; reading stops at the 1 MiB limit.
        let bomb = PackageFileContent(path: "examples/zeros", contents: [UInt8](repeating: 0, count: 64 << 20))
        let path = try Fixture.write(try Fixture.entries(files: Fixture.files() + [bomb]), "bomb.bpkg", in: directory)
        let compressedSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(compressedSize < 1 << 20)
        var limits = ArchiveLimits.default
        limits.maxUncompressedBytes = 1 << 20
        expectRefusal(path, rule: .uncompressedTooLarge, entry: "(whole archive)", limits: limits)
    }

    @Test func tooManyEntries() throws {
        let many = (0..<20).map { PackageFileContent(path: "examples/\($0).txt", contents: [UInt8($0)]) }
        let path = try Fixture.write(try Fixture.entries(files: Fixture.files() + many), "many.bpkg", in: directory)
        var limits = ArchiveLimits.default
        limits.maxEntries = 10
        expectRefusal(path, rule: .tooManyEntries, entry: "(whole archive)", limits: limits)
    }

    @Test func truncatedGzip() throws {
        let bytes = try TarGzWriter.archive(try Fixture.entries())
        let path = try Fixture.write(bytes: Array(bytes.prefix(bytes.count * 2 / 3)), "truncated.bpkg", in: directory)
        expectRefusal(path, rule: .corruptGzip, entry: "(whole archive)")
    }

    @Test func corruptGzip() throws {
        var bytes = try TarGzWriter.archive(try Fixture.entries())
        for index in stride(from: bytes.count / 3, to: bytes.count / 3 + 40, by: 1) { bytes[index] ^= 0x5A }
        expectRefusal(try Fixture.write(bytes: bytes, "corrupt.bpkg", in: directory), rule: .corruptGzip, entry: "(whole archive)")
    }

    @Test func notGzip() throws {
        let plainTar = try TarGzWriter.archive(try Fixture.entries(), compress: false)
        expectRefusal(try Fixture.write(bytes: plainTar, "plain.tar", in: directory), rule: .notGzip, entry: "(whole archive)")
    }

    @Test func gzipButNotTar() throws {
        let text = Array(String(repeating: "this is not a tar archive\n", count: 100).utf8)
        expectRefusal(try Fixture.write(bytes: try TarGzWriter.gzip(text), "text.gz", in: directory), rule: .notTar, entry: "(whole archive)")
    }

    @Test func missingManifest() throws {
        let entries = try Fixture.entries().filter { $0.path != "manifest.json" }
        expectRefusal(try Fixture.write(entries, "nomanifest.bpkg", in: directory), rule: .missingManifest, entry: "manifest.json")
    }

    @Test func malformedManifestGivesLineAndColumn() throws {
        let text = "{\n  \"format\": 1,\n  \"name\": \"demo\"\n  \"version\": \"1.0.0\"\n}\n"  // missing comma, line 4
        let path = try Fixture.write(try Fixture.entries(manifestBytes: Array(text.utf8)), "badjson.bpkg", in: directory)
        expectRefusal(path, rule: .malformedManifest, entry: "manifest.json")
        #expect(throws: BourseError.self) { try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey]) }
        do {
            _ = try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey])
        } catch let error as BourseError {
            #expect(error.message.contains("manifest.json:4:3:"), "\(error.message)")
        }
    }

    @Test func unknownManifestFormat() throws {
        var json = Fixture.manifest().json
        if case .object(var members) = json {
            members[0] = ("format", .number(2))
            json = .object(members)
        }
        let path = try Fixture.write(try Fixture.entries(manifestBytes: Array(json.prettyText.utf8)), "format2.bpkg", in: directory)
        expectRefusal(path, rule: .unknownManifestFormat, entry: "manifest.json")
    }

    @Test func invalidManifestField() throws {
        let text = String(decoding: Fixture.manifest().encoded, as: UTF8.self).replacingOccurrences(of: "\"name\": \"demo\"", with: "\"name\": \"Demo_Plugin\"")
        let path = try Fixture.write(try Fixture.entries(manifestBytes: Array(text.utf8)), "badname.bpkg", in: directory)
        expectRefusal(path, rule: .invalidManifest, entry: "manifest.json")
    }

    @Test func missingChecksums() throws {
        let entries = try Fixture.entries().filter { $0.path != "checksums" }
        expectRefusal(try Fixture.write(entries, "nochecksums.bpkg", in: directory), rule: .missingChecksums, entry: "checksums")
    }

    @Test func checksumMismatch() throws {
        var entries = try Fixture.entries()
        let index = entries.firstIndex { $0.path == Fixture.libraryPath }!
        entries[index].contents[100] ^= 0xFF  // the signature still matches: only the file changed
        expectRefusal(try Fixture.write(entries, "tampered.bpkg", in: directory), rule: .checksumMismatch, entry: Fixture.libraryPath)
    }

    @Test func fileNotInChecksums() throws {
        expectRefusal(try withExtra(RawArchiveEntry(path: "docs/extra.md", contents: [1]), "unlisted.bpkg"),
                      rule: .unlistedFile, entry: "docs/extra.md")
    }

    @Test func listedFileMissing() throws {
        let entries = try Fixture.entries().filter { $0.path != "docs/README.md" }
        expectRefusal(try Fixture.write(entries, "listedmissing.bpkg", in: directory), rule: .missingFile, entry: "docs/README.md")
    }

    @Test func missingSignature() throws {
        let path = try Fixture.write(try Fixture.entries(key: nil), "unsigned.bpkg", in: directory)
        expectRefusal(path, rule: .missingSignature, entry: "signature")
    }

    @Test func badSignature() throws {
        // Signed, then the checksums file edited consistently with a changed file: only the signature catches it.
        var entries = try Fixture.entries()
        let library = entries.firstIndex { $0.path == Fixture.libraryPath }!
        entries[library].contents[100] ^= 0xFF
        let other = try Fixture.entries(files: [PackageFileContent(path: Fixture.libraryPath, contents: entries[library].contents, executable: true),
                                                Fixture.files()[1]], key: nil)
        let checksums = entries.firstIndex { $0.path == "checksums" }!
        entries[checksums].contents = other.first { $0.path == "checksums" }!.contents
        expectRefusal(try Fixture.write(entries, "badsig.bpkg", in: directory), rule: .badSignature, entry: "signature")
    }

    @Test func malformedSignatureFile() throws {
        var entries = try Fixture.entries()
        let index = entries.firstIndex { $0.path == "signature" }!
        entries[index].contents = Array("bourse-signature-v1\nkey-id: 00\n".utf8)
        expectRefusal(try Fixture.write(entries, "sigfile.bpkg", in: directory), rule: .badSignature, entry: "signature")
    }

    @Test func untrustedSigner() throws {
        let path = try Fixture.write(try Fixture.entries(key: Fixture.strangerKey), "stranger.bpkg", in: directory)
        expectRefusal(path, rule: .untrustedSigner, entry: "signature")
        expectRefusal(try Fixture.write(try Fixture.entries(), "notrust.bpkg", in: directory), rule: .untrustedSigner,
                      entry: "signature", trusted: [])
    }

    @Test func wrongELFMachine() throws {
        let other: UInt16 = HostPlatform.elfMachine == 62 ? 183 : 62
        let path = try Fixture.write(try Fixture.entries(files: Fixture.files(library: Fixture.library(machine: other))),
                                     "arm.bpkg", in: directory)
        expectRefusal(path, rule: .wrongArchitecture, entry: Fixture.libraryPath)
    }

    @Test func wrongTargetTriple() throws {
        let manifest = Fixture.manifest(target: "riscv64-unknown-linux-gnu")
        let path = try Fixture.write(try Fixture.entries(manifestBytes: manifest.encoded), "riscv.bpkg", in: directory)
        expectRefusal(path, rule: .wrongArchitecture, entry: "manifest.json")
    }

    @Test func unsupportedABIMajor() throws {
        let manifest = Fixture.manifest(abi: ABIVersion(major: ABIVersion.host.major + 1, minor: 0))
        let path = try Fixture.write(try Fixture.entries(manifestBytes: manifest.encoded), "abi.bpkg", in: directory)
        expectRefusal(path, rule: .unsupportedABI, entry: "manifest.json")
    }

    @Test func libraryMissing() throws {
        let path = try Fixture.write(try Fixture.entries(files: [Fixture.files()[1]]), "nolib.bpkg", in: directory)
        expectRefusal(path, rule: .missingLibrary, entry: Fixture.libraryPath)
    }

    @Test func archiveOverSizeLimit() throws {
        let path = try Fixture.write(try Fixture.entries(), "large.bpkg", in: directory)
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = 512
        expectRefusal(path, rule: .archiveTooLarge, entry: "(whole archive)", limits: limits)
    }

    @Test func damagedSecondTarHeader() throws {
        // A good gzip stream around a tar whose second header has a wrong checksum.
        var tar = try TarGzWriter.archive(try Fixture.entries(), compress: false)
        let second = RawTar.secondHeaderOffset(tar)
        try #require(second + 512 < tar.count && tar[second] != 0)
        for index in second + 148 ..< second + 154 { tar[index] = UInt8(ascii: "1") }
        let path = try Fixture.write(bytes: try TarGzWriter.gzip(tar), "badheader.bpkg", in: directory)
        expectRefusal(path, rule: .corruptTar, entry: "(whole archive)")
        do {
            _ = try PackageArchive.read(at: path, trustedKeys: [Fixture.key.publicKey])
        } catch let error as BourseError {
            #expect(error.message.contains("bad tar header after '"), "\(error.message)")
        }
    }

    @Test func socketEntry() throws {
        // tar has no socket type and libarchive's writers refuse sockets, so the entry is a
        // hand-built header: a GNU multi-volume continuation ('M'), whose file type libarchive
        // takes from the mode field, here S_IFSOCK | 0644. The reader sees a socket.
        var tar = try TarGzWriter.archive(try Fixture.entries(), compress: false)
        try #require(tar.count > 1024 && tar.suffix(1024).allSatisfy { $0 == 0 })
        tar.removeLast(1024)  // the end-of-archive blocks
        tar += RawTar.header(path: "docs/control.sock", typeflag: "M", mode: 0o140644) + [UInt8](repeating: 0, count: 1024)
        let path = try Fixture.write(bytes: try TarGzWriter.gzip(tar), "socket.bpkg", in: directory)
        expectRefusal(path, rule: .specialFile, entry: "docs/control.sock")
    }

    @Test func notAnArchiveFile() throws {
        expectRefusal(directory.path, rule: .unreadable, entry: "(whole archive)")
    }
}
