// Scripted feeds and a manual clock for the failover scenarios.
import BourseSources

/// A clock the test advances by hand (seconds → nanoseconds).
final class ManualClock {
    var now: Int64 = 0
    func advance(seconds: Int64 = 1) { now += seconds * 1_000_000_000 }
}

struct ScriptError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Replays a fixed list of items, `maxItems` per call, with scripted trouble:
/// throws once when it reaches an index in `failAt`, and returns idle while
/// at `stallAt` until the clock reaches `stallUntil` seconds.
final class ScriptedFeed: MarketFeed {
    let items: [FeedItem]
    let symbols: [String]
    let kinds: [String]
    var failAt: [Int]
    var stallAt: Int?
    var stallUntil: Int64 = 0
    let clock: ManualClock
    private(set) var position = 0
    private(set) var calls = 0

    init(_ items: [FeedItem], failAt: [Int] = [], stallAt: Int? = nil, stallUntilSeconds: Int64 = 0, clock: ManualClock) {
        self.items = items
        var seen: [String] = []
        for item in items where !seen.contains(item.symbol) { seen.append(item.symbol) }
        symbols = seen
        kinds = Array(Set(items.map { $0.payload.kindName })).sorted()
        (self.failAt, self.stallAt, self.stallUntil, self.clock) = (failAt, stallAt, stallUntilSeconds * 1_000_000_000, clock)
    }

    func next(maxItems: Int) throws -> FeedBatch {
        calls += 1
        if let f = failAt.first, position == f {
            failAt.removeFirst()
            throw ScriptError(message: "connection reset at item \(f)")
        }
        if position == stallAt, clock.now < stallUntil { return FeedBatch(status: .idle) }
        var limit = min(items.count, position + maxItems)
        for mark in failAt + (stallAt.map { [$0] } ?? []) where mark > position { limit = min(limit, mark) }
        let out = Array(items[position..<limit])
        position = limit
        return FeedBatch(items: out, status: position == items.count ? .ended : .more)
    }

    func close() {}
}

/// Bars at times 1…n for each symbol (interleaved), close 100 + t/10, volume = `tag` (identifies the source).
func scriptBars(_ symbols: [String], _ times: ClosedRange<Int64>, tag: Double) -> [FeedItem] {
    times.flatMap { t in
        symbols.map { s in
            let c = 100 + Double(t) / 10
            return FeedItem(symbol: s, eventTime: t, payload: .bar(open: c, high: c + 0.05, low: c - 0.05, close: c, volume: tag,
                                                                   interval: 1))
        }
    }
}

/// `SYMBOL@time:tag` of each item, e.g. `A@3:2` (bar at time 3 from source 2).
func tags(_ items: [FeedItem]) -> [String] {
    items.map { item in
        guard case .bar(_, _, _, _, let volume, _) = item.payload else { return "\(item.symbol)@\(item.eventTime):?" }
        return "\(item.symbol)@\(item.eventTime):\(Int(volume))"
    }
}

/// Runs a group to its end, advancing the clock one second per poll.
func run(_ group: FailoverGroup, clock: ManualClock, maxItems: Int = 2, maxPolls: Int = 200)
    -> (items: [FeedItem], switches: [FailoverSwitch], problems: [FeedProblem]) {
    var items: [FeedItem] = [], switches: [FailoverSwitch] = [], problems: [FeedProblem] = []
    for _ in 0..<maxPolls {
        let step = group.poll(maxItems: maxItems)
        items += step.items
        switches += step.switches
        problems += step.problems
        if step.status == .ended { break }
        clock.advance()
    }
    return (items, switches, problems)
}
