// Seasonal residuals: the value minus the median of the same phase in earlier cycles.

/// Estimates the dominant period of a series from its learning values
/// (autocorrelation), then gives each new value's residual against the
/// median of the values one, two and three periods earlier.
public struct SeasonalResidual: Sendable {
    /// The estimated period in points, or nil when the series shows no clear cycle.
    public private(set) var period: Int?
    private var history: [Double] = []
    private var capacity = 0

    /// Nothing estimated yet.
    public init() {}

    /// The period of `values`: past the lag where the autocorrelation first
    /// turns negative, the smallest local maximum of the autocorrelation that
    /// reaches 90 % of the highest one, provided that one is ≥ `minimum`;
    /// nil when there is none (lags up to count/2).
    public static func dominantPeriod(of values: [Double], minimum: Double = 0.5) -> Int? {
        let n = values.count
        guard n >= 16 else { return nil }
        let mean = values.reduce(0, +) / Double(n)
        let centered = values.map { $0 - mean }
        let variance = centered.reduce(0) { $0 + $1 * $1 }
        guard variance > 0 else { return nil }
        let maxLag = n / 2
        var correlations = [Double](repeating: 0, count: maxLag + 2)
        for lag in 1...(maxLag + 1) {
            var sum = 0.0
            for i in lag..<n { sum += centered[i] * centered[i - lag] }
            correlations[lag] = sum / variance
        }
        guard let firstNegative = (1...maxLag).first(where: { correlations[$0] < 0 }), firstNegative < maxLag else {
            return nil
        }
        let peaks = (firstNegative + 1...maxLag).filter {
            correlations[$0] >= correlations[$0 - 1] && correlations[$0] >= correlations[$0 + 1]
        }
        guard let best = peaks.map({ correlations[$0] }).max(), best >= minimum else { return nil }
        return peaks.first { correlations[$0] >= 0.9 * best }
    }

    /// Sets the period from the learning values and returns their residuals
    /// (from one period on), so the caller can learn what residuals look like.
    @discardableResult
    public mutating func learn(_ values: [Double]) -> [Double] {
        period = Self.dominantPeriod(of: values)
        guard let period else { return [] }
        capacity = 3 * period
        history = []
        var residuals: [Double] = []
        for (i, value) in values.enumerated() {
            let residual = update(value)
            if i >= period { residuals.append(residual) }
        }
        return residuals
    }

    /// The residual of `value` (0 without a period or history), then remembers it.
    public mutating func update(_ value: Double) -> Double {
        guard let period else { return 0 }
        defer {
            history.append(value)
            if history.count > capacity { history.removeFirst(history.count - capacity) }
        }
        var earlier: [Double] = []
        var back = period
        while back <= history.count, earlier.count < 3 {
            earlier.append(history[history.count - back])
            back += period
        }
        guard !earlier.isEmpty else { return 0 }
        earlier.sort()
        return value - RollingMedianWindow.median(ofSorted: earlier)
    }
}
