// The `html-report` exporter plugin: one self-contained HTML page with a chart per instrument.
import BourseCommon
import BourseReport
import BourseSDK
#if canImport(Glibc)
import Glibc
#endif

/// Collects bars, chosen indicator outputs and anomaly alerts, and writes one
/// self-contained HTML file at the end of the run: a table of counts and,
/// per instrument, an inline SVG chart of the price, the chosen series and
/// the anomaly markers (score, severity and reason in a tooltip).
///
/// Config keys (unknown keys are rejected):
/// - `path` (required) — the HTML file (directories are created; written
///   to `PATH.tmp`, then renamed over `PATH`);
/// - `title` — page title (default "Bourse report");
/// - `price` — the bar field drawn as the price line: `open`, `high`,
///   `low`, `close` (default) or `volume`;
/// - `series` — declared value field names drawn on the price panel, e.g.
///   `[ema20, bb_upper, bb_lower]` (any values topic the node subscribes to);
/// - `lower_series` — declared value field names drawn on a second panel
///   with its own scale, e.g. `[rsi14]` or `[anomaly_score]`;
/// - `max_points` — most points kept per line (16…1,000,000, default 2000);
/// - `max_markers` — most anomaly markers per instrument (0…100,000,
///   default 200; the highest scores are kept).
///
/// Memory is bounded by `max_points` per line and `max_markers` per
/// instrument. The page is written on `flush` (the host's final flush) and
/// on `stop` when messages came after it. Counters: `bars`, `values_drawn`,
/// `alerts`, `messages_ignored`, `reports_written`.
public final class HTMLReporter: ExporterPlugin {
    /// "html-report".
    public static let name = "html-report"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Writes a self-contained HTML report: SVG charts of price, indicators and anomaly markers"
    /// Writes one file; the graph node grants where (`allow: [write-paths:DIR]`).
    public static let permissions: [Permission] = [.writePaths([])]

    /// The output file.
    public let path: String
    /// What is collected so far.
    public private(set) var report: Report
    private let context: PluginContext
    /// Per values topic: (series name, index in the payload) of the configured fields it carries.
    private var topicFields: [UInt32: [(name: String, index: Int)]] = [:]
    private var dirty = false
    private let barsCounter, valuesCounter, alertsCounter, ignoredCounter, writtenCounter: Counter

    static let priceFields = ["open", "high", "low", "close", "volume"]

