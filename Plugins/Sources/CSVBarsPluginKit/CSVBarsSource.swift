// The `csv-bars` source plugin.
import BourseBarFiles
import BourseSDK

/// Publishes the bars of one OHLCV CSV file (plain, or zipped as Lean ships
/// them) as ``Payload/bar(_:)`` messages on the node's first output topic.
///
/// Config keys (unknown keys are rejected):
/// - `path` (required) — the file; relative paths are used as given;
/// - `instrument` (required) — the symbol of every bar;
/// - `format` — auto (default) | yahoo | lean | plain | columns;
/// - `columns` — with format columns: `{time, open, high, low, close[, volume]}`
///   as 0-based indices or header names (its presence implies format columns);
/// - `time_format` — auto | epoch_s | epoch_ms | epoch_us | epoch_ns |
///   iso8601 | yyyymmdd | ms_of_day | a %-pattern;
/// - `timezone` — IANA zone of times without an offset (default: Lean
///   equity America/New_York, otherwise UTC);
/// - `price_scale` — "auto" (Lean equity 10000, else 1) or a positive number;
/// - `interval` — bar length such as "1d", "1h", "1m" (sets
///   `Bar.intervalNanoseconds`; default 0 = unknown);
/// - `on_bad_row` — skip (default: log a warning per row and count it) or
///   stop (fail with file:line and the rule).
///
/// The file is opened and its layout resolved at creation, so a missing or
/// unreadable file fails graph validation. Bars are read incrementally: each
/// poll publishes at most `maxMessages` bars. Counters: `rows_published`,
/// `rows_skipped`.
public final class CSVBarsSource: SourcePlugin {
    /// "csv-bars".
    public static let name = "csv-bars"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Publishes OHLCV bars from CSV files (Yahoo, Lean zip, plain, custom columns)"
    /// Reads its input files; the graph node grants where (`allow: [read-paths:DIR]`).
    public static let permissions: [Permission] = [.readPaths([])]

    /// The validated configuration.
    public let config: CSVBarsConfig
    private let context: PluginContext
    private let reader: BarFileReader
    private let topic: Topic
    private let instrument: Instrument
    private let publishedCounter: Counter
    private let skippedCounter: Counter
    private var ended = false

    /// Validates the configuration, opens the file and resolves its layout.
    public init(context: PluginContext, config: PluginConfig) throws {
        self.config = try CSVBarsConfig(config)
        guard let topic = context.outputs.first else {
            throw PluginError("csv-bars: the node has no output topic; add one to its 'publishes'", code: 3)
        }
        self.context = context
        self.topic = topic
        instrument = try context.instrument(named: self.config.instrument)
        do {
            reader = try BarFileReader(path: self.config.path, options: self.config.options)
        } catch {
            throw PluginError("csv-bars: \(error.description)", code: error.code.rawValue)
        }
        publishedCounter = context.counter("rows_published")
        skippedCounter = context.counter("rows_skipped")
        let layout = reader.layout
        context.log(.info, "csv-bars: \(reader.displayName): layout \(layout.format), time format \(layout.timeFormat); "
            + layout.notes.joined(separator: "; "))
    }

    /// Publishes up to `maxMessages` bars; skipped rows are logged and counted.
    public func poll(maxMessages: Int) throws -> PollResult {
        guard !ended else { return .endOfStream }
        let budget = max(maxMessages, 1)
        var published = 0
        var examined = 0
        while published < budget && examined < budget + 4096 {
            examined += 1
            let event: BarFileEvent?
            do {
                event = try reader.next()
            } catch {
                ended = true
                throw PluginError("csv-bars: \(error.description)", code: error.code.rawValue)
            }
            switch event {
            case nil:
                ended = true
                logSummary()
                return published > 0 ? .produced : .endOfStream
            case .bar(let r)?:
                let bar = Bar(open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume,
                              intervalNanoseconds: config.intervalNanoseconds)
                try context.publish(.bar(bar), topic: topic, instrument: instrument, eventTime: r.time)
                publishedCounter.add()
                published += 1
            case .skipped(let problem)?:
                skippedCounter.add()
                context.log(.warning, "csv-bars: skipped row: \(problem.description)")
            }
        }
        return .produced
    }

    /// Closes the file.
    public func stop() throws {
        reader.close()
    }

    private func logSummary() {
        let stats = reader.stats
        var text = "csv-bars: \(reader.displayName): published \(stats.barsRead) bars, skipped \(stats.rowsSkipped) rows"
        if !stats.skippedByRule.isEmpty {
            text += " (" + stats.skippedByRule.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.key.rule): \($0.value)" }.joined(separator: ", ") + ")"
        }
        context.log(stats.rowsSkipped > 0 ? .warning : .info, text)
    }
}
