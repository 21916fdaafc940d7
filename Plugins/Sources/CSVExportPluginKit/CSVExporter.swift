// The `csv-export` exporter plugin.
import BourseCodecs
import BourseSDK
import CBourseABI

/// Writes every message it receives to CSV, JSON-lines or binary files,
/// encoded by the codecs of the same names (BourseCodecs).
///
/// Config keys (unknown keys are rejected):
/// - `format` — `csv` (default), `jsonl` or `binary`;
/// - exactly one of
///   - `path` — one file for every message, or
///   - `files` — `[{"match": "<topic pattern>", "path": "..."}, …]`: a
///     message goes to the first entry whose pattern (NATS rules, `*` and
///     `>`, via `bourse_topic_matches`) matches its topic; messages matching
///     no entry are counted (`messages_unrouted`) and logged once per topic.
///
/// A path may contain `{topic}`, replaced by the topic name (a `/` in the
/// name becomes `_`), giving one file per topic. Directories are created as
/// needed; files are truncated when first written in a run and marked with
/// the run's id (`DIR/.NAME.bourse-run`). An instance made after the node's
/// worker failed (`restartCount` > 0) continues a file marked with this run
/// (appends, after cutting a record left half-written; a CSV file keeps its
/// header, which must match) and starts any other over. Each delivered batch
/// is written out before the call returns.
///
/// Columns: `time` (ISO-8601 UTC, fraction only when non-zero), `topic`,
/// `instrument`, then the payload's fields (bar: open, high, low, close,
/// volume; values: the names declared for the topic, else v0, v1, …;
/// trade, quote, signal, alert: their fields). Doubles use Swift's shortest
/// round-trip form. A CSV file's header comes from its first message; a
/// later message with other columns is an error naming the file and both
/// schemas. JSON lines take any schema and add a `type` key; non-finite
/// numbers are written `null`. Binary files hold any message, losslessly,
/// and are read back by the `file` source.
///
/// Writes are buffered; `flush()` writes them out, `stop()` also fsyncs and
/// closes. Counter: `messages_written`.
public final class CSVExporter: ExporterPlugin {
    /// "csv-export".
    public static let name = "csv-export"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Writes messages to CSV, JSON-lines or binary files, optionally one file per topic"
    /// Writes files; the graph node grants where (`allow: [write-paths:DIR]`).
    public static let permissions: [Permission] = [.writePaths([])]

    /// Output format.
    public enum Format: String {
        /// Comma-separated values with a header line.
        case csv
        /// One JSON object per line.
        case jsonl
        /// The compact binary codec.
        case binary
    }

    /// A routing entry: topic pattern → path template.
    public struct Route: Equatable {
        /// Topic pattern (`>` for everything when `path` is used).
        public var match: String
        /// Path template, possibly containing `{topic}`.
        public var path: String
    }

    /// The output format.
    public let format: Format
    /// The routes, in order.
    public let routes: [Route]
    private let codec: any Codec
    private let context: PluginContext
    private var sinks: [String: FileSink] = [:]
    private var sinkOrder: [String] = []
    /// Per topic id: resolved file (nil = unrouted), topic name, value names.
    private var topicInfo: [UInt32: (sink: FileSink?, name: String, valueNames: [String])] = [:]
    private let writtenCounter: Counter
    private let unroutedCounter: Counter

