// Volatility indicators, TA-Lib conventions: STDDEV, BBANDS, ATR, NATR.

/// Standard deviation exactly as TA-Lib's `STDDEV(real, period, nbdev)`:
/// population variance E[x²] − E[x]² from two running sums, √ × `deviations`,
/// and 0 when the variance is below 1e-8 (TA-Lib's `TA_IS_ZERO_OR_NEG`).
public struct StandardDeviation: ScalarIndicator {
    /// The period n (2...100_000).
    public let period: Int
    /// The multiplier of the deviation (TA-Lib's `nbdev`, default 1).
    public let deviations: Double
    private var window: RingBuffer
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a standard deviation of `period` inputs times `deviations`.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000 or `deviations` is not finite.
    public init(period: Int, deviations: Double = 1) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "STDDEV")
        try IndicatorError.checkParameter("deviations", deviations, in: -3e37...3e37, indicator: "STDDEV")
        self.period = period
        self.deviations = deviations
        window = RingBuffer(capacity: period)
    }

    /// `period - 1`.
    public var lookback: Int { period - 1 }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        acceptedCount += 1
        window.push(x)
        sum += x
        sumOfSquares += x * x
        guard window.isFull else { return nil }
        let mean = sum / Double(period)
        let meanOfSquares = sumOfSquares / Double(period)
        let oldest = window.oldest
        sum -= oldest
        sumOfSquares -= oldest * oldest
        let variance = meanOfSquares - mean * mean
        guard !taIsZeroOrNegative(variance) else { return 0 }
        return variance.squareRoot() * deviations
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        sum = 0
        sumOfSquares = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Bollinger Bands exactly as TA-Lib's `BBANDS(real, period, up, down, SMA)`:
/// middle = SMA(n); bands = middle ± k·σ with σ the *population* deviation
/// √(E[x²] − middle²) (0 below 1e-8), from TA-Lib's running sums.
public struct BollingerBands: StreamingIndicator {
    /// The three bands.
    public struct Output: Equatable, Sendable {
        /// middle + up·σ.
        public var upper: Double
        /// The simple moving average.
        public var middle: Double
        /// middle − down·σ.
        public var lower: Double
    }

    /// The period n (2...100_000).
    public let period: Int
    /// Deviations above the middle (TA-Lib `nbdevup`, default 2).
    public let deviationsUp: Double
    /// Deviations below the middle (TA-Lib `nbdevdn`, default 2).
    public let deviationsDown: Double
    private var window: RingBuffer
    private var sum = 0.0
    private var sumOfSquares = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates Bollinger Bands.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000 or a multiplier is not finite.
    public init(period: Int = 20, deviationsUp: Double = 2, deviationsDown: Double = 2) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "BBANDS")
        try IndicatorError.checkParameter("deviations_up", deviationsUp, in: -3e37...3e37, indicator: "BBANDS")
        try IndicatorError.checkParameter("deviations_down", deviationsDown, in: -3e37...3e37, indicator: "BBANDS")
        self.period = period
        self.deviationsUp = deviationsUp
        self.deviationsDown = deviationsDown
        window = RingBuffer(capacity: period)
    }

    /// `period - 1`.
    public var lookback: Int { period - 1 }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Output? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        acceptedCount += 1
        window.push(x)
        sum += x
        sumOfSquares += x * x
        guard window.isFull else { return nil }
        let middle = sum / Double(period)
        var meanOfSquares = sumOfSquares / Double(period)
        let oldest = window.oldest
        sum -= oldest
        sumOfSquares -= oldest * oldest
        meanOfSquares -= middle * middle
        let deviation = taIsZeroOrNegative(meanOfSquares) ? 0 : meanOfSquares.squareRoot()
        return Output(upper: middle + deviation * deviationsUp, middle: middle,
                      lower: middle - deviation * deviationsDown)
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        sum = 0
        sumOfSquares = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Average true range exactly as TA-Lib's `ATR(high, low, close, period)`:
/// true range from the second bar on, seeded with the simple mean of the
/// first n true ranges (bars 1…n), then Wilder's `(atr·(n−1) + tr) / n`.
/// First value at index n.
public struct ATR: StreamingIndicator {
    /// The period n (1...100_000).
    public let period: Int
    private var previousClose = 0.0
    private var current = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an ATR of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 1...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "ATR")
        self.period = period
    }

    /// `period`.
    public var lookback: Int { period }

    /// Feeds one bar (high, low, close); bars with a non-finite field are skipped.
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
        defer { previousClose = bar.close }
        guard index > 0 else { return nil }
        let range = taTrueRange(high: bar.high, low: bar.low, previousClose: previousClose)
        if index < period {
            current += range
            return nil
        }
        if index == period {
            current += range
            current = current / Double(period)
            return current
        }
        current *= Double(period - 1)
        current += range
        current /= Double(period)
        return current
    }

    /// Forgets all state.
    public mutating func reset() {
        previousClose = 0
        current = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Normalised ATR exactly as TA-Lib's `NATR(high, low, close, period)`:
/// (ATR / close) · 100, and 0 when |close| < 1e-8.
public struct NATR: StreamingIndicator {
    private var atr: ATR

    /// Creates a NATR of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 1...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "NATR")
        atr = try ATR(period: period)
    }

    /// The period n.
    public var period: Int { atr.period }
    /// `period`.
    public var lookback: Int { atr.lookback }
    /// See ``StreamingIndicator/acceptedCount``.
    public var acceptedCount: Int { atr.acceptedCount }
    /// See ``StreamingIndicator/skippedCount``.
    public var skippedCount: Int { atr.skippedCount }

    /// Feeds one bar; see ``ATR/update(_:)``.
    public mutating func update(_ bar: PriceBar) -> Double? {
        guard let value = atr.update(bar) else { return nil }
        return taIsZero(bar.close) ? 0 : (value / bar.close) * 100.0
    }

    /// ``update(_:)`` for a bar known to be finite (see ``ATR``).
    mutating func updateFinite(_ bar: PriceBar) -> Double? {
        guard let value = atr.updateFinite(bar) else { return nil }
        return taIsZero(bar.close) ? 0 : (value / bar.close) * 100.0
    }

    /// Forgets all state.
    public mutating func reset() { atr.reset() }
}
