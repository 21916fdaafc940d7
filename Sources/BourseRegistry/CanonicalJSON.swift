import BourseCore
import BoursePackage
import Foundation

/// The one JSON encoding used for everything the registry signs or hashes:
/// keys sorted, no insignificant whitespace, slashes unescaped. Signatures are
/// computed over these bytes, and checked against the re-encoding of what was
/// decoded, so a verified value is exactly the value that was signed.
enum CanonicalJSON {
    /// `value` encoded canonically (or pretty-printed, for files people read).
    static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw BourseError(.io, "cannot encode \(T.self) as JSON: \(error)")
        }
    }
}

/// Writes `data` to `path` atomically (BoursePackage's temporary file, fsync,
/// rename, fsync of the directory), creating parent directories first.
func writeFileAtomically(_ data: Data, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    do {
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
    } catch {
        throw BourseError(.io, "cannot create directory \(directory): \(error.localizedDescription)", input: directory)
    }
    try FileIO.writeAtomically(Array(data), to: path)
}

/// Reads a whole file, or a BourseError naming it.
func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        let exists = FileManager.default.fileExists(atPath: path)
        throw BourseError(exists ? .io : .fileNotFound, exists ? "cannot read \(path)" : "no such file: \(path)", input: path)
    }
    return data
}
