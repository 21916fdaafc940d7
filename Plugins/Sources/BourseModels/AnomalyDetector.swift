// The common shape of the streaming anomaly detectors and the pieces they share.

/// Why a detector scored a point the way it did.
public enum AnomalyReason: UInt32, Sendable, CaseIterable {
    /// Still learning: the point was only used to train the detector.
    case learning = 0
    /// Nothing unusual.
    case normal = 1
    /// The value left the range of every value seen so far by more than the tolerance.
    case outOfRange = 2
    /// The value is far from the rolling median, or from the same phase of earlier cycles,
    /// in MADs, compared with past deviations.
    case deviation = 3
    /// The recent pattern of values is easy to isolate from the training window (isolation forest).
    case isolated = 4
    /// The robust deviation and the isolation forest both found the point unusual.
    case deviationAndIsolated = 5

    /// A short human-readable phrase.
    public var phrase: String {
        switch self {
        case .learning: return "learning"
        case .normal: return "normal"
        case .outOfRange: return "value outside the range seen so far"
        case .deviation: return "unusual deviation from the rolling median or earlier cycles"
        case .isolated: return "unusual recent pattern (isolation forest)"
        case .deviationAndIsolated: return "unusual deviation and pattern"
        }
    }
}

/// The verdict of a detector on one value.
public struct AnomalyScore: Equatable, Sendable {
    /// Anomaly score in 0...1; 1 is reserved for values outside the range seen so far.
    public var score: Double
    /// How much the detector trusts the score, in 0...1 (agreement of the ensemble's members).
    public var confidence: Double
    /// Why.
    public var reason: AnomalyReason
    /// The detector's raw measure before normalisation (robust z, or forest score), for diagnostics.
    public var raw: Double

    /// Creates a verdict.
    public init(score: Double, confidence: Double, reason: AnomalyReason, raw: Double) {
        self.score = score
        self.confidence = confidence
        self.reason = reason
        self.raw = raw
    }

    /// The verdict during the learning period.
    public static let learning = AnomalyScore(score: 0, confidence: 0, reason: .learning, raw: 0)
}

/// A streaming anomaly detector over one series of values.
public protocol AnomalyDetector {
    /// Points used only for training before scores are given (score 0 meanwhile).
    var learningPeriod: Int { get }
    /// Consumes the next finite value and scores it.
    mutating func update(_ value: Double) -> AnomalyScore
}

/// Flags values outside the range of all earlier values by more than
/// `tolerance` × that range (Numenta's "spatial anomaly").
public struct RangeNovelty: Sendable {
    /// Fraction of the seen range a value may exceed it by without being flagged.
    public let tolerance: Double
    private var minimum = Double.nan
    private var maximum = Double.nan

    /// A tracker that has seen nothing.
    public init(tolerance: Double) {
        self.tolerance = tolerance
    }

    /// Whether `value` lies outside the widened range of earlier values; then widens the range.
    public mutating func update(_ value: Double) -> Bool {
        defer {
            if !(value >= minimum) { minimum = value }
            if !(value <= maximum) { maximum = value }
        }
        guard !minimum.isNaN else { return false }
        let margin = tolerance * (maximum - minimum)
        return value > maximum + margin || value < minimum - margin
    }
}

/// Turns a detector's raw measure into a score comparable across series:
/// the ratio of the measure to the largest measure of the last `span`
/// points, divided by `scale`, capped at `ceiling`. A point only scores high
/// when it is more extreme than anything recent in the same series.
public struct RecordNormalizer: Sendable {
    /// Ratio that maps to the ceiling.
    public let scale: Double
    /// Highest score given (values outside the seen range score 1 elsewhere).
    public let ceiling: Double
    private var history: RollingMaximum

    /// A normaliser comparing against the last `span` raw measures.
    public init(span: Int, scale: Double, ceiling: Double = 0.95) {
        self.scale = scale
        self.ceiling = ceiling
        history = RollingMaximum(span: span)
    }

    /// The score of `raw` (≥ 0) against earlier measures; then remembers `raw`.
    public mutating func update(_ raw: Double) -> Double {
        defer { history.append(raw) }
        guard let record = history.maximum, record > 0 else { return 0 }
        return min(raw / record / scale, 1) * ceiling
    }
}

/// Damps repeated alerts: a score (below 1) is multiplied by `damping` when
/// a score of at least `ratio` × it was seen in the last `span` points, so a
/// burst or a ramp of high scores alerts once, at its start, whatever
/// threshold is later applied. Scores of 1 (out of range) are never damped.
public struct RepeatSuppressor: Sendable {
    /// Points looked back; 0 disables suppression.
    public let span: Int
    /// How close to an earlier score a new one must be to be damped.
    public let ratio: Double
    /// Factor applied to damped scores.
    public let damping: Double
    private var recent: RollingMaximum

    /// A suppressor with nothing seen.
    public init(span: Int, ratio: Double = 0.95, damping: Double = 0.3) {
        self.span = span
        self.ratio = ratio
        self.damping = damping
        recent = RollingMaximum(span: max(span, 1))
    }

    /// The possibly damped `score`; then remembers the undamped one.
    public mutating func update(_ score: Double) -> Double {
        guard span > 0 else { return score }
        defer { recent.append(score) }
        if score > 0, score < 1, let previous = recent.maximum, previous >= ratio * score {
            return score * damping
        }
        return score
    }
}
