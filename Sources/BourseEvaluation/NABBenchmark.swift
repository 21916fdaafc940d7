// NAB's threshold optimisation and normalisation over a whole corpus.

/// One series' result at the chosen threshold.
public struct NABSeriesScore: Equatable, Sendable {
    /// The series name.
    public var name: String
    /// Its raw score and counts.
    public var score: NABThresholdScore
}

/// A detector's result for one profile.
public struct NABProfileResult: Equatable, Sendable {
    /// The profile.
    public var profile: NABProfile
    /// The threshold NAB's optimisation chose (the best total raw score over the corpus).
    public var threshold: Double
    /// Total raw score over the corpus at that threshold.
    public var rawScore: Double
    /// Raw score of the null detector (no detections).
    public var nullScore: Double
    /// Raw score of the perfect detector (one detection at the start of every window).
    public var perfectScore: Double
    /// 100 × (raw − null) / (perfect − null): 0 for the null detector, 100 for the perfect one.
    public var normalizedScore: Double
    /// Per-series results at the threshold, in corpus order.
    public var series: [NABSeriesScore]

    /// Detected points inside windows, over the corpus.
    public var truePositives: Int { series.reduce(0) { $0 + $1.score.truePositives } }
    /// Detected points outside windows, over the corpus.
    public var falsePositives: Int { series.reduce(0) { $0 + $1.score.falsePositives } }
}

/// Scores a detector's anomaly scores on a corpus the way NAB v1.1 does.
public enum NABBenchmark {
    /// For each profile: weights every point (``NABSweeper``), picks the
    /// threshold with the best total raw score over all series, scores each
    /// series at it, and normalises the total against the null and perfect
    /// detectors. `scores[name]` holds one anomaly score per point of that
    /// series; a missing series or point scores 0.
    public static func evaluate(corpus: NABCorpus, scores: [String: [Double]],
                                profiles: [NABProfile]? = nil, probationaryFraction: Double = 0.15) -> [NABProfileResult] {
        let aligned = corpus.series.map { series -> [Double] in
            var values = scores[series.name] ?? []
            if values.count < series.values.count {
                values += Array(repeating: 0, count: series.values.count - values.count)
            }
            return Array(values.prefix(series.values.count))
        }
        let nulls = corpus.series.map { [Double](repeating: 0, count: $0.values.count) }
        return (profiles ?? corpus.profiles).map { profile in
            let sweeper = NABSweeper(costs: profile.costs, probationaryFraction: probationaryFraction)
            let result = score(corpus: corpus, anomalyScores: aligned, sweeper: sweeper)
            let null = score(corpus: corpus, anomalyScores: nulls, sweeper: sweeper)
            let perfect = Double(corpus.windowCount) * profile.costs.truePositive
            let normalized = perfect == null.total ? 0 : 100 * (result.total - null.total) / (perfect - null.total)
            return NABProfileResult(profile: profile, threshold: result.threshold, rawScore: result.total,
                                    nullScore: null.total, perfectScore: perfect, normalizedScore: normalized,
                                    series: result.series)
        }
    }

    /// The optimal threshold and the per-series scores at it.
    static func score(corpus: NABCorpus, anomalyScores: [[Double]], sweeper: NABSweeper)
        -> (threshold: Double, total: Double, series: [NABSeriesScore])
    {
        var allPoints: [NABSweepPoint] = []
        var perSeries: [[NABSweepPoint]] = []
        var windowID = 0
        for (series, values) in zip(corpus.series, anomalyScores) {
            let points = sweeper.sweep(anomalyScores: values, windows: series.windows, firstWindowID: windowID)
            windowID += series.windows.count
            perSeries.append(points)
            allPoints += points
        }
        let overall = sweeper.scoresByThreshold(allPoints)
        // Best score; on ties NAB's stable sort keeps the first (highest) threshold.
        var best = overall[0]
        for row in overall.dropFirst() where row.score > best.score { best = row }
        var results: [NABSeriesScore] = []
        var total = 0.0
        for (series, points) in zip(corpus.series, perSeries) {
            let rows = sweeper.scoresByThreshold(points)
            let row = NABSweeper.score(at: best.threshold, in: rows) ?? rows[0]
            results.append(NABSeriesScore(name: series.name, score: row))
            total += row.score
        }
        return (best.threshold, total, results)
    }
}
