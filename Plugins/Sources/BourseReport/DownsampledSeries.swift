// A time series kept to a bounded number of points by min/max decimation.

/// One point of a series.
public struct SeriesPoint: Equatable, Sendable {
    /// Event time, ns since the epoch.
    public var time: Int64
    /// The value.
    public var value: Double

    /// A point.
    public init(time: Int64, value: Double) {
        self.time = time
        self.value = value
    }
}

/// A series that never holds more than ``capacity`` points.
///
/// When an append would exceed the capacity, the points are grouped in runs
/// of four consecutive points and each run keeps only its lowest and highest
/// point, in time order: the count halves, and every local extreme — a price
/// spike, the bar of an anomaly — survives at its exact time and value. The
/// result depends only on the sequence of points appended, so the same
/// input always gives the same series.
public struct DownsampledSeries: Equatable, Sendable {
    /// Most points kept (at least 8).
    public let capacity: Int
    /// The points, in the order appended.
    public private(set) var points: [SeriesPoint] = []
    /// Points appended in total.
    public private(set) var appended = 0

    /// An empty series keeping at most `capacity` points (raised to 8).
    public init(capacity: Int) {
        self.capacity = max(8, capacity)
        points.reserveCapacity(min(self.capacity, 4096))
    }

    /// Appends a point, decimating first when the series is full.
    public mutating func append(time: Int64, value: Double) {
        if points.count >= capacity { decimate() }
        points.append(SeriesPoint(time: time, value: value))
        appended += 1
    }

    /// Halves the points: each run of four keeps its minimum and maximum.
    mutating func decimate() {
        var kept: [SeriesPoint] = []
        kept.reserveCapacity(points.count / 2 + 4)
        var start = 0
        while start < points.count {
            let end = min(start + 4, points.count)
            var low = start, high = start
            for i in start..<end {
                if points[i].value < points[low].value { low = i }
                if points[i].value > points[high].value { high = i }
            }
            if low == high {
                kept.append(points[low])
            } else {
                kept.append(points[min(low, high)])
                kept.append(points[max(low, high)])
            }
            start = end
        }
        points = kept
    }

    /// The value at `time`: the point's own value when one has that time,
    /// else the linear interpolation of its neighbours (the nearest end
    /// outside the range); nil when empty.
    public func value(at time: Int64) -> Double? {
        guard let first = points.first, let last = points.last else { return nil }
        if time <= first.time { return first.value }
        if time >= last.time { return last.value }
        var low = 0, high = points.count - 1
        while high - low > 1 {
            let mid = (low + high) / 2
            if points[mid].time <= time { low = mid } else { high = mid }
        }
        let a = points[low], b = points[high]
        if a.time == time { return a.value }
        let fraction = Double(time - a.time) / Double(b.time - a.time)
        return a.value + (b.value - a.value) * fraction
    }

    /// The smallest and largest value, or nil when empty.
    public var range: (min: Double, max: Double)? {
        guard let first = points.first else { return nil }
        var low = first.value, high = first.value
        for point in points {
            low = Swift.min(low, point.value)
            high = Swift.max(high, point.value)
        }
        return (low, high)
    }
}
