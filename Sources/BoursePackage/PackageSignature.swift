import BourseCore
import Crypto
import Foundation

/// The `checksums` file of a package: one line per file, `SHA256HEX  PATH`
/// (two spaces, as `sha256sum` prints), sorted by path, every file of the
/// package except `checksums` and `signature` themselves.
public struct PackageChecksums: Sendable, Equatable {
    /// The file name inside a package.
    public static let fileName = "checksums"
    /// Path → lower-case hex SHA-256.
    public var digests: [String: String]

    /// Creates the list from path → digest.
    public init(digests: [String: String]) {
        self.digests = digests
    }

    /// The file's bytes.
    public var encoded: [UInt8] {
        Array(digests.keys.sorted().map { "\(digests[$0]!)  \($0)\n" }.joined().utf8)
    }

    /// A malformed line: its 1-based number and why.
    struct LineProblem: Error {
        let line: Int
        let reason: String
    }

    /// Parses the file; on a malformed line returns its number and why.
    static func parse(_ bytes: [UInt8]) -> Result<PackageChecksums, LineProblem> {
        guard let text = String(validatingUTF8: bytes.map { CChar(bitPattern: $0) } + [0]) else {
            return .failure(LineProblem(line: 1, reason: "the file is not UTF-8 text"))
        }
        var digests: [String: String] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty { continue }
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, parts[0].count == 64,
                  parts[0].allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
                return .failure(LineProblem(line: index + 1, reason: "expected '<64 lower-case hex digits>  <path>'"))
            }
            let path = String(parts[2])
            guard digests[path] == nil else { return .failure(LineProblem(line: index + 1, reason: "'\(path)' is listed twice")) }
            digests[path] = String(parts[0])
        }
        return .success(PackageChecksums(digests: digests))
    }
}

/// The detached `signature` of a package: an Ed25519 signature over the
/// SHA-256 of `manifest.json` and of `checksums` (see ``signedMessage(manifest:checksums:)``).
///
/// File format (UTF-8 text):
/// ```
/// bourse-signature-v1
/// key-id: 1f2e3d4c5b6a7980
/// signature: <base64 of the 64-byte signature>
/// ```
public struct PackageSignature: Sendable, Equatable {
    /// The file name inside a package.
    public static let fileName = "signature"
    /// Id of the key that signed.
    public var keyID: String
    /// The 64 signature bytes.
    public var signature: [UInt8]

    /// The exact bytes that are signed:
    /// `bourse-package-signature-v1\nmanifest.json sha256 HEX\nchecksums sha256 HEX\n`.
    public static func signedMessage(manifest: [UInt8], checksums: [UInt8]) -> [UInt8] {
        Array(("bourse-package-signature-v1\n" +
               "manifest.json sha256 \(hex(SHA256.hash(data: manifest)))\n" +
               "checksums sha256 \(hex(SHA256.hash(data: checksums)))\n").utf8)
    }

    /// Signs a manifest and checksums file.
    public static func sign(manifest: [UInt8], checksums: [UInt8], key: SigningKeyFile) throws -> PackageSignature {
        PackageSignature(keyID: key.keyID, signature: try key.signature(for: signedMessage(manifest: manifest, checksums: checksums)))
    }

    /// Creates a signature value.
    public init(keyID: String, signature: [UInt8]) {
        self.keyID = keyID
        self.signature = signature
    }

    /// The file's bytes.
    public var encoded: [UInt8] {
        Array("bourse-signature-v1\nkey-id: \(keyID)\nsignature: \(Data(signature).base64EncodedString())\n".utf8)
    }

    /// Parses the file (nil with a reason when malformed).
    static func parse(_ bytes: [UInt8]) -> Result<PackageSignature, BourseError> {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let fields = try KeyFileText.fields(text, header: "bourse-signature-v1", source: fileName, keys: ["key-id", "signature"])
            let signature = try KeyFileText.base64(fields["signature"]!, field: "signature", source: fileName)
            guard signature.count == 64 else {
                return .failure(BourseError(.packageRejected, "an Ed25519 signature is 64 bytes, this one has \(signature.count)"))
            }
            return .success(PackageSignature(keyID: fields["key-id"]!, signature: signature))
        } catch let error as BourseError {
            return .failure(error)
        } catch {
            return .failure(BourseError(.packageRejected, "\(error)"))
        }
    }
}
