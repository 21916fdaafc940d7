import BourseCore
import Crypto
import Foundation

/// One file of a verified package.
public struct PackageFile: Sendable, Equatable {
    /// Path inside the package (`lib/libbourse-rsi.so`).
    public var path: String
    /// Lower-case hex SHA-256 of the contents.
    public var sha256: String
    /// Size in bytes.
    public var size: Int
    /// Whether it is extracted with mode 0755 (else 0644).
    public var executable: Bool
}

/// Reading `.bpkg` archives, hostile by default: every rule of
/// ``PackageRule`` is checked in memory before anything is written anywhere.
public enum PackageArchive {
    /// The conventional file extension.
    public static let fileExtension = "bpkg"

    /// Reads and verifies the archive at `path`: structure, limits, checksums,
    /// signature by one of `trustedKeys`, manifest, architecture and ABI.
    /// Throws `BourseError(.packageRejected)` naming the archive, entry and rule.
    /// Nothing is written to disk.
    public static func read(at path: String, trustedKeys: [PublicKey], limits: ArchiveLimits = .default) throws -> VerifiedPackage {
        try load(at: path, limits: limits).verified(trustedKeys: trustedKeys)
    }

    /// Reads the archive with every check except the signature (which may be
    /// absent): what `bourse plugin sign` re-signs. Never trust the result.
    public static func readUnsigned(at path: String, limits: ArchiveLimits = .default) throws -> VerifiedPackage {
        try load(at: path, limits: limits).verified(trustedKeys: nil)
    }

    /// The key two entry paths are compared with for duplicates: Unicode NFC, then lower case.
    static func normalisedKey(_ path: String) -> String {
        path.precomposedStringWithCanonicalMapping.lowercased()
    }

    static func load(at path: String, limits: ArchiveLimits) throws -> ArchiveContents {
        let refuse = PackageRefusal(archive: path)
        let compressed: [UInt8]
        do {
            compressed = try FileIO.readRegularFile(path, limit: limits.maxArchiveBytes) { size in
                refuse(.archiveTooLarge, entry: PackageRefusal.wholeArchive, "the archive has \(size) bytes, over the limit of \(limits.maxArchiveBytes)")
            }
        } catch let error as BourseError where error.code != .packageRejected {
            throw BourseError(error.code == .fileNotFound ? .fileNotFound : .packageRejected,
                              "package \(path) refused: entry \(PackageRefusal.wholeArchive): \(error.message) [rule: \(PackageRule.unreadable.rawValue)]", input: path)
        }
        let reader = ArchiveStreamReader(refuse: refuse, limits: limits)
        let tar = try reader.gunzip(compressed)
        let records = try reader.entries(ofTar: tar)
        return ArchiveContents(path: path, refuse: refuse, archiveSHA256: hex(SHA256.hash(data: compressed)), records: records)
    }
}

/// The entries of an archive that passed the structural rules.
struct ArchiveContents {
    let path: String
    let refuse: PackageRefusal
    let archiveSHA256: String
    let records: [ArchiveEntryRecord]

    /// The remaining checks. `trustedKeys == nil` skips the signature.
    func verified(trustedKeys: [PublicKey]?) throws -> VerifiedPackage {
        var files: [String: ArchiveEntryRecord] = [:]
        for record in records where !record.isDirectory { files[record.path] = record }
        guard let manifestBytes = files[PackageManifest.fileName]?.contents else {
            throw refuse(.missingManifest, entry: PackageManifest.fileName, "the package has no manifest.json at its top level")
        }
        guard let checksumsBytes = files[PackageChecksums.fileName]?.contents else {
            throw refuse(.missingChecksums, entry: PackageChecksums.fileName, "the package has no checksums file at its top level")
        }
        var signature: PackageSignature?
        if let trustedKeys {
            signature = try checkSignature(files[PackageSignature.fileName]?.contents, manifest: manifestBytes,
                                           checksums: checksumsBytes, trustedKeys: trustedKeys)
        }
        let checksums: PackageChecksums
        switch PackageChecksums.parse(checksumsBytes) {
        case .success(let parsed): checksums = parsed
        case .failure(let problem):
            throw refuse(.malformedChecksums, entry: "\(PackageChecksums.fileName):\(problem.line)", problem.reason)
        }
        var digests: [String: String] = [:]
        for record in records where !record.isDirectory { digests[record.path] = hex(SHA256.hash(data: record.contents)) }
        var listed: [PackageFile] = []
        for (path, record) in files.sorted(by: { $0.key < $1.key }) where path != PackageChecksums.fileName && path != PackageSignature.fileName {
            guard let expected = checksums.digests[path] else {
                throw refuse(.unlistedFile, entry: path, "the file is not listed in checksums")
            }
            let actual = digests[path]!
            guard actual == expected else {
                throw refuse(.checksumMismatch, entry: path, "SHA-256 is \(actual) but checksums says \(expected)")
            }
            listed.append(PackageFile(path: path, sha256: actual, size: record.contents.count, executable: record.mode & 0o111 != 0))
        }
        for path in [PackageChecksums.fileName, PackageSignature.fileName] where checksums.digests[path] != nil {
            throw refuse(.malformedChecksums, entry: PackageChecksums.fileName, "checksums cannot list '\(path)' (it is not covered by checksums)")
        }
        for path in checksums.digests.keys.sorted() where files[path] == nil {
            throw refuse(.missingFile, entry: path, "checksums lists the file but the package does not contain it")
        }
        let manifest = try checkManifest(manifestBytes)
        try checkPlatform(manifest, library: files[manifest.library])
        let allFiles = records.filter { !$0.isDirectory }.map { record in
            PackageFile(path: record.path, sha256: digests[record.path]!, size: record.contents.count,
                        executable: record.mode & 0o111 != 0)
        }
        return VerifiedPackage(archivePath: path, manifest: manifest, files: listed, archiveSHA256: archiveSHA256,
                               signerKeyID: signature?.keyID, allFiles: allFiles,
                               contents: files.mapValues(\.contents), directories: records.filter(\.isDirectory).map(\.path))
    }

