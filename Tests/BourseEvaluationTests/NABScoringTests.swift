import BourseCore
import BourseTestSupport
import Testing
@testable import BourseEvaluation

/// One series of 100 points with one window over indices 40...49 (width 10);
/// the probationary period is the first 15 points.
private func corpus(windows: [NABWindow] = [NABWindow(start: 40, end: 49)], count: Int = 100) -> NABCorpus {
    let series = NABSeries(name: "test/one.csv", timestamps: (0..<count).map { Int64($0) * 300 },
                           values: Array(repeating: 1, count: count), windows: windows)
    return NABCorpus(directory: "", series: [series], profiles: NABProfile.all, scoreboard: [:])
}

/// Scores with detections (score 1) at `indices`, 0 elsewhere.
private func detections(at indices: [Int], count: Int = 100) -> [String: [Double]] {
    var scores = [Double](repeating: 0, count: count)
    for i in indices { scores[i] = 1 }
    return ["test/one.csv": scores]
}

private func standardRaw(_ indices: [Int]) -> Double {
    NABBenchmark.evaluate(corpus: corpus(), scores: detections(at: indices), profiles: [.standard])[0].rawScore
}

@Test func scaledSigmoidMatchesNAB() {
    #expect(abs(nabScaledSigmoid(-1) - 0.9866142981514305) < 1e-12)
    #expect(abs(nabScaledSigmoid(-0.5) - 0.8482836399575129) < 1e-12)
    #expect(nabScaledSigmoid(0) == 0)
    #expect(nabScaledSigmoid(3) == -1)
    #expect(nabScaledSigmoid(10) == -1)
}

@Test func probationaryLengthIs15PercentCappedAt750() {
    #expect(nabProbationaryLength(count: 100) == 15)
    #expect(nabProbationaryLength(count: 4032) == 604)
    #expect(nabProbationaryLength(count: 22695) == 750)
}

@Test func detectionAtTheStartOfAWindowEarnsTheFullReward() {
    #expect(abs(standardRaw([40]) - 1) < 1e-12)
}

@Test func laterDetectionsEarnLessAndOnlyTheEarliestCounts() {
    #expect(abs(standardRaw([49]) - 0.24824154977542992) < 1e-12)
    #expect(abs(standardRaw([45]) - 0.8597925669097837) < 1e-12)
    // Several detections in one window: the earliest one's reward, no extra cost.
    #expect(abs(standardRaw([45, 47, 49]) - 0.8597925669097837) < 1e-12)
}

@Test func missedWindowCostsTheFalseNegativeWeight() {
    #expect(standardRaw([]) == -1)
    let lowFN = NABBenchmark.evaluate(corpus: corpus(), scores: detections(at: []), profiles: [.rewardLowFalseNegatives])
    #expect(lowFN[0].rawScore == -2)
}

@Test func falsePositivesCostByDistanceFromThePreviousWindow() {
    // Before any window: the full FP weight. The optimiser still prefers
    // detecting (threshold 1) because the window's reward outweighs it.
    #expect(abs(standardRaw([40, 20]) - (1 - 0.11)) < 1e-12)
    // After the window: less the closer it is.
    #expect(abs(standardRaw([40, 59]) - (1 - 0.10915277288169534)) < 1e-12)
    #expect(abs(standardRaw([40, 52]) - (1 - 0.07504879692619866)) < 1e-12)
}

@Test func probationaryPointsAreIgnored() {
    #expect(abs(standardRaw([40, 3, 10]) - 1) < 1e-12)
}

@Test func thresholdOptimisationPicksTheBestCutOverAllPoints() {
    // Window hit at 0.9, a far false positive at 0.95, another at 0.5.
    var scores = [Double](repeating: 0, count: 100)
    scores[40] = 0.9
    scores[20] = 0.95
    scores[30] = 0.5
    let result = NABBenchmark.evaluate(corpus: corpus(), scores: ["test/one.csv": scores], profiles: [.standard])[0]
    #expect(result.threshold == 0.9)
    #expect(abs(result.rawScore - (1 - 0.11)) < 1e-12)
    #expect(result.truePositives == 1)
    #expect(result.falsePositives == 1)
    // Per threshold: none (1.1) → -1; 0.95 → -1.11; 0.9 → 0.89; 0.5 → 0.78; 0 → everything.
    let sweeper = NABSweeper(costs: NABProfile.standard.costs)
    let rows = sweeper.scoresByThreshold(sweeper.sweep(anomalyScores: scores, windows: [NABWindow(start: 40, end: 49)],
                                                        firstWindowID: 0))
    #expect(rows.map(\.threshold) == [1.1, 0.95, 0.9, 0.5, 0])
    #expect(abs(rows[1].score - (-1.11)) < 1e-12)
    #expect(abs(rows[3].score - 0.78) < 1e-12)
}

@Test func nullScoresZeroAndPerfectScoresHundredOnHandMadeCorpus() {
    let windows = [NABWindow(start: 30, end: 39), NABWindow(start: 70, end: 74)]
    let made = corpus(windows: windows)
    for result in NABBenchmark.evaluate(corpus: made, scores: detections(at: [])) {
        #expect(result.normalizedScore == 0)
    }
    for result in NABBenchmark.evaluate(corpus: made, scores: detections(at: [30, 70])) {
        #expect(abs(result.normalizedScore - 100) < 1e-9)
        #expect(result.threshold == 1)
    }
}

@Test func timestampsParseAsUTC() {
    #expect(parseNABTimestamp("1970-01-01 00:00:00") == 0)
    #expect(parseNABTimestamp("2014-07-01 00:30:00") == 1_404_174_600)
    #expect(parseNABTimestamp("2014-02-19 10:50:00.000000") == 1_392_807_000)
    #expect(parseNABTimestamp("2014-13-01 00:00:00") == nil)
    #expect(parseNABTimestamp("yesterday") == nil)
}

@Test func realCorpusNullIsZeroAndPerfectIsHundred() throws {
    let corpus = try NABCorpus.load(directory: TestPaths.sharedData + "/nab")
    #expect(corpus.series.count == 58)
    #expect(corpus.windowCount == 116)
    let null = NABBenchmark.evaluate(corpus: corpus, scores: [:])
    #expect(null.map(\.profile.name) == ["standard", "reward_low_FP_rate", "reward_low_FN_rate"])
    #expect(null.map(\.normalizedScore) == [0, 0, 0])
    #expect(null.map(\.nullScore) == [-116, -116, -232])
    var perfect: [String: [Double]] = [:]
    for series in corpus.series {
        var scores = [Double](repeating: 0, count: series.values.count)
        for window in series.windows { scores[window.start] = 1 }
        perfect[series.name] = scores
    }
    for result in NABBenchmark.evaluate(corpus: corpus, scores: perfect) {
        #expect(abs(result.normalizedScore - 100) < 1e-9)
    }
    #expect(corpus.scoreboard["numenta"]?["standard"] != nil)
}

@Test func missingCorpusIsAClearError() {
    #expect(throws: BourseError.self) { try NABCorpus.load(directory: "/nonexistent/nab") }
}
