import BourseSDK

/// Publishes (high + low) / 2 of every bar it receives, per instrument, as
/// a one-value `mid` field on the node's first output topic.
final class MidPrice: IndicatorPlugin {
    static let name = "midprice"
    static let version = "1.0.0"
    static let summary = "Mid price (high + low) / 2 of each bar"

    private let context: PluginContext
    private let output: Topic
    private let bars: Counter

    init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: [])
        guard let output = context.outputs.first else {
            throw PluginError("midprice needs one topic in `publishes`")
        }
        self.context = context
        self.output = output
        bars = context.counter("bars")
        try context.declareFields(["mid"], for: output)
    }

    func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            guard case .bar(let bar) = message.payload else { continue }
            bars.add()
            try context.publish(.values(IndicatorValues([(bar.high + bar.low) / 2])),
                                topic: output, instrument: message.instrument, eventTime: message.eventTime)
        }
    }
}

@_cdecl("bourse_plugin_entry_v1") public func bourseEntry() -> UnsafeRawPointer { exportPlugin(MidPrice.self) }
