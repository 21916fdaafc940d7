// Trend indicators, TA-Lib conventions: ADX with +DI/−DI, AROON, SAR.

/// Average directional index with the directional indicators, exactly as
/// TA-Lib's `ADX`, `PLUS_DI` and `MINUS_DI(high, low, close, period)`.
///
/// +DM/−DM (TA-Lib's rule: −DM when the low fell more than the high rose,
/// +DM when the high rose more than the low fell) and the true range are
/// summed over the first n − 1 changes, then Wilder-smoothed
/// (`s − s/n + x`); ±DI = 100·DM/TR (0 when TR ≈ 0) exist from index n
/// (``directional``); DX = 100·|−DI − +DI| / (−DI + +DI); ADX is the mean of
/// the first n DX, then `(adx·(n−1) + dx) / n`. ``update(_:)`` returns all
/// three from index 2n − 1 (27 for n = 14).
public struct ADX: StreamingIndicator {
    /// ADX, +DI and −DI.
    public struct Output: Equatable, Sendable {
        /// The average directional index.
        public var adx: Double
        /// +DI.
        public var plusDI: Double
        /// −DI.
        public var minusDI: Double
    }

    /// The period n (2...100_000).
    public let period: Int
    private var previousHigh = 0.0
    private var previousLow = 0.0
    private var previousClose = 0.0
    private var plusDM = 0.0
    private var minusDM = 0.0
    private var trueRange = 0.0
    private var sumDX = 0.0
    private var current = 0.0
    /// (+DI, −DI) of the last bar from index n on (as TA-Lib's `PLUS_DI`/`MINUS_DI`), else nil.
    public private(set) var directional: (plus: Double, minus: Double)?
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an ADX of `period`.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "ADX")
        self.period = period
    }

    /// `2 · period − 1`.
    public var lookback: Int { 2 * period - 1 }

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
        guard index > 0 else {
            previousHigh = bar.high
            previousLow = bar.low
            previousClose = bar.close
            return nil
        }
        let diffP = bar.high - previousHigh
        previousHigh = bar.high
        let diffM = previousLow - bar.low
        previousLow = bar.low
        let n = Double(period)
        if index >= period {
            minusDM -= minusDM / n
            plusDM -= plusDM / n
        }
        if diffM > 0 && diffP < diffM {
            minusDM += diffM
        } else if diffP > 0 && diffP > diffM {
            plusDM += diffP
        }
        let range = taTrueRange(high: bar.high, low: bar.low, previousClose: previousClose)
        previousClose = bar.close
        if index < period {
            trueRange += range
            return nil
        }
        trueRange = trueRange - (trueRange / n) + range
        var plusDI = 0.0, minusDI = 0.0
        var dx: Double?
        if !taIsZero(trueRange) {
            minusDI = 100.0 * (minusDM / trueRange)
            plusDI = 100.0 * (plusDM / trueRange)
            let sum = minusDI + plusDI
            if !taIsZero(sum) { dx = 100.0 * (abs(minusDI - plusDI) / sum) }
        }
        directional = (plusDI, minusDI)
        if index <= lookback {
            if let dx { sumDX += dx }
            guard index == lookback else { return nil }
            current = sumDX / n
        } else if let dx {
            current = ((current * Double(period - 1)) + dx) / n
        }
        return Output(adx: current, plusDI: plusDI, minusDI: minusDI)
    }

    /// Forgets all state.
    public mutating func reset() {
        self = ADX(validPeriod: period)
    }

    private init(validPeriod: Int) { period = validPeriod }
}

/// Aroon exactly as TA-Lib's `AROON(high, low, period)`: over the last
/// n + 1 bars, up = (100/n)·(n − bars since the highest high) and
/// down = the same for the lowest low (the most recent extreme on ties).
/// First value at index n.
public struct Aroon: StreamingIndicator {
    /// Aroon down and up (TA-Lib's output order).
    public struct Output: Equatable, Sendable {
        /// Aroon down.
        public var down: Double
        /// Aroon up.
        public var up: Double
    }

