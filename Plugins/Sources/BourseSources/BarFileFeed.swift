// csv-bars' reader as a feed (a failover child).
import BourseBarFiles

/// The bars of one CSV/Lean bar file (read by ``BarFileReader``) as a feed of one symbol.
public final class BarFileFeed: MarketFeed {
    /// The reader.
    public let reader: BarFileReader
    /// The symbol of every bar.
    public let symbol: String
    /// Bar length in nanoseconds (0 = unknown).
    public let interval: Int64
    /// The one symbol.
    public var symbols: [String] { [symbol] }
    /// Bars only.
    public var kinds: [String] { ["bar"] }

    /// Wraps an open reader.
    public init(reader: BarFileReader, symbol: String, interval: Int64) {
        (self.reader, self.symbol, self.interval) = (reader, symbol, interval)
    }

    /// Up to `maxItems` bars; skipped rows become problems.
    public func next(maxItems: Int) throws -> FeedBatch {
        var batch = FeedBatch()
        while batch.items.count < max(maxItems, 1) {
            guard let event = try reader.next() else {
                batch.status = .ended
                return batch
            }
            switch event {
            case .bar(let r):
                batch.items.append(FeedItem(symbol: symbol, eventTime: r.time, payload: .bar(
                    open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, interval: interval)))
            case .skipped(let problem):
                batch.problems.append(FeedProblem(rule: problem.code.rule, message: problem.description))
            }
        }
        return batch
    }

    /// Closes the file.
    public func close() { reader.close() }
}
