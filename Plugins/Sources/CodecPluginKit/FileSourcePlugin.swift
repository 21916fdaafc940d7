// The `file` source plugin: a file of messages in any codec, replayed at full speed or paced by event time.
import BourseBarFiles
import BourseCodecs
import BourseSDK

/// Publishes the messages of one file decoded with a codec chosen by name.
///
/// Config keys: those of ``CodecConfig`` (`codec` defaults from the file
/// name: `.csv` → csv, `.jsonl`/`.ndjson` → jsonl, `.brsm`/`.bin` → binary,
/// also inside `.gz`/`.zip`), and
/// - `path` (required) — the file: plain, gzip or zip (its first regular
///   file), recognised by content;
/// - `speed` — 0 or absent: as fast as the graph takes them; `s > 0`:
///   paced by event time, one second of event time every `1/s` seconds of
///   wall time (1 = real time, 60 = a minute per second); messages whose
///   time goes backwards are published at once;
/// - `fields` — `{"<output topic>": [value names]}` to declare instead of
///   the names found in the file.
///
/// A decoded message goes to the output topic of the same name if the node
/// has one, else to the first output (a CSV bar file's rows name no topic).
/// The file is opened and its first messages (up to 1024) decoded at
/// creation, so a missing file, an unknown layout or a bad binary header fail
/// graph validation; the names of the first values message for each output
/// topic among them are declared as that topic's fields. Counters:
/// `messages_published`, `records_skipped`.
public final class FileSourcePlugin: SourcePlugin {
    /// "file".
    public static let name = "file"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Replays a file of messages (csv, jsonl or binary; plain, gzip or zip) at full speed or paced"
    /// Reads its input file; the graph node grants where (`allow: [read-paths:DIR]`).
    public static let permissions: [Permission] = [.readPaths([])]

    /// The file as configured.
    public let path: String
    /// The codec.
    public let codecConfig: CodecConfig
    /// Event-time speed factor; 0 = full speed.
    public let speed: Double
    private let context: PluginContext
    private let publisher: Publisher
    private let file: DecodedFile
    /// Decoded, not yet published (the look-ahead of `init`, then one message waiting for its time).
    private var pending: [CodecMessage] = []
    private var pendingIndex = 0
    /// Messages decoded at creation to find value names.
    static let lookAhead = 1024
    private var ended = false
    /// Pacing: the first message's event time and the monotonic time it was published.
    private var clockStart: (event: Int64, wall: Int64)?
    private let publishedCounter: Counter
    private let skippedCounter: Counter

    /// Validates the configuration, opens the file and decodes its first message.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: CodecConfig.keys.union(["path", "speed", "fields"]))
        path = try config.requiredString("path")
        guard !path.isEmpty else { throw PluginError("file: config key 'path' is empty", code: 2) }
        codecConfig = try CodecConfig(config, plugin: Self.name, defaultCodec: Self.codecName(forPath: path))
        speed = try config.double("speed", default: 0)
        guard speed.isFinite && speed >= 0 else {
            throw PluginError("file: config key 'speed' must be 0 (full speed) or a positive factor, got \(speed)", code: 2)
        }
        self.context = context
        publisher = try Publisher(context: context, plugin: Self.name, defaultInstrument: codecConfig.options.instrument)
        do {
            file = try DecodedFile(path: path, codec: codecConfig.codec)
        } catch {
            throw PluginError("file: \(error.description)", code: error.code.rawValue)
        }
        publishedCounter = context.counter("messages_published")
        skippedCounter = context.counter("records_skipped")
        var declared = try declareConfiguredFields(config, context: context, plugin: Self.name)
        while pending.count < Self.lookAhead, let message = try nextMessage() {
            pending.append(message)
            let topic = publisher.topic(for: message)
            if case .values = message.payload, !message.fieldNames.isEmpty, !declared.contains(topic) {
                try context.declareFields(message.fieldNames, for: topic)
                declared.insert(topic)
            }
        }
        context.log(.info, "file: \(file.source.displayName): codec \(codecConfig.name)"
            + (speed > 0 ? ", paced at \(speed)× event time" : ", full speed"))
    }

    /// The codec a file name suggests, or nil.
    public static func codecName(forPath path: String) -> String? {
        var name = path.lowercased()
        for suffix in [".gz", ".zip"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        if name.hasSuffix(".csv") { return "csv" }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return "jsonl" }
        if name.hasSuffix(".brsm") || name.hasSuffix(".bin") { return "binary" }
        return path.lowercased().hasSuffix(".zip") ? "csv" : nil  // Lean and Yahoo zips hold CSV
    }

    /// Publishes up to `maxMessages` messages that are due.
    public func poll(maxMessages: Int) throws -> PollResult {
        guard !ended else { return .endOfStream }
        var published = 0
        while published < max(maxMessages, 1) {
            if pendingIndex == pending.count {
                pending.removeAll(keepingCapacity: true)
                pendingIndex = 0
                if let message = try nextMessage() { pending.append(message) }
            }
            guard pendingIndex < pending.count else {
                ended = true
                file.close()
                return published > 0 ? .produced : .endOfStream
            }
            let message = pending[pendingIndex]
            if speed > 0 && !isDue(message) {
                return published > 0 ? .produced : .idle
            }
            try publisher.publish(message)
            publishedCounter.add()
            published += 1
            pendingIndex += 1
        }
        return .produced
    }

    /// Closes the file.
    public func stop() throws {
        file.close()
    }

    /// True when `message` may be published now (paced mode).
    private func isDue(_ message: CodecMessage) -> Bool {
        let now = context.monotonicNanoseconds
        guard let start = clockStart else {
            clockStart = (message.eventTime, now)
            return true
        }
        let eventOffset = Double(message.eventTime) - Double(start.event)
        return Double(now - start.wall) >= eventOffset / speed
    }

    /// The next decoded message, reading the file as needed; nil at the end.
    private func nextMessage() throws -> CodecMessage? {
        while true {
            let item: DecodedItem?
            do {
                item = try file.next()
            } catch .file(let error) {
                throw PluginError("file: \(error.description)", code: error.code.rawValue)
            } catch {
                throw PluginError("file: \(error)", code: 4)
            }
            switch item {
            case .message(let message)?:
                return message
            case .skipped(let problem)?:
                skippedCounter.add()
                context.log(.warning, "file: skipped record: \(problem)")
            case nil:
                return nil
            }
        }
    }
}
