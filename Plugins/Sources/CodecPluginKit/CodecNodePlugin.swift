// The `codec` plugin: bytes topics → typed messages, or typed messages → bytes.
import BourseCodecs
import BourseSDK

/// Converts between ``Payload/bytes(_:)`` streams and typed messages with a
/// codec chosen by name (`BOURSE_KIND_CODEC`).
///
/// Config keys: those of ``CodecConfig`` (`codec` required), and
/// - `direction` — `decode` (default): subscribes to bytes topics, publishes
///   the decoded messages; `encode`: subscribes to typed messages, publishes bytes;
/// - `fields` — decode: `{"<output topic>": [value names]}`, declared for
///   downstream nodes (a decoder learns names only from the data, too late to declare).
///
/// **Decode.** Each input topic is one byte stream with its own decoder. A
/// logical record may span several bytes messages: every chunk but the last
/// carries `BOURSE_FLAG_MORE` (docs/abi.md); the chunks are concatenated, and
/// the end of a record also ends a text line that has no newline yet. A
/// decoded message goes to the output topic of the same name if the node has
/// one, else to its first output; an instrument named in the data is interned.
/// Non-bytes inputs are ignored (`messages_ignored`). Bad records are logged
/// and counted (`records_skipped`) or, with `on_bad_row: stop`, fail the node.
/// At the end of the input (`stop`) each stream is finished: a stream cut
/// inside a frame or quoted field is an error.
///
/// **Encode.** Every input message is encoded into one stream on the first
/// output topic (a CSV header or binary stream header first); each message's
/// encoding is published as one record of bytes messages (chunks of at most
/// 65536 bytes, `BOURSE_FLAG_MORE` on all but the last) with the input's
/// instrument and event time. Value names come from the fields declared for
/// the input topic.
///
/// Counters: `messages_decoded` or `messages_encoded`, `bytes_in` or `bytes_out`,
/// `records_skipped`, `messages_ignored`.
public final class CodecNodePlugin: CodecPlugin {
    /// "codec".
    public static let name = "codec"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Bytes ↔ typed messages with the csv, jsonl or binary codec"

    /// The two directions.
    public enum Direction: String, Sendable {
        /// Bytes in, typed messages out.
        case decode
        /// Typed messages in, bytes out.
        case encode
    }

    /// The configured codec.
    public let codecConfig: CodecConfig
    /// The direction.
    public let direction: Direction
    private let context: PluginContext
    private let publisher: Publisher
    private let output: Topic
    private var decoders: [Topic: any MessageDecoder] = [:]
    private var decoderOrder: [Topic] = []
    private var encoder: (any MessageEncoder)?
    private var topicInfo: [Topic: (name: String, fields: [String])] = [:]
    private let converted: Counter
    private let bytesCounter: Counter
    private let skipped: Counter
    private let ignored: Counter

    /// Validates the configuration.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: CodecConfig.keys.union(["direction", "fields"]))
        codecConfig = try CodecConfig(config, plugin: Self.name)
        let directionText = try config.string("direction", default: "decode")
        guard let direction = Direction(rawValue: directionText) else {
            throw PluginError("codec: config key 'direction' must be decode or encode, got \"\(directionText)\"", code: 2)
        }
        self.direction = direction
        self.context = context
        publisher = try Publisher(context: context, plugin: Self.name, defaultInstrument: codecConfig.options.instrument)
        output = context.outputs[0]
        _ = try declareConfiguredFields(config, context: context, plugin: Self.name)
        converted = context.counter(direction == .decode ? "messages_decoded" : "messages_encoded")
        bytesCounter = context.counter(direction == .decode ? "bytes_in" : "bytes_out")
        skipped = context.counter("records_skipped")
        ignored = context.counter("messages_ignored")
    }

    /// Decodes or encodes one batch.
    public func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            switch direction {
            case .decode: try decode(message)
            case .encode: try encode(message)
            }
        }
    }

    /// Finishes every input stream and publishes what they still hold.
    public func stop() throws {
        guard direction == .decode else { return }
        for topic in decoderOrder {
            guard let decoder = decoders[topic] else { continue }
            decoder.finishInput()
            try drain(decoder, topic: topic)
        }
    }

    private func decode(_ message: Message) throws {
        guard case .bytes(let bytes) = message.payload else {
            ignored.add()
            return
        }
        let decoder: any MessageDecoder
        if let known = decoders[message.topic] {
            decoder = known
        } else {
            decoder = codecConfig.codec.makeDecoder(sourceName: context.name(of: message.topic) ?? message.topic.description)
            decoders[message.topic] = decoder
            decoderOrder.append(message.topic)
        }
        decoder.feed(bytes)
        bytesCounter.add(Int64(bytes.count))
        if message.flags & Message.moreFlag == 0 { decoder.endRecord() }
        try drain(decoder, topic: message.topic)
    }

    private func drain(_ decoder: any MessageDecoder, topic: Topic) throws {
        do {
            while let item = try decoder.next() {
                switch item {
                case .message(let decoded):
                    try publisher.publish(decoded)
                    converted.add()
                case .skipped(let problem):
                    skipped.add()
                    context.log(.warning, "codec: skipped record: \(problem)")
                }
            }
        } catch let error as CodecError {
            throw PluginError("codec: \(error)", code: 4)
        }
    }

    private func encode(_ message: Message) throws {
        let info = self.info(message.topic)
        let encoder = self.encoder ?? codecConfig.codec.makeEncoder()
        self.encoder = encoder
        var bytes: [UInt8] = []
        do {
            try encoder.encode(CodecMessage(message, topicName: info.name, symbol: context.symbol(of: message.instrument),
                                            fieldNames: info.fields), into: &bytes)
        } catch {
            throw PluginError("codec: \(error)", code: 4)
        }
        var start = 0
        repeat {
            let end = min(start + BourseABI.maxPayload, bytes.count)
            try context.publish(.bytes(Array(bytes[start..<end])), topic: output, instrument: message.instrument,
                                eventTime: message.eventTime, flags: end < bytes.count ? Message.moreFlag : 0)
            start = end
        } while start < bytes.count
        bytesCounter.add(Int64(bytes.count))
        converted.add()
    }

    private func info(_ topic: Topic) -> (name: String, fields: [String]) {
        if let known = topicInfo[topic] { return known }
        let made = (context.name(of: topic) ?? "topic-\(topic.id)", context.fields(of: topic))
        topicInfo[topic] = made
        return made
    }
}
