// One value type over the three detector kinds, for per-instrument state without existentials.

/// The detector kinds a model can be configured with.
public enum DetectorKind: String, Sendable, CaseIterable {
    /// ``RobustDetector``.
    case robust
    /// ``ForestDetector``.
    case forest
    /// ``EnsembleDetector``.
    case ensemble
}

/// A detector of any kind, built from ``EnsembleDetectorSettings`` (whose
/// `robust` and `forest` parts configure the single-kind detectors).
public enum ConfiguredDetector: AnomalyDetector, Sendable {
    /// A robust statistical detector.
    case robust(RobustDetector)
    /// An isolation-forest detector.
    case forest(ForestDetector)
    /// The ensemble of both.
    case ensemble(EnsembleDetector)

    /// A fresh detector of `kind`.
    public init(kind: DetectorKind, settings: EnsembleDetectorSettings) {
        switch kind {
        case .robust: self = .robust(RobustDetector(settings: settings.robust))
        case .forest: self = .forest(ForestDetector(settings: settings.forest))
        case .ensemble: self = .ensemble(EnsembleDetector(settings: settings))
        }
    }

    /// The wrapped detector's learning period.
    public var learningPeriod: Int {
        switch self {
        case .robust(let d): return d.learningPeriod
        case .forest(let d): return d.learningPeriod
        case .ensemble(let d): return d.learningPeriod
        }
    }

    /// Scores `value` with the wrapped detector.
    public mutating func update(_ value: Double) -> AnomalyScore {
        switch self {
        case .robust(var d):
            let score = d.update(value)
            self = .robust(d)
            return score
        case .forest(var d):
            let score = d.update(value)
            self = .forest(d)
            return score
        case .ensemble(var d):
            let score = d.update(value)
            self = .ensemble(d)
            return score
        }
    }
}
