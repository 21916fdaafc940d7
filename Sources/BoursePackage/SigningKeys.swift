#if canImport(Glibc)
import Glibc
#endif
import BourseCore
@preconcurrency import Crypto
import Foundation

/// An Ed25519 public key that verifies package signatures.
///
/// File format (`NAME.pub`, UTF-8 text, one `key: value` per line, `#` comments allowed):
/// ```
/// bourse-public-key-v1
/// key-id: 1f2e3d4c5b6a7980
/// public: <base64 of the 32 raw key bytes>
/// ```
public struct PublicKey: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The 32 raw Ed25519 public key bytes.
    public let rawRepresentation: [UInt8]
    /// Hex of the first 8 bytes of SHA-256 of the raw key (16 lower-case hex digits).
    public let keyID: String

    /// Wraps 32 raw bytes; throws `BourseError(.invalidKey)` if they are not an Ed25519 public key.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)) != nil else {
            throw BourseError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(rawRepresentation.count)")
        }
        self.rawRepresentation = rawRepresentation
        self.keyID = PublicKey.keyID(of: rawRepresentation)
    }

    /// The key id of raw public key bytes.
    static func keyID(of raw: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: raw).prefix(8)))
    }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// The text of a `.pub` file.
    public var fileText: String {
        "bourse-public-key-v1\nkey-id: \(keyID)\npublic: \(Data(rawRepresentation).base64EncodedString())\n"
    }

    /// Parses the text of a `.pub` file; `source` names it in errors.
    public init(fileText text: String, source: String) throws {
        self = try KeyFileText.parseKey(text, header: "bourse-public-key-v1", field: "public", source: source,
                                        make: PublicKey.init(rawRepresentation:), keyID: \.keyID)
    }

    /// Reads a `.pub` file.
    public static func load(path: String) throws -> PublicKey {
        try PublicKey(fileText: try KeyFileText.read(path), source: path)
    }

    /// `ed25519:KEYID`.
    public var description: String { "ed25519:\(keyID)" }
}

/// An Ed25519 private key that signs packages, as stored in a key file.
///
/// File format (mode 0600, UTF-8 text):
/// ```
/// bourse-signing-key-v1
/// key-id: 1f2e3d4c5b6a7980
/// private: <base64 of the 32-byte Ed25519 seed>
/// ```
/// The public half is derived from it; ``generate(path:)`` also writes it to `PATH.pub`.
public struct SigningKeyFile: Sendable {
    private let key: Curve25519.Signing.PrivateKey
    /// The matching public key.
    public let publicKey: PublicKey

    /// A new random key.
    public init() {
        self.init(key: Curve25519.Signing.PrivateKey())
    }

    private init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        // A freshly derived public key is always 32 valid bytes.
        self.publicKey = (try? PublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation)))!
    }

    /// Wraps a 32-byte seed; throws `BourseError(.invalidKey)` when it is not one.
    public init(seed: [UInt8]) throws {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw BourseError(.invalidKey, "an Ed25519 private key is a 32-byte seed, got \(seed.count) bytes")
        }
        self.init(key: key)
    }

    /// The key id of the public half.
    public var keyID: String { publicKey.keyID }

    /// Signs `message` (64-byte Ed25519 signature).
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw BourseError(.invalidKey, "signing with key \(keyID) failed: \(error)")
        }
    }

    /// The text of the private key file.
    public var fileText: String {
        "bourse-signing-key-v1\nkey-id: \(keyID)\nprivate: \(Data(key.rawRepresentation).base64EncodedString())\n"
    }

    /// Parses the text of a private key file; `source` names it in errors.
    public init(fileText text: String, source: String) throws {
        self = try KeyFileText.parseKey(text, header: "bourse-signing-key-v1", field: "private", source: source,
                                        make: SigningKeyFile.init(seed:), keyID: \.keyID)
    }

    /// Reads a private key file. Refuses one that group or others can read.
    public static func load(path: String) throws -> SigningKeyFile {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw BourseError(.invalidKey, "\(path): private key file is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)", input: path)
        }
        return try SigningKeyFile(fileText: try KeyFileText.read(path), source: path)
    }

    /// Generates a key and writes it to `path` (mode 0600) and its public half
    /// to `path.pub` (mode 0644). Refuses to overwrite either file.
    @discardableResult
    public static func generate(path: String) throws -> SigningKeyFile {
        let key = SigningKeyFile()
        let publicPath = path + ".pub"
        for existing in [path, publicPath] where access(existing, F_OK) == 0 {
            throw BourseError(.io, "\(existing) already exists; refusing to overwrite a key file", input: existing)
        }
        try KeyFileText.writeNew(path: path, text: key.fileText, mode: 0o600)
        do {
            try KeyFileText.writeNew(path: publicPath, text: key.publicKey.fileText, mode: 0o644)
        } catch {
            unlink(path)
            throw error
        }
        return key
    }
}

