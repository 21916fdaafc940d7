// The `anomaly` model plugin: robust, isolation-forest or ensemble detection on a value stream.
import BourseModels
import BourseSDK

/// Scores every incoming value for anomalies, one detector per instrument.
///
/// Config: see ``AnomalyModelConfig`` (`detector` robust|forest|ensemble,
/// `field`, `learning_period`, detector tuning keys, `alert_threshold`,
/// `critical_threshold`).
///
/// Outputs:
/// - first topic: one ``Payload/values(_:)`` message per scored input, with
///   the fields `anomaly_score` (0...1; 0 while learning), `confidence`
///   (0...1) and `raw` (the robust z-score, or the forest score for `forest`);
/// - second topic, if the node has one: an ``Alert`` when the score reaches
///   `alert_threshold`, with the score, a severity (critical from
///   `critical_threshold`), the reason as code (``AnomalyReason`` raw value)
///   and as text.
///
/// Inputs without the field (other payloads) are ignored and counted
/// (`messages_ignored`); NaN/±inf values are skipped without touching the
/// state (`values_skipped_nonfinite`).
public final class AnomalyModelPlugin: ModelPlugin {
    /// "anomaly".
    public static let name = "anomaly"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Anomaly scores and alerts: robust median/MAD, isolation forest or their ensemble"

    /// The validated configuration.
    public let config: AnomalyModelConfig
    private let context: PluginContext
    private let scores: Topic
    private let alerts: Topic?
    private var input: InputFields
    private var detectors: [Instrument: ConfiguredDetector] = [:]
    private let ignored: Counter
    private let skipped: Counter
    private let scored: Counter
    private let alerted: Counter

    /// The output field names, in order.
    public static let fields = ["anomaly_score", "confidence", "raw"]

    /// Validates the configuration and declares the output fields.
    public init(context: PluginContext, config: PluginConfig) throws {
        self.config = try AnomalyModelConfig(config)
        guard let scores = context.outputs.first else {
            throw PluginError("anomaly: the node has no output topic; add one to its 'publishes'", code: 3)
        }
        self.context = context
        self.scores = scores
        alerts = context.outputs.count > 1 ? context.outputs[1] : nil
        input = InputFields(names: [self.config.field], context: context)
        ignored = context.counter("messages_ignored")
        skipped = context.counter("values_skipped_nonfinite")
        scored = context.counter("values_scored")
        alerted = context.counter("alerts_published")
        try context.declareFields(Self.fields, for: scores)
    }

    /// Number of instruments with a detector.
    public var instrumentCount: Int { detectors.count }

    /// Scores each value of the batch and publishes scores (and alerts).
    public func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            guard let value = input.read(message)?.first else {
                ignored.add()
                continue
            }
            guard value.isFinite else {
                skipped.add()
                continue
            }
            var detector = detectors[message.instrument]
                ?? ConfiguredDetector(kind: config.detector, settings: config.settings)
            let verdict = detector.update(value)
            detectors[message.instrument] = detector
            var values = IndicatorValues()
            try values.append(verdict.score)
            try values.append(verdict.confidence)
            try values.append(verdict.raw)
            try context.publish(.values(values), topic: scores, instrument: message.instrument,
                                eventTime: message.eventTime)
            scored.add()
            if let alerts, verdict.reason != .learning, verdict.score >= config.alertThreshold {
                let severity: Alert.Severity = verdict.score >= config.criticalThreshold ? .critical : .warning
                let text = "\(verdict.reason.phrase): \(config.field)=\(value), score \(rounded(verdict.score)), "
                    + "confidence \(rounded(verdict.confidence))"
                try context.publish(.alert(Alert(score: verdict.score, severity: severity, code: verdict.reason.rawValue,
                                                 reason: text)),
                                    topic: alerts, instrument: message.instrument, eventTime: message.eventTime)
                alerted.add()
            }
        }
    }

    private func rounded(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return "\(scaled)"
    }
}
