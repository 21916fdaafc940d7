// The rows of QuantConnect Lean data files: trade and quote bars, trade and quote ticks.

/// What one Lean data file holds (from its folder and name; see ``LeanFileReader``).
public enum LeanDataKind: String, Sendable, CaseIterable {
    /// `time,open,high,low,close,volume` (daily/hour/minute/second trade files).
    case tradeBar
    /// `time,bidO,bidH,bidL,bidC,bidSize,askO,askH,askL,askC,askSize` (quote bar files).
    case quoteBar
    /// `ms,price,size[,exchange,condition,suspicious]` (tick trade files; crypto has 3 columns).
    case tradeTick
    /// `ms,bid,bidSize,ask,askSize[,exchange,condition,suspicious]` (tick quote files; crypto has 5 columns).
    case quoteTick

    /// True for tick files, whose rows may share a timestamp.
    public var isTick: Bool { self == .tradeTick || self == .quoteTick }
}

/// A Lean quote bar: bid and ask OHLC over the bar, with the last sizes. A
/// side the file leaves empty (or all zero) has NaN prices and size 0.
public struct LeanQuoteBar: Equatable, Sendable {
    /// Bid open, high, low, close.
    public var bidOpen: Double, bidHigh: Double, bidLow: Double, bidClose: Double
    /// Size of the best bid at the bar's close.
    public var bidSize: Double
    /// Ask open, high, low, close.
    public var askOpen: Double, askHigh: Double, askLow: Double, askClose: Double
    /// Size of the best ask at the bar's close.
    public var askSize: Double

    /// Creates a quote bar.
    public init(bidOpen: Double, bidHigh: Double, bidLow: Double, bidClose: Double, bidSize: Double,
                askOpen: Double, askHigh: Double, askLow: Double, askClose: Double, askSize: Double) {
        (self.bidOpen, self.bidHigh, self.bidLow, self.bidClose, self.bidSize) = (bidOpen, bidHigh, bidLow, bidClose, bidSize)
        (self.askOpen, self.askHigh, self.askLow, self.askClose, self.askSize) = (askOpen, askHigh, askLow, askClose, askSize)
    }
}

/// A Lean trade tick.
public struct LeanTradeTick: Equatable, Sendable {
    /// Trade price.
    public var price: Double
    /// Traded quantity.
    public var size: Double
    /// Exchange letter code (equity), or "" (crypto).
    public var exchange: String
    /// Sale condition flags as written (hexadecimal digits in equity files), or "".
    public var condition: String
    /// AlgoSeek's suspicious flag (Lean's own bars leave these ticks out).
    public var suspicious: Bool

    /// Creates a trade tick.
    public init(price: Double, size: Double, exchange: String = "", condition: String = "", suspicious: Bool = false) {
        (self.price, self.size, self.exchange, self.condition, self.suspicious) = (price, size, exchange, condition, suspicious)
    }
}

/// A Lean quote tick. Equity quote ticks carry one side only: the other
/// side has price NaN and size 0.
public struct LeanQuoteTick: Equatable, Sendable {
    /// Best bid price, or NaN.
    public var bidPrice: Double
    /// Quantity at the bid.
    public var bidSize: Double
    /// Best ask price, or NaN.
    public var askPrice: Double
    /// Quantity at the ask.
    public var askSize: Double
    /// Exchange letter code (equity), or "".
    public var exchange: String
    /// Quote condition flags as written, or "".
    public var condition: String
    /// AlgoSeek's suspicious flag.
    public var suspicious: Bool

    /// Creates a quote tick.
    public init(bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double, exchange: String = "",
                condition: String = "", suspicious: Bool = false) {
        (self.bidPrice, self.bidSize, self.askPrice, self.askSize) = (bidPrice, bidSize, askPrice, askSize)
        (self.exchange, self.condition, self.suspicious) = (exchange, condition, suspicious)
    }
}

/// The content of one Lean row.
public enum LeanPayload: Equatable, Sendable {
    /// A trade bar (its `time` and `line` repeat the row's).
    case tradeBar(BarRecord)
    /// A quote bar.
    case quoteBar(LeanQuoteBar)
    /// A trade tick.
    case tradeTick(LeanTradeTick)
    /// A quote tick.
    case quoteTick(LeanQuoteTick)
}

/// One valid row of a Lean file.
public struct LeanRow: Equatable, Sendable {
    /// The row's time (the bar's start for bars), nanoseconds since the epoch, UTC.
    public var time: Int64
    /// The exchange-local calendar date of the row as YYYYMMDD (what factor files are keyed by).
    public var localDate: Int
    /// 1-based physical line number in the file.
    public var line: Int
    /// The file as named in errors (`archive.zip#entry.csv`).
    public var file: String
    /// The row's content, prices already divided by the price scale.
    public var payload: LeanPayload

    /// Creates a row.
    public init(time: Int64, localDate: Int, line: Int, file: String, payload: LeanPayload) {
        (self.time, self.localDate, self.line, self.file, self.payload) = (time, localDate, line, file, payload)
    }
}

/// What ``LeanFileReader/next()`` yields.
public enum LeanFileEvent: Equatable, Sendable {
    /// A valid row.
    case row(LeanRow)
    /// A row rejected under ``BadRowPolicy/skip``; the caller should log it.
    case skipped(BarFileError)
}

/// The first OHLC rule a bar breaks (volume ≥ 0, high ≥ low, open and close
/// within [low, high]), or `nil`; shared by every bar-shaped row (csv-bars' and Lean's).
func ohlcProblem(open: Double, high: Double, low: Double, close: Double,
                 volume: Double) -> (BarFileError.Code, String)? {
    if volume < 0 { return (.negativeVolume, "volume \(volume) is negative") }
    if high < low { return (.highBelowLow, "high \(high) < low \(low)") }
    if open < low || open > high { return (.openOutsideRange, "open \(open) outside [low \(low), high \(high)]") }
    if close < low || close > high { return (.closeOutsideRange, "close \(close) outside [low \(low), high \(high)]") }
    return nil
}
