// Price channels (not in TA-Lib): Keltner and Donchian, built from TA-Lib pieces.

/// Keltner Channels: middle = ``EMA`` of the close (TA-Lib's SMA seed),
/// bands = middle ± `multiplier` · ``ATR``(`atrPeriod`) (TA-Lib's ATR).
/// The StockCharts definition (EMA 20, ATR 10, multiplier 2) is the
/// default. First value at index max(period − 1, atrPeriod).
public struct KeltnerChannels: StreamingIndicator {
    /// The three lines.
    public struct Output: Equatable, Sendable {
        /// middle + multiplier · ATR.
        public var upper: Double
        /// EMA of the close.
        public var middle: Double
        /// middle − multiplier · ATR.
        public var lower: Double
    }

    /// The EMA period.
    public var period: Int { ema.period }
    /// The ATR period.
    public var atrPeriod: Int { atr.period }
    /// Band width in ATRs.
    public let multiplier: Double
    private var ema: EMA
    private var atr: ATR
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates Keltner Channels.
    /// - Throws: ``IndicatorError`` when a period is out of range or `multiplier` is not finite.
    public init(period: Int = 20, atrPeriod: Int = 10, multiplier: Double = 2) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "KELTNER")
        try IndicatorError.checkInteger("atr_period", atrPeriod, in: 1...100_000, indicator: "KELTNER")
        try IndicatorError.checkParameter("multiplier", multiplier, in: -3e37...3e37, indicator: "KELTNER")
        ema = try EMA(period: period)
        atr = try ATR(period: atrPeriod)
        self.multiplier = multiplier
    }

    /// max(period − 1, atrPeriod).
    public var lookback: Int { max(ema.lookback, atr.lookback) }

    /// Feeds one bar; bars with a non-finite field are skipped.
    public mutating func update(_ bar: PriceBar) -> Output? {
        guard bar.isFinite else {
            skippedCount += 1
            return nil
        }
        return updateFinite(bar)
    }

    /// ``update(_:)`` for a bar whose five numbers are known to be finite (an
    /// ``IndicatorSet`` checks each bar once, before all its indicators).
    mutating func updateFinite(_ bar: PriceBar) -> Output? {
        acceptedCount += 1
        let middle = ema.update(bar.close)
        guard let range = atr.update(bar), let middle else { return nil }
        return Output(upper: middle + multiplier * range, middle: middle, lower: middle - multiplier * range)
    }

    /// Forgets all state.
    public mutating func reset() {
        ema.reset()
        atr.reset()
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Donchian Channels: upper = highest high and lower = lowest low of the
/// last `period` bars (TA-Lib's `MAX(high)`/`MIN(low)`), middle = their
/// mean. First value at index period − 1.
public struct DonchianChannels: StreamingIndicator {
    /// The three lines.
    public struct Output: Equatable, Sendable {
        /// Highest high.
        public var upper: Double
        /// (upper + lower) / 2.
        public var middle: Double
        /// Lowest low.
        public var lower: Double
    }

    /// The period n (2...100_000).
    public let period: Int
    private var range: RollingHighLow
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates Donchian Channels of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 20) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "DONCHIAN")
        self.period = period
        range = RollingHighLow(window: period)
    }

    /// `period − 1`.
    public var lookback: Int { period - 1 }

    /// Feeds one bar (high, low); bars with a non-finite field are skipped.
    public mutating func update(_ bar: PriceBar) -> Output? {
        guard bar.isFinite else {
            skippedCount += 1
            return nil
        }
        return updateFinite(bar)
    }

    /// ``update(_:)`` for a bar whose five numbers are known to be finite (an
    /// ``IndicatorSet`` checks each bar once, before all its indicators).
    mutating func updateFinite(_ bar: PriceBar) -> Output? {
        let index = acceptedCount
        acceptedCount += 1
        range.push(bar)
        guard index >= period - 1 else { return nil }
        let upper = range.highest, lower = range.lowest
        return Output(upper: upper, middle: (upper + lower) / 2.0, lower: lower)
    }

    /// Forgets all state.
    public mutating func reset() {
        range.removeAll()
        acceptedCount = 0
        skippedCount = 0
    }
}
