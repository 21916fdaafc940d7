// Relative strength index, TA-Lib conventions (Wilder smoothing).

/// Relative strength index exactly as TA-Lib's `RSI(real, period)`.
///
/// - changes d[i] = x[i] - x[i-1] (so the first input only primes the state);
/// - average gain G and loss L are seeded with the *simple mean* of the first
///   `period` changes, giving the first value at input index `period`;
/// - afterwards Wilder smoothing `G = (G·(n-1) + gain) / n` (same for L), in
///   TA-Lib's operation order, dividing by n as a multiplication by the
///   precomputed 1/n (that reproduces the TA-Lib 0.8.1 reference outputs bit
///   for bit; a true division differs from them by 1–2 ulp);
/// - RSI = 100·G / (G + L), and 0 when |G + L| < 1e-8 (TA-Lib's
///   `TA_IS_ZERO`, e.g. constant input); 100 on strictly rising input.
public struct RSI: ScalarIndicator {
    /// The period n (2...100_000, TA-Lib's range).
    public let period: Int
    /// 1 / n.
    private let reciprocal: Double
    /// The previous accepted input, once there is one.
    private var previous: Double?
    /// Average gain: a running sum during the seed phase, then Wilder's average.
    private var gain = 0.0
    /// Average loss (positive): a running sum during the seed phase, then Wilder's average.
    private var loss = 0.0
    /// Number of changes seen (accepted inputs minus one).
    private var changes = 0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an RSI over `period` changes.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "RSI")
        self.period = period
        reciprocal = 1.0 / Double(period)
    }

    /// `period`: the first value comes from input index `period`.
    public var lookback: Int { period }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        acceptedCount += 1
        guard let prev = previous else {
            previous = x
            return nil
        }
        previous = x
        let change = x - prev
        changes += 1
        if changes <= period {
            if change < 0 { loss -= change } else { gain += change }
            guard changes == period else { return nil }
            loss *= reciprocal
            gain *= reciprocal
            return currentValue
        }
        changes = period + 1  // saturate: only "past the seed" matters from now on
        loss *= Double(period - 1)
        gain *= Double(period - 1)
        // TA-Lib's `if change < 0 loss -= change else gain += change`, without a branch
        // (adding or subtracting 0.0 leaves a non-negative average unchanged).
        loss -= change < 0 ? change : 0
        gain += change < 0 ? 0 : change
        loss *= reciprocal
        gain *= reciprocal
        return currentValue
    }

    /// RSI from the current averages (TA-Lib's zero test).
    private var currentValue: Double {
        let sum = gain + loss
        if -0.00000001 < sum && sum < 0.00000001 { return 0 }
        return 100.0 * (gain / sum)
    }

    /// Forgets all state.
    public mutating func reset() {
        previous = nil
        gain = 0
        loss = 0
        changes = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
