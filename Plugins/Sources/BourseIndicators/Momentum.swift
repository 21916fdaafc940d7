// Momentum indicators, TA-Lib conventions: ROC, MOM, CCI, MFI.

/// Rate of change exactly as TA-Lib's `ROC(real, period)`:
/// ((x / x[t−n]) − 1) · 100, and 0 when x[t−n] = 0. First value at index n.
public struct ROC: ScalarIndicator {
    /// The period n (1...100_000).
    public let period: Int
    private var window: RingBuffer
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a ROC over `period` inputs.
    /// - Throws: ``IndicatorError`` when `period` is outside 1...100_000.
    public init(period: Int = 10) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "ROC")
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
        acceptedCount += 1
        window.push(x)
        guard window.isFull else { return nil }
        let past = window.oldest
        return past != 0.0 ? ((x / past) - 1.0) * 100.0 : 0.0
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Momentum exactly as TA-Lib's `MOM(real, period)`: x − x[t−n]. First value at index n.
public struct Momentum: ScalarIndicator {
    /// The period n (1...100_000).
    public let period: Int
    private var window: RingBuffer
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a momentum over `period` inputs.
    /// - Throws: ``IndicatorError`` when `period` is outside 1...100_000.
    public init(period: Int = 10) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000, indicator: "MOM")
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
        acceptedCount += 1
        window.push(x)
        guard window.isFull else { return nil }
        return x - window.oldest
    }

    /// Forgets all state.
    public mutating func reset() {
        window.removeAll()
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Commodity channel index exactly as TA-Lib's `CCI(high, low, close, period)`:
/// TP = (H + L + C) / 3; (TP − mean) / (0.015 · mean |TP − mean|) over the
/// last n TPs, 0 when either part is 0. The mean and the mean deviation are
/// summed over the last n TPs at every bar, O(n) per bar (inherent to the
/// mean deviation), in four partial sums and divided by n as a multiplication
/// by 1/n (a shorter dependency chain than TA-Lib's divisions): within ~1e-13
/// relative of TA-Lib's sequential sums (the only indicator here that is not
/// bit for bit on the reference data). First value at index n − 1.
public struct CCI: StreamingIndicator {
    /// The period n (2...100_000).
    public let period: Int
    /// 1 / n.
    private let reciprocal: Double
    private var slots: [Double]
    private var nextSlot = 0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a CCI of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 20) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "CCI")
        self.period = period
        reciprocal = 1.0 / Double(period)
        slots = Array(repeating: 0, count: period)
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
        acceptedCount += 1
        let typical = (bar.high + bar.low + bar.close) / 3
        slots[nextSlot] = typical
        nextSlot += 1
        if nextSlot == period { nextSlot = 0 }
        guard acceptedCount >= period else { return nil }
        return slots.withUnsafeBufferPointer { buffer -> Double in
            let average = CCI.sum(buffer) { $0 } * reciprocal
            let deviation = CCI.sum(buffer) { abs($0 - average) }
            let distance = typical - average
            guard distance != 0.0 && deviation != 0.0 else { return 0 }
            return distance / (0.015 * (deviation * reciprocal))
        }
    }

    /// Σ transform(x) over the buffer in four interleaved partial sums (four
    /// independent add chains instead of one: about 3× faster for n = 20;
    /// differs from TA-Lib's sequential sum by a few ulps).
    @inline(__always)
    private static func sum(_ buffer: UnsafeBufferPointer<Double>, _ transform: (Double) -> Double) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        let n = buffer.count
        while i + 4 <= n {
            s0 += transform(buffer[i])
            s1 += transform(buffer[i + 1])
            s2 += transform(buffer[i + 2])
            s3 += transform(buffer[i + 3])
            i += 4
        }
        while i < n {
            s0 += transform(buffer[i])
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// Forgets all state.
    public mutating func reset() {
        for i in slots.indices { slots[i] = 0 }
        nextSlot = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Money flow index exactly as TA-Lib's `MFI(high, low, close, volume, period)`:
/// money flow TP·V counted as positive when TP rose, negative when it fell
/// (neither when the change is within 1e-8 of zero), summed over the last n changes;
/// 100 · pos / (pos + neg), and 0 when pos + neg < 1. First value at index n.
public struct MFI: StreamingIndicator {
    /// The period n (2...100_000).
    public let period: Int
    private var positive: [Double]
    private var negative: [Double]
    private var slot = 0
    private var positiveSum = 0.0
    private var negativeSum = 0.0
    private var previousTypical = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an MFI of `period` bars.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "MFI")
        self.period = period
        positive = Array(repeating: 0, count: period)
        negative = Array(repeating: 0, count: period)
    }

    /// `period`.
    public var lookback: Int { period }

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
        let typical = (bar.high + bar.low + bar.close) / 3.0
        guard index > 0 else {
            previousTypical = typical
            return nil
        }
        if index > period {
            positiveSum -= positive[slot]
            negativeSum -= negative[slot]
        }
        let change = typical - previousTypical
        previousTypical = typical
        let flow = typical * bar.volume
        // TA-Lib 0.8.1 counts a change within 1e-8 of zero (e.g. the same
        // typical price computed from other H, L, C) as no change.
        if taIsZero(change) {
            positive[slot] = 0
            negative[slot] = 0
        } else if change < 0 {
            negative[slot] = flow
            negativeSum += flow
            positive[slot] = 0
        } else if change > 0 {
            positive[slot] = flow
            positiveSum += flow
            negative[slot] = 0
        }
        slot += 1
        if slot == period { slot = 0 }
        guard index >= period else { return nil }
        let total = positiveSum + negativeSum
        return total < 1.0 ? 0.0 : 100.0 * (positiveSum / total)
    }

    /// Forgets all state.
    public mutating func reset() {
        for i in 0..<period {
            positive[i] = 0
            negative[i] = 0
        }
        slot = 0
        positiveSum = 0
        negativeSum = 0
        previousTypical = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
