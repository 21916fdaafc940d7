// The streaming isolation-forest detector.

/// Settings of ``ForestDetector``.
public struct ForestDetectorSettings: Equatable, Sendable {
    /// Consecutive values in one feature vector (the last `shingle` values).
    public var shingle = 4
    /// Feature vectors in the sliding training window.
    public var trainingWindow = 500
    /// Points each tree is built from.
    public var sampleSize = 256
    /// Trees in the forest.
    public var trees = 50
    /// The forest is rebuilt every `refitInterval` points.
    public var refitInterval = 250
    /// Points used only for training before scores are given (the first fit happens then).
    public var learningPeriod = 750
    /// Seed of the random generator: same seed, same input → same scores.
    public var seed: UInt64 = 42
    /// Out-of-range tolerance, as a fraction of the seen range.
    public var rangeTolerance = 0.01
    /// Points of score history a new score is compared with.
    public var recordSpan = 8000
    /// Ratio to the largest past forest score that gives the top score.
    public var recordScale = 1.5
    /// Points after a high score during which similar or lower scores are damped (0 = never);
    /// see ``RepeatSuppressor``.
    public var suppressionSpan = 150
    /// Feature vectors hold the shingle's successive differences instead of its values
    /// (plus the last value), so level-independent shapes are learned.
    public var differences = true

    /// The defaults.
    public init() {}
}

/// Isolation forest over shingles (the last few values), trained on a
/// sliding window of recent shingles and rebuilt periodically. The forest
/// score is normalised against the series' own past forest scores
/// (``RecordNormalizer``); a value outside the range seen so far scores 1.
public struct ForestDetector: AnomalyDetector, Sendable {
    /// The settings.
    public let settings: ForestDetectorSettings
    private var generator: SeededGenerator
    private var forest: IsolationForest?
    private var recent: [Double] = []
    private var training: [[Double]] = []
    private var trainingHead = 0
    private var range: RangeNovelty
    private var normalizer: RecordNormalizer
    private var seen = 0
    private var suppressor: RepeatSuppressor
    private var sinceFit = 0

    /// A detector that has seen nothing.
    public init(settings: ForestDetectorSettings = ForestDetectorSettings()) {
        self.settings = settings
        generator = SeededGenerator(seed: settings.seed)
        range = RangeNovelty(tolerance: settings.rangeTolerance)
        normalizer = RecordNormalizer(span: settings.recordSpan, scale: settings.recordScale)
        suppressor = RepeatSuppressor(span: settings.suppressionSpan)
    }

    /// Points used only for training.
    public var learningPeriod: Int { settings.learningPeriod }

    /// The raw forest score of the current shingle (0 before the first fit).
    public private(set) var lastForestScore = 0.0

    /// Scores `value`, then learns it.
    public mutating func update(_ value: Double) -> AnomalyScore {
        recent.append(value)
        if recent.count > settings.shingle { recent.removeFirst() }
        seen += 1
        let outside = range.update(value)
        var raw = 0.0
        if recent.count == settings.shingle {
            var point = recent
            if settings.differences {
                for i in stride(from: point.count - 1, to: 0, by: -1) { point[i] -= point[i - 1] }
            }
            if forest == nil, seen >= min(settings.learningPeriod, settings.trainingWindow), training.count >= 16 {
                refit()
            }
            if let forest {
                raw = forest.score(point)
            }
            remember(point)
            sinceFit += 1
            if forest != nil, sinceFit >= settings.refitInterval { refit() }
        }
        lastForestScore = raw
        let relative = normalizer.update(raw)
        guard seen > settings.learningPeriod else { return .learning }
        let score = suppressor.update(outside ? 1 : relative)
        if outside {
            return AnomalyScore(score: score, confidence: 1, reason: .outOfRange, raw: raw)
        }
        return AnomalyScore(score: score, confidence: 1, reason: score > 0.5 ? .isolated : .normal, raw: raw)
    }

    private mutating func remember(_ point: [Double]) {
        if training.count < settings.trainingWindow {
            training.append(point)
        } else {
            training[trainingHead] = point
            trainingHead = (trainingHead + 1) % settings.trainingWindow
        }
    }

    private mutating func refit() {
        forest = IsolationForest(points: training, treeCount: settings.trees, sampleSize: settings.sampleSize,
                                 generator: &generator)
        sinceFit = 0
    }
}
