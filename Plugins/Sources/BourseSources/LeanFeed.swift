// The `lean` source's feed: several symbols and tick types of a Lean data folder, merged by event time.
import BourseBarFiles

/// What to read from a Lean data folder.
public struct LeanFeedOptions: Equatable, Sendable {
    /// The Lean `Data/` folder.
    public var root: String
    /// Symbols (case-insensitive in file names; published as written).
    public var symbols: [String]
    /// Security type (price scale and default zone follow from it).
    public var security: LeanSecurityType = .equity
    /// Market folder; nil = the security type's default.
    public var market: String?
    /// Resolution.
    public var resolution: LeanResolution = .daily
    /// Trades, quotes or both.
    public var tickTypes: [LeanTickType] = [.trade]
    /// First and last day (YYYYMMDD, inclusive) of the rows to publish; nil = open.
    public var from: Int?, to: Int?
    /// Corporate-action adjustment (equity only).
    public var adjust: LeanAdjustment = .raw
    /// Zone of the file times; nil = the security type's (New York for equity, UTC otherwise).
    public var timeZone: String?
    /// Rows that break a rule.
    public var onBadRow: BadRowPolicy = .skip
    /// Bad prints.
    public var badPrints: BadPrintPolicy = .skip
    /// Bad-print distance factor (> 1).
    public var spikeFactor: Double = 1.7
    /// Publish ticks AlgoSeek flagged suspicious (Lean's bars leave them out).
    public var includeSuspicious = false

    /// Options for `symbols` under `root`; everything else default.
    public init(root: String, symbols: [String]) {
        self.root = root
        self.symbols = symbols
    }
}

/// Reads the files of every configured symbol and tick type and yields
/// their rows as ``FeedItem``s in event-time order (ties: symbols in
/// configuration order, trades before quotes), with one state per stream:
/// bad-print filter, factor file, previous time.
///
/// Event times: a trade bar at its start (as `csv-bars`), a quote bar at its
/// end (the closing bid/ask is known then; published as a ``FeedPayload/quote``
/// with the closing prices and last sizes), ticks at their time.
public final class LeanFeed: MarketFeed {
    /// The options as given.
    public let options: LeanFeedOptions
    /// The configured symbols.
    public var symbols: [String] { options.symbols }
    /// "bar" for trade bars, "trade" for trade ticks, "quote" for quote bars and ticks.
    public var kinds: [String] {
        options.tickTypes.map { $0 == .quote ? "quote" : (options.resolution == .tick ? "trade" : "bar") }
    }
    /// The files found per stream, for logs.
    public let fileSets: [LeanFileSet]
    private var streams: [LeanStream]

    /// Resolves every stream's files and factor file.
    /// - Throws: ``BarFileError`` for a missing folder/file/factor file or a bad option.
    public init(options: LeanFeedOptions) throws(BarFileError) {
        guard !options.symbols.isEmpty else {
            throw BarFileError(code: .badOption, message: "no symbols configured")
        }
        guard options.spikeFactor.isFinite, options.spikeFactor > 1 else {
            throw BarFileError(code: .badOption, message: "spike_factor must be a number > 1, got \(options.spikeFactor)")
        }
        if options.adjust != .raw && options.security != .equity {
            throw BarFileError(code: .badOption, message: "adjust \(options.adjust.rawValue) needs equity factor files; "
                + "\(options.security.rawValue) data has none (use adjust: raw)")
        }
        if let from = options.from, let to = options.to, from > to {
            throw BarFileError(code: .badOption, message: "from \(from) is after to \(to)")
        }
        self.options = options
        let market = options.market ?? options.security.defaultMarket
        var sets: [LeanFileSet] = [], streams: [LeanStream] = []
        for symbol in options.symbols {
            var factors: FactorFile?
            if options.adjust != .raw {
                factors = try FactorFile(path: options.root + "/equity/\(market)/factor_files/\(symbol.lowercased()).csv")
            }
            for tickType in options.tickTypes {
                let set = try LeanDataSet.files(root: options.root, security: options.security, market: market,
                                                resolution: options.resolution, symbol: symbol, tickType: tickType,
                                                from: options.from, to: options.to)
                sets.append(set)
                streams.append(LeanStream(set: set, options: options, factors: factors))
            }
        }
        fileSets = sets
        self.streams = streams
    }

    /// Up to `maxItems` items in event-time order.
    public func next(maxItems: Int) throws -> FeedBatch {
        var batch = FeedBatch()
        while batch.items.count < max(maxItems, 1) {
            var best: Int?
            for i in streams.indices {
                try streams[i].fillHead()
                batch.problems += streams[i].takeProblems()
                guard let head = streams[i].head else { continue }
                if let b = best, let current = streams[b].head, current.eventTime <= head.eventTime { continue }
                best = i
            }
            guard let chosen = best, let item = streams[chosen].head else {
                batch.status = .ended
                return batch
            }
            streams[chosen].head = nil
            batch.items.append(item)
        }
        return batch
    }

