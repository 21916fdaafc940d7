// Payload types produced by models: signals, predictions and alerts.

/// What a ``Signal`` is (`bourse_signal_kind`).
public enum SignalKind: UInt32, Sendable, CaseIterable {
    /// A trading signal: direction plus strength.
    case signal = 0
    /// A model's prediction of a future value.
    case prediction = 1
}

/// A signal or a prediction (`bourse_signal`, message type 5).
public struct Signal: Equatable, Sendable {
    /// Signal strength, or the predicted value.
    public var value: Double
    /// Confidence in 0...1; NaN if the model has none.
    public var confidence: Double
    /// Predictions: the realised value once known, else NaN.
    public var actual: Double
    /// Predictions: how far ahead of the event time; 0 for signals.
    public var horizonNanoseconds: Int64
    /// -1 short / down, 0 flat, +1 long / up.
    public var direction: Int32
    /// Signal or prediction.
    public var kind: SignalKind

    /// Creates a signal or prediction. Unknown quantities default to NaN.
    @inlinable
    public init(value: Double, confidence: Double = .nan, actual: Double = .nan,
                horizonNanoseconds: Int64 = 0, direction: Int32 = 0, kind: SignalKind = .signal) {
        self.value = value
        self.confidence = confidence
        self.actual = actual
        self.horizonNanoseconds = horizonNanoseconds
        self.direction = direction
        self.kind = kind
    }
}

/// An alert, e.g. from an anomaly model (`bourse_alert`, message type 6).
public struct Alert: Equatable, Sendable {
    /// Alert severities (`bourse_severity`).
    public enum Severity: UInt32, Sendable, CaseIterable {
        /// For information.
        case info = 0
        /// Worth a look.
        case warning = 1
        /// Needs action.
        case critical = 2
    }

    /// Most UTF-8 bytes a reason holds on the wire (the C array keeps one for the NUL).
    public static let maxReasonBytes = 103

    /// Detector score; higher means more anomalous.
    public var score: Double
    /// How serious the alert is.
    public var severity: Severity
    /// Plugin-defined reason code.
    public var code: UInt32
    /// Human-readable reason. Always at most ``maxReasonBytes`` UTF-8 bytes:
    /// longer text (and anything from an embedded NUL on) is cut on a
    /// character boundary when set.
    public var reason: String {
        didSet { reason = Alert.truncatedReason(reason) }
    }

    /// Creates an alert; `reason` is cut as described on ``reason``.
    public init(score: Double, severity: Severity = .warning, code: UInt32 = 0, reason: String = "") {
        self.score = score
        self.severity = severity
        self.code = code
        self.reason = Alert.truncatedReason(reason)
    }

    /// `text` cut at its first NUL and to at most ``maxReasonBytes`` UTF-8
    /// bytes, never inside a character (grapheme cluster).
    public static func truncatedReason(_ text: String) -> String {
        let utf8 = text.utf8
        if utf8.count <= maxReasonBytes && !utf8.contains(0) {
            return text
        }
        var bytes = 0
        var end = text.startIndex
        while end < text.endIndex {
            let next = text.index(after: end)
            let character = utf8[end..<next]
            if character.contains(0) || bytes + character.count > maxReasonBytes {
                break
            }
            bytes += character.count
            end = next
        }
        return String(text[..<end])
    }
}
