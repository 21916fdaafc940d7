// Fixed-size windows shared by the indicators: a ring of the last n inputs
// and a monotonic deque for rolling highs and lows, plus TA-Lib's small helpers.

/// The last `capacity` doubles in arrival order, in a fixed array (O(1)
/// memory and time per push).
public struct RingBuffer: Sendable {
    /// Most values kept.
    public let capacity: Int
    private var storage: [Double]
    /// Physical index of the next write.
    private var next = 0
    /// Number of values held (at most `capacity`).
    public private(set) var count = 0

    /// An empty ring of `capacity` ≥ 1 values.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = Array(repeating: 0, count: self.capacity)
    }

    /// True when `count == capacity`.
    @inlinable public var isFull: Bool { count == capacity }

    /// Appends `value`, dropping the oldest value when full.
    public mutating func push(_ value: Double) {
        storage[next] = value
        next += 1
        if next == capacity { next = 0 }
        if count < capacity { count += 1 }
    }

    /// The oldest value held (the first pushed when not yet full); 0 when empty.
    public var oldest: Double { count < capacity ? storage[0] : storage[next] }

    /// The value pushed `age` pushes ago (0 = newest); `age` must be below `count`.
    public subscript(age age: Int) -> Double {
        var index = next - 1 - age
        if index < 0 { index += capacity }
        return storage[index]
    }

    /// Empties the ring.
    public mutating func removeAll() {
        next = 0
        count = 0
    }
}

/// The highest (or lowest) value of the last `window` inputs and the input
/// index where it occurred — the most recent one on ties, as TA-Lib's AROON
/// picks it.
///
/// TA-Lib's own scheme: the extreme is kept and compared with each new input
/// (one comparison per input); only when it leaves the window are the
/// `window` values kept in a ring scanned again. On market data that happens
/// about once per `window` inputs, so the cost is O(1) amortised; it is
/// O(window) per input only for a series that falls (for the highest) or
/// rises (for the lowest) at every input. Measured faster than a monotonic
/// deque here, whose pop loop branches unpredictably on every input.
public struct RollingExtreme: Sendable {
    /// Which extreme is tracked.
    public enum Kind: Sendable {
        /// The highest value.
        case highest
        /// The lowest value.
        case lowest
    }

    /// Which extreme is tracked.
    public let kind: Kind
    /// Number of most recent inputs the extreme is taken over.
    public let window: Int
    /// The last `window` inputs, used circularly.
    private var values: [Double]
    /// Physical slot of the next write.
    private var next = 0
    /// Inputs held (at most `window`).
    private var count = 0
    /// The current extreme (undefined before the first push).
    public private(set) var value = 0.0
    /// The input index of ``value``.
    public private(set) var index = 0

    /// An empty window over the last `window` ≥ 1 inputs.
    public init(_ kind: Kind, window: Int) {
        self.kind = kind
        self.window = max(1, window)
        values = Array(repeating: 0, count: self.window)
    }

    /// Adds input number `index`; inputs are numbered consecutively (0, 1, 2…).
    public mutating func push(_ newValue: Double, at newIndex: Int) {
        values[next] = newValue
        next += 1
        if next == window { next = 0 }
        if count < window { count += 1 }
        if count == 1 || index <= newIndex - window {
            rescan(newest: newIndex)
        } else if kind == .highest ? newValue >= value : newValue <= value {
            value = newValue
            index = newIndex
        }
    }

    /// Finds the extreme of the values held, the most recent on ties.
    private mutating func rescan(newest: Int) {
        let highest = kind == .highest
        var slot = next - count
        if slot < 0 { slot += window }
        var best = values[slot], bestIndex = newest - count + 1
        for offset in 1..<max(count, 1) {
            slot += 1
            if slot == window { slot = 0 }
            let candidate = values[slot]
            if highest ? candidate >= best : candidate <= best {
                best = candidate
                bestIndex = newest - count + 1 + offset
            }
        }
        value = best
        index = bestIndex
    }

    /// Empties the window.
    public mutating func removeAll() {
        next = 0
        count = 0
    }
}

/// The highest high and the lowest low of the last `window` bars, with
/// where they occurred (see ``RollingExtreme``).
public struct RollingRange: Sendable {
    private var highs: RollingExtreme
    private var lows: RollingExtreme

    /// An empty range over the last `window` ≥ 1 bars.
    public init(window: Int) {
        highs = RollingExtreme(.highest, window: window)
        lows = RollingExtreme(.lowest, window: window)
    }

    /// Adds bar number `index` (strictly increasing between calls).
    @inline(__always) public mutating func push(_ bar: PriceBar, at index: Int) {
        highs.push(bar.high, at: index)
        lows.push(bar.low, at: index)
    }

    /// The highest high of the window.
    public var highest: Double { highs.value }
    /// The lowest low of the window.
    public var lowest: Double { lows.value }
    /// The bar index of ``highest`` (the most recent on ties).
    public var highestIndex: Int { highs.index }
    /// The bar index of ``lowest`` (the most recent on ties).
    public var lowestIndex: Int { lows.index }

