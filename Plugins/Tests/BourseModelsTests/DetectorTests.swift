// The anomaly detectors and their building blocks, on synthetic series.
import Testing
@testable import BourseModels

/// A seeded noisy daily-like cycle of `count` points, with a spike of `spike` at `spikeAt`.
func syntheticSeries(count: Int = 3000, seed: UInt64 = 7, spikeAt: Int? = nil, spike: Double = 0) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { i in
        let noise = Double(generator.next() >> 11) / Double(1 << 53) - 0.5
        let cycle = 10 * Double(i % 48) / 48
        return 100 + cycle + noise + (i == spikeAt ? spike : 0)
    }
}

func run<D: AnomalyDetector>(_ detector: D, _ values: [Double]) -> [AnomalyScore] {
    var detector = detector
    return values.map { detector.update($0) }
}

@Test func seededGeneratorIsDeterministic() {
    var a = SeededGenerator(seed: 1)
    var b = SeededGenerator(seed: 1)
    var c = SeededGenerator(seed: 2)
    let first = (0..<5).map { _ in a.next() }
    #expect(first == (0..<5).map { _ in b.next() })
    #expect(first != (0..<5).map { _ in c.next() })
}

@Test func rollingMedianAndMADMatchBruteForce() {
    var window = RollingMedianWindow(capacity: 7)
    let values = syntheticSeries(count: 40)
    for (i, v) in values.enumerated() {
        window.append(v)
        let held = Array(values[max(0, i - 6)...i]).sorted()
        let median = held.count % 2 == 1 ? held[held.count / 2] : (held[held.count / 2 - 1] + held[held.count / 2]) / 2
        #expect(window.median == median)
        let deviations = held.map { abs($0 - median) }.sorted()
        let mad = deviations.count % 2 == 1 ? deviations[deviations.count / 2]
            : (deviations[deviations.count / 2 - 1] + deviations[deviations.count / 2]) / 2
        #expect(window.medianAbsoluteDeviation(from: median) == mad)
    }
}

@Test func rollingMaximumMatchesBruteForce() {
    var maximum = RollingMaximum(span: 5)
    let values = syntheticSeries(count: 3000)
    #expect(maximum.maximum == nil)
    for (i, v) in values.enumerated() {
        maximum.append(v)
        #expect(maximum.maximum == values[max(0, i - 4)...i].max())
    }
}

@Test func rangeNoveltyFlagsOnlyValuesBeyondTheTolerance() {
    var range = RangeNovelty(tolerance: 0.1)
    // 0 (first), 10 (beyond [0, 0]), 10.9 (within 10 + 10% of 10), −1.2 (below 0 − 1.09).
    let flags = [0, 10, 10.9, -1.2].map { range.update($0) }
    #expect(flags == [false, true, false, true])
}

@Test func repeatSuppressorLetsTheFirstOfABurstThrough() {
    var suppressor = RepeatSuppressor(span: 3, ratio: 0.95, damping: 0.5)
    // 0.8 passes, the same again is damped, a clearly higher 0.9 passes, out of range (1) is
    // never damped, and after three quiet points the burst is out of the span.
    let scores = [0.8, 0.8, 0.9, 1, 0, 0, 0, 0.5].map { suppressor.update($0) }
    #expect(scores == [0.8, 0.4, 0.9, 1, 0, 0, 0, 0.5])
}

@Test func isolationForestScoresOutliersHigher() {
    var generator = SeededGenerator(seed: 3)
    let points = (0..<500).map { _ in [Double(generator.next() % 1000) / 1000, Double(generator.next() % 1000) / 1000] }
    var seeded = SeededGenerator(seed: 11)
    let forest = IsolationForest(points: points, treeCount: 100, sampleSize: 256, generator: &seeded)
    let inlier = forest.score([0.5, 0.5])
    let outlier = forest.score([5, -4])
    #expect(outlier > 0.6)
    #expect(inlier < 0.5)
    #expect(outlier > inlier)
    // Same seed, same forest.
    var again = SeededGenerator(seed: 11)
    let twin = IsolationForest(points: points, treeCount: 100, sampleSize: 256, generator: &again)
    #expect(twin.score([0.7, 0.1]) == forest.score([0.7, 0.1]))
    #expect(IsolationForest.averagePathLength(256) > 10.2 && IsolationForest.averagePathLength(256) < 10.3)
}

