// The values fast path: publishValues, publish(IndicatorValues), publish(values:).
import BourseSDK
import BourseSDKTesting
import Testing

/// Publishes, for every message it gets, the same three values through each
/// fast-path API (or a bad call, per its `mode` config).
final class FastValuesIndicator: IndicatorPlugin {
    static let name = "fast-values"
    static let version = "1.0.0"

    let context: PluginContext
    let mode: String

    init(context: PluginContext, config: PluginConfig) throws {
        self.context = context
        mode = try config.string("mode", default: "all")
        try context.declareFields(["a", "b", "c"], for: context.outputs[0])
    }

    func onMessages(_ batch: MessageBatch) throws {
        let out = context.outputs[0]
        for position in batch.indices {
            let time = batch.eventTime(at: position)
            let base = Double(time)
            switch mode {
            case "too-many":
                try context.publishValues(count: 17, topic: out, eventTime: time) { $0.initialize(repeating: 0) }
            case "wrong-topic":
                try context.publishValues(count: 1, topic: Topic(id: 999), eventTime: time) { $0[0] = 0 }
            case "closure":
                try context.publishValues(count: 3, topic: out, instrument: batch.instrument(at: position),
                                          eventTime: time) { values in
                    values[0] = base
                    values[1] = .nan
                    values[2] = -base
                }
            default:
                try context.publishValues(count: 3, topic: out, instrument: batch.instrument(at: position),
                                          eventTime: time, flags: 7) { values in
                    values[0] = base
                    values[1] = .nan
                    values[2] = -base
                }
                try context.publish(try IndicatorValues([base, .nan, -base]), topic: out, eventTime: time)
                let array = [base, .nan, -base]
                try array.withUnsafeBufferPointer { try context.publish(values: $0, topic: out, eventTime: time) }
            }
        }
    }
}

@Suite("Values fast path") struct ValuesPublishTests {
    /// "[1.0, nan, -1.0]"-style text, NaN-aware.
    func text(_ message: Message) -> String {
        guard case .values(let values) = message.payload else { return "not values" }
        return values.map { $0.isNaN ? "nan" : "\($0)" }.joined(separator: " ")
    }

    @Test func everyFastPathPublishesTheSameValuesMessage() throws {
        let harness = try PluginHarness(FastValuesIndicator.self, outputs: ["out"], topics: ["in"])
        try harness.send(.bytes([1]), topic: "in", instrument: "X", eventTime: 5)
        #expect(harness.published.count == 3)
        #expect(harness.published.map(text) == Array(repeating: "5.0 nan -5.0", count: 3))
        #expect(harness.published.allSatisfy { $0.eventTime == 5 && $0.topic == harness.topic("out") })
        #expect(harness.published[0].instrument == harness.instrument("X"))
        #expect(harness.published[0].flags == 7)
        #expect(harness.fields(of: "out") == ["a", "b", "c"])
    }

    @Test func fastPathPublishesAreBatchedBy256() throws {
        let harness = try PluginHarness(FastValuesIndicator.self, config: #"{"mode": "closure"}"#, outputs: ["out"],
                                        topics: ["in"])
        let input = (0..<600).map { Message(topic: harness.topic("in"), eventTime: Int64($0), payload: .bytes([1])) }
        try harness.send(input)
        #expect(harness.published.count == 600)
        #expect(harness.publishCallCount == 3)
        #expect(harness.published.map(text) == (0..<600).map { "\(Double($0)) nan \(-Double($0))" })
    }

    @Test func badFastPathCallsAreRejected() throws {
        let tooMany = try PluginHarness(FastValuesIndicator.self, config: #"{"mode": "too-many"}"#, outputs: ["out"],
                                        topics: ["in"])
        let error = #expect(throws: PluginError.self) { try tooMany.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(error?.message == "cannot publish 17 values in one message: 0...16 fit")
        let wrongTopic = try PluginHarness(FastValuesIndicator.self, config: #"{"mode": "wrong-topic"}"#,
                                           outputs: ["out"], topics: ["in"])
        let topicError = #expect(throws: PluginError.self) { try wrongTopic.send(.bytes([1]), topic: "in", eventTime: 0) }
        #expect(topicError?.message.contains("it is not an output of this node") == true)
        #expect(tooMany.published.isEmpty && wrongTopic.published.isEmpty)
    }
}
