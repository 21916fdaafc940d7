// Locating shared data and fixtures from tests, and reading reference CSVs.
import Foundation

/// Paths of the test inputs, found relative to this source file so the
/// tests work from any clone location: `<repo>/Plugins/Tests/TestSupport/…`
/// → repository root `<repo>`, shared data `<repo>/../shared/data`.
public enum TestData {
    /// `<repo>/Plugins`.
    public static let packageDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // Plugins

    /// `<repo>/../shared/data`.
    public static let sharedData: URL = packageDirectory
        .deletingLastPathComponent()  // repo
        .deletingLastPathComponent()  // parent of repo
        .appendingPathComponent("shared/data")

    /// `<repo>/Plugins/Tests/Fixtures`.
    public static let fixtures: URL = packageDirectory.appendingPathComponent("Tests/Fixtures")

    /// Absolute path of a file under the shared data directory.
    public static func shared(_ relative: String) -> String {
        sharedData.appendingPathComponent(relative).path
    }

    /// Absolute path of a fixture file.
    public static func fixture(_ name: String) -> String {
        fixtures.appendingPathComponent(name).path
    }

    /// A fresh empty temporary directory.
    public static func temporaryDirectory(_ label: String = "bourse-plugins") throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A small header + numeric-columns CSV table (the reference files).
public struct NumericTable {
    /// Column names from the header.
    public let columns: [String]
    /// Rows of parsed doubles ("NaN" parses to NaN).
    public let rows: [[Double]]

    /// Reads a comma-separated file whose first line is a header and whose
    /// cells are all numbers.
    public init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        guard !lines.isEmpty else { throw CocoaError(.fileReadCorruptFile) }
        columns = lines.removeFirst().split(separator: ",").map(String.init)
        rows = try lines.map { line in
            try line.split(separator: ",", omittingEmptySubsequences: false).map { cell in
                guard let v = Double(cell) else { throw CocoaError(.fileReadCorruptFile) }
                return v
            }
        }
    }

    /// All values of a named column.
    public func column(_ name: String) -> [Double] {
        guard let i = columns.firstIndex(of: name) else { return [] }
        return rows.map { $0[i] }
    }
}

/// True when `a` equals `b` to `relative` (or to `relative` absolutely when
/// both are near zero). NaN equals NaN.
public func closeEnough(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    let scale = max(abs(a), abs(b))
    if scale < 1 { return abs(a - b) <= relative }
    return abs(a - b) <= relative * scale
}
