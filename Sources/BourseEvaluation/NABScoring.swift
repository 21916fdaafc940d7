// NAB's scoring rules: scaled sigmoid, windows, probation, cost profiles.
#if canImport(Glibc)
import Glibc
#endif

/// The weights of one NAB application profile (`profiles.json`'s `CostMatrix`).
public struct NABCostMatrix: Equatable, Sendable {
    /// Reward of a detection at the very start of a window.
    public var truePositive: Double
    /// Cost of a detection far from any window.
    public var falsePositive: Double
    /// Cost of a window with no detection.
    public var falseNegative: Double

    /// Creates a cost matrix.
    public init(truePositive: Double, falsePositive: Double, falseNegative: Double) {
        self.truePositive = truePositive
        self.falsePositive = falsePositive
        self.falseNegative = falseNegative
    }
}

/// A named NAB application profile.
public struct NABProfile: Equatable, Sendable {
    /// `standard`, `reward_low_FP_rate` or `reward_low_FN_rate`.
    public var name: String
    /// Its weights.
    public var costs: NABCostMatrix

    /// Creates a profile.
    public init(name: String, costs: NABCostMatrix) {
        self.name = name
        self.costs = costs
    }

    /// NAB's standard profile: TP 1, FP 0.11, FN 1.
    public static let standard = NABProfile(
        name: "standard", costs: NABCostMatrix(truePositive: 1, falsePositive: 0.11, falseNegative: 1))
    /// NAB's profile rewarding few false positives: FP 0.22.
    public static let rewardLowFalsePositives = NABProfile(
        name: "reward_low_FP_rate", costs: NABCostMatrix(truePositive: 1, falsePositive: 0.22, falseNegative: 1))
    /// NAB's profile rewarding few false negatives: FN 2.
    public static let rewardLowFalseNegatives = NABProfile(
        name: "reward_low_FN_rate", costs: NABCostMatrix(truePositive: 1, falsePositive: 0.11, falseNegative: 2))
    /// The three profiles in NAB's order.
    public static let all = [standard, rewardLowFalsePositives, rewardLowFalseNegatives]
}

/// NAB's scaled sigmoid: the reward (or, past a window, the cost) of a
/// detection at `relativePosition` (−1 = left edge of a window, 0 = right
/// edge, > 0 = after it, in window widths); −1 from 3 on.
public func nabScaledSigmoid(_ relativePosition: Double) -> Double {
    if relativePosition >= 3 { return -1 }
    return 2 / (1 + exp(5 * relativePosition)) - 1
}

/// NAB's probationary length of a series of `count` points: the first 15 %,
/// at most 750 points, which are never scored.
public func nabProbationaryLength(count: Int, fraction: Double = 0.15) -> Int {
    let length = min((fraction * Double(count)).rounded(.down), fraction * 5000)
    return Int(length.rounded(.up))
}

/// One labelled anomaly window as point indices into its series (inclusive).
public struct NABWindow: Equatable, Sendable {
    /// Index of the first point in the window.
    public var start: Int
    /// Index of the last point in the window.
    public var end: Int

    /// Creates a window; `start` ≤ `end`.
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}

/// One point of a series, weighted as NAB's sweeper does.
public struct NABSweepPoint: Equatable, Sendable {
    /// What the point is for scoring.
    public enum Role: Equatable, Sendable {
        /// In the probationary period: ignored.
        case probationary
        /// Outside every window: a detection here is a false positive.
        case outside
        /// Inside window number `window` (unique over the whole corpus).
        case inside(window: Int)
    }

    /// The detector's anomaly score.
    public var anomalyScore: Double
    /// The weighted reward (inside a window) or cost (outside) of a detection here.
    public var weight: Double
    /// Where the point is.
    public var role: Role
}

/// The score of a detector at one threshold.
public struct NABThresholdScore: Equatable, Sendable {
    /// Points with an anomaly score ≥ threshold are detections.
    public var threshold: Double
    /// Raw NAB score: window rewards, minus missed windows and false positives.
    public var score: Double
    /// Detected points inside windows.
    public var truePositives: Int
    /// Points outside windows not detected.
    public var trueNegatives: Int
    /// Detected points outside windows.
    public var falsePositives: Int
    /// Points inside windows not detected.
    public var falseNegatives: Int
}

