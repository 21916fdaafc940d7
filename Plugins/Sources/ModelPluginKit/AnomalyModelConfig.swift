// The configuration of the `anomaly` model plugin.
import BourseModels
import BourseSDK

/// The validated configuration of an `anomaly` node.
public struct AnomalyModelConfig {
    /// Every key the plugin accepts.
    public static let allowedKeys: Set<String> = [
        "detector", "field", "learning_period", "window", "range_tolerance", "record_scale",
        "shingle", "training_window", "sample_size", "trees", "refit_interval", "seed",
        "robust_weight", "combination", "alert_threshold", "critical_threshold", "record_span", "suppression_span", "seasonal",
    ]

    /// Which detector runs.
    public var detector: DetectorKind
    /// The input scored: a bar field (`close`…) or a declared values field.
    public var field: String
    /// Detector settings (the robust and forest parts also configure the single detectors).
    public var settings: EnsembleDetectorSettings
    /// Scores at or above this publish an alert (when the node has a second output).
    public var alertThreshold: Double
    /// Alerts at or above this are critical, the others warnings.
    public var criticalThreshold: Double

    /// Reads and checks the configuration; throws ``PluginError`` (code 2) naming the bad key.
    public init(_ config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: Self.allowedKeys)
        let kindText = try config.string("detector", default: "ensemble")
        guard let kind = DetectorKind(rawValue: kindText) else {
            throw PluginError("anomaly: config key 'detector' must be robust, forest or ensemble, got \"\(kindText)\"", code: 2)
        }
        detector = kind
        field = try config.string("field", default: "close")
        guard !field.isEmpty else { throw PluginError("anomaly: config key 'field' is empty", code: 2) }

        func integer(_ key: String, _ value: Int, _ range: ClosedRange<Int>) throws -> Int {
            let result = try config.int(key, default: value)
            guard range.contains(result) else {
                throw PluginError("anomaly: config key '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(result)",
                                  code: 2)
            }
            return result
        }
        func number(_ key: String, _ value: Double, _ range: ClosedRange<Double>) throws -> Double {
            let result = try config.double(key, default: value)
            guard range.contains(result) else {
                throw PluginError("anomaly: config key '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(result)",
                                  code: 2)
            }
            return result
        }
        var settings = EnsembleDetectorSettings()
        let learning = try integer("learning_period", 750, 0...10_000_000)
        settings.robust.learningPeriod = learning
        settings.forest.learningPeriod = learning
        settings.robust.seasonal = try config.bool("seasonal", default: settings.robust.seasonal)
        settings.robust.window = try integer("window", settings.robust.window, 10...100_000)
        let tolerance = try number("range_tolerance", settings.robust.rangeTolerance, 0...10)
        settings.robust.rangeTolerance = tolerance
        settings.forest.rangeTolerance = tolerance
        let scale = try number("record_scale", settings.robust.recordScale, 0.1...100)
        settings.robust.recordScale = scale
        settings.forest.recordScale = scale
        let span = try integer("record_span", settings.robust.recordSpan, 1...100_000_000)
        settings.robust.recordSpan = span
        settings.forest.recordSpan = span
        let suppression = try integer("suppression_span", settings.suppressionSpan, 0...1_000_000)
        settings.robust.suppressionSpan = suppression
        settings.forest.suppressionSpan = suppression
        settings.suppressionSpan = suppression
        settings.forest.shingle = try integer("shingle", settings.forest.shingle, 1...64)
        settings.forest.trainingWindow = try integer("training_window", settings.forest.trainingWindow, 16...1_000_000)
        settings.forest.sampleSize = try integer("sample_size", settings.forest.sampleSize, 2...65_536)
        settings.forest.trees = try integer("trees", settings.forest.trees, 1...1000)
        settings.forest.refitInterval = try integer("refit_interval", settings.forest.refitInterval, 1...10_000_000)
        let seed = try integer("seed", Int(settings.forest.seed), 0...Int.max)
        settings.forest.seed = UInt64(seed)
        settings.robustWeight = try number("robust_weight", settings.robustWeight, 0...1)
        let combination = try config.string("combination", default: settings.combination.rawValue)
        guard let parsed = EnsembleCombination(rawValue: combination) else {
            throw PluginError("anomaly: config key 'combination' must be mean or max, got \"\(combination)\"", code: 2)
        }
        settings.combination = parsed
        self.settings = settings
        alertThreshold = try number("alert_threshold", 0.7, 0...1)
        criticalThreshold = try number("critical_threshold", 0.95, 0...1)
    }
}