/// Lower-case hex of bytes.
func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Reading and writing the `key: value` text of key files.
enum KeyFileText {
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            if access(path, F_OK) != 0 { throw BourseError(.fileNotFound, "no such key file: \(path)", input: path) }
            throw BourseError(.io, "cannot read key file \(path)", input: path)
        }
        guard data.count < 64 * 1024, let text = String(data: data, encoding: .utf8) else {
            throw BourseError(.invalidKey, "\(path) is not a key file (not short UTF-8 text)", input: path)
        }
        return text
    }

    static func fields(_ text: String, header: String, source: String, keys: [String]) throws -> [String: String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String(String($0).trimmingSpaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard lines.first == header else {
            throw BourseError(.invalidKey, "\(source): not a \(header) file (its first line must be '\(header)')", input: source)
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else {
                throw BourseError(.invalidKey, "\(source): malformed line '\(line)' (expected 'key: value')", input: source)
            }
            let key = String(line[..<colon])
            guard keys.contains(key) else { throw BourseError(.invalidKey, "\(source): unknown field '\(key)'", input: source) }
            guard fields[key] == nil else { throw BourseError(.invalidKey, "\(source): field '\(key)' appears twice", input: source) }
            fields[key] = String(String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        for key in keys where fields[key] == nil {
            throw BourseError(.invalidKey, "\(source): missing field '\(key)'", input: source)
        }
        return fields
    }

    /// Parses a key file of `header` whose key bytes are in `field`, builds
    /// the key with `make` and checks its id against the `key-id` line.
    static func parseKey<Key>(_ text: String, header: String, field: String, source: String,
                              make: ([UInt8]) throws -> Key, keyID: (Key) -> String) throws -> Key {
        let fields = try KeyFileText.fields(text, header: header, source: source, keys: ["key-id", field])
        let bytes = try KeyFileText.base64(fields[field]!, field: field, source: source)
        let key: Key
        do {
            key = try make(bytes)
        } catch let error as BourseError {
            throw BourseError(.invalidKey, "\(source): \(error.message)", input: source)
        }
        guard keyID(key) == fields["key-id"] else {
            throw BourseError(.invalidKey, "\(source): key-id \(fields["key-id"]!) does not match the key (its id is \(keyID(key)))", input: source)
        }
        return key
    }

    static func base64(_ text: String, field: String, source: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw BourseError(.invalidKey, "\(source): field '\(field)' is not valid base64", input: source)
        }
        return Array(data)
    }

    /// Creates `path` exclusively with `mode`, writes `text` and fsyncs it.
    static func writeNew(path: String, text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            throw BourseError(.io, "cannot create \(path): \(String(cString: strerror(errno)))", input: path)
        }
        defer { close(fd) }
        fchmod(fd, mode)  // not narrowed by the umask
        try FileIO.writeAll(fd: fd, bytes: Array(text.utf8), path: path)
        guard fsync(fd) == 0 else { throw BourseError(.io, "cannot fsync \(path): \(String(cString: strerror(errno)))", input: path) }
    }
}
