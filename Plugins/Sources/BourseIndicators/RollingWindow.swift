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
/// picks it — in amortised O(1) per input (monotonic deque over a fixed
/// array of `window` slots).
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
    /// Deque slots (value, input index), used circularly.
    private var entries: [Entry]
    /// Physical slot of the front (the current extreme).
    private var head = 0
    /// Number of deque entries.
    private var length = 0
    /// The current extreme (cached from the front entry).
    public private(set) var value = 0.0
    /// The input index of ``value``.
    public private(set) var index = 0

    private struct Entry {
        var value: Double
        var index: Int
    }

    /// An empty window over the last `window` ≥ 1 inputs.
    public init(_ kind: Kind, window: Int) {
        self.kind = kind
        self.window = max(1, window)
        entries = Array(repeating: Entry(value: 0, index: 0), count: self.window)
    }

    /// Adds input number `index` (strictly increasing between calls).
    public mutating func push(_ value: Double, at index: Int) {
        let window = self.window, highest = kind == .highest
        var head = self.head, length = self.length
        entries.withUnsafeMutableBufferPointer { entries in
            // Drop entries the new value dominates (ties too: the newest wins).
            while length > 0 {
                var back = head + length - 1
                if back >= window { back -= window }
                let old = entries[back].value
                guard highest ? old <= value : old >= value else { break }
                length -= 1
            }
            // Drop the front when it left the window.
            if length > 0 && entries[head].index <= index - window {
                head += 1
                if head == window { head = 0 }
                length -= 1
            }
            var slot = head + length
            if slot >= window { slot -= window }
            entries[slot] = Entry(value: value, index: index)
            length += 1
            self.value = entries[head].value
            self.index = entries[head].index
        }
        self.head = head
        self.length = length
    }

    /// Empties the window.
    public mutating func removeAll() {
        head = 0
        length = 0
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