    /// Empties the window.
    public mutating func removeAll() {
        highs.removeAll()
        lows.removeAll()
    }
}

/// The highest high and the lowest low of the last `window` bars, values
/// only (for STOCH, WILLR, KDJ, Donchian; AROON needs where they occurred and
/// uses ``RollingRange``).
///
/// Van Herk / Gil-Werman: the inputs fall into blocks of `window`; the window
/// ending at the newest input is the tail of the previous block plus the head
/// of the current one, so its extreme is the extreme of a suffix of the
/// previous block (computed once when that block filled) and a running prefix
/// extreme of the current block. Three comparisons per input and no
/// data-dependent branch, whatever the series does; the results are the exact
/// maxima and minima (no arithmetic).
public struct RollingHighLow: Sendable {
    /// Number of most recent bars the extremes are taken over.
    public let window: Int
    /// Per input slot k of the current block, in `window + 1`-long runs:
    /// [current block highs | current block lows | suffix highs + sentinel | suffix lows + sentinel].
    private var storage: [Double]
    /// Inputs in the current block (1…window once one was pushed).
    private var filled = 0
    /// Highest and lowest of the current block so far.
    private var prefixHigh = -Double.infinity
    private var prefixLow = Double.infinity
    /// The extremes after the last push.
    public private(set) var highest = -Double.infinity
    /// The lowest low after the last push.
    public private(set) var lowest = Double.infinity

    /// An empty range over the last `window` ≥ 1 bars.
    public init(window: Int) {
        self.window = max(1, window)
        storage = []
        storage.reserveCapacity(4 * (self.window + 1))
        storage += Array(repeating: 0, count: 2 * (self.window + 1))
        storage += Array(repeating: -Double.infinity, count: self.window + 1)
        storage += Array(repeating: Double.infinity, count: self.window + 1)
    }

    /// Adds the next bar (its high and low, both finite).
    @inline(__always) public mutating func push(_ bar: PriceBar) {
        push(high: bar.high, low: bar.low)
    }

    /// Adds the next high and low (both finite).
    public mutating func push(high: Double, low: Double) {
        let n = window, stride = window + 1
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if filled == n {
                // The current block is complete: it becomes the previous one (suffix extremes).
                var suffixHigh = -Double.infinity, suffixLow = Double.infinity
                var k = n - 1
                while k >= 0 {
                    suffixHigh = Swift.max(suffixHigh, base[k])
                    suffixLow = Swift.min(suffixLow, base[stride + k])
                    base[2 * stride + k] = suffixHigh
                    base[3 * stride + k] = suffixLow
                    k -= 1
                }
                filled = 0
                prefixHigh = -Double.infinity
                prefixLow = Double.infinity
            }
            base[filled] = high
            base[stride + filled] = low
            filled += 1
            prefixHigh = Swift.max(prefixHigh, high)
            prefixLow = Swift.min(prefixLow, low)
            // Previous block's slots filled…n−1 (slot n is the sentinel: the block alone is the window).
            highest = Swift.max(base[2 * stride + filled], prefixHigh)
            lowest = Swift.min(base[3 * stride + filled], prefixLow)
        }
    }

    /// Empties the window.
    public mutating func removeAll() {
        self = RollingHighLow(window: window)
    }
}

/// TA-Lib's `TA_IS_ZERO`: |x| < 1e-8.
@inline(__always) func taIsZero(_ x: Double) -> Bool { -0.00000001 < x && x < 0.00000001 }

/// TA-Lib's `TA_IS_ZERO_OR_NEG`: x < 1e-8.
@inline(__always) func taIsZeroOrNegative(_ x: Double) -> Bool { x < 0.00000001 }

/// TA-Lib's true range (`TRANGE` and the `TRUE_RANGE` macro of ADX/DI):
/// the greatest of high − low, |previous close − high|, |previous close − low|,
/// compared in that order.
@inline(__always) func taTrueRange(high: Double, low: Double, previousClose: Double) -> Double {
    var greatest = high - low
    let toHigh = abs(previousClose - high)
    if toHigh > greatest { greatest = toHigh }
    let toLow = abs(previousClose - low)
    if toLow > greatest { greatest = toLow }
    return greatest
}

extension IndicatorError {
    /// Validates a real-valued parameter (`range` inclusive).
    static func checkParameter(_ name: String, _ value: Double, in range: ClosedRange<Double>,
                               indicator: String) throws(IndicatorError) {
        guard value.isFinite, range.contains(value) else {
            throw IndicatorError(
                code: .parameterOutOfRange,
                message: "\(indicator): \(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)",
                parameter: name, value: String(value))
        }
    }

    /// Validates an integer parameter other than `period` (`range` inclusive).
    static func checkInteger(_ name: String, _ value: Int, in range: ClosedRange<Int>,
                             indicator: String) throws(IndicatorError) {
        guard range.contains(value) else {
            throw IndicatorError(
                code: .parameterOutOfRange,
                message: "\(indicator): \(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)",
                parameter: name, value: String(value))
        }
    }
}