    /// Validates the configuration (files are created on first use).
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["format", "path", "files"])
        let formatText = try config.string("format", default: "csv")
        guard let format = Format(rawValue: formatText) else {
            throw PluginError("csv-export: config key 'format' must be csv, jsonl or binary, got \"\(formatText)\"", code: 2)
        }
        self.format = format
        var options = CodecOptions()
        options.jsonLines.nonFinite = .null  // the format csv-export has always written
        codec = try Codecs.named(format.rawValue, options: options)
        let path = try config.string("path")
        switch (path, config.value("files")) {
        case (let p?, nil), (let p?, .null?):
            guard !p.isEmpty else { throw PluginError("csv-export: config key 'path' is empty", code: 2) }
            routes = [Route(match: ">", path: p)]
        case (nil, .array(let entries)?):
            routes = try CSVExporter.parseRoutes(entries)
        case (nil, let other?):
            throw PluginError("csv-export: config key 'files' must be an array of {\"match\", \"path\"} objects, "
                + "got \(other.typeDescription)", code: 2)
        case (nil, nil):
            throw PluginError("csv-export: set either 'path' (one file) or 'files' (one file per topic pattern)", code: 2)
        case (.some, .some):
            throw PluginError("csv-export: set either 'path' or 'files', not both", code: 2)
        }
        self.context = context
        writtenCounter = context.counter("messages_written")
        unroutedCounter = context.counter("messages_unrouted")
    }

    private static func parseRoutes(_ entries: [JSONValue]) throws -> [Route] {
        guard !entries.isEmpty else { throw PluginError("csv-export: 'files' is empty", code: 2) }
        return try entries.enumerated().map { index, entry in
            let item = try PluginConfig(entry)
            try item.rejectUnknownKeys(allowed: ["match", "path"])
            let match = try item.requiredString("match"), path = try item.requiredString("path")
            guard bourse_topic_is_valid(match, 1) != 0 else {
                throw PluginError("csv-export: files[\(index)].match \"\(match)\" is not a valid topic pattern", code: 2)
            }
            guard !path.isEmpty else { throw PluginError("csv-export: files[\(index)].path is empty", code: 2) }
            return Route(match: match, path: path)
        }
    }

    /// Writes each message to its file.
    public func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            let info = try resolve(message.topic)
            guard let sink = info.sink else {
                unroutedCounter.add()
                continue
            }
            let encoder = sink.encoder ?? codec.makeEncoder()
            sink.encoder = encoder
            let record = CodecMessage(message, topicName: info.name, symbol: context.symbol(of: message.instrument),
                                      fieldNames: info.valueNames)
            do {
                try sink.write { try encoder.encode(record, into: &$0) }
            } catch let error as CodecError {
                throw PluginError("csv-export: \(sink.path): \(error.message); put {topic} in the path to write one file "
                    + "per topic, or use format jsonl", code: 12)
            }
            writtenCounter.add()
        }
        // Each batch reaches the files whole before it is acknowledged: a
        // worker that dies later loses nothing, and a batch it was writing
        // when it died is delivered again to an instance that appends.
        try flush()
    }

    /// The file, name and value names of a topic (computed once per topic).
    private func resolve(_ topic: Topic) throws -> (sink: FileSink?, name: String, valueNames: [String]) {
        if let known = topicInfo[topic.id] { return known }
        let name = context.name(of: topic) ?? "topic-\(topic.id)"
        let route = routes.first { route in
            route.match == ">" || route.match.withCString { p in name.withCString { bourse_topic_matches(p, $0) != 0 } }
        }
        var sink: FileSink?
        if let route {
            let path = route.path.replacingAll("{topic}", with: name.replacingAll("/", with: "_"))
            if let existing = sinks[path] {
                sink = existing
            } else {
                let records: FileSink.Records = switch format {
                case .csv: .lines(header: true)
                case .jsonl: .lines(header: false)
                case .binary: .binaryFrames
                }
                let made = try FileSink(path: path, records: records, runID: context.runID, restartCount: context.restartCount)
                if made.continued {
                    context.log(.info, "csv-export: restarted instance (restart \(context.restartCount)): appending to \(path)")
                }
                sinks[path] = made
                sinkOrder.append(path)
                sink = made
            }
        } else {
            context.log(.warning, "csv-export: no 'files' entry matches topic \(name); its messages are not written")
        }
        let info = (sink, name, context.fields(of: topic))
        topicInfo[topic.id] = info
        return info
    }

    /// Writes all buffered data to the files.
    public func flush() throws {
        for path in sinkOrder { try sinks[path]?.flush() }
    }

    /// Flushes, fsyncs and closes every file.
    public func stop() throws {
        var firstError: Error?
        for path in sinkOrder {
            do { try sinks[path]?.close(sync: true) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }
}

extension String {
    /// The string with every occurrence of `target` replaced (no Foundation needed).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = "", rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
