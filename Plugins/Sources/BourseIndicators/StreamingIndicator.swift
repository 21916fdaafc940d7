// The common shape of every streaming indicator in this module.

/// A streaming technical indicator: one `update(_:)` per input, O(1) memory
/// per series, and values identical to a whole-array TA-Lib call from the
/// first non-warm-up input on.
///
/// Conventions every conforming type follows:
/// - `update(_:)` returns `nil` during the warm-up (the first `lookback`
///   accepted inputs) and a value afterwards;
/// - an input containing NaN or ±infinity is *skipped*: `update(_:)` returns
///   `nil`, the state is left untouched and `skippedCount` grows by one;
/// - construction with invalid parameters throws an ``IndicatorError``
///   instead of trapping.
///
/// Single-input indicators (EMA, RSI, SMA, …) refine this as
/// ``ScalarIndicator``; indicators that need several prices of a bar (ATR,
/// STOCH, …) use ``PriceBar`` as their `Input`; indicators with several
/// outputs (MACD, BBANDS, …) use a small struct as their `Output`.
public protocol StreamingIndicator {
    /// What one `update(_:)` consumes, e.g. `Double` or ``PriceBar``.
    associatedtype Input
    /// What one `update(_:)` produces after the warm-up.
    associatedtype Output

    /// Number of accepted inputs that produce no output before the first
    /// value (TA-Lib's "lookback"): the first value comes from input index
    /// `lookback` (0-based).
    var lookback: Int { get }

    /// Number of finite inputs accepted so far.
    var acceptedCount: Int { get }

    /// Number of inputs skipped because they were NaN or infinite.
    var skippedCount: Int { get }

    /// Feeds one input; returns the indicator value, or `nil` during the
    /// warm-up or when the input was skipped.
    mutating func update(_ input: Input) -> Output?

    /// Forgets all state (including the counters), as if newly created.
    mutating func reset()
}

extension StreamingIndicator {
    /// True once the warm-up is over, i.e. the next accepted input yields a value.
    public var isReady: Bool { acceptedCount >= lookback }
}

/// A streaming indicator of a single series of doubles (usually closes).
public protocol ScalarIndicator: StreamingIndicator where Input == Double, Output == Double {}

/// Why an indicator could not be created.
public struct IndicatorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Machine-readable reason.
    public enum Code: Int32, Sendable {
        /// A parameter lies outside its allowed range.
        case parameterOutOfRange = 1
        /// An indicator name is not known.
        case unknownIndicator = 2
    }

    /// Machine-readable reason.
    public let code: Code
    /// Human-readable explanation.
    public let message: String
    /// Name of the offending parameter, e.g. `"period"`.
    public let parameter: String
    /// The offending value as given.
    public let value: String

    /// Creates an error value.
    public init(code: Code, message: String, parameter: String, value: String) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.value = value
    }

    /// `message`, for logs.
    public var description: String { message }

    /// Validates a TA-Lib style period parameter (`range` inclusive).
    static func checkPeriod(_ period: Int, in range: ClosedRange<Int>, indicator: String) throws(IndicatorError) {
        guard range.contains(period) else {
            throw IndicatorError(
                code: .parameterOutOfRange,
                message: "\(indicator): period must be in \(range.lowerBound)...\(range.upperBound), got \(period)",
                parameter: "period", value: String(period))
        }
    }
}

/// One OHLCV bar as plain doubles: the input of bar-based indicators.
public struct PriceBar: Equatable, Sendable {
    /// Opening price.
    public var open: Double
    /// Highest price.
    public var high: Double
    /// Lowest price.
    public var low: Double
    /// Closing price.
    public var close: Double
    /// Traded volume.
    public var volume: Double
    /// Event time of the bar in nanoseconds since the Unix epoch (UTC); only
    /// session-anchored indicators (``VWAP`` with a session) read it.
    public var time: Int64

    /// Creates a bar.
    public init(open: Double, high: Double, low: Double, close: Double, volume: Double = 0, time: Int64 = 0) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.time = time
    }

    /// True when all five numbers are finite (bar-based indicators skip other bars).
    @inlinable public var isFinite: Bool {
        open.isFinite && high.isFinite && low.isFinite && close.isFinite && volume.isFinite
    }

    /// Why this bar cannot be a real print, or `nil` when it is plausible:
    /// a price that is NaN, infinite, zero or negative, a high below the
    /// low, or a negative or non-finite volume.
    @inlinable @inline(__always) public var defect: PriceBarDefect? {
        // Fast path: all positive and finite, high ≥ low (NaN fails every comparison).
        if open > 0 && low > 0 && close > 0 && high >= low && volume >= 0
            && open < .infinity && high < .infinity && close < .infinity && volume < .infinity {
            return nil
        }
        guard isFinite else { return .nonFinite }
        guard open > 0, high > 0, low > 0, close > 0 else { return .nonPositivePrice }
        guard high >= low else { return .highBelowLow }
        guard volume >= 0 else { return .negativeVolume }
        return nil
    }

    /// The price selected by `field`.
    public subscript(field: PriceField) -> Double {
        switch field {
        case .open: return open
        case .high: return high
        case .low: return low
        case .close: return close
        }
    }
}

/// Why a bar was rejected as a bad print (see ``PriceBar/defect``).
public enum PriceBarDefect: String, Sendable {
    /// A price or the volume is NaN or infinite.
    case nonFinite = "non-finite value"
    /// A price is zero or negative.
    case nonPositivePrice = "price zero or negative"
    /// The high is below the low.
    case highBelowLow = "high below low"
    /// The volume is negative.
    case negativeVolume = "negative volume"
}

/// Which price of a bar a single-input indicator reads.
public enum PriceField: String, CaseIterable, Sendable {
    /// The opening price.
    case open
    /// The highest price.
    case high
    /// The lowest price.
    case low
    /// The closing price.
    case close
}

/// Runs an indicator of doubles (a ``ScalarIndicator``, ``MACD``,
/// ``BollingerBands``…) on one price field of ``PriceBar`` inputs.
///
/// A bar whose selected field is NaN or infinite is skipped (counted by the
/// wrapped indicator); the other fields are not looked at.
public struct FieldIndicator<Base: StreamingIndicator>: StreamingIndicator where Base.Input == Double {
    /// The wrapped indicator.
    public private(set) var base: Base
    /// The price field fed to `base`.
    public let field: PriceField

    /// Wraps `base`, feeding it `field` of every bar.
    public init(_ base: Base, field: PriceField) {
        self.base = base
        self.field = field
    }

    /// See ``StreamingIndicator/lookback``.
    public var lookback: Int { base.lookback }
    /// See ``StreamingIndicator/acceptedCount``.
    public var acceptedCount: Int { base.acceptedCount }
    /// See ``StreamingIndicator/skippedCount``.
    public var skippedCount: Int { base.skippedCount }

    /// Feeds `bar[field]` to the wrapped indicator.
    public mutating func update(_ bar: PriceBar) -> Base.Output? { base.update(bar[field]) }

    /// Resets the wrapped indicator.
    public mutating func reset() { base.reset() }
}
