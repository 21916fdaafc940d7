// The layout a reader settled on, and how it is detected.

/// The layout, time format, zone and price scale a ``BarFileReader`` uses,
/// as detected or configured.
public struct BarFileLayout: Equatable, Sendable {
    /// "yahoo", "lean", "plain" or "columns".
    public var format: String
    /// The header's field names, when the file has a header line.
    public var header: [String]?
    /// 0-based column of time, open, high, low, close and volume (nil = no volume column).
    public var columns: [Int?]
    /// Exact number of fields every data row must have.
    public var columnCount: Int
    /// The time format in use (never `.auto`).
    public var timeFormat: TimeFormat
    /// The IANA zone applied to times without an explicit offset.
    public var timeZone: String
    /// File prices are divided by this.
    public var priceScale: Double
    /// How `priceScale` and `timeZone` were chosen, for logs.
    public var notes: [String]
}

/// Names accepted in a header for each bar field (compared lowercased).
private let headerAliases: [[String]] = [
    ["date", "time", "ts", "timestamp", "datetime", "date_time", "date time"],
    ["open", "o"], ["high", "h"], ["low", "l"], ["close", "c"], ["volume", "vol", "v"],
]
private let fieldNames = ["time", "open", "high", "low", "close", "volume"]

/// True when no field of the line is a number: such a first line is a header.
func isHeaderLine(_ fields: [Substring]) -> Bool {
    !fields.contains { Double($0) != nil }
}

/// Maps bar fields to header columns by name; `time` … `close` are required.
func columnsFromHeader(_ header: [Substring], file: String) throws(BarFileError) -> [Int?] {
    let names = header.map { $0.lowercased() }
    var result: [Int?] = []
    for (i, aliases) in headerAliases.enumerated() {
        let index = names.firstIndex { aliases.contains($0) }
        if index == nil && i < 5 {
            throw BarFileError(code: .unknownLayout,
                               message: "header has no \(fieldNames[i]) column (accepted names: "
                                   + aliases.joined(separator: ", ") + "); set format \"columns\" and columns",
                               file: file, line: 1, input: header.joined(separator: ","))
        }
        result.append(index)
    }
    return result
}

/// Resolves an explicit mapping against an optional header.
func columnsFromMapping(_ mapping: ColumnMapping, header: [Substring]?, file: String) throws(BarFileError) -> [Int?] {
    var result: [Int?] = []
    for (i, ref) in mapping.all.enumerated() {
        switch ref {
        case nil:
            result.append(nil)
        case .index(let k)?:
            result.append(k)
        case .name(let name)?:
            guard let header else {
                throw BarFileError(code: .unknownLayout,
                                   message: "columns.\(fieldNames[i]) names column \"\(name)\" but the file has no header",
                                   file: file, line: 1)
            }
            guard let k = header.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                throw BarFileError(code: .unknownLayout,
                                   message: "columns.\(fieldNames[i]): header has no column \"\(name)\"",
                                   file: file, line: 1, input: header.joined(separator: ","))
            }
            result.append(k)
        }
    }
    return result
}

/// True when a field looks like a Lean daily/hour time `YYYYMMDD HH:MM`.
func isLeanDateTime(_ field: Substring) -> Bool {
    field.contains(" ") && TimeFormat.detect(field) == .yyyymmdd
}

/// True when a field looks like a Lean minute time (ms since midnight) and the file name has a date.
func isLeanMillisecondsOfDay(_ field: Substring, fileName: String) -> Bool {
    guard !field.isEmpty, field.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = Int(field), v < 86_400_000
    else { return false }
    return TimeFormat.dateInName(fileName) != nil
}

/// Whether a Lean file holds integer deci-cents (equity) or plain decimals
/// (crypto, forex, CFDs).
///
/// Rule, in order:
/// 1. a path component named `equity` or `option` → deci-cents; one named
///    `crypto`, `cryptofuture`, `forex` or `cfd` → decimals;
/// 2. otherwise any price field in the sampled rows containing `.`, `e` or
///    `E` → decimals; all prices integers → deci-cents.
func leanUsesDeciCents(path: String, samplePrices: [Substring]) -> (Bool, String) {
    let components = path.lowercased().split(separator: "/")
    if components.contains(where: { $0 == "equity" || $0 == "option" }) {
        return (true, "Lean equity path → integer deci-cents")
    }
    if components.contains(where: { ["crypto", "cryptofuture", "forex", "cfd"].contains($0) }) {
        return (false, "Lean crypto/forex/cfd path → plain decimal prices")
    }
    let decimal = samplePrices.contains { $0.contains(".") || $0.contains("e") || $0.contains("E") }
    return decimal
        ? (false, "Lean file with decimal prices in the first rows → plain decimal prices")
        : (true, "Lean file with integer prices in the first rows → integer deci-cents")
}