    /// Validates the configuration.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["path", "title", "price", "series", "lower_series", "max_points", "max_markers"])
        path = try config.requiredString("path")
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw PluginError("html-report: config key 'path' must name a file, got \"\(path)\"", code: 2)
        }
        let price = try config.string("price", default: "close")
        guard HTMLReporter.priceFields.contains(price) else {
            throw PluginError("html-report: config key 'price' must be one of \(HTMLReporter.priceFields.joined(separator: ", ")), "
                + "got \"\(price)\"", code: 2)
        }
        let series = try config.stringArray("series", default: [])
        let lower = try config.stringArray("lower_series", default: [])
        var seen = Set([price])
        for name in series + lower where !seen.insert(name).inserted {
            throw PluginError("html-report: series \"\(name)\" is listed twice (or is the price field)", code: 2)
        }
        let maxPoints = try config.int("max_points", default: 2000)
        guard (16...1_000_000).contains(maxPoints) else {
            throw PluginError("html-report: config key 'max_points' must be 16…1000000, got \(maxPoints)", code: 2)
        }
        let maxMarkers = try config.int("max_markers", default: 200)
        guard (0...100_000).contains(maxMarkers) else {
            throw PluginError("html-report: config key 'max_markers' must be 0…100000, got \(maxMarkers)", code: 2)
        }
        report = Report(settings: ReportSettings(title: try config.string("title", default: "Bourse report"), priceName: price,
                                                 series: series, lowerSeries: lower, maxPoints: maxPoints,
                                                 maxMarkers: maxMarkers))
        self.context = context
        barsCounter = context.counter("bars")
        valuesCounter = context.counter("values_drawn")
        alertsCounter = context.counter("alerts")
        ignoredCounter = context.counter("messages_ignored")
        writtenCounter = context.counter("reports_written")
        if context.restartCount > 0 {
            context.log(.warning, "html-report: restarted instance (restart \(context.restartCount)): the report holds "
                + "what arrives from now on; what the failed instance had gathered was in its memory")
        }
    }

    /// Adds bars, configured values and alerts to the report.
    public func onMessages(_ batch: MessageBatch) throws {
        let priceName = report.settings.priceName
        for message in batch {
            let symbol = context.symbol(of: message.instrument) ?? "(no instrument)"
            let time = message.eventTime
            switch message.payload {
            case .bar(let bar):
                let price: Double
                switch priceName {
                case "open": price = bar.open
                case "high": price = bar.high
                case "low": price = bar.low
                case "volume": price = bar.volume
                default: price = bar.close
                }
                report.update(symbol) { $0.addBar(time: time, price: price, name: priceName) }
                barsCounter.add()
            case .values(let values):
                let fields = fieldsOf(message.topic)
                if fields.isEmpty {
                    ignoredCounter.add()
                    continue
                }
                report.update(symbol) { instrument in
                    for field in fields where field.index < values.count {
                        instrument.add(field.name, time: time, value: values[field.index])
                    }
                }
                valuesCounter.add()
            case .alert(let alert):
                let marker = AnomalyMarker(time: time, score: alert.score,
                                           severity: ["info", "warning", "critical"][Int(alert.severity.rawValue)],
                                           reason: alert.reason)
                report.update(symbol) { $0.addAlert(marker) }
                alertsCounter.add()
            default:
                ignoredCounter.add()
                continue
            }
            dirty = true
        }
    }

    /// The configured series a values topic carries (looked up once per topic).
    private func fieldsOf(_ topic: Topic) -> [(name: String, index: Int)] {
        if let known = topicFields[topic.id] { return known }
        let declared = context.fields(of: topic)
        let wanted = report.settings.series + report.settings.lowerSeries
        let fields = wanted.compactMap { name in declared.firstIndex(of: name).map { (name, $0) } }
        topicFields[topic.id] = fields
        return fields
    }

    /// Writes the page (the host's final flush).
    public func flush() throws {
        if dirty { try write() }
    }

    /// Writes the page if messages came after the last write, and logs a summary.
    public func stop() throws {
        if dirty { try write() }
    }

    /// Writes the page to `path.tmp`, fsyncs it and renames it over `path`.
    func write() throws {
        let page = report.html()
        if let failure = Directories.createParents(of: path) {
            throw PluginError("html-report: cannot create directory \(failure.directory): \(failure.reason)", code: 10)
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PluginError("html-report: cannot create \(temporary): \(String(cString: strerror(errno)))", code: 10)
        }
        var failure: String?
        var bytes = Array(page.utf8)
        var offset = 0
        while offset < bytes.count && failure == nil {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno != EINTR { failure = "cannot write \(temporary): \(String(cString: strerror(errno)))" }
            if n > 0 { offset += n }
        }
        if failure == nil && fsync(fd) != 0 { failure = "cannot fsync \(temporary): \(String(cString: strerror(errno)))" }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 {
            failure = "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary)
            throw PluginError("html-report: \(failure)", code: 11)
        }
        bytes.removeAll()
        dirty = false
        writtenCounter.add()
        let instruments = report.sortedInstruments
        context.log(.info, "html-report: wrote \(path) (\(page.utf8.count) bytes, \(instruments.count) instrument(s))")
        for i in instruments {
            let critical = i.alerts["critical"] ?? 0
            context.log(.info, "html-report: \(i.symbol): \(i.bars) bars"
                + (i.firstTime.map { " \(UTCTimestamp.iso8601($0).prefix(10))…\(UTCTimestamp.iso8601(i.lastTime ?? $0).prefix(10))" } ?? "")
                + ", \(i.alertCount) anomalies (\(critical) critical)")
        }
    }
}
