// The codec keys shared by the `codec` and `file` plugins.
import BourseBarFiles
import BourseCodecs
import BourseCommon
import BourseSDK
import CSVBarsPluginKit

/// A codec chosen and configured by a node's `config`.
///
/// Keys (the codec-specific ones are accepted with every codec, and used by the one they apply to):
/// - `codec` — csv | jsonl | binary;
/// - `layout` — CSV decoding: auto (default: a `time,topic,instrument` header means the
///   message schema, anything else a bar file) | messages | yahoo | lean | plain | columns;
/// - `columns`, `time_format`, `timezone`, `price_scale` — CSV bar files, as in `csv-bars`;
/// - `interval` — bar length ("1d", "1m"…) of decoded bars that carry none;
/// - `instrument` — symbol of decoded messages that name none (CSV bar files);
/// - `on_bad_row` — skip (default: log and count) | stop (fail naming line/offset and field);
/// - `interval_column` — encoding bars: add `interval_ns` (default false);
/// - `non_finite` — JSON lines encoding: string (default: ±Infinity as strings, NaN null) | null (all null).
public struct CodecConfig {
    /// The keys this type reads.
    public static let keys: Set<String> = [
        "codec", "layout", "columns", "time_format", "timezone", "price_scale", "interval", "instrument", "on_bad_row",
        "interval_column", "non_finite",
    ]

    /// The codec's name.
    public let name: String
    /// The options as configured.
    public let options: CodecOptions
    /// The configured codec.
    public let codec: any Codec

    /// Reads the codec keys; `defaultCodec` is used when `codec` is absent (nil: required).
    /// Throws ``PluginError`` (code 2) naming `plugin` and the key.
    public init(_ config: PluginConfig, plugin: String, defaultCodec: String? = nil) throws {
        func bad(_ message: String) -> PluginError { PluginError("\(plugin): \(message)", code: 2) }
        guard let name = try config.string("codec") ?? defaultCodec else {
            throw bad("missing config key 'codec' (\(Codecs.names.joined(separator: ", ")))")
        }
        var options = CodecOptions()
        let layout = try config.string("layout")
        if layout == "messages" {
            if config.contains("columns") { throw bad("'columns' is only used with layout \"columns\"") }
            options.csv.layout = .messages
        } else {
            let barOptions = try CSVBarsConfig.readerOptions(config, plugin: plugin, formatKey: "layout")
            options.csv.barOptions = barOptions
            options.csv.layout = (layout == nil || layout == "auto") && barOptions.format == .auto
                ? .auto : .bars(barOptions.format)
        }
        do {
            options.intervalNanoseconds = try IntervalText.nanoseconds(try config.string("interval", default: "0"))
        } catch let error as DurationParseError {
            throw bad(error.message)
        }
        options.instrument = try config.string("instrument", default: "")
        let policy = try config.string("on_bad_row", default: "skip")
        guard let onBadRecord = BadRecordPolicy(rawValue: policy) else {
            throw bad("config key 'on_bad_row' must be skip or stop, got \"\(policy)\"")
        }
        options.onBadRecord = onBadRecord
        options.intervalColumn = try config.bool("interval_column", default: false)
        let nonFinite = try config.string("non_finite", default: "string")
        guard let mode = JSONLinesOptions.NonFinite(rawValue: nonFinite) else {
            throw bad("config key 'non_finite' must be string or null, got \"\(nonFinite)\"")
        }
        options.jsonLines.nonFinite = mode
        do {
            codec = try Codecs.named(name, options: options)
        } catch {
            throw bad(error.message)
        }
        self.name = name
        self.options = options
    }
}

/// Turns decoded messages into publications: topic by name among the node's
/// outputs (else the first output), instrument by symbol (else the configured
/// `instrument`, else none), interned once.
final class Publisher {
    private let context: PluginContext
    private let topicsByName: [String: Topic]
    private let firstOutput: Topic
    private var instruments: [String: Instrument] = [:]
    private let defaultInstrument: String

    init(context: PluginContext, plugin: String, defaultInstrument: String) throws {
        guard let first = context.outputs.first else {
            throw PluginError("\(plugin): the node has no output topic; add one to its 'publishes'", code: 3)
        }
        self.context = context
        self.defaultInstrument = defaultInstrument
        firstOutput = first
        var byName: [String: Topic] = [:]
        for topic in context.outputs {
            if let name = context.name(of: topic) { byName[name] = topic }
        }
        topicsByName = byName
    }

    /// The output a decoded message goes to.
    func topic(for message: CodecMessage) -> Topic {
        topicsByName[message.topic] ?? firstOutput
    }

    /// Publishes a decoded message.
    func publish(_ message: CodecMessage) throws {
        try context.publish(message.payload, topic: topic(for: message), instrument: try instrument(message.instrument),
                            eventTime: message.eventTime, flags: message.flags)
    }

    private func instrument(_ named: String) throws -> Instrument {
        let symbol = named.isEmpty ? defaultInstrument : named
        if symbol.isEmpty { return .none }
        if let known = instruments[symbol] { return known }
        let made = try context.instrument(named: symbol)
        instruments[symbol] = made
        return made
    }
}

/// Declares the value names of a `fields` key: `{"<output topic>": ["name", …], …}`.
/// Returns the topics it declared. Throws ``PluginError`` (code 2) for a
/// topic that is not an output of the node or a bad list.
func declareConfiguredFields(_ config: PluginConfig, context: PluginContext, plugin: String) throws -> Set<Topic> {
    guard let fields = try config.object("fields") else { return [] }
    var declared = Set<Topic>()
    for name in fields.keys {
        guard let topic = context.topic(named: name), context.outputs.contains(topic) else {
            throw PluginError("\(plugin): fields: '\(name)' is not an output topic of the node", code: 2)
        }
        try context.declareFields(try fields.stringArray(name) ?? [], for: topic)
        declared.insert(topic)
    }
    return declared
}
