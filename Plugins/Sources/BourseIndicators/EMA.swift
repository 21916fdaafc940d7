// Exponential moving average, TA-Lib conventions.

/// Exponential moving average exactly as TA-Lib's `EMA(real, period)`.
///
/// - k = 2 / (period + 1);
/// - the first value, at input index `period - 1`, is the simple mean of the
///   first `period` inputs (not the first input itself);
/// - afterwards `ema = (x - ema) * k + ema` (TA-Lib's operation order, so
///   results are bit-identical to a whole-array call).
///
/// Memory: three doubles and three integers, whatever the stream length.
public struct EMA: ScalarIndicator {
    /// The period n (2...100_000, TA-Lib's range).
    public let period: Int
    /// The smoothing factor 2 / (n + 1).
    public let k: Double
    /// Sum of the inputs during the seed phase, then unused.
    private var seedSum = 0.0
    /// The last EMA value (valid once ready).
    private var current = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an EMA of `period` inputs.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "EMA")
        self.period = period
        self.k = 2.0 / Double(period + 1)
    }

    /// An EMA that also accepts period 1 (the input itself), for MACD's signal line.
    init(anyPeriod period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "EMA")
        self.period = period
        self.k = 2.0 / Double(period + 1)
    }

    /// `period - 1`: the first value comes from input index `period - 1`.
    public var lookback: Int { period - 1 }

    /// The latest value, or `nil` during the warm-up.
    public var value: Double? { acceptedCount >= period ? current : nil }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        if acceptedCount >= period {
            acceptedCount += 1
            current = (x - current) * k + current
            return current
        }
        acceptedCount += 1
        seedSum += x
        guard acceptedCount == period else { return nil }
        current = seedSum / Double(period)
        return current
    }

    /// Forgets all state.
    public mutating func reset() {
        seedSum = 0
        current = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
