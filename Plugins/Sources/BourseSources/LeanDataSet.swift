// Where a Lean data folder keeps the files of one symbol, resolution and tick type.
import BourseBarFiles
import Foundation

/// Lean's resolutions.
public enum LeanResolution: String, Sendable, CaseIterable {
    /// One row per trade or quote update.
    case tick
    /// One-second bars.
    case second
    /// One-minute bars.
    case minute
    /// One-hour bars.
    case hour
    /// Daily bars.
    case daily

    /// Bar length in nanoseconds (0 for ticks).
    public var nanoseconds: Int64 {
        switch self {
        case .tick: return 0
        case .second: return 1_000_000_000
        case .minute: return 60_000_000_000
        case .hour: return 3_600_000_000_000
        case .daily: return 86_400_000_000_000
        }
    }

    /// Tick, second and minute data live in one file per day.
    public var isIntraday: Bool { self == .tick || self == .second || self == .minute }
}

/// Trades or quotes.
public enum LeanTickType: String, Sendable, CaseIterable {
    /// Trade bars or trade ticks.
    case trade
    /// Quote bars or quote ticks.
    case quote
}

/// Lean's security types, with the conventions that depend on them.
public enum LeanSecurityType: String, Sendable, CaseIterable {
    /// US equities: integer deci-cent prices, America/New_York.
    case equity
    /// Crypto: decimal prices, UTC.
    case crypto
    /// Forex: decimal prices (Lean keeps forex files in UTC for its `oanda` market).
    case forex
    /// CFDs: decimal prices.
    case cfd

    /// File price / this = price (10,000 for equity deci-cents).
    public var priceScale: Double { self == .equity ? 10_000 : 1 }

    /// The zone of the file times, per Lean's market-hours conventions for its
    /// default markets: New York for US equity, UTC for the rest.
    public var defaultTimeZone: String { self == .equity ? "America/New_York" : "UTC" }

    /// Lean's default market folder (`usa`, `coinbase`, `oanda`, `oanda`).
    public var defaultMarket: String {
        switch self {
        case .equity: return "usa"
        case .crypto: return "coinbase"
        case .forex, .cfd: return "oanda"
        }
    }
}

/// One symbol's files for a resolution and tick type.
public struct LeanFileSet: Equatable, Sendable {
    /// The symbol as configured (its case is kept for publishing).
    public var symbol: String
    /// Trades or quotes.
    public var tickType: LeanTickType
    /// The files in date order.
    public var files: [String]
    /// What the rows are.
    public var kind: LeanDataKind
}

/// Resolves Lean's folder layout:
/// - hour/daily: `ROOT/TYPE/MARKET/RES/SYMBOL.zip` (equity trades) or
///   `ROOT/TYPE/MARKET/RES/SYMBOL_TICKTYPE.zip`;
/// - tick/second/minute: `ROOT/TYPE/MARKET/RES/SYMBOL/YYYYMMDD_TICKTYPE.zip`,
///   one file per day, the days present between `from` and `to` (YYYYMMDD, inclusive).
public enum LeanDataSet {
    /// A calendar date `YYYY-MM-DD` or `YYYYMMDD` as the number YYYYMMDD; nil when it is not a valid date.
    public static func dateNumber(_ text: String) -> Int? {
        let digits = String(text.filter { $0 != "-" })
        guard digits.count == 8, text.count == 8 || (text.count == 10 && Array(text)[4] == "-" && Array(text)[7] == "-"),
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else { return nil }
        let iso = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
        return TimeFormat.iso8601Nanoseconds(Substring(iso)) == nil ? nil : number
    }

    /// The folder of a security type, market and resolution.
    public static func folder(root: String, security: LeanSecurityType, market: String, resolution: LeanResolution) -> String {
        (root as NSString).appendingPathComponent("\(security.rawValue)/\(market)/\(resolution.rawValue)")
    }

    /// The files of one symbol; throws ``BarFileError`` (`cannot_open`) naming what was looked for.
    public static func files(root: String, security: LeanSecurityType, market: String, resolution: LeanResolution,
                             symbol: String, tickType: LeanTickType, from: Int?, to: Int?) throws(BarFileError) -> LeanFileSet {
        let base = folder(root: root, security: security, market: market, resolution: resolution)
        let lower = symbol.lowercased()
        let kind: LeanDataKind = resolution == .tick
            ? (tickType == .trade ? .tradeTick : .quoteTick)
            : (tickType == .trade ? .tradeBar : .quoteBar)
        let fm = FileManager.default
        if !resolution.isIntraday {
            var candidates = ["\(base)/\(lower)_\(tickType.rawValue).zip"]
            if tickType == .trade { candidates.append("\(base)/\(lower).zip") }
            guard let found = candidates.first(where: { fm.fileExists(atPath: $0) }) else {
                throw BarFileError(code: .cannotOpen, message: "no Lean \(resolution.rawValue) \(tickType.rawValue) file for "
                    + "\(symbol): looked for " + candidates.joined(separator: " and "), file: base)
            }
            return LeanFileSet(symbol: symbol, tickType: tickType, files: [found], kind: kind)
        }
        let dir = "\(base)/\(lower)"
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            throw BarFileError(code: .cannotOpen, message: "no Lean \(resolution.rawValue) folder for \(symbol) "
                + "(expected \(dir)/YYYYMMDD_\(tickType.rawValue).zip files)", file: dir)
        }
        let suffix = "_\(tickType.rawValue).zip"
        let days: [(Int, String)] = names.compactMap { name in
            guard name.hasSuffix(suffix), name.count == 8 + suffix.count, let d = Int(name.prefix(8)) else { return nil }
            if let from, d < from { return nil }
            if let to, d > to { return nil }
            return (d, "\(dir)/\(name)")
        }.sorted { $0.0 < $1.0 }
        guard !days.isEmpty else {
            let range = from == nil && to == nil ? "" : " between \(from.map(String.init) ?? "the start") and \(to.map(String.init) ?? "the end")"
            throw BarFileError(code: .cannotOpen, message: "no YYYYMMDD\(suffix) files for \(symbol) in \(dir)\(range)", file: dir)
        }
        return LeanFileSet(symbol: symbol, tickType: tickType, files: days.map(\.1), kind: kind)
    }
}
