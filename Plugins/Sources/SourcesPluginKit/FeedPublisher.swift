// Publishing feed items from a source plugin: topic routing, payloads, problem logs and counters.
import BourseBarFiles
import BourseSDK
import BourseSources

/// Chooses each item's output topic by payload kind and symbol.
///
/// With one output topic, everything goes there. With several, a topic whose
/// first token is `bars`/`bar`, `trades`/`trade`/`ticks` or `quotes`/`quote`
/// takes that kind only (others take any kind); among the topics of a kind,
/// one with a token equal to the symbol (case-insensitive, e.g.
/// `bars.SPY.1d`) is preferred, otherwise the first one naming no configured
/// symbol (e.g. `bars.all.1d`). Every (symbol, kind) the source can produce
/// must get a topic: checked when the node is created.
public struct TopicRouter {
    private var table: [String: Topic] = [:]

    /// Resolves every (symbol, kind) pair; throws ``PluginError`` (code 3) naming a pair without a topic.
    public init(context: PluginContext, plugin: String, symbols: [String], kinds: [String]) throws {
        let outputs = context.outputs
        guard !outputs.isEmpty else {
            throw PluginError("\(plugin): the node has no output topic; add one to its 'publishes'", code: 3)
        }
        let names = outputs.map { (context.name(of: $0) ?? "").lowercased().split(separator: ".").map(String.init) }
        let families: [String: Set<String>] = ["bar": ["bars", "bar"], "trade": ["trades", "trade", "ticks"],
                                               "quote": ["quotes", "quote"]]
        let allFamilies = families.values.reduce(Set<String>()) { $0.union($1) }
        let lowerSymbols = Set(symbols.map { $0.lowercased() })
        for symbol in symbols {
            for kind in kinds {
                let topic: Topic?
                if outputs.count == 1 {
                    topic = outputs[0]
                } else {
                    let ofKind = outputs.indices.filter { families[kind]!.contains(names[$0].first ?? "") }
                    let neutral = outputs.indices.filter { !allFamilies.contains(names[$0].first ?? "") }
                    let pool = ofKind.isEmpty ? neutral : ofKind
                    let named = pool.first { names[$0].contains(symbol.lowercased()) }
                    let shared = pool.first { Set(names[$0]).isDisjoint(with: lowerSymbols) }
                    topic = (named ?? shared).map { outputs[$0] }
                }
                guard let topic else {
                    throw PluginError("\(plugin): no output topic for \(symbol) \(kind)s: publish e.g. "
                        + "\(kind)s.\(symbol) (or one topic for everything)", code: 3)
                }
                table[symbol + "\u{0}" + kind] = topic
            }
        }
    }

    /// The topic of a (symbol, kind) pair resolved at creation.
    public func topic(symbol: String, kind: String) -> Topic? { table[symbol + "\u{0}" + kind] }
}

/// Publishes ``FeedItem``s and reports ``FeedProblem``s of one source node.
///
/// Counters: `items_published`, and `skipped_<rule>` per problem rule (e.g.
/// `skipped_bad_print`). Each problem is logged as a warning; after 20 of a
/// rule, further ones are only counted (the summary gives the totals).
public final class FeedPublisher {
    private let context: PluginContext
    private let plugin: String
    private let router: TopicRouter
    private var instruments: [String: Instrument] = [:]
    private let published: Counter
    private var problemCounters: [String: Counter] = [:]
    /// Problems per rule so far.
    public private(set) var problemCounts: [String: Int] = [:]
    /// Items published so far.
    public private(set) var publishedCount = 0

    /// Resolves topics and instruments for every symbol and kind the feed can produce.
    public init(context: PluginContext, plugin: String, symbols: [String], kinds: [String]) throws {
        self.context = context
        self.plugin = plugin
        router = try TopicRouter(context: context, plugin: plugin, symbols: symbols, kinds: kinds)
        for symbol in symbols { instruments[symbol] = try context.instrument(named: symbol) }
        published = context.counter("items_published")
    }

    /// Publishes items in order.
    public func publish(_ items: [FeedItem]) throws {
        for item in items {
            let kind = item.payload.kindName
            guard let topic = router.topic(symbol: item.symbol, kind: kind) else {
                throw PluginError("\(plugin): no output topic for \(item.symbol) \(kind)s", code: 3)
            }
            let instrument: Instrument
            if let known = instruments[item.symbol] {
                instrument = known
            } else {
                instrument = try context.instrument(named: item.symbol)
                instruments[item.symbol] = instrument
            }
            try context.publish(payload(item.payload), topic: topic, instrument: instrument, eventTime: item.eventTime)
        }
        publishedCount += items.count
        if !items.isEmpty { published.add(Int64(items.count)) }
    }

    /// Logs (the first 20 per rule) and counts problems (in `skipped_<rule>` when `counting`).
    public func report(_ problems: [FeedProblem], counting: Bool = true) {
        for problem in problems {
            let n = problemCounts[problem.rule, default: 0] + 1
            problemCounts[problem.rule] = n
            if counting { counter("skipped_\(problem.rule)").add() }
            if n <= 20 {
                context.log(.warning, "\(plugin): \(problem.message)")
            } else if n == 21 {
                context.log(.warning, "\(plugin): more '\(problem.rule)' problems are counted but not logged")
            }
        }
    }

    /// `published N items; left out: bad_print 3, …`.
    public var summary: String {
        var text = "\(plugin): published \(publishedCount) items"
        if !problemCounts.isEmpty {
            text += "; left out: " + problemCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", ")
        }
        return text
    }

    private func counter(_ name: String) -> Counter {
        if let c = problemCounters[name] { return c }
        let c = context.counter(name)
        problemCounters[name] = c
        return c
    }

    private func payload(_ p: FeedPayload) -> Payload {
        switch p {
        case .bar(let o, let h, let l, let c, let v, let interval):
            return .bar(Bar(open: o, high: h, low: l, close: c, volume: v, intervalNanoseconds: interval))
        case .trade(let price, let size, let exchange):
            return .trade(Trade(price: price, size: size, exchange: exchange))
        case .quote(let bid, let bidSize, let ask, let askSize):
            return .quote(Quote(bidPrice: bid, bidSize: bidSize, askPrice: ask, askSize: askSize))
        }
    }
}

/// Runs a feed as a source plugin's `poll`: publish, report, map the status.
public func pollFeed(_ feed: MarketFeed, publisher: FeedPublisher, plugin: String, maxMessages: Int,
                     context: PluginContext, ended: inout Bool) throws -> PollResult {
    guard !ended else { return .endOfStream }
    let batch: FeedBatch
    do {
        batch = try feed.next(maxItems: max(maxMessages, 1))
    } catch let error as PluginError {
        ended = true
        throw error
    } catch let error as BarFileError {
        ended = true
        throw PluginError("\(plugin): \(error.description)", code: error.code.rawValue)
    } catch {
        ended = true
        throw PluginError("\(plugin): \(error)", code: 4)
    }
    publisher.report(batch.problems)
    try publisher.publish(batch.items)
    switch batch.status {
    case .ended:
        ended = true
        context.log(publisher.problemCounts.isEmpty ? .info : .warning, publisher.summary)
        return batch.items.isEmpty ? .endOfStream : .produced
    case .idle:
        return batch.items.isEmpty ? .idle : .produced
    case .more:
        return .produced
    }
}
