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
/// Points are grouped in buckets of equal numbers of consecutive points; a
/// bucket keeps only its lowest and its highest point (in time order). While
/// everything fits, a bucket is one point. When the buckets would hold more
/// than ``capacity`` points, neighbouring buckets merge two by two and later
/// buckets take twice as many points: the line stays evenly spaced over the
/// whole history, and every local extreme — a price spike, the bar of an
/// anomaly — survives at its exact time and value. The result depends only
/// on the sequence of points appended, so the same input always gives the
/// same series.
public struct DownsampledSeries: Equatable, Sendable {
    /// Lowest and highest point of consecutive appended points.
    struct Bucket: Equatable, Sendable {
        var low: SeriesPoint
        var high: SeriesPoint
        var count: Int

        init(_ point: SeriesPoint) {
            low = point
            high = point
            count = 1
        }

        mutating func add(_ point: SeriesPoint) {
            if point.value < low.value { low = point }
            if point.value > high.value { high = point }
            count += 1
        }

        mutating func merge(_ later: Bucket) {
            if later.low.value < low.value { low = later.low }
            if later.high.value > high.value { high = later.high }
            count += later.count
        }
    }

    /// Most points kept (at least 8).
    public let capacity: Int
    /// Points appended in total.
    public private(set) var appended = 0
    /// Full buckets, then the one being filled.
    private var buckets: [Bucket] = []
    /// Appended points per bucket (a power of two).
    public private(set) var bucketSize = 1
    /// Most full buckets before they merge (even, so they merge in pairs).
    private let maxBuckets: Int

    /// An empty series keeping at most `capacity` points (raised to 8).
    public init(capacity: Int) {
        self.capacity = max(8, capacity)
        let buckets = self.capacity / 2 - 1
        maxBuckets = buckets - buckets % 2
    }

    /// Appends a point (points are expected in time order).
    public mutating func append(time: Int64, value: Double) {
        let point = SeriesPoint(time: time, value: value)
        appended += 1
        if let last = buckets.indices.last, buckets[last].count < bucketSize {
            buckets[last].add(point)
            return
        }
        if buckets.count > maxBuckets { mergePairs() }
        buckets.append(Bucket(point))
    }

    /// Merges the full buckets two by two and doubles the bucket size.
    mutating func mergePairs() {
        var merged: [Bucket] = []
        merged.reserveCapacity(buckets.count / 2 + 1)
        var i = 0
        while i + 1 < buckets.count {
            var bucket = buckets[i]
            bucket.merge(buckets[i + 1])
            merged.append(bucket)
            i += 2
        }
        if i < buckets.count { merged.append(buckets[i]) }
        buckets = merged
        bucketSize *= 2
    }

    /// The points kept, in time order: each bucket's lowest and highest point.
    public var points: [SeriesPoint] {
        var result: [SeriesPoint] = []
        result.reserveCapacity(buckets.count * 2)
        for bucket in buckets {
            if bucket.low == bucket.high {
                result.append(bucket.low)
            } else if bucket.low.time <= bucket.high.time {
                result.append(bucket.low)
                result.append(bucket.high)
            } else {
                result.append(bucket.high)
                result.append(bucket.low)
            }
        }
        return result
    }

    /// The value at `time`: the point's own value when one has that time,
    /// else the linear interpolation of its neighbours (the nearest end
    /// outside the range); nil when empty.
    public func value(at time: Int64) -> Double? {
        let points = self.points
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
        guard let first = buckets.first?.low else { return nil }
        var low = first.value, high = first.value
        for bucket in buckets {
            low = Swift.min(low, bucket.low.value)
            high = Swift.max(high, bucket.high.value)
        }
        return (low, high)
    }
}
