// The ensemble of the robust statistical detector and the isolation forest.

/// How the ensemble merges its members' scores.
public enum EnsembleCombination: String, Sendable, CaseIterable {
    /// Weighted mean of the members' scores.
    case mean
    /// The larger member score.
    case max
}

/// Settings of ``EnsembleDetector``.
public struct EnsembleDetectorSettings: Equatable, Sendable {
    /// The robust member.
    public var robust = RobustDetectorSettings()
    /// The forest member.
    public var forest = ForestDetectorSettings()
    /// Weight of the robust member's score in the mean (the forest gets 1 − weight).
    public var robustWeight = 0.6
    /// How scores are merged.
    public var combination = EnsembleCombination.mean
    /// Suppression of repeated alerts on the merged score (the members' own settings are ignored).
    public var suppressionSpan = 150

    /// The defaults.
    public init() {}
}

/// Runs ``RobustDetector`` and ``ForestDetector`` side by side and merges
/// their scores. The confidence is their agreement, 1 − |difference|; a value
/// outside the range seen so far scores 1 with confidence 1.
public struct EnsembleDetector: AnomalyDetector, Sendable {
    /// The settings.
    public let settings: EnsembleDetectorSettings
    private var robust: RobustDetector
    private var forest: ForestDetector
    private var suppressor: RepeatSuppressor

    /// An ensemble that has seen nothing.
    public init(settings: EnsembleDetectorSettings = EnsembleDetectorSettings()) {
        self.settings = settings
        var robustSettings = settings.robust
        robustSettings.suppressionSpan = 0
        var forestSettings = settings.forest
        forestSettings.suppressionSpan = 0
        robust = RobustDetector(settings: robustSettings)
        forest = ForestDetector(settings: forestSettings)
        suppressor = RepeatSuppressor(span: settings.suppressionSpan)
    }

    /// The longer of the members' learning periods.
    public var learningPeriod: Int { max(robust.learningPeriod, forest.learningPeriod) }

    /// Scores `value` with both members, then merges.
    public mutating func update(_ value: Double) -> AnomalyScore {
        let a = robust.update(value)
        let b = forest.update(value)
        if a.reason == .learning || b.reason == .learning { return .learning }
        if a.reason == .outOfRange || b.reason == .outOfRange {
            _ = suppressor.update(1)
            return AnomalyScore(score: 1, confidence: 1, reason: .outOfRange, raw: a.raw)
        }
        var score: Double
        switch settings.combination {
        case .mean: score = settings.robustWeight * a.score + (1 - settings.robustWeight) * b.score
        case .max: score = max(a.score, b.score)
        }
        score = suppressor.update(score)
        let reason: AnomalyReason
        switch (a.score > 0.5, b.score > 0.5) {
        case (true, true): reason = .deviationAndIsolated
        case (true, false): reason = .deviation
        case (false, true): reason = .isolated
        case (false, false): reason = .normal
        }
        return AnomalyScore(score: score, confidence: 1 - abs(a.score - b.score), reason: reason, raw: a.raw)
    }
}
