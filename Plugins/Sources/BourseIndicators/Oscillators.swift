// Range oscillators, TA-Lib conventions where TA-Lib has them: STOCH, KDJ, WILLR.

/// Slow stochastic exactly as TA-Lib's
/// `STOCH(high, low, close, fastK, slowK, SMA, slowD, SMA)`:
/// fast %K = (C − LL) / ((HH − LL) / 100) over `fastK` bars (0 when HH = LL),
/// slow %K = SMA(`slowK`) of fast %K, slow %D = SMA(`slowD`) of slow %K.
/// First value at index `fastK + slowK + slowD − 3` (17 for 14/3/3).
public struct Stochastic: StreamingIndicator {
    /// Slow %K and %D.
    public struct Output: Equatable, Sendable {
        /// Slow %K.
        public var k: Double
        /// Slow %D.
        public var d: Double
    }

    /// Bars of the fast %K range.
    public let fastKPeriod: Int
    private var range: RollingHighLow
    private var slowK: SMA
    private var slowD: SMA
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a slow stochastic (TA-Lib defaults 5, 3, 3; the reference set uses 14, 3, 3).
    /// - Throws: ``IndicatorError`` when `fastK` is outside 1...100_000 or a smoothing period outside 1...100_000.
    public init(fastK: Int = 14, slowK: Int = 3, slowD: Int = 3) throws(IndicatorError) {
        try IndicatorError.checkInteger("fast_k", fastK, in: 1...100_000, indicator: "STOCH")
        try IndicatorError.checkInteger("slow_k", slowK, in: 1...100_000, indicator: "STOCH")
        try IndicatorError.checkInteger("slow_d", slowD, in: 1...100_000, indicator: "STOCH")
        fastKPeriod = fastK
        range = RollingHighLow(window: fastK)
        self.slowK = try SMA(period: slowK)
        self.slowD = try SMA(period: slowD)
    }

    /// `fastK + slowK + slowD − 3`.
    public var lookback: Int { fastKPeriod - 1 + slowK.lookback + slowD.lookback }

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
        let index = acceptedCount
        acceptedCount += 1
        range.push(bar)
        guard index >= fastKPeriod - 1 else { return nil }
        let low = range.lowest
        let diff = (range.highest - low) / 100.0
        let fastK = diff != 0.0 ? (bar.close - low) / diff : 0.0
        guard let k = slowK.update(fastK), let d = slowD.update(k) else { return nil }
        return Output(k: k, d: d)
    }

    /// Forgets all state.
    public mutating func reset() {
        range.removeAll()
        slowK.reset()
        slowD.reset()
        acceptedCount = 0
        skippedCount = 0
    }
}

/// KDJ (not in TA-Lib; the common definition of Chinese charting software):
/// RSV = (C − LL) / ((HH − LL) / 100) over `period` bars (0 when HH = LL,
/// like TA-Lib's fast %K); K = ((m₁ − 1)·K′ + RSV) / m₁ and
/// D = ((m₂ − 1)·D′ + K) / m₂, both starting from 50; J = 3K − 2D.
/// First value at index `period − 1`.
public struct KDJ: StreamingIndicator {
    /// K, D and J.
    public struct Output: Equatable, Sendable {
        /// Smoothed RSV.
        public var k: Double
        /// Smoothed K.
        public var d: Double
        /// 3K − 2D.
        public var j: Double
    }

    /// Bars of the RSV range (default 9).
    public let period: Int
    /// K smoothing m₁ (default 3).
    public let kSmoothing: Int
    /// D smoothing m₂ (default 3).
    public let dSmoothing: Int
    private var range: RollingHighLow
    private var k = 50.0
    private var d = 50.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a KDJ(period, m₁, m₂).
    /// - Throws: ``IndicatorError`` when a parameter is outside 1...100_000.
    public init(period: Int = 9, kSmoothing: Int = 3, dSmoothing: Int = 3) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "KDJ")
        try IndicatorError.checkInteger("k_smoothing", kSmoothing, in: 1...100_000, indicator: "KDJ")
        try IndicatorError.checkInteger("d_smoothing", dSmoothing, in: 1...100_000, indicator: "KDJ")
        self.period = period
        self.kSmoothing = kSmoothing
        self.dSmoothing = dSmoothing
        range = RollingHighLow(window: period)
    }

    /// `period − 1`.
    public var lookback: Int { period - 1 }

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
        let index = acceptedCount
        acceptedCount += 1
        range.push(bar)
        guard index >= period - 1 else { return nil }
        let low = range.lowest
        let diff = (range.highest - low) / 100.0
        let rsv = diff != 0.0 ? (bar.close - low) / diff : 0.0
        k = (Double(kSmoothing - 1) * k + rsv) / Double(kSmoothing)
        d = (Double(dSmoothing - 1) * d + k) / Double(dSmoothing)
        return Output(k: k, d: d, j: 3.0 * k - 2.0 * d)
    }

    /// Forgets all state.
    public mutating func reset() {
        range.removeAll()
        k = 50
        d = 50
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Williams %R exactly as TA-Lib's `WILLR(high, low, close, period)`:
/// (HH − C) / ((HH − LL) / −100) over `period` bars, in −100…0, and 0 when
/// HH = LL. First value at index `period − 1`.
public struct WilliamsR: StreamingIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private var range: RollingHighLow
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a Williams %R of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "WILLR")
        self.period = period
        range = RollingHighLow(window: period)
    }

    /// `period − 1`.
    public var lookback: Int { period - 1 }

    /// Feeds one bar; bars with a non-finite field are skipped.
    public mutating func update(_ bar: PriceBar) -> Double? {
        guard bar.isFinite else {
            skippedCount += 1
            return nil
        }
        return updateFinite(bar)
    }

    /// ``update(_:)`` for a bar whose five numbers are known to be finite (an
    /// ``IndicatorSet`` checks each bar once, before all its indicators).
    mutating func updateFinite(_ bar: PriceBar) -> Double? {
        let index = acceptedCount
        acceptedCount += 1
        range.push(bar)
        guard index >= period - 1 else { return nil }
        let high = range.highest
        let diff = (high - range.lowest) / (-100.0)
        return diff != 0.0 ? (high - bar.close) / diff : 0.0
    }

    /// Forgets all state.
    public mutating func reset() {
        range.removeAll()
        acceptedCount = 0
        skippedCount = 0
    }
}