/// NAB's sweeper: weights every point of a series, then scores all thresholds in one pass.
public struct NABSweeper: Sendable {
    /// The profile's weights.
    public var costs: NABCostMatrix
    /// Fraction of each series in the probationary period.
    public var probationaryFraction: Double

    /// A sweeper for a profile.
    public init(costs: NABCostMatrix, probationaryFraction: Double = 0.15) {
        self.costs = costs
        self.probationaryFraction = probationaryFraction
    }

    /// Weights the points of one series (NAB's `calcSweepScore`). Windows
    /// must be sorted and disjoint; `firstWindowID` numbers them corpus-wide.
    public func sweep(anomalyScores: [Double], windows: [NABWindow], firstWindowID: Int) -> [NABSweepPoint] {
        let maxTruePositive = nabScaledSigmoid(-1)
        let probation = nabProbationaryLength(count: anomalyScores.count, fraction: probationaryFraction)
        var points: [NABSweepPoint] = []
        points.reserveCapacity(anomalyScores.count)
        var next = 0
        var current: (window: NABWindow, id: Int)?
        var previous: NABWindow?
        for (i, anomalyScore) in anomalyScores.enumerated() {
            if next < windows.count, windows[next].start == i {
                current = (windows[next], firstWindowID + next)
                next += 1
            }
            let weight: Double
            var role: NABSweepPoint.Role
            if let current {
                let width = Double(current.window.end - current.window.start + 1)
                let position = -Double(current.window.end - i + 1) / width
                weight = nabScaledSigmoid(position) * costs.truePositive / maxTruePositive
                role = .inside(window: current.id)
            } else {
                var position = 3.0
                if let previous {
                    let width = Double(previous.end - previous.start + 1)
                    position = width > 1 ? Double(abs(previous.end - i)) / (width - 1) : 3.0
                }
                weight = nabScaledSigmoid(position) * costs.falsePositive
                role = .outside
            }
            if i < probation { role = .probationary }
            points.append(NABSweepPoint(anomalyScore: anomalyScore, weight: weight, role: role))
            if let window = current?.window, window.end == i {
                previous = window
                current = nil
            }
        }
        return points
    }

    /// The score at every distinct threshold, highest threshold first (NAB's
    /// `calcScoreByThreshold`), starting with threshold 1.1 (no detection).
    /// A window scores its earliest detection's reward, or −FN weight if none.
    public func scoresByThreshold(_ points: [NABSweepPoint]) -> [NABThresholdScore] {
        let scorable = points.filter { $0.role != .probationary }.sorted { $0.anomalyScore > $1.anomalyScore }
        var windowScores: [Int: Double] = [:]
        var negatives = 0
        var positives = 0
        for point in scorable {
            if case .inside(let id) = point.role {
                windowScores[id] = -costs.falseNegative
                positives += 1
            } else {
                negatives += 1
            }
        }
        var total = windowScores.values.reduce(0, +)
        var result: [NABThresholdScore] = []
        var threshold = 1.1
        var truePositives = 0
        var falsePositives = 0
        func record() {
            result.append(NABThresholdScore(
                threshold: threshold, score: total, truePositives: truePositives,
                trueNegatives: negatives - falsePositives, falsePositives: falsePositives,
                falseNegatives: positives - truePositives))
        }
        for point in scorable {
            if point.anomalyScore != threshold {
                record()
                threshold = point.anomalyScore
            }
            switch point.role {
            case .inside(let id):
                truePositives += 1
                let old = windowScores[id, default: -costs.falseNegative]
                if point.weight > old {
                    windowScores[id] = point.weight
                    total += point.weight - old
                }
            case .outside:
                falsePositives += 1
                total += point.weight
            case .probationary:
                break
            }
        }
        record()
        return result
    }

    /// The score at `threshold` from a list made by ``scoresByThreshold(_:)``
    /// (NAB's `scoreDataSet`): the row for the lowest listed threshold ≥ `threshold`.
    public static func score(at threshold: Double, in scores: [NABThresholdScore]) -> NABThresholdScore? {
        var match: NABThresholdScore?
        for row in scores {
            if row.threshold < threshold { break }
            match = row
        }
        return match
    }
}