    /// The period n (2...100_000).
    public let period: Int
    private let factor: Double
    private var range: RollingRange
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an Aroon of `period`.
    /// - Throws: ``IndicatorError`` when `period` is outside 2...100_000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000, indicator: "AROON")
        self.period = period
        factor = 100.0 / Double(period)
        range = RollingRange(window: period + 1)
    }

    /// `period`.
    public var lookback: Int { period }

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
        range.push(bar, at: index)
        guard index >= period else { return nil }
        return Output(down: factor * Double(period - (index - range.lowestIndex)),
                      up: factor * Double(period - (index - range.highestIndex)))
    }

    /// Forgets all state.
    public mutating func reset() {
        range.removeAll()
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Parabolic SAR exactly as TA-Lib's `SAR(high, low, acceleration, maximum)`:
/// the first direction is short when the second bar's −DM is positive, long
/// otherwise; the SAR starts at the first bar's low (long) or high (short)
/// with the second bar's extreme as the extreme point; the acceleration
/// factor grows by `acceleration` with each new extreme up to `maximum`; on
/// a reversal the SAR becomes the extreme point, clamped to the last two
/// bars' range. First value at index 1.
public struct ParabolicSAR: StreamingIndicator {
    /// The acceleration step (default 0.02).
    public let acceleration: Double
    /// The largest acceleration factor (default 0.2).
    public let maximum: Double
    private var isLong = true
    private var factor = 0.0
    private var extreme = 0.0
    private var sar = 0.0
    private var newHigh = 0.0
    private var newLow = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates a parabolic SAR; an acceleration above `maximum` is lowered to it (as TA-Lib does).
    /// - Throws: ``IndicatorError`` when a parameter is negative or not finite.
    public init(acceleration: Double = 0.02, maximum: Double = 0.2) throws(IndicatorError) {
        try IndicatorError.checkParameter("acceleration", acceleration, in: 0...3e37, indicator: "SAR")
        try IndicatorError.checkParameter("maximum", maximum, in: 0...3e37, indicator: "SAR")
        self.acceleration = min(acceleration, maximum)
        self.maximum = maximum
    }

    /// 1.
    public var lookback: Int { 1 }

    /// Feeds one bar (high, low); bars with a non-finite field are skipped.
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
        if index == 0 {
            newHigh = bar.high
            newLow = bar.low
            return nil
        }
        if index == 1 {
            let diffP = bar.high - newHigh
            let diffM = newLow - bar.low
            isLong = !(diffM > 0 && diffP < diffM)
            if isLong {
                extreme = bar.high
                sar = newLow
            } else {
                extreme = bar.low
                sar = newHigh
            }
            factor = acceleration
            newLow = bar.low
            newHigh = bar.high
        }
        let previousLow = newLow
        let previousHigh = newHigh
        newLow = bar.low
        newHigh = bar.high
        let output: Double
        if isLong {
            if newLow <= sar {
                isLong = false
                sar = extreme
                if sar < previousHigh { sar = previousHigh }
                if sar < newHigh { sar = newHigh }
                output = sar
                factor = acceleration
                extreme = newLow
                sar = sar + factor * (extreme - sar)
                if sar < previousHigh { sar = previousHigh }
                if sar < newHigh { sar = newHigh }
            } else {
                output = sar
                if newHigh > extreme {
                    extreme = newHigh
                    factor += acceleration
                    if factor > maximum { factor = maximum }
                }
                sar = sar + factor * (extreme - sar)
                if sar > previousLow { sar = previousLow }
                if sar > newLow { sar = newLow }
            }
        } else {
            if newHigh >= sar {
                isLong = true
                sar = extreme
                if sar > previousLow { sar = previousLow }
                if sar > newLow { sar = newLow }
                output = sar
                factor = acceleration
                extreme = newHigh
                sar = sar + factor * (extreme - sar)
                if sar > previousLow { sar = previousLow }
                if sar > newLow { sar = newLow }
            } else {
                output = sar
                if newLow < extreme {
                    extreme = newLow
                    factor += acceleration
                    if factor > maximum { factor = maximum }
                }
                sar = sar + factor * (extreme - sar)
                if sar < previousHigh { sar = previousHigh }
                if sar < newHigh { sar = newHigh }
            }
        }
        return output
    }

    /// Forgets all state.
    public mutating func reset() {
        isLong = true
        factor = 0
        extreme = 0
        sar = 0
        newHigh = 0
        newLow = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
