// Market data items and the pull interface every first-party source implements.

/// The content of one market data item (mirrors the SDK's `Bar`, `Trade`
/// and `Quote` payloads, without depending on the SDK).
public enum FeedPayload: Equatable, Sendable {
    /// An OHLCV bar; `interval` in nanoseconds (0 = unknown).
    case bar(open: Double, high: Double, low: Double, close: Double, volume: Double, interval: Int64)
    /// A trade print; `exchange` is a venue code (up to 4 ASCII letters packed big-endian, 0 = unknown).
    case trade(price: Double, size: Double, exchange: UInt32)
    /// Top of book; an absent side has price NaN and size 0.
    case quote(bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double)

    /// "bar", "trade" or "quote".
    public var kindName: String {
        switch self {
        case .bar: return "bar"
        case .trade: return "trade"
        case .quote: return "quote"
        }
    }

    /// The price the item says the instrument traded or is quoted at: a
    /// bar's close, a trade's price, a quote's mid (or its only side).
    public var referencePrice: Double {
        switch self {
        case .bar(_, _, _, let close, _, _): return close
        case .trade(let price, _, _): return price
        case .quote(let bid, _, let ask, _):
            if bid.isNaN { return ask }
            if ask.isNaN { return bid }
            return (bid + ask) / 2
        }
    }
}

/// One market data item: an instrument, an event time and a payload.
public struct FeedItem: Equatable, Sendable, CustomStringConvertible {
    /// The instrument's symbol.
    public var symbol: String
    /// Event time, nanoseconds since the Unix epoch, UTC.
    public var eventTime: Int64
    /// The content.
    public var payload: FeedPayload

    /// Creates an item.
    public init(symbol: String, eventTime: Int64, payload: FeedPayload) {
        (self.symbol, self.eventTime, self.payload) = (symbol, eventTime, payload)
    }

    /// `SYMBOL kind @time`.
    public var description: String { "\(symbol) \(payload.kindName) @\(eventTime)" }
}

/// A row or item a feed left out (skipped bad row, bad print, suspicious
/// tick), for the plugin to log and count.
public struct FeedProblem: Equatable, Sendable, CustomStringConvertible {
    /// Short rule name, e.g. `bad_print`, `time_not_increasing` (the counter suffix).
    public var rule: String
    /// The full explanation, naming file and line where there is one.
    public var message: String

    /// Creates a problem.
    public init(rule: String, message: String) {
        (self.rule, self.message) = (rule, message)
    }

    /// The message.
    public var description: String { message }
}

/// Whether a feed may produce more.
public enum FeedStatus: Equatable, Sendable {
    /// More may come at once.
    case more
    /// Nothing right now (a live source waiting for data).
    case idle
    /// Finished for good.
    case ended
}

/// What one ``MarketFeed/next(maxItems:)`` call returns.
public struct FeedBatch: Equatable, Sendable {
    /// Items in event-time order.
    public var items: [FeedItem]
    /// Rows or items left out during this call.
    public var problems: [FeedProblem]
    /// Whether more may come.
    public var status: FeedStatus

    /// Creates a batch.
    public init(items: [FeedItem] = [], problems: [FeedProblem] = [], status: FeedStatus = .more) {
        (self.items, self.problems, self.status) = (items, problems, status)
    }
}

/// A pull-based market data feed: what `lean`, `synthetic` and `csv-bars`
/// produce, independent of the plugin SDK, so that a plugin publishes it
/// and the `failover` group runs several of them in one process.
public protocol MarketFeed: AnyObject {
    /// The symbols the feed can produce (known when it is created).
    var symbols: [String] { get }
    /// The payload kinds it can produce: "bar", "trade", "quote".
    var kinds: [String] { get }
    /// Up to `maxItems` items (at least one unless idle or ended). Throws on
    /// a fatal problem (file error, a bad row under a `stop` policy); the
    /// message names the file and line.
    func next(maxItems: Int) throws -> FeedBatch
    /// Releases files; later calls return `.ended`.
    func close()
}

/// Packs up to 4 ASCII characters of an exchange code into a `UInt32` (big-endian; "P" → 0x50).
public func exchangeCode(_ text: String) -> UInt32 {
    text.utf8.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
}
