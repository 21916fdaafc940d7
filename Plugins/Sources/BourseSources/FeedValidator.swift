// Checks a failover child's items: order per series, crossed quotes, price jumps.

/// One series of a feed: a symbol and a payload kind.
public struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
    /// The symbol.
    public var symbol: String
    /// "bar", "trade" or "quote".
    public var kind: String

    /// The key of an item.
    public init(_ item: FeedItem) {
        symbol = item.symbol
        kind = item.payload.kindName
    }

    /// `SYMBOL bar`.
    public var description: String { "\(symbol) \(kind)" }
}

/// Validates the items of one source, in the order it produces them.
///
/// An item is invalid when
/// - its event time goes back in its series (bars: not after the previous
///   valid bar; trades and quotes: before the previous one — ticks may share
///   a timestamp);
/// - a price is not finite and > 0, a bar's high is below its low, or a
///   quote is crossed (bid > ask);
/// - with `maxJump`, a price (each of a bar's open, high, low and close; a
///   trade's price; a quote's mid) lies more than `maxJump` (relative) from
///   the reference price (close, price or mid) of the previous valid item of
///   the same symbol, **and the next item of that symbol does not confirm the
///   move**. Such an item is held back for one item: when the next one is
///   back within `maxJump` of the old reference, the held item was a bad
///   print and is invalid; when the next one is far from the old reference
///   too, the move is real (a split, a gap): the held item is valid and the
///   next one is checked against it. An item still held when the
///   feed ends is invalid (its move was never confirmed).
/// Invalid items do not move the references.
public struct FeedValidator: Sendable {
    /// What ``check(_:)`` decided, in order: items now valid, items found invalid with why.
    public struct Verdict: Equatable, Sendable {
        /// Items that are valid, in the order to use them.
        public var valid: [FeedItem] = []
        /// Items that are invalid, with the reason.
        public var invalid: [(item: FeedItem, reason: String)] = []

        /// Nothing decided.
        public init() {}

        /// Equal items and reasons.
        public static func == (a: Verdict, b: Verdict) -> Bool {
            a.valid == b.valid && a.invalid.map(\.item) == b.invalid.map(\.item) && a.invalid.map(\.reason) == b.invalid.map(\.reason)
        }
    }

    /// The largest accepted relative move between consecutive items of a symbol; nil = no limit.
    public let maxJump: Double?
    private var lastTime: [SeriesKey: Int64] = [:]
    private var lastPrice: [String: Double] = [:]
    private var held: [String: (item: FeedItem, reason: String)] = [:]

    /// Creates a validator.
    public init(maxJump: Double?) { self.maxJump = maxJump }

    /// Items held back waiting for confirmation.
    public var heldCount: Int { held.count }

    /// Checks the next item; the verdict may also settle an item held before.
    public mutating func check(_ item: FeedItem) -> Verdict {
        var verdict = Verdict()
        if let why = ruleProblem(item) {
            verdict.invalid.append((item, why))
            return verdict
        }
        if let pending = held.removeValue(forKey: item.symbol), let old = lastPrice[item.symbol] {
            if jumpProblem(item, from: old) == nil {
                verdict.invalid.append(pending)            // back at the old level: the held item was a bad print
            } else {
                accept(pending.item)                      // the move persists: it was real
                verdict.valid.append(pending.item)
            }
        }
        if let reference = lastPrice[item.symbol], let why = jumpProblem(item, from: reference) {
            held[item.symbol] = (item, why)
            return verdict
        }
        accept(item)
        verdict.valid.append(item)
        return verdict
    }

    /// The held items, now invalid (the feed ended before confirming them).
    public mutating func finish() -> [(item: FeedItem, reason: String)] {
        defer { held.removeAll() }
        return held.values.sorted { $0.item.eventTime < $1.item.eventTime }.map { ($0.item, $0.reason + " (never confirmed)") }
    }

    private mutating func accept(_ item: FeedItem) {
        lastTime[SeriesKey(item)] = item.eventTime
        lastPrice[item.symbol] = item.payload.referencePrice
    }

    /// Order and price rules (not the jump).
    private func ruleProblem(_ item: FeedItem) -> String? {
        let key = SeriesKey(item)
        if let last = lastTime[key] {
            if case .bar = item.payload, item.eventTime <= last {
                return "out of order: \(key) at \(item.eventTime) is not after the previous one at \(last)"
            }
            if item.eventTime < last {
                return "out of order: \(key) at \(item.eventTime) is before the previous one at \(last)"
            }
        }
        switch item.payload {
        case .bar(let open, let high, let low, let close, _, _):
            if ![open, high, low, close].allSatisfy({ $0.isFinite && $0 > 0 }) {
                return "\(key) at \(item.eventTime) has a price that is not a positive number"
            }
            if high < low { return "\(key) at \(item.eventTime) has high \(high) < low \(low)" }
        case .trade(let price, _, _):
            if !(price.isFinite && price > 0) { return "\(key) at \(item.eventTime) has price \(price)" }
        case .quote(let bid, _, let ask, _):
            if bid.isNaN && ask.isNaN { return "\(key) at \(item.eventTime) has neither bid nor ask" }
            for side in [bid, ask] where !side.isNaN && !(side.isFinite && side > 0) {
                return "\(key) at \(item.eventTime) has price \(side)"
            }
            if bid > ask { return "crossed quote: \(key) at \(item.eventTime) has bid \(bid) > ask \(ask)" }
        }
        return nil
    }

    /// Why `item` moves too far from `reference`, or nil.
    private func jumpProblem(_ item: FeedItem, from reference: Double) -> String? {
        guard let maxJump else { return nil }
        var prices = [("", item.payload.referencePrice)]
        if case .bar(let open, let high, let low, let close, _, _) = item.payload {
            prices = [("open ", open), ("high ", high), ("low ", low), ("close ", close)]
        }
        for (name, p) in prices {
            let move = abs(p / reference - 1)
            if move > maxJump {
                return "price jump: \(item.symbol) \(item.payload.kindName) at \(item.eventTime) moves "
                    + "\(percent(move)) from \(reference) to \(name)\(p) (max_jump \(percent(maxJump)))"
            }
        }
        return nil
    }

    private func percent(_ x: Double) -> String {
        let p = (x * 1000).rounded() / 10
        return "\(p)%"
    }
}
