// The `synthetic` source's feed: several seeded instruments, bars or ticks.

/// What the synthetic feed produces.
public enum SyntheticOutput: String, Sendable, CaseIterable {
    /// OHLCV bars.
    case bars
    /// Trade prints.
    case trades
    /// Top-of-book quotes.
    case quotes
}

/// Options of a ``SyntheticFeed``.
public struct SyntheticOptions: Equatable, Sendable {
    /// Symbols; instrument `i` uses seed `seed + i` (so the first one is the benchmarks' series).
    public var symbols: [String] = ["SYN"]
    /// Items per instrument.
    public var count = 1_000
    /// Seed of the first instrument.
    public var seed: UInt64 = 42
    /// Time between two steps of one instrument, nanoseconds (> 0).
    public var interval: Int64 = 60_000_000_000
    /// Event time of the first step, ns since the epoch (default 2024-01-01T00:00:00Z).
    public var start: Int64 = 1_704_067_200_000_000_000
    /// Bars, trades or quotes.
    public var output: SyntheticOutput = .bars
    /// First price of every instrument.
    public var startPrice = 100.0
    /// Volatility model.
    public var garch = GARCHParameters.standard

    /// Defaults: one instrument `SYN`, 1,000 one-minute bars, seed 42.
    public init() {}
}

/// Deterministic synthetic market data: for a given ``SyntheticOptions`` every
/// run yields the same items. Each time step yields one item per instrument,
/// in symbol order, all at the same event time.
public final class SyntheticFeed: MarketFeed {
    /// The options as given.
    public let options: SyntheticOptions
    /// The symbols.
    public var symbols: [String] { options.symbols }
    /// "bar", "trade" or "quote", per ``SyntheticOptions/output``.
    public var kinds: [String] { [options.output == .bars ? "bar" : options.output == .trades ? "trade" : "quote"] }
    private var paths: [SyntheticPath]
    private var step = 0
    private var instrument = 0
    private var closed = false

    /// Creates the feed; throws ``SyntheticError`` on bad options.
    public init(options: SyntheticOptions) throws {
        if let problem = options.garch.problem { throw SyntheticError(problem) }
        guard !options.symbols.isEmpty else { throw SyntheticError("no instruments") }
        guard Set(options.symbols).count == options.symbols.count else { throw SyntheticError("instrument symbols repeat") }
        guard options.count >= 0 else { throw SyntheticError("count must be ≥ 0, got \(options.count)") }
        guard options.interval > 0 else { throw SyntheticError("interval must be > 0") }
        guard options.startPrice > 0, options.startPrice.isFinite else {
            throw SyntheticError("start_price must be a positive number, got \(options.startPrice)")
        }
        self.options = options
        paths = options.symbols.indices.map {
            SyntheticPath(seed: options.seed &+ UInt64($0), price: options.startPrice, parameters: options.garch)
        }
    }

    /// The next items (one per instrument per step).
    public func next(maxItems: Int) throws -> FeedBatch {
        var batch = FeedBatch()
        batch.items.reserveCapacity(max(maxItems, 1))
        while batch.items.count < max(maxItems, 1) {
            guard !closed, step < options.count else {
                batch.status = .ended
                return batch
            }
            let time = options.start &+ Int64(step) &* options.interval
            let symbol = options.symbols[instrument]
            let payload: FeedPayload
            switch options.output {
            case .bars:
                let b = paths[instrument].nextBar()
                payload = .bar(open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, interval: options.interval)
            case .trades:
                let t = paths[instrument].nextTrade()
                payload = .trade(price: t.price, size: t.size, exchange: 0)
            case .quotes:
                let q = paths[instrument].nextQuote()
                payload = .quote(bidPrice: q.bid, bidSize: q.bidSize, askPrice: q.ask, askSize: q.askSize)
            }
            batch.items.append(FeedItem(symbol: symbol, eventTime: time, payload: payload))
            instrument += 1
            if instrument == paths.count {
                instrument = 0
                step += 1
            }
        }
        if step >= options.count { batch.status = .ended }
        return batch
    }

    /// Ends the feed.
    public func close() { closed = true }
}

/// A bad synthetic option.
public struct SyntheticError: Error, Equatable, CustomStringConvertible {
    /// The explanation.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The explanation.
    public var description: String { message }
}
