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
/// - with `maxJump`, its reference price (bar close, trade price, quote mid)
///   moves more than `maxJump` (relative) from the previous valid item of the
///   same symbol.
/// Invalid items do not move the references, so the next valid item is
/// compared with the last valid one.
public struct FeedValidator: Sendable {
    /// The largest accepted relative move between consecutive items of a symbol; nil = no limit.
    public let maxJump: Double?
    private var lastTime: [SeriesKey: Int64] = [:]
    private var lastPrice: [String: Double] = [:]

    /// Creates a validator.
    public init(maxJump: Double?) { self.maxJump = maxJump }

    /// Why `item` is invalid, or nil (then it becomes the reference).
    public mutating func check(_ item: FeedItem) -> String? {
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
        let price = item.payload.referencePrice
        if let maxJump, let previous = lastPrice[item.symbol] {
            let move = abs(price / previous - 1)
            if move > maxJump {
                return "price jump: \(item.symbol) \(item.payload.kindName) at \(item.eventTime) moves "
                    + "\(percent(move)) from \(previous) to \(price) (max_jump \(percent(maxJump)))"
            }
        }
        lastTime[key] = item.eventTime
        lastPrice[item.symbol] = price
        return nil
    }

    private func percent(_ x: Double) -> String {
        let p = (x * 1000).rounded() / 10
        return "\(p)%"
    }
}
