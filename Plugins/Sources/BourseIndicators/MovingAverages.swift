// Moving averages other than EMA, TA-Lib conventions: SMA, WMA, DEMA, TEMA, KAMA.

/// Simple moving average exactly as TA-Lib's `SMA(real, period)`: a running
/// sum (add the newest input, divide by n, subtract the oldest), first value
/// at input index `period - 1`.
public struct SMA: ScalarIndicator {
    /// The period n (1...100_000; 1 returns the input, as TA-Lib's `MA` does).
    public let period: Int
    private var window: RingBuffer
    private var sum = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an SMA of `period` inputs.
    /// - Throws: ``IndicatorError`` when `period` is outside 1...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "SMA")
        self.period = period
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
        sum += x
        window.push(x)
        guard window.isFull else { return nil }
        let value = sum / Double(period)
        sum -= window.oldest
        return value
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        sum = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Weighted moving average exactly as TA-Lib's `WMA(real, period)`: weights
/// 1…n (newest = n), divisor n(n+1)/2, kept as TA-Lib's two running sums.
public struct WMA: ScalarIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private let divider: Double
    private var window: RingBuffer
    private var periodSum = 0.0
    private var periodSub = 0.0
    private var trailingValue = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a WMA of `period` inputs.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "WMA")
        self.period = period
        divider = Double((period * (period + 1)) >> 1)
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
        if acceptedCount < period {
            periodSub += x
            periodSum += x * Double(acceptedCount)
            return nil
        }
        periodSub += x
        periodSub -= trailingValue
        periodSum += x * Double(period)
        trailingValue = window.oldest
        let value = periodSum / divider
        periodSum -= periodSub
        return value
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        periodSum = 0
        periodSub = 0
        trailingValue = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Double EMA exactly as TA-Lib's `DEMA(real, period)`: 2·EMA − EMA(EMA),
/// both EMAs seeded with a simple mean; first value at index 2(n−1).
public struct DEMA: ScalarIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private var first: EMA
    private var second: EMA
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a DEMA of `period`.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "DEMA")
        self.period = period
        first = try EMA(period: period)
        second = try EMA(period: period)
    }

    /// `2 · (period − 1)`.
    public var lookback: Int { 2 * (period - 1) }
    /// See ``StreamingIndicator/acceptedCount``.
    public var acceptedCount: Int { first.acceptedCount }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        guard let e1 = first.update(x), let e2 = second.update(e1) else { return nil }
        return (2.0 * e1) - e2
    }

    /// Forgets all state.
    public mutating func reset() {
        first.reset()
        second.reset()
        skippedCount = 0
    }
}

/// Triple EMA exactly as TA-Lib's `TEMA(real, period)`:
/// EMA3 + 3·EMA1 − 3·EMA2 (EMA2 = EMA of EMA1, EMA3 = EMA of EMA2), first
/// value at index 3(n−1).
public struct TEMA: ScalarIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private var first: EMA
    private var second: EMA
    private var third: EMA
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a TEMA of `period`.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "TEMA")
        self.period = period
        first = try EMA(period: period)
        second = try EMA(period: period)
        third = try EMA(period: period)
    }

    /// `3 · (period − 1)`.
    public var lookback: Int { 3 * (period - 1) }
    /// See ``StreamingIndicator/acceptedCount``.
    public var acceptedCount: Int { first.acceptedCount }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        guard let e1 = first.update(x), let e2 = second.update(e1), let e3 = third.update(e2) else { return nil }
        return e3 + ((3.0 * e1) - (3.0 * e2))
    }

    /// Forgets all state.
    public mutating func reset() {
        first.reset()
        second.reset()
        third.reset()
        skippedCount = 0
    }
}

/// Kaufman adaptive moving average exactly as TA-Lib's `KAMA(real, period)`
/// (fast 2, slow 30): efficiency ratio |x − x[t−n]| / Σ|Δx| over n changes
/// (1 when the sum is ≤ the change or zero), smoothing
/// ((ER·(2/3 − 2/31)) + 2/31)², seeded with the previous input; first value
/// at index n. Σ|Δx| is TA-Lib's running sum (add newest, drop oldest).
public struct KAMA: ScalarIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private static let constMax = 2.0 / (30.0 + 1.0)
    private static let constDiff = 2.0 / (2.0 + 1.0) - constMax
    /// The last n + 1 inputs.
    private var window: RingBuffer
    private var sumROC1 = 0.0
    private var trailingValue = 0.0
    private var previous = 0.0
    private var current = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a KAMA over `period` changes.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "KAMA")
        self.period = period
        window = RingBuffer(capacity: period + 1)
    }

    /// `period`.
    public var lookback: Int { period }

    /// Feeds one input; see ``StreamingIndicator/update(_:)``.
    public mutating func update(_ x: Double) -> Double? {
        guard x.isFinite else {
            skippedCount += 1
            return nil
        }
        let index = acceptedCount
        acceptedCount += 1
        window.push(x)
        defer { previous = x }
        if index == 0 { return nil }
        if index < period {
            sumROC1 += abs(previous - x)
            return nil
        }
        let trailing = window.oldest
        let periodROC = x - trailing
        if index == period {
            sumROC1 += abs(previous - x)
            current = previous
        } else {
            sumROC1 -= abs(trailingValue - trailing)
            sumROC1 += abs(x - previous)
        }
        trailingValue = trailing
        var ratio = 1.0
        if !(sumROC1 <= periodROC || taIsZero(sumROC1)) { ratio = abs(periodROC / sumROC1) }
        var smoothing = (ratio * KAMA.constDiff) + KAMA.constMax
        smoothing *= smoothing
        current = ((x - current) * smoothing) + current
        return current
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        sumROC1 = 0
        trailingValue = 0
        previous = 0
        current = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
