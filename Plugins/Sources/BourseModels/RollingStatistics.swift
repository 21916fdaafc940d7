// Rolling order statistics and rolling maxima over a fixed number of recent points.

/// The last `capacity` values kept both in arrival order and sorted, for a
/// rolling median and median absolute deviation in O(capacity) per update.
public struct RollingMedianWindow: Sendable {
    /// Most values kept.
    public let capacity: Int
    private var arrival: [Double] = []
    private var oldest = 0
    private var sorted: [Double] = []

    /// An empty window of at most `capacity` (≥ 1) values.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        arrival.reserveCapacity(self.capacity)
        sorted.reserveCapacity(self.capacity)
    }

    /// Number of values held.
    public var count: Int { sorted.count }

    /// Adds a finite value, dropping the oldest when full.
    public mutating func append(_ value: Double) {
        if arrival.count == capacity {
            let removed = arrival[oldest]
            sorted.remove(at: Self.lowerBound(of: removed, in: sorted))
            arrival[oldest] = value
            oldest = (oldest + 1) % capacity
        } else {
            arrival.append(value)
        }
        sorted.insert(value, at: Self.lowerBound(of: value, in: sorted))
    }

    /// The median of the values held; NaN when empty.
    public var median: Double {
        Self.median(ofSorted: sorted)
    }

    /// The median absolute deviation from `center`; NaN when empty.
    public func medianAbsoluteDeviation(from center: Double) -> Double {
        Self.median(ofSorted: sorted.map { abs($0 - center) }.sorted())
    }

    /// Population standard deviation of the values held; NaN when empty.
    public var standardDeviation: Double {
        guard !sorted.isEmpty else { return .nan }
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        let sum = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (sum / Double(sorted.count)).squareRoot()
    }

    /// How far `value` is from the window's median in robust units: the MAD
    /// ×1.4826, floored at a tenth of the standard deviation (and a tiny
    /// fraction of the median); capped at `maximum`; 0 with fewer than 10 values.
    public func robustZ(_ value: Double, maximum: Double) -> Double {
        guard count >= 10 else { return 0 }
        let center = median
        let mad = medianAbsoluteDeviation(from: center) * 1.4826
        let scale = max(mad, 0.1 * standardDeviation, 1e-9 * abs(center) + 1e-12)
        return min(abs(value - center) / scale, maximum)
    }

    static func median(ofSorted values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    static func lowerBound(of value: Double, in values: [Double]) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The largest of the last `span` values (a monotonic queue): amortised O(1) per update.
public struct RollingMaximum: Sendable {
    /// How many recent values the maximum covers.
    public let span: Int
    private var entries: [(index: Int, value: Double)] = []
    private var head = 0
    private var index = 0

    /// An empty rolling maximum over `span` (≥ 1) values.
    public init(span: Int) {
        self.span = max(1, span)
    }

    /// The maximum of the last `span` values, or nil before the first one.
    public var maximum: Double? {
        head < entries.count ? entries[head].value : nil
    }

    /// Adds a value.
    public mutating func append(_ value: Double) {
        while entries.count > head, entries[entries.count - 1].value <= value {
            entries.removeLast()
        }
        entries.append((index, value))
        while entries[head].index <= index - span {
            head += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        index += 1
    }
}