    private func checkSignature(_ bytes: [UInt8]?, manifest: [UInt8], checksums: [UInt8], trustedKeys: [PublicKey]) throws -> PackageSignature {
        guard let bytes else {
            throw refuse(.missingSignature, entry: PackageSignature.fileName, "the package is not signed (sign it with `bourse plugin sign`)")
        }
        let signature: PackageSignature
        switch PackageSignature.parse(bytes) {
        case .success(let parsed): signature = parsed
        case .failure(let error): throw refuse(.badSignature, entry: PackageSignature.fileName, "malformed signature file: \(error.message)")
        }
        guard let key = trustedKeys.first(where: { $0.keyID == signature.keyID }) else {
            throw refuse(.untrustedSigner, entry: PackageSignature.fileName,
                         "signed by key \(signature.keyID), which is not trusted (trusted: \(trustedKeys.isEmpty ? "none" : trustedKeys.map(\.keyID).joined(separator: ", ")))")
        }
        guard key.isValidSignature(signature.signature, for: PackageSignature.signedMessage(manifest: manifest, checksums: checksums)) else {
            throw refuse(.badSignature, entry: PackageSignature.fileName,
                         "the signature by key \(signature.keyID) does not match manifest.json and checksums (tampered or re-packed)")
        }
        return signature
    }

    private func checkManifest(_ bytes: [UInt8]) throws -> PackageManifest {
        do {
            return try PackageManifest.parse(bytes, file: PackageManifest.fileName)
        } catch let error as BourseError {
            let rule: PackageRule = error.message.contains("invalid JSON") ? .malformedManifest
                : error.message.contains("unknown manifest format") ? .unknownManifestFormat : .invalidManifest
            throw refuse(rule, entry: PackageManifest.fileName, error.message)
        }
    }

    private func checkPlatform(_ manifest: PackageManifest, library: ArchiveEntryRecord?) throws {
        guard HostPlatform.accepts(triple: manifest.target) else {
            throw refuse(.wrongArchitecture, entry: PackageManifest.fileName,
                         "built for \(manifest.target); this host is \(HostPlatform.targetTriple)")
        }
        guard let library else {
            throw refuse(.missingLibrary, entry: manifest.library, "the manifest's library is not in the package")
        }
        let bytes = library.contents
        guard bytes.count >= 20, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw refuse(.wrongArchitecture, entry: manifest.library, "the library is not an ELF file")
        }
        let machine = UInt16(bytes[18]) | UInt16(bytes[19]) << 8
        guard bytes[4] == 2, bytes[5] == 1, machine == HostPlatform.elfMachine else {
            let what = bytes[4] != 2 ? "32-bit ELF" : bytes[5] != 1 ? "big-endian ELF" : ELFInspectorName.machine(machine)
            throw refuse(.wrongArchitecture, entry: manifest.library,
                         "the library is built for \(what); this host is \(ELFInspectorName.machine(HostPlatform.elfMachine))")
        }
        guard ABIVersion.host.accepts(plugin: manifest.abi) else {
            throw refuse(.unsupportedABI, entry: PackageManifest.fileName,
                         "the plugin needs ABI \(manifest.abi); this host supports \(ABIVersion.host.major).0-\(ABIVersion.host)")
        }
    }
}
