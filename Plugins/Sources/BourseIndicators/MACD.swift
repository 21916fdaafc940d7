// Moving average convergence/divergence, TA-Lib conventions.

/// MACD exactly as TA-Lib's `MACD(real, fast, slow, signal)`.
///
/// - the slow EMA is seeded with the mean of the first `slow` inputs;
/// - the fast EMA is seeded with the mean of inputs `slow − fast ..< slow`
///   (TA-Lib aligns both seeds on index `slow − 1`), so it ignores the
///   first `slow − fast` inputs;
/// - line = fast − slow; signal = EMA(`signal`) of the line seeded with the
///   mean of its first `signal` values; histogram = line − signal;
/// - first output at index `slow + signal − 2` (33 for 12/26/9).
///
/// When `fast > slow` the two are swapped, as TA-Lib does.
public struct MACD: StreamingIndicator {
    /// The three MACD outputs.
    public struct Output: Equatable, Sendable {
        /// Fast EMA − slow EMA.
        public var macd: Double
        /// EMA of the MACD line.
        public var signal: Double
        /// `macd − signal`.
        public var histogram: Double
    }

    /// Fast EMA period.
    public let fastPeriod: Int
    /// Slow EMA period.
    public let slowPeriod: Int
    /// Signal EMA period.
    public let signalPeriod: Int
    private var fast: EMA
    private var slow: EMA
    private var signal: EMA
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a MACD (TA-Lib defaults 12, 26, 9).
    /// - Throws: ``IndicatorError`` when a period is outside 2...100_000 (signal: 1...100_000).
    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) throws(IndicatorError) {
        try IndicatorError.checkInteger("fast", fast, in: 2...100_000, indicator: "MACD")
        try IndicatorError.checkInteger("slow", slow, in: 2...100_000, indicator: "MACD")
        try IndicatorError.checkInteger("signal", signal, in: 1...100_000, indicator: "MACD")
        let (f, s) = fast <= slow ? (fast, slow) : (slow, fast)
        fastPeriod = f
        slowPeriod = s
        signalPeriod = signal
        self.fast = try EMA(period: f)
        self.slow = try EMA(period: s)
        self.signal = try EMA(anyPeriod: signal)
    }

    /// `slow + signal − 2`.
    public var lookback: Int { slowPeriod + signalPeriod - 2 }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Output? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        let index = acceptedCount
        acceptedCount += 1
        let slowValue = slow.update(x)
        guard index >= slowPeriod - fastPeriod, let fastValue = fast.update(x), let slowValue else { return nil }
        let line = fastValue - slowValue
        guard let signalValue = signal.update(line) else { return nil }
        return Output(macd: line, signal: signalValue, histogram: line - signalValue)
    }

    /// Forgets all state.
    public mutating func reset() {
        fast.reset()
        slow.reset()
        signal.reset()
        acceptedCount = 0
        skippedCount = 0
    }
}
