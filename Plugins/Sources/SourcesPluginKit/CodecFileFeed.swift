// The `file` source as a failover child: a codec-decoded file seen as a market data feed.
import BourseBarFiles
import BourseCodecs
import BourseSDK
import BourseSources
import CodecPluginKit

/// The bars, trades and quotes of a file in any codec (csv, jsonl, binary;
/// plain, gzip or zip), as a ``MarketFeed`` for the `failover` group.
///
/// Its config is the `file` source's, without `speed` (a failover group is
/// paced by its children's data, not by the wall clock) and `fields`. The
/// instruments are the configured `instrument` and those named by the first
/// 1024 messages; a later message naming another instrument, and a message
/// that is not market data (values, signals, alerts, bytes), is left out as
/// a problem (`unknown_instrument`, `not_market_data`). A trade's aggressor
/// side is not carried (feeds have none).
public final class CodecFileFeed: MarketFeed {
    /// Every key the child accepts.
    public static let keys = CodecConfig.keys.union(["path"])
    /// How many messages are decoded at creation to learn the instruments.
    static let lookAhead = 1024

    /// The instruments, in order of first appearance.
    public private(set) var symbols: [String]
    /// The payload kinds seen in the look-ahead ("bar" when none).
    public private(set) var kinds: [String]
    /// ``symbols`` for the per-message check.
    private var knownSymbols: Set<String> = []
    private let file: DecodedFile
    private let defaultInstrument: String
    private var pending: [DecodedItem] = []
    private var pendingIndex = 0
    private var ended = false

    /// Opens the file and decodes its first messages.
    /// - Throws: ``PluginError`` (code 2) for a bad config or a file that cannot be read.
    public init(config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: Self.keys)
        let path = try config.requiredString("path")
        guard !path.isEmpty else { throw PluginError("file: config key 'path' is empty", code: 2) }
        let codec = try CodecConfig(config, plugin: "file", defaultCodec: FileSourcePlugin.codecName(forPath: path))
        do {
            file = try DecodedFile(path: path, codec: codec.codec)
        } catch {
            throw PluginError("file: \(error.description)", code: 2)
        }
        defaultInstrument = codec.options.instrument
        symbols = defaultInstrument.isEmpty ? [] : [defaultInstrument]
        var kinds: [String] = []
        while pending.count < Self.lookAhead, let item = try Self.read(file) {
            pending.append(item)
            guard case .message(let message) = item, let payload = Self.feedPayload(message.payload) else { continue }
            let symbol = message.instrument.isEmpty ? defaultInstrument : message.instrument
            if !symbol.isEmpty && !symbols.contains(symbol) { symbols.append(symbol) }
            if !kinds.contains(payload.kindName) { kinds.append(payload.kindName) }
        }
        self.kinds = kinds.isEmpty ? ["bar"] : kinds
        knownSymbols = Set(symbols)
        guard !symbols.isEmpty else {
            file.close()
            throw PluginError("file: \(file.source.displayName) names no instrument in its first messages: set 'instrument'", code: 2)
        }
    }

    /// Up to `maxItems` items; records the codec skipped and messages that are
    /// not market data become problems.
    public func next(maxItems: Int) throws -> FeedBatch {
        var batch = FeedBatch()
        guard !ended else {
            batch.status = .ended
            return batch
        }
        // Problems count too: a file of mostly unusable messages is read a batch at a time.
        while batch.items.count + batch.problems.count < max(maxItems, 1) {
            let item: DecodedItem
            if pendingIndex < pending.count {
                item = pending[pendingIndex]
                pendingIndex += 1
            } else if let next = try Self.read(file) {
                pending.removeAll()
                pendingIndex = 0
                item = next
            } else {
                close()
                batch.status = .ended
                return batch
            }
            switch item {
            case .skipped(let problem):
                batch.problems.append(FeedProblem(rule: "bad_record", message: "\(problem)"))
            case .message(let message):
                let symbol = message.instrument.isEmpty ? defaultInstrument : message.instrument
                guard let payload = Self.feedPayload(message.payload) else {
                    batch.problems.append(FeedProblem(rule: "not_market_data",
                        message: "\(file.source.displayName): \(message) is not a bar, trade or quote"))
                    continue
                }
                guard knownSymbols.contains(symbol) else {
                    batch.problems.append(FeedProblem(rule: "unknown_instrument",
                        message: "\(file.source.displayName): \(message) names an instrument not among the first messages' (\(symbols.joined(separator: ", ")))"))
                    continue
                }
                batch.items.append(FeedItem(symbol: symbol, eventTime: message.eventTime, payload: payload))
            }
        }
        return batch
    }

    /// Closes the file; later calls return `.ended`.
    public func close() {
        ended = true
        file.close()
    }

    /// The next item of `file`, with its errors as ``PluginError`` (code 4).
    private static func read(_ file: DecodedFile) throws -> DecodedItem? {
        do {
            return try file.next()
        } catch {
            throw PluginError("file: \(error)", code: 4)
        }
    }

    /// The feed payload of a bar, trade or quote; nil for anything else.
    static func feedPayload(_ payload: Payload) -> FeedPayload? {
        switch payload {
        case .bar(let b):
            return .bar(open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, interval: b.intervalNanoseconds)
        case .trade(let t):
            return .trade(price: t.price, size: t.size, exchange: t.exchange)
        case .quote(let q):
            return .quote(bidPrice: q.bidPrice, bidSize: q.bidSize, askPrice: q.askPrice, askSize: q.askSize)
        default:
            return nil
        }
    }
}
