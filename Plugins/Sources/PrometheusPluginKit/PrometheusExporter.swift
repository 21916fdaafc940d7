// The `prometheus` exporter plugin: latest field values as gauges on GET /metrics.
import BourseMetrics
import BourseSDK

/// Keeps the latest value of chosen fields of the messages it receives and
/// serves them, with per-topic message counters, at `GET /metrics` in the
/// Prometheus text format 0.0.4.
///
/// Config keys (unknown keys are rejected):
/// - `listen` — numeric `HOST:PORT` (default `127.0.0.1:9464`; `[::1]:9464`
///   for IPv6; port 0 = any free port, logged at start);
/// - `prefix` — metric name prefix (default `bourse_`; empty or a valid metric name);
/// - `fields` — field names to export (default `["*"]`, every field): bar
///   fields, declared value names, alert `score`/`severity`, signal
///   `value`/`confidence`/`actual`/`direction`, trade and quote fields,
///   optionally qualified by type (`alert.score`); see ``FieldSelection``;
/// - `per_field_metrics` — one gauge family per field instead of one
///   shared `<prefix>value` family (default false);
/// - `timeout_ms` — time a client has to send its request and to take the
///   response (default 5000, 10...600000);
/// - `max_series` — most series kept (default 100000); new ones beyond are
///   dropped and counted (`series_dropped`).
///
/// The HTTP server runs on its own thread from `start` to `stop` and only
/// reads snapshots of the gauge table, so a scrape never blocks message
/// delivery. Counters: `messages_seen`, `scrapes_served`,
/// `requests_refused` (4xx/5xx answers), `connections_dropped` (client gone
/// before the request or during the response), `series_dropped`.
public final class PrometheusExporter: ExporterPlugin {
    /// "prometheus".
    public static let name = "prometheus"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Serves the latest value of chosen fields as Prometheus gauges on GET /metrics"
    /// A listening socket and the thread that serves it.
    public static let permissions: [Permission] = [.network, .threads]

    /// The default `listen` address.
    public static let defaultListen = "127.0.0.1:9464"

    /// The configured listen address (the bound port is logged at start).
    public let listen: ListenAddress
    /// The metric renderer (prefix, layout).
    public let exposition: PrometheusExposition
    /// The chosen fields.
    public let selection: FieldSelection
    private let context: PluginContext
    private let store: LatestValueStore
    private let server: MetricsHTTPServer
    private var topics: [UInt32: TopicPlan] = [:]
    private var symbols: [UInt32: String] = [:]
    private var fieldNumbers: [String: UInt32] = [:]
    private var warnedFull = false
    private let seen: Counter
    private let droppedSeries: Counter

    /// The chosen fields of one message type on one topic: (index in the payload's numbers, field number, name).
    private typealias FieldPlan = [(index: Int, number: UInt32, name: String)]

    private struct TopicPlan {
        var name: String
        var declared: [String]
        var byType: [UInt16: FieldPlan] = [:]
    }

