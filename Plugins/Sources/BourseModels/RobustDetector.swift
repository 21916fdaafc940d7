// The robust statistical detector: distance from a rolling median in MADs.

/// Settings of ``RobustDetector``.
public struct RobustDetectorSettings: Equatable, Sendable {
    /// Values in the rolling median/MAD window.
    public var window = 200
    /// Points used only for training before scores are given.
    public var learningPeriod = 750
    /// Largest robust z kept (caps single huge spikes).
    public var maximumZ = 50.0
    /// Out-of-range tolerance, as a fraction of the seen range.
    public var rangeTolerance = 0.01
    /// Points of deviation history a new deviation is compared with.
    public var recordSpan = 8000
    /// Ratio to the largest past deviation that gives the top score.
    public var recordScale = 1.5
    /// Also score each value's residual against the same phase of earlier
    /// cycles (period found by autocorrelation over the learning period).
    public var seasonal = true
    /// Points after a high score during which similar or lower scores are damped (0 = never);
    /// see ``RepeatSuppressor``.
    public var suppressionSpan = 150

    /// The defaults.
    public init() {}
}

/// Robust z-score detector. Each value is compared with the median of the
/// previous `window` values, in units of their median absolute deviation
/// (×1.4826, floored at a tenth of the window's standard deviation). The
/// z-score is then normalised against the series' own past z-scores
/// (``RecordNormalizer``), and a value outside the range of everything seen
/// so far scores 1. With `seasonal`, when the learning values show a cycle
/// (``SeasonalResidual``), the residual against the same phase of earlier
/// cycles is scored the same way and the higher of the two scores is kept.
public struct RobustDetector: AnomalyDetector, Sendable {
    /// The settings.
    public let settings: RobustDetectorSettings
    private var window: RollingMedianWindow
    private var range: RangeNovelty
    private var normalizer: RecordNormalizer
    private var seen = 0
    private var suppressor: RepeatSuppressor
    private var learningValues: [Double] = []
    private var seasonalResidual = SeasonalResidual()
    private var residualWindow: RollingMedianWindow
    private var residualNormalizer: RecordNormalizer

    /// A detector that has seen nothing.
    public init(settings: RobustDetectorSettings = RobustDetectorSettings()) {
        self.settings = settings
        window = RollingMedianWindow(capacity: settings.window)
        range = RangeNovelty(tolerance: settings.rangeTolerance)
        normalizer = RecordNormalizer(span: settings.recordSpan, scale: settings.recordScale)
        suppressor = RepeatSuppressor(span: settings.suppressionSpan)
        residualWindow = RollingMedianWindow(capacity: settings.window)
        residualNormalizer = RecordNormalizer(span: settings.recordSpan, scale: settings.recordScale)
    }

    /// Points used only for training.
    public var learningPeriod: Int { settings.learningPeriod }

    /// The robust z-score of `value` against the current window, before adding it (0 until 10 values).
    public func robustZ(_ value: Double) -> Double {
        window.robustZ(value, maximum: settings.maximumZ)
    }

    /// The normalised robust z of a seasonal residual against earlier residuals; then learns it.
    private mutating func scoreResidual(_ residual: Double) -> Double {
        let seasonalZ = residualWindow.robustZ(residual, maximum: settings.maximumZ)
        residualWindow.append(residual)
        return residualNormalizer.update(seasonalZ)
    }

    /// Scores `value`, then learns it.
    public mutating func update(_ value: Double) -> AnomalyScore {
        let z = robustZ(value)
        window.append(value)
        let outside = range.update(value)
        var relative = normalizer.update(z)
        seen += 1
        if settings.seasonal {
            if seen <= settings.learningPeriod {
                learningValues.append(value)
                if seen == settings.learningPeriod {
                    for residual in seasonalResidual.learn(learningValues) { _ = scoreResidual(residual) }
                    learningValues = []
                }
            } else if seasonalResidual.period != nil {
                relative = max(relative, scoreResidual(seasonalResidual.update(value)))
            }
        }
        guard seen > settings.learningPeriod else { return .learning }
        let score = suppressor.update(outside ? 1 : relative)
        if outside {
            return AnomalyScore(score: score, confidence: 1, reason: .outOfRange, raw: z)
        }
        return AnomalyScore(score: score, confidence: 1, reason: score > 0.5 ? .deviation : .normal, raw: z)
    }
}