    /// Closes every file.
    public func close() {
        for stream in streams { stream.close() }
    }
}

/// One symbol and tick type: its files in order, look-ahead for the bad-print check, adjustment.
final class LeanStream {
    let set: LeanFileSet
    let options: LeanFeedOptions
    let factors: FactorFile?
    /// The next item to publish, once ``fillHead()`` found it.
    var head: FeedItem?
    private var fileIndex = 0
    private var reader: LeanFileReader?
    private var lookahead: [LeanRow] = []
    private var filter: BadPrintFilter
    private var problems: [FeedProblem] = []
    private var exhausted = false

    init(set: LeanFileSet, options: LeanFeedOptions, factors: FactorFile?) {
        self.set = set
        self.options = options
        self.factors = factors
        filter = BadPrintFilter(factor: options.spikeFactor)
    }

    /// Problems found since the last call.
    func takeProblems() -> [FeedProblem] {
        defer { problems.removeAll() }
        return problems
    }

    /// Finds the next publishable row unless one is waiting or the stream ended.
    func fillHead() throws(BarFileError) {
        while head == nil {
            while lookahead.count < 2, let row = try readRow() { lookahead.append(row) }
            guard !lookahead.isEmpty else { return }
            let row = lookahead.removeFirst()
            if options.badPrints != .keep, let reason = filter.check(row, next: lookahead.first) {
                let error = BarFileError(code: .badPrint, message: "bad print: \(reason)", file: row.file, line: row.line)
                if options.badPrints == .stop { throw error }
                problems.append(FeedProblem(rule: "bad_print", message: error.description))
                continue
            }
            head = item(row)
        }
    }

    /// The next valid row across the files, within the date range.
    private func readRow() throws(BarFileError) -> LeanRow? {
        while !exhausted {
            if reader == nil {
                guard fileIndex < set.files.count else {
                    exhausted = true
                    return nil
                }
                reader = try LeanFileReader(path: set.files[fileIndex], options: LeanFileOptions(
                    kind: set.kind, priceScale: options.security.priceScale,
                    timeZone: options.timeZone ?? options.security.defaultTimeZone, onBadRow: options.onBadRow))
                fileIndex += 1
            }
            guard let event = try reader?.next() else {
                reader = nil
                continue
            }
            switch event {
            case .skipped(let problem):
                problems.append(FeedProblem(rule: problem.code.rule, message: problem.description))
            case .row(let row):
                if let from = options.from, row.localDate < from { continue }
                if let to = options.to, row.localDate > to { continue }
                if !options.includeSuspicious, isSuspicious(row) {
                    problems.append(FeedProblem(rule: "suspicious", message: "\(row.file):\(row.line): tick flagged suspicious "
                        + "(left out as Lean's bars do; include_suspicious: true keeps it) [suspicious]"))
                    continue
                }
                return row
            }
        }
        return nil
    }

    private func isSuspicious(_ row: LeanRow) -> Bool {
        switch row.payload {
        case .tradeTick(let t): return t.suspicious
        case .quoteTick(let q): return q.suspicious
        default: return false
        }
    }

    /// The row as an item: adjusted, at its event time.
    private func item(_ row: LeanRow) -> FeedItem {
        let (pm, vm) = factors?.multipliers(on: row.localDate, options.adjust) ?? (1, 1)
        let interval = options.resolution.nanoseconds
        switch row.payload {
        case .tradeBar(let b):
            return FeedItem(symbol: set.symbol, eventTime: row.time, payload: .bar(
                open: b.open * pm, high: b.high * pm, low: b.low * pm, close: b.close * pm, volume: b.volume * vm,
                interval: interval))
        case .quoteBar(let q):
            return FeedItem(symbol: set.symbol, eventTime: row.time + interval, payload: .quote(
                bidPrice: q.bidClose * pm, bidSize: q.bidSize * vm, askPrice: q.askClose * pm, askSize: q.askSize * vm))
        case .tradeTick(let t):
            return FeedItem(symbol: set.symbol, eventTime: row.time, payload: .trade(
                price: t.price * pm, size: t.size * vm, exchange: exchangeCode(t.exchange)))
        case .quoteTick(let q):
            return FeedItem(symbol: set.symbol, eventTime: row.time, payload: .quote(
                bidPrice: q.bidPrice * pm, bidSize: q.bidSize * vm, askPrice: q.askPrice * pm, askSize: q.askSize * vm))
        }
    }

    func close() {
        reader?.close()
        reader = nil
        exhausted = true
        lookahead.removeAll()
        head = nil
    }
}
