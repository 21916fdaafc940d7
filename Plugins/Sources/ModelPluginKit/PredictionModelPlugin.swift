// The `rls-predict` model plugin: online ridge regression predicting the next value or return.
import BourseModels
import BourseSDK

/// Predicts the next value (or return) of a target from declared input
/// features with online ridge regression (``RecursiveLeastSquares``), one
/// model per instrument.
///
/// Config:
/// - `features` — names of the inputs (bar fields `open`…`volume`, or
///   fields declared on the values topics the node subscribes to); required;
/// - `target` — the name predicted (default `close`);
/// - `mode` — `value` (predict the next target value) or `return` (predict
///   the next relative change, target(t+1)/target(t) − 1); default `return`;
/// - `ridge` — L2 penalty > 0 (default 1); `forgetting` — in (0, 1] (default 1).
///
/// Outputs, on the first topic, ``Signal`` messages of kind
/// ``SignalKind/prediction``: when a message arrives, first the prediction
/// made at the previous message, now with its realised `actual` (error =
/// actual − value), then the new prediction for the next message with
/// `actual` NaN. `horizonNanoseconds` is the time between the two messages,
/// `direction` the sign of the predicted change.
public final class PredictionModelPlugin: ModelPlugin {
    /// "rls-predict".
    public static let name = "rls-predict"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Online ridge regression (recursive least squares) of the next value or return"

    /// What is predicted.
    public enum Mode: String, Sendable {
        /// The next target value.
        case value
        /// The next relative change of the target.
        case `return`
    }

    private struct State {
        var model: RecursiveLeastSquares
        var features: [Double]
        var target: Double
        var prediction: Double
        var eventTime: Int64
    }

    /// The feature names.
    public let features: [String]
    /// The target name.
    public let target: String
    /// What is predicted.
    public let mode: Mode
    private let ridge: Double
    private let forgetting: Double
    private let context: PluginContext
    private let output: Topic
    private var input: InputFields
    private var states: [Instrument: State] = [:]
    private let ignored: Counter
    private let predicted: Counter
    private let realised: Counter

    /// Validates the configuration.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["features", "target", "mode", "ridge", "forgetting"])
        guard let features = try config.stringArray("features"), !features.isEmpty else {
            throw PluginError("rls-predict: config key 'features' must list at least one input name, e.g. [\"close\"]",
                              code: 2)
        }
        self.features = features
        target = try config.string("target", default: "close")
        let modeText = try config.string("mode", default: "return")
        guard let mode = Mode(rawValue: modeText) else {
            throw PluginError("rls-predict: config key 'mode' must be value or return, got \"\(modeText)\"", code: 2)
        }
        self.mode = mode
        ridge = try config.double("ridge", default: 1)
        guard ridge > 0, ridge.isFinite else {
            throw PluginError("rls-predict: config key 'ridge' must be a positive number, got \(ridge)", code: 2)
        }
        forgetting = try config.double("forgetting", default: 1)
        guard forgetting > 0, forgetting <= 1 else {
            throw PluginError("rls-predict: config key 'forgetting' must be in (0, 1], got \(forgetting)", code: 2)
        }
        guard let output = context.outputs.first else {
            throw PluginError("rls-predict: the node has no output topic; add one to its 'publishes'", code: 3)
        }
        self.context = context
        self.output = output
        input = InputFields(names: features + [target], context: context)
        ignored = context.counter("messages_ignored")
        predicted = context.counter("predictions_published")
        realised = context.counter("predictions_realised")
    }

    /// Realises the pending prediction of each message's instrument, learns, and predicts again.
    public func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            guard let read = input.read(message), read.allSatisfy(\.isFinite) else {
                ignored.add()
                continue
            }
            let x = Array(read.dropLast())
            let y = read[read.count - 1]
            var state = states[message.instrument]
                ?? State(model: RecursiveLeastSquares(featureCount: x.count, ridge: ridge, forgetting: forgetting),
                         features: [], target: .nan, prediction: .nan, eventTime: 0)
            var horizon: Int64 = 0
            if !state.features.isEmpty {
                let actual = mode == .value ? y : (state.target != 0 ? y / state.target - 1 : .nan)
                horizon = message.eventTime - state.eventTime
                if actual.isFinite {
                    try context.publish(.signal(Signal(value: state.prediction, actual: actual, horizonNanoseconds: horizon,
                                                       direction: direction(state.prediction, from: state.target),
                                                       kind: .prediction)),
                                        topic: output, instrument: message.instrument, eventTime: message.eventTime)
                    realised.add()
                    state.model.update(features: state.features, target: actual)
                }
            }
            let next = state.model.predict(x)
            try context.publish(.signal(Signal(value: next, horizonNanoseconds: horizon,
                                               direction: direction(next, from: y), kind: .prediction)),
                                topic: output, instrument: message.instrument, eventTime: message.eventTime)
            predicted.add()
            state.features = x
            state.target = y
            state.prediction = next
            state.eventTime = message.eventTime
            states[message.instrument] = state
        }
    }

    private func direction(_ prediction: Double, from current: Double) -> Int32 {
        let change = mode == .value ? prediction - current : prediction
        return change > 0 ? 1 : change < 0 ? -1 : 0
    }
}
