// Options of the bar file reader and their parsing from configuration strings.

/// Which layout a bar file has.
public enum BarFileFormat: Equatable, Sendable {
    /// Detect from the content (see ``BarFileReader``).
    case auto
    /// Yahoo Finance: header `Date,Open,High,Low,Close[,Adj Close],Volume`.
    case yahoo
    /// QuantConnect Lean trade bars, no header: `YYYYMMDD HH:MM,O,H,L,C,V`
    /// (daily/hour) or `ms_since_midnight,O,H,L,C,V` (minute/second, the
    /// date coming from the file name).
    case lean
    /// `ts,open,high,low,close,volume`, with or without a header.
    case plain
    /// An explicit column mapping.
    case columns(ColumnMapping)

    /// Short name: auto, yahoo, lean, plain or columns.
    public var name: String {
        switch self {
        case .auto: return "auto"
        case .yahoo: return "yahoo"
        case .lean: return "lean"
        case .plain: return "plain"
        case .columns: return "columns"
        }
    }
}

/// A column of a CSV file: by 0-based index or by header name.
public enum ColumnRef: Equatable, Sendable, CustomStringConvertible {
    /// 0-based position.
    case index(Int)
    /// Header name, compared case-insensitively after trimming.
    case name(String)

    /// `#3` or `"Close"`.
    public var description: String {
        switch self {
        case .index(let i): return "#\(i)"
        case .name(let n): return "\"\(n)\""
        }
    }
}

/// Where the fields of a bar are in each row.
public struct ColumnMapping: Equatable, Sendable {
    /// The time column.
    public var time: ColumnRef
    /// The open price column.
    public var open: ColumnRef
    /// The high price column.
    public var high: ColumnRef
    /// The low price column.
    public var low: ColumnRef
    /// The close price column.
    public var close: ColumnRef
    /// The volume column; `nil` means volume 0 on every bar.
    public var volume: ColumnRef?

    /// Creates a mapping.
    public init(time: ColumnRef, open: ColumnRef, high: ColumnRef, low: ColumnRef, close: ColumnRef,
                volume: ColumnRef?) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// Mapping keys as used in configuration (`time`, `open`, …, `volume`).
    public static let keys = ["time", "open", "high", "low", "close", "volume"]

    /// Builds a mapping from configuration entries (key → index or name).
    /// `volume` is optional; the other five keys are required.
    public init(entries: [String: ColumnRef]) throws(BarFileError) {
        for key in entries.keys where !Self.keys.contains(key) {
            throw BarFileError(code: .badOption,
                               message: "columns: unknown key '\(key)' (allowed: \(Self.keys.joined(separator: ", ")))",
                               input: key)
        }
        func required(_ key: String) throws(BarFileError) -> ColumnRef {
            guard let ref = entries[key] else {
                throw BarFileError(code: .badOption, message: "columns: missing '\(key)'", input: key)
            }
            if case .index(let i) = ref, i < 0 {
                throw BarFileError(code: .badOption, message: "columns: '\(key)' must be >= 0, got \(i)", input: key)
            }
            return ref
        }
        self.init(time: try required("time"), open: try required("open"), high: try required("high"),
                  low: try required("low"), close: try required("close"),
                  volume: entries["volume"] == nil ? nil : try required("volume"))
    }

    /// The references in bar order: time, open, high, low, close, volume.
    var all: [ColumnRef?] { [time, open, high, low, close, volume] }
}

/// How prices in the file relate to prices in the bars: bar price = file price / scale.
public enum PriceScale: Equatable, Sendable {
    /// 10,000 for Lean equity files (integer deci-cents), 1 otherwise; see ``BarFileReader``.
    case auto
    /// Divide every price (not the volume) by this positive number.
    case fixed(Double)

    /// Parses `"auto"` or a positive number such as `"10000"`.
    public init(parsing text: String) throws(BarFileError) {
        if text == "auto" {
            self = .auto
            return
        }
        guard let v = Double(text), v.isFinite, v > 0 else {
            throw BarFileError(code: .badOption, message: "price_scale must be \"auto\" or a positive number, got '\(text)'",
                               input: text)
        }
        self = .fixed(v)
    }
}

/// What to do with a row that cannot be parsed or breaks an OHLC rule.
public enum BadRowPolicy: String, Sendable, CaseIterable {
    /// Report the row as skipped (counted, returned to the caller for logging) and go on.
    case skip
    /// Throw the row's error, naming file, line and rule; the reader then ends.
    case stop

    /// Parses `"skip"` or `"stop"`.
    public init(parsing text: String) throws(BarFileError) {
        guard let p = BadRowPolicy(rawValue: text) else {
            throw BarFileError(code: .badOption, message: "on_bad_row must be \"skip\" or \"stop\", got '\(text)'",
                               input: text)
        }
        self = p
    }
}

/// Options of a ``BarFileReader``.
public struct BarFileOptions: Equatable, Sendable {
    /// The layout; `.auto` detects it.
    public var format: BarFileFormat = .auto
    /// How the time column is written; `.auto` decides from the first data row.
    public var timeFormat: TimeFormat = .auto
    /// IANA zone of times written without an offset; `nil` = the layout's
    /// default (Lean equity: America/New_York, everything else: UTC).
    public var timeZone: String?
    /// Price divisor; `.auto` = the layout's default.
    public var priceScale: PriceScale = .auto
    /// What to do with bad rows.
    public var onBadRow: BadRowPolicy = .skip
    /// Data rows looked at to detect the layout and the Lean price scale.
    public var sampleRows: Int = 100
    /// Longest accepted line in bytes; a longer line is an error (not a row problem).
    public var maxLineLength: Int = 1 << 20

    /// Default options: detect everything, skip bad rows.
    public init() {}
}
