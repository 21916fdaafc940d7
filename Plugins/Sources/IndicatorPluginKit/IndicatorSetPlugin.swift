// The `indicator-set` plugin: many indicators per instrument in one node.
import BourseIndicators
import BourseSDK

/// Computes a configured set of indicators (TA-Lib conventions) for every
/// instrument of the bars it receives, in one node, and publishes the
/// values with declared field names.
///
/// Config:
/// - `indicators` — list of specs `name[:p1[:p2…]]` (see ``IndicatorSpec``),
///   e.g. `["sma:20", "rsi:14", "macd:12:26:9"]`; default: the 15 indicators
///   of the TA-Lib reference set (``IndicatorSpec/referenceSet``, 20 outputs).
///
/// Topics (a message carries at most 16 values):
/// - when the node publishes one topic and the set has at most 16 outputs,
///   every output goes there, in ``IndicatorSet/fieldNames`` order;
/// - when no published topic is named after a category (below), the outputs
///   are packed: in ``IndicatorSet/fieldNames`` order, split as evenly as
///   possible over the node's topics, of which there must be exactly
///   ⌈outputs / 16⌉ (2 for the default set: one message per 16 outputs, the
///   fastest layout);
/// - otherwise the outputs are split by ``IndicatorCategory``: the node must
///   publish, for every category the set uses, one topic named
///   `<anything>.<category>` (`indicators.SPY.trend`, `….momentum`,
///   `….volatility`, `….volume`).
///
/// Per bar and topic one values message is published, with the bar's
/// instrument and event time, once at least one of its indicators is past
/// its warm-up (the others are NaN). Bars that are NaN/∞ (counter
/// `bars_skipped_nonfinite`) or bad prints — a price ≤ 0, high < low,
/// negative volume (`bars_rejected_bad_print`) — are dropped before any
/// indicator sees them; other messages are ignored (`messages_ignored`).
/// Messages published are counted (`values_published`).
public final class IndicatorSetIndicatorPlugin: IndicatorPlugin {
    /// "indicator-set".
    public static let name = "indicator-set"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "A configured set of TA-Lib compatible indicators per instrument, one node"

    /// One output topic and the set outputs it carries.
    public struct OutputGroup {
        /// The topic.
        public let topic: Topic
        /// Indices into ``IndicatorSet/fieldNames``.
        public let fieldIndices: [Int]

        /// True when ``fieldIndices`` are consecutive and increasing.
        var isContiguous: Bool {
            zip(fieldIndices, fieldIndices.dropFirst()).allSatisfy { $0 + 1 == $1 }
        }
    }

    /// The indicators.
    public let indicators: IndicatorSet
    /// Where each output goes.
    public let groups: [OutputGroup]
    private let context: PluginContext
    private var states: [Instrument: IndicatorSetState] = [:]
    private var lastInstrument = Instrument.none
    private var lastState: IndicatorSetState?
    /// ``groups`` flattened for the per-bar loop.
    private let plan: PublicationPlan
    private let ignoredCounter: Counter
    private let nonFiniteCounter: Counter
    private let badPrintCounter: Counter
    private let publishedCounter: Counter

