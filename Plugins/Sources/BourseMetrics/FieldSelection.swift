// Which message fields become gauges (`fields:`), and the fields each message type has.

/// The numeric fields of each message type, by the names `fields:` uses.
public enum MessageFields {
    /// Bars: `open`, `high`, `low`, `close`, `volume`.
    public static let bar = ["open", "high", "low", "close", "volume"]
    /// Trades: `price`, `size`.
    public static let trade = ["price", "size"]
    /// Quotes: `bid_price`, `bid_size`, `ask_price`, `ask_size`.
    public static let quote = ["bid_price", "bid_size", "ask_price", "ask_size"]
    /// Signals and predictions: `value`, `confidence`, `actual`, `direction` (−1, 0, 1).
    public static let signal = ["value", "confidence", "actual", "direction"]
    /// Alerts: `score`, `severity` (0 info, 1 warning, 2 critical).
    public static let alert = ["score", "severity"]

    /// The names of a values message's entries: the declared fields, then
    /// `v<i>` for entries beyond them, `count` names in all.
    public static func values(declared: [String], count: Int) -> [String] {
        (0..<count).map { $0 < declared.count ? declared[$0] : "v\($0)" }
    }
}

/// The fields chosen with `fields:`.
///
/// Each entry is a field name (`close`, `ema20`, `anomaly_score`, `score`),
/// a name qualified by the message type (`bar.close`, `values.rsi14`,
/// `alert.score`, `signal.value`, `trade.price`, `quote.bid_price`), or `*`
/// for every field. A field is chosen when an entry equals its name or its
/// qualified name, so a declared field whose name itself contains a dot
/// (`anomaly.score`) is chosen by that name.
public struct FieldSelection: Equatable, Sendable {
    /// The entries as configured.
    public let entries: [String]
    private let names: Set<String>
    private let all: Bool

    /// Every field of every message.
    public static let everything = FieldSelection(validated: ["*"])

    /// Checks the entries: at least one, none empty or with whitespace.
    public init(_ entries: [String]) throws {
        guard !entries.isEmpty else { throw FieldSelectionError(reason: "'fields' is empty: list field names, or use [\"*\"] for every field") }
        for (index, entry) in entries.enumerated() {
            guard !entry.isEmpty, !entry.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) else {
                throw FieldSelectionError(reason: "fields[\(index)] \"\(entry)\" must be a field name without spaces (e.g. close, ema20, alert.score)")
            }
        }
        self.init(validated: entries)
    }

    private init(validated entries: [String]) {
        self.entries = entries
        names = Set(entries)
        all = names.contains("*")
    }

    /// True when the field `name` of a message of type `type` (`bar`,
    /// `values`, `alert`, `signal`, `trade`, `quote`) is chosen.
    public func selects(_ name: String, type: String) -> Bool {
        all || names.contains(name) || names.contains(type + "." + name)
    }
}

/// A `fields:` value that cannot be used.
public struct FieldSelectionError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    /// The reason.
    public var description: String { reason }
}