    /// Validates the configuration; the socket is opened in ``start()``.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["listen", "prefix", "fields", "per_field_metrics", "timeout_ms", "max_series"])
        let listenText = try config.string("listen", default: Self.defaultListen)
        do {
            listen = try ListenAddress(parsing: listenText)
        } catch let error as ListenAddressError {
            throw PluginError("prometheus: config key 'listen': \(error)", code: 2)
        }
        let prefix = try config.string("prefix", default: "bourse_")
        guard MetricName.isValidPrefix(prefix) else {
            throw PluginError("prometheus: config key 'prefix' \"\(prefix)\" is not a valid metric name start: "
                + "use letters, digits, '_' and ':', not starting with a digit (e.g. bourse_)", code: 2)
        }
        exposition = PrometheusExposition(prefix: prefix, perFieldMetrics: try config.bool("per_field_metrics", default: false))
        do {
            selection = try FieldSelection(try config.stringArray("fields", default: ["*"]))
        } catch let error as FieldSelectionError {
            throw PluginError("prometheus: config key 'fields': \(error)", code: 2)
        }
        let timeout = try config.int("timeout_ms", default: 5000)
        guard (10...600_000).contains(timeout) else {
            throw PluginError("prometheus: config key 'timeout_ms' must be 10...600000, got \(timeout)", code: 2)
        }
        let maxSeries = try config.int("max_series", default: 100_000)
        guard (1...10_000_000).contains(maxSeries) else {
            throw PluginError("prometheus: config key 'max_series' must be 1...10000000, got \(maxSeries)", code: 2)
        }
        self.context = context
        let store = LatestValueStore(maxSeries: maxSeries)
        self.store = store
        let counters = ServerCounters(context: context)
        let exposition = exposition
        server = MetricsHTTPServer(address: listen, timeoutMilliseconds: timeout,
                                   render: { exposition.render(store.snapshot()) },
                                   observe: { counters.record($0) })
        seen = context.counter("messages_seen")
        droppedSeries = context.counter("series_dropped")
    }

    deinit { server.stop() }

    /// Binds the socket and starts the server thread; logs the address served.
    public func start() throws {
        let bound: ListenAddress
        do {
            bound = try server.start()
        } catch let error as MetricsServerError {
            throw PluginError("prometheus: \(error)", code: 10)
        }
        context.log(.info, "prometheus: serving http://\(bound)/metrics")
    }

    /// Records the chosen fields of every message and counts messages per topic.
    public func onMessages(_ batch: MessageBatch) throws {
        let dropped = store.update { writer in
            var run: (topic: UInt32, count: UInt64) = (0, 0)
            for position in batch.indices {
                let topic = batch.topic(at: position), instrumentID = batch.instrument(at: position).id
                if topic.id != run.topic {
                    if run.count > 0 { writer.addMessages(run.count, topic: run.topic) { self.topicName(run.topic) } }
                    run = (topic.id, 0)
                }
                run.count += 1
                writer.setEventTime(batch.eventTime(at: position), for: SeriesKey(topic: topic.id, instrument: instrumentID)) {
                    (self.topicName(topic.id), self.symbol(instrumentID))
                }
                let type = batch.messageType(at: position)
                guard let numbers = Self.numbers(in: batch, at: position, type: type) else { continue }
                for field in plan(topic: topic, type: type) where field.index < numbers.count {
                    writer.setValue(numbers[field.index],
                                    for: SeriesKey(topic: topic.id, instrument: instrumentID, field: field.number)) {
                        (self.topicName(topic.id), self.symbol(instrumentID), field.name)
                    }
                }
            }
            if run.count > 0 { writer.addMessages(run.count, topic: run.topic) { self.topicName(run.topic) } }
        }
        seen.add(Int64(batch.count))
        if dropped > 0 {
            droppedSeries.add(Int64(dropped))
            if !warnedFull {
                warnedFull = true
                context.log(.warning, "prometheus: max_series (\(store.maxSeries)) reached; new series are dropped (counter series_dropped)")
            }
        }
    }

    /// Stops the server thread and closes the socket.
    public func stop() throws {
        server.stop()
    }

    // MARK: Fields

    /// The numbers of the message at `position` in the order of ``MessageFields``, held inline
    /// (no allocation per message); nil for bytes, private types and malformed payloads.
    private static func numbers(in batch: MessageBatch, at position: Int, type: UInt16) -> IndicatorValues? {
        var out = IndicatorValues()
        // At most 5 numbers: appending to the 16 inline slots cannot fail.
        func add(_ value: Double) { try? out.append(value) }
        switch type {
        case 1:
            guard let bar = batch.bar(at: position) else { return nil }
            add(bar.open); add(bar.high); add(bar.low); add(bar.close); add(bar.volume)
        case 2:
            guard let trade = batch.trade(at: position) else { return nil }
            add(trade.price); add(trade.size)
        case 3:
            guard let quote = batch.quote(at: position) else { return nil }
            add(quote.bidPrice); add(quote.bidSize); add(quote.askPrice); add(quote.askSize)
        case 4:
            return batch.values(at: position)
        case 5, 6:
            switch batch[position].payload {
            case .signal(let s): add(s.value); add(s.confidence); add(s.actual); add(Double(s.direction))
            case .alert(let a): add(a.score); add(Double(a.severity.rawValue))
            default: return nil
            }
        default:
            return nil
        }
        return out
    }

    /// The chosen fields of a message type on a topic (computed once; for values, over all 16 entries).
    private func plan(topic: Topic, type: UInt16) -> FieldPlan {
        if let known = topics[topic.id]?.byType[type] { return known }
        var info = topics[topic.id] ?? TopicPlan(name: context.name(of: topic) ?? "topic-\(topic.id)",
                                                 declared: context.fields(of: topic))
        let (typeName, names): (String, [String])
        switch type {
        case 1: (typeName, names) = ("bar", MessageFields.bar)
        case 2: (typeName, names) = ("trade", MessageFields.trade)
        case 3: (typeName, names) = ("quote", MessageFields.quote)
        case 4: (typeName, names) = ("values", MessageFields.values(declared: info.declared, count: IndicatorValues.capacity))
        case 5: (typeName, names) = ("signal", MessageFields.signal)
        default: (typeName, names) = ("alert", MessageFields.alert)
        }
        let chosen: FieldPlan = names.enumerated().compactMap { index, name in
            selection.selects(name, type: typeName) ? (index, fieldNumber(name), name) : nil
        }
        info.byType[type] = chosen
        topics[topic.id] = info
        return chosen
    }

    private func fieldNumber(_ name: String) -> UInt32 {
        if let number = fieldNumbers[name] { return number }
        let number = UInt32(fieldNumbers.count + 1)
        fieldNumbers[name] = number
        return number
    }

    private func topicName(_ id: UInt32) -> String {
        topics[id]?.name ?? context.name(of: Topic(id: id)) ?? "topic-\(id)"
    }

    private func symbol(_ id: UInt32) -> String {
        if let known = symbols[id] { return known }
        let symbol = context.symbol(of: Instrument(id: id)) ?? ""
        symbols[id] = symbol
        return symbol
    }
}

/// The node's counters of HTTP connections, updated from the server thread.
private struct ServerCounters: @unchecked Sendable {
    let served: Counter
    let refused: Counter
    let dropped: Counter

    init(context: PluginContext) {
        served = context.counter("scrapes_served")
        refused = context.counter("requests_refused")
        dropped = context.counter("connections_dropped")
    }

    func record(_ outcome: ConnectionOutcome) {
        switch outcome {
        case .answered(.ok): served.add()
        case .answered: refused.add()
        case .closedByClient, .responseAborted: dropped.add()
        }
    }
}