    /// Validates the configuration, maps outputs to topics and declares the fields.
    public init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["indicators"])
        var specs = IndicatorSpec.referenceSet
        if let texts = try config.stringArray("indicators") {
            do {
                specs = try texts.map { text throws(IndicatorError) in try IndicatorSpec(parsing: text) }
            } catch {
                throw PluginError("indicator-set: config key 'indicators': \(error.message)", code: 2)
            }
        }
        var set: IndicatorSet
        do {
            set = try IndicatorSet(specs)
        } catch {
            throw PluginError("indicator-set: config key 'indicators': \(error.message)", code: 2)
        }
        var groups = try IndicatorSetIndicatorPlugin.layout(set, context: context)
        if !groups.allSatisfy(\.isContiguous) {
            // Split by category: order the indicators by category (keeping their order within one),
            // so that every message is one contiguous run of the values (copied, not gathered).
            let order = IndicatorCategory.allCases
            let sorted = specs.enumerated().sorted {
                (order.firstIndex(of: $0.element.kind.category)!, $0.offset)
                    < (order.firstIndex(of: $1.element.kind.category)!, $1.offset)
            }.map(\.element)
            do {
                set = try IndicatorSet(sorted)
            } catch {
                throw PluginError("indicator-set: config key 'indicators': \(error.message)", code: 2)
            }
            groups = try IndicatorSetIndicatorPlugin.layout(set, context: context)
        }
        for group in groups {
            try context.declareFields(group.fieldIndices.map { set.fieldNames[$0] }, for: group.topic)
        }
        indicators = set
        self.groups = groups
        plan = PublicationPlan(groups)
        self.context = context
        ignoredCounter = context.counter("messages_ignored")
        nonFiniteCounter = context.counter("bars_skipped_nonfinite")
        badPrintCounter = context.counter("bars_rejected_bad_print")
        publishedCounter = context.counter("values_published")
    }

    /// Assigns every output to one of the node's topics (see the type's documentation).
    static func layout(_ set: IndicatorSet, context: PluginContext) throws -> [OutputGroup] {
        let outputs = context.outputs
        guard !outputs.isEmpty else {
            throw PluginError("indicator-set: the node has no output topic; add one to its 'publishes'", code: 3)
        }
        let capacity = IndicatorValues.capacity
        let fieldCount = set.fieldNames.count
        if outputs.count == 1 && fieldCount <= capacity {
            return [OutputGroup(topic: outputs[0], fieldIndices: Array(set.fieldNames.indices))]
        }
        let names = outputs.map { context.name(of: $0) ?? "" }
        func isCategoryTopic(_ name: String) -> Bool {
            IndicatorCategory.allCases.contains { name == $0.rawValue || name.hasSuffix("." + $0.rawValue) }
        }
        if !names.contains(where: isCategoryTopic) {
            // Packed: the outputs in order, as evenly as possible over ⌈n / 16⌉ topics.
            let needed = (fieldCount + capacity - 1) / capacity
            guard outputs.count == needed else {
                throw PluginError("indicator-set: the set has \(fieldCount) outputs and one message carries at most "
                    + "\(capacity): publish \(needed) topic\(needed == 1 ? "" : "s") (the outputs are split over them in "
                    + "order) or one topic per category, ending with "
                    + "\(IndicatorCategory.allCases.map { "'.\($0.rawValue)'" }.joined(separator: ", ")) "
                    + "(publishes: \(names.joined(separator: ", ")))", code: 3)
            }
            var groups: [OutputGroup] = []
            var next = 0
            for (position, topic) in outputs.enumerated() {
                let size = fieldCount / needed + (position < fieldCount % needed ? 1 : 0)
                groups.append(OutputGroup(topic: topic, fieldIndices: Array(next..<next + size)))
                next += size
            }
            return groups
        }
        var byCategory: [IndicatorCategory: [Int]] = [:]
        for (index, spec) in set.specs.enumerated() {
            let first = set.offsets[index]
            byCategory[spec.kind.category, default: []] += Array(first..<first + spec.outputNames.count)
        }
        var groups: [OutputGroup] = []
        var used = Set<Int>()
        for category in IndicatorCategory.allCases {
            guard let fields = byCategory[category] else { continue }
            let matches = names.indices.filter { names[$0] == category.rawValue || names[$0].hasSuffix("." + category.rawValue) }
            guard matches.count == 1 else {
                let why = matches.isEmpty ? "no published topic ends with '.\(category.rawValue)'"
                                          : "several published topics end with '.\(category.rawValue)'"
                throw PluginError("indicator-set: the set has \(set.fieldNames.count) outputs in "
                    + "\(byCategory.count) categories (\(byCategory.keys.map(\.rawValue).sorted().joined(separator: ", "))), "
                    + "publish one topic per category, e.g. 'indicators.\(category.rawValue)'; \(why) "
                    + "(publishes: \(names.joined(separator: ", ")))", code: 3)
            }
            guard fields.count <= capacity else {
                throw PluginError("indicator-set: category '\(category.rawValue)' has \(fields.count) outputs, more than "
                    + "the \(capacity) of one message; split the indicators over two nodes", code: 2)
            }
            used.insert(matches[0])
            groups.append(OutputGroup(topic: outputs[matches[0]], fieldIndices: fields))
        }
        if let unused = names.indices.first(where: { !used.contains($0) }) {
            throw PluginError("indicator-set: published topic '\(names[unused])' gets no indicator; topics must end with "
                + "'.<category>' for a category the set uses (\(byCategory.keys.map(\.rawValue).sorted().joined(separator: ", ")))",
                code: 3)
        }
        return groups
    }

    /// Number of instruments with state.
    public var instrumentCount: Int { states.count }

    /// Updates the indicators of each bar's instrument and publishes the values.
    public func onMessages(_ batch: MessageBatch) throws {
        var ignored: Int64 = 0, nonFinite: Int64 = 0, badPrints: Int64 = 0, published: Int64 = 0
        defer {
            // Counters are added once per batch, not once per message.
            if ignored > 0 { ignoredCounter.add(ignored) }
            if nonFinite > 0 { nonFiniteCounter.add(nonFinite) }
            if badPrints > 0 { badPrintCounter.add(badPrints) }
            if published > 0 { publishedCounter.add(published) }
        }
        let plan = self.plan, context = self.context
        var instrument = Instrument.none
        // The current instrument's state; `self.states` keeps it alive for the whole call.
        var state: Unmanaged<IndicatorSetState>?
        var values = UnsafePointer<Double>(bitPattern: 8)!
        for position in batch.indices {
            guard let bar = batch.bar(at: position) else {
                ignored += 1
                continue
            }
            let barInstrument = batch.instrument(at: position)
            if state == nil || barInstrument != instrument {
                instrument = barInstrument
                let found = self.state(for: instrument)
                state = Unmanaged.passUnretained(found)
                values = found.values.baseAddress!
            }
            let eventTime = batch.eventTime(at: position)
            let input = PriceBar(open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume,
                                 time: eventTime)
            if let defect = state.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.update(input) }) {
                if defect == .nonFinite { nonFinite += 1 } else { badPrints += 1 }
                continue
            }
            for group in 0..<plan.groupCount {
                let run = plan.run(of: group, in: values)
                // Published once one of the group's indicators is past its warm-up.
                guard run.contains(where: { !$0.isNaN }) else { continue }
                try context.publishValues(count: run.count, topic: plan.topics[group], instrument: instrument,
                                          eventTime: eventTime) { destination in
                    destination.baseAddress!.update(from: run.baseAddress!, count: run.count)
                }
                published += 1
            }
        }
    }

    /// The state of `instrument`, created on first use (the last one is cached).
    private func state(for instrument: Instrument) -> IndicatorSetState {
        if instrument == lastInstrument, let lastState { return lastState }
        let state: IndicatorSetState
        if let existing = states[instrument] {
            state = existing
        } else {
            state = indicators.makeState()
            states[instrument] = state
        }
        lastInstrument = instrument
        lastState = state
        return state
    }
}

