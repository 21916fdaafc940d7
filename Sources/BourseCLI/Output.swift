#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Foundation

/// Diagnostics in JSON output.
struct DiagnosticJSON: Codable {
    var severity: String
    var code: String
    var message: String
    var input: String?
    var file: String?
    var line: Int?
    var column: Int?

    init(_ d: Diagnostic) {
        severity = d.severity.rawValue
        code = d.error.code.rawValue
        message = d.error.message
        input = d.error.input
        file = d.location?.file
        line = d.location?.line
        column = d.location?.column
    }
}

/// Prints `value` as pretty, key-sorted JSON on stdout.
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// Writes a line to stderr.
func printError(_ text: String) {
    fputs(text + "\n", stderr)
}

/// Prints diagnostics, compiler style, on stderr.
func printDiagnostics(_ diagnostics: [Diagnostic]) {
    for d in diagnostics { printError(d.description) }
}

/// Formats a duration in ns for humans.
func formatDuration(_ ns: Int64) -> String {
    let s = Double(ns) / 1e9
    if s >= 1 { return String(format: "%.2fs", s) }
    if s >= 1e-3 { return String(format: "%.1fms", s * 1e3) }
    return String(format: "%.0fµs", s * 1e6)
}

/// Left-aligned text table.
func formatTable(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return rightAligned.contains(i) ? pad + c : c + pad
        }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// For a bench command: prints `results` as JSON and returns true when
/// `json` is set; otherwise warns on stderr when this is a debug build
/// (whose figures mean little) and returns false, for the caller to print
/// its table.
func printedBenchJSON<T: Encodable>(_ results: T, json: Bool) -> Bool {
    if json {
        printJSON(results)
        return true
    }
    #if DEBUG
    printError("warning: this is a debug build; build with `swift build -c release` for real figures")
    #endif
    return false
}
