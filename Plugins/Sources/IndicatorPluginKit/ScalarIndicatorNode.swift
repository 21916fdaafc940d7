// The shared engine of single-value indicator plugins (EMA, RSI, …).
import BourseIndicators
import BourseSDK

/// Runs one ``ScalarIndicator`` per instrument over the bars a node
/// receives and publishes each value on the node's first output topic.
///
/// Configuration (validated in ``init(context:config:indicator:defaultPeriod:make:)``):
/// - `period` — integer ≥ 2 (default per indicator);
/// - `field` — `open`, `high`, `low` or `close` (default `close`).
///
/// Behaviour:
/// - one independent indicator state per ``Instrument`` (a node should
///   subscribe to one bar interval per instrument);
/// - a value is published as ``Payload/values(_:)`` with one value, on
///   `context.outputs[0]`, with the bar's instrument and event time;
///   nothing is published during the warm-up;
/// - the output field is named `<indicator><period>` (e.g. `ema20`), or
///   `<indicator><period>_<field>` when `field` is not `close`, and is
///   declared for the output topic at creation;
/// - non-bar messages are ignored and counted (`messages_ignored`); bars
///   whose selected price is NaN/±inf are skipped without touching the
///   state and counted (`bars_skipped_nonfinite`); published values are
///   counted (`values_published`).
public final class ScalarIndicatorNode<Indicator: ScalarIndicator> {
    /// The host services of the node.
    public let context: PluginContext
    /// The topic values are published on.
    public let output: Topic
    /// The bar price fed to the indicator.
    public let field: PriceField
    /// The indicator period.
    public let period: Int
    /// The declared name of the output value, e.g. "ema20".
    public let fieldName: String
    /// A fresh indicator, copied for every new instrument.
    private let fresh: Indicator
    /// Indicator state per instrument.
    private var states: [Instrument: Indicator] = [:]
    private let ignoredCounter: Counter
    private let skippedCounter: Counter
    private let publishedCounter: Counter

    /// Reads `period` and `field`, checks the output topic and declares the output field.
    /// - Parameters:
    ///   - indicator: lower-case indicator name used in the field name and errors, e.g. "ema".
    ///   - defaultPeriod: the period when `period` is absent.
    ///   - make: builds an indicator for a validated period.
    public init(context: PluginContext, config: PluginConfig, indicator: String, defaultPeriod: Int,
                make: (Int) throws -> Indicator) throws {
        try config.rejectUnknownKeys(allowed: ["period", "field"])
        let period = try config.int("period", default: defaultPeriod)
        guard period >= 2 && period <= 100_000 else {
            throw PluginError("\(indicator): config key 'period' must be in 2...100000, got \(period)", code: 2)
        }
        let fieldText = try config.string("field", default: "close")
        guard let field = PriceField(rawValue: fieldText) else {
            throw PluginError("\(indicator): config key 'field' must be open, high, low or close, got \"\(fieldText)\"",
                              code: 2)
        }
        guard let output = context.outputs.first else {
            throw PluginError("\(indicator): the node has no output topic; add one to its 'publishes'", code: 3)
        }
        self.context = context
        self.output = output
        self.field = field
        self.period = period
        fieldName = field == .close ? "\(indicator)\(period)" : "\(indicator)\(period)_\(field.rawValue)"
        fresh = try make(period)
        ignoredCounter = context.counter("messages_ignored")
        skippedCounter = context.counter("bars_skipped_nonfinite")
        publishedCounter = context.counter("values_published")
        try context.declareFields([fieldName], for: output)
    }

    /// Number of instruments with state.
    public var instrumentCount: Int { states.count }

    /// Feeds every bar of the batch to its instrument's indicator and publishes the values.
    public func process(_ batch: MessageBatch) throws {
        var ignored: Int64 = 0, skipped: Int64 = 0, published: Int64 = 0
        defer {
            // Counters are added once per batch, not once per message.
            if ignored > 0 { ignoredCounter.add(ignored) }
            if skipped > 0 { skippedCounter.add(skipped) }
            if published > 0 { publishedCounter.add(published) }
        }
        for position in batch.indices {
            guard let bar = batch.bar(at: position) else {
                ignored += 1
                continue
            }
            let price = PriceBar(open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)[field]
            guard price.isFinite else {
                skipped += 1
                continue
            }
            let instrument = batch.instrument(at: position)
            guard let value = states[instrument, default: fresh].update(price) else { continue }
            try context.publishValues(count: 1, topic: output, instrument: instrument,
                                      eventTime: batch.eventTime(at: position)) { $0[0] = value }
            published += 1
        }
    }
}