@Test(arguments: DetectorKind.allCases)
func detectorsAreDeterministicWithAFixedSeed(kind: DetectorKind) {
    var settings = EnsembleDetectorSettings()
    settings.robust.learningPeriod = 300
    settings.forest.learningPeriod = 300
    settings.forest.seed = 99
    let values = syntheticSeries(count: 1500, spikeAt: 1200, spike: 30)
    let first = run(ConfiguredDetector(kind: kind, settings: settings), values)
    let second = run(ConfiguredDetector(kind: kind, settings: settings), values)
    #expect(first == second)
}

@Test func forestScoresDependOnTheSeed() {
    var a = ForestDetectorSettings()
    a.learningPeriod = 300
    var b = a
    b.seed = a.seed + 1
    let values = syntheticSeries(count: 1500)
    #expect(run(ForestDetector(settings: a), values).map(\.raw) != run(ForestDetector(settings: b), values).map(\.raw))
}

@Test(arguments: DetectorKind.allCases)
func detectorsLearnFirstThenFlagASpike(kind: DetectorKind) {
    var settings = EnsembleDetectorSettings()
    settings.robust.learningPeriod = 500
    settings.forest.learningPeriod = 500
    // A spike inside the seen range (the cycle spans 100...110): not an out-of-range value.
    let values = syntheticSeries(count: 2000, spikeAt: 1500, spike: -4.5)
    let scores = run(ConfiguredDetector(kind: kind, settings: settings), values)
    #expect(scores.prefix(500).allSatisfy { $0.reason == .learning && $0.score == 0 })
    #expect(scores[500].reason != .learning)
    let spike = scores[1500].score
    let others = scores[501..<1500].map(\.score).max() ?? 1
    #expect(spike > others, "\(kind): spike \(spike), largest other \(others)")
    #expect(spike > 0.3)
}

@Test(arguments: DetectorKind.allCases)
func valuesOutsideTheSeenRangeScoreOne(kind: DetectorKind) {
    var settings = EnsembleDetectorSettings()
    settings.robust.learningPeriod = 500
    settings.forest.learningPeriod = 500
    let values = syntheticSeries(count: 1000, spikeAt: 900, spike: 50)
    let scores = run(ConfiguredDetector(kind: kind, settings: settings), values)
    #expect(scores[900].score == 1)
    #expect(scores[900].reason == .outOfRange)
    #expect(scores[900].confidence == 1)
}

@Test func seasonalResidualFindsThePeriodOfACycle() {
    let cycle = syntheticSeries(count: 600)  // period 48 plus noise
    #expect(SeasonalResidual.dominantPeriod(of: cycle) == 48)
    var generator = SeededGenerator(seed: 4)
    let noise = (0..<600).map { _ in Double(generator.next() % 1000) }
    #expect(SeasonalResidual.dominantPeriod(of: noise) == nil)
    var residual = SeasonalResidual()
    _ = residual.learn(cycle)
    #expect(residual.period == 48)
    // The next value of the cycle is close to the same phase one period earlier.
    #expect(abs(residual.update(100 + 10 * Double(600 % 48) / 48)) < 1)
}

@Test func seasonalScoringFindsAMissingPeak() {
    // A sharp daily peak (inside the seen range) that fails to appear once.
    let values = (0..<2000).map { (i: Int) -> Double in
        let phase = i % 48
        let peak: Double = (20...23).contains(phase) && !(1500..<1548).contains(i) ? 10 : 0
        return 100 + peak + Double(i % 7) * 0.05
    }
    var settings = RobustDetectorSettings()
    settings.learningPeriod = 500
    var plain = settings
    plain.seasonal = false
    let seasonal = run(RobustDetector(settings: settings), values)
    let level = run(RobustDetector(settings: plain), values)
    let missing = 1508  // 1508 % 48 == 20: the first point of the missing peak
    #expect(seasonal[missing].score > 0.5)
    #expect(seasonal[missing].score > level[missing].score)
}