/// The output groups of an indicator-set node in flat, unmanaged storage, so
/// that the per-bar loop reads them without reference counting or bounds
/// checks. Every group is a contiguous run of the state's values.
final class PublicationPlan {
    /// Number of groups (output topics).
    let groupCount: Int
    /// The topic of each group.
    let topics: UnsafeMutablePointer<Topic>
    /// Where each group's run starts in the values, and its length.
    private let firsts: UnsafeMutablePointer<Int>
    private let counts: UnsafeMutablePointer<Int>

    /// - Precondition: every group's indices are contiguous.
    init(_ groups: [IndicatorSetIndicatorPlugin.OutputGroup]) {
        groupCount = groups.count
        topics = .allocate(capacity: max(1, groups.count))
        firsts = .allocate(capacity: max(1, groups.count))
        counts = .allocate(capacity: max(1, groups.count))
        for (g, group) in groups.enumerated() {
            precondition(group.isContiguous, "indicator-set: output group is not contiguous")
            (topics + g).initialize(to: group.topic)
            firsts[g] = group.fieldIndices.first ?? 0
            counts[g] = group.fieldIndices.count
        }
    }

    deinit {
        topics.deinitialize(count: groupCount)
        topics.deallocate()
        firsts.deallocate()
        counts.deallocate()
    }

    /// The values of group `group` within `values` (the state's outputs).
    @inline(__always) func run(of group: Int, in values: UnsafePointer<Double>) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: values + firsts[group], count: counts[group])
    }
}
