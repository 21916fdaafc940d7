// Streaming reader of one QuantConnect Lean data file (bars or ticks, trades or quotes).
import BourseCommon

/// How to read one Lean file.
public struct LeanFileOptions: Equatable, Sendable {
    /// What the rows are.
    public var kind: LeanDataKind
    /// File prices are divided by this (10,000 for equity deci-cents, 1 for crypto/forex decimals).
    public var priceScale: Double
    /// The exchange zone of the file's wall-clock times (America/New_York for US equity, UTC for crypto).
    public var timeZone: String
    /// What to do with a row that breaks a rule.
    public var onBadRow: BadRowPolicy
    /// Longest accepted line in bytes.
    public var maxLineLength: Int = 1 << 16

    /// Creates options.
    public init(kind: LeanDataKind, priceScale: Double, timeZone: String, onBadRow: BadRowPolicy = .skip) {
        (self.kind, self.priceScale, self.timeZone, self.onBadRow) = (kind, priceScale, timeZone, onBadRow)
    }
}

/// Reads the rows of one Lean file (zipped, as Lean ships them, or plain),
/// one row per ``next()`` call, in constant memory. It shares the byte,
/// line, time and zone code of ``BarFileReader``.
///
/// Times: `YYYYMMDD HH:MM` (daily/hour files), or milliseconds since local
/// midnight — possibly with a fraction, `14400009.367` — for minute, second
/// and tick files, whose date is the first `YYYYMMDD` in the entry or file
/// name. Wall-clock times are in `timeZone` and become UTC; at a DST
/// fall-back the repeated hour reads as its second instant when the first
/// was already used, so such rows are kept, in order, an hour apart.
///
/// Rules (a failing row is skipped and reported, or thrown under
/// ``BadRowPolicy/stop``, always naming file and line):
/// - column count per kind (trade bar 6; quote bar 11; trade tick 3 or 6;
///   quote tick 5 or 8); numbers finite;
/// - prices > 0 (`non_positive_price`); a quote side may be empty or all
///   zero (absent side → NaN) but not both sides;
/// - OHLC consistency on every bar side; volume/size ≥ 0;
/// - quotes: bid ≤ ask when both exist (`crossed_quote`; bars compare closes);
/// - time strictly increasing for bars, non-decreasing for ticks.
public final class LeanFileReader {
    /// The path as given.
    public let path: String
    /// The name used in errors (`path#entry` for archives).
    public let displayName: String
    /// The options as given.
    public let options: LeanFileOptions
    /// Counters so far (rows read, rows skipped per rule, blank lines).
    public private(set) var stats = BarFileStats()

    private let source: ByteSource
    private var lines: LineReader
    private var zone: ZoneConverter
    private let day: CivilTime?
    private var previousTime: Int64?
    private var finished = false

    /// Opens `path`.
    /// - Throws: ``BarFileError`` (cannot open, damaged archive, unknown time zone, bad option).
    public init(path: String, options: LeanFileOptions) throws(BarFileError) {
        guard options.priceScale.isFinite, options.priceScale > 0 else {
            throw BarFileError(code: .badOption, message: "price scale must be a positive number, got \(options.priceScale)",
                               file: path)
        }
        self.path = path
        self.options = options
        source = try openByteSource(path: path)
        displayName = source.displayName
        lines = LineReader(source: source, maxLineLength: max(options.maxLineLength, 64))
        day = TimeFormat.dateInName(String(source.entryName.split(separator: "/").last ?? ""))
            ?? TimeFormat.dateInName(String(path.split(separator: "/").last ?? ""))
        do {
            zone = try ZoneConverter(identifier: options.timeZone, file: source.displayName)
        } catch {
            source.close()
            throw error
        }
    }

    /// The next row or skipped row; `nil` at the end of the file.
    /// - Throws: a row's ``BarFileError`` under ``BadRowPolicy/stop`` (the reader is then finished), or an I/O error.
    public func next() throws(BarFileError) -> LeanFileEvent? {
        while !finished {
            let line: (number: Int, text: String)?
            do {
                line = try lines.next()
            } catch {
                close()
                throw error
            }
            guard let line else {
                close()
                return nil
            }
            if line.text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                stats.blankLines += 1
                continue
            }
            switch parse(number: line.number, text: line.text) {
            case .success(let row):
                previousTime = row.time
                stats.barsRead += 1
                return .row(row)
            case .failure(let problem):
                if options.onBadRow == .stop {
                    close()
                    throw problem
                }
                stats.rowsSkipped += 1
                stats.skippedByRule[problem.code, default: 0] += 1
                return .skipped(problem)
            }
        }
        return nil
    }

    /// Closes the file; ``next()`` then returns `nil`.
    public func close() {
        finished = true
        source.close()
    }

    // MARK: Parsing

    private func parse(number: Int, text: String) -> Result<LeanRow, BarFileError> {
        func problem(_ code: BarFileError.Code, _ message: String) -> Result<LeanRow, BarFileError> {
            .failure(BarFileError(code: code, message: message, file: displayName, line: number, input: text))
        }
        let fields = splitCSV(text)
        let kind = options.kind
        let allowed: [Int]
        switch kind {
        case .tradeBar: allowed = [6]
        case .quoteBar: allowed = [11]
        case .tradeTick: allowed = [3, 6]
        case .quoteTick: allowed = [5, 8]
        }
        guard allowed.contains(fields.count) else {
            return problem(.columnCount, "a Lean \(kind.rawValue) row has \(allowed.map(String.init).joined(separator: " or ")) "
                + "columns, found \(fields.count)")
        }
        // Time.
        guard let civil = civilTime(fields[0]) else {
            return problem(.badTime, "time '\(fields[0])' is neither YYYYMMDD HH:MM nor milliseconds since midnight"
                + (day == nil ? " (and the file name has no YYYYMMDD date)" : ""))
        }
        let time = zone.utcNanoseconds(civil, after: previousTime)
        if let previous = previousTime, kind.isTick ? time < previous : time <= previous {
            return problem(.timeNotIncreasing, "time \(UTCTimestamp.iso8601(time)) is "
                + (kind.isTick ? "before" : "not after") + " the previous row's \(UTCTimestamp.iso8601(previous))")
        }
        // Numbers: empty fields are allowed only in quote sides (→ nil).
        func numeric(_ index: Int, _ name: String, price: Bool) -> Result<Double?, BarFileError> {
            let field = fields[index]
            if field.isEmpty { return .success(nil) }
            guard let v = Double(field) else {
                return .failure(BarFileError(code: .badNumber, message: "\(name) '\(field)' (column \(index + 1)) is not a number",
                                             file: displayName, line: number, input: text))
            }
            guard v.isFinite else {
                return .failure(BarFileError(code: .nonFinite, message: "\(name) '\(field)' (column \(index + 1)) is not finite",
                                             file: displayName, line: number, input: text))
            }
            return .success(price ? v / options.priceScale : v)
        }
        var values: [Double?] = []
        let names: [String]
        switch kind {
        case .tradeBar: names = ["open", "high", "low", "close", "volume"]
        case .quoteBar: names = ["bid open", "bid high", "bid low", "bid close", "bid size",
                                 "ask open", "ask high", "ask low", "ask close", "ask size"]
        case .tradeTick: names = ["price", "size"]
        case .quoteTick: names = ["bid", "bid size", "ask", "ask size"]
        }
        for (k, name) in names.enumerated() {
            switch numeric(k + 1, name, price: !name.contains("size") && name != "volume") {
            case .success(let v): values.append(v)
            case .failure(let e): return .failure(e)
            }
        }
        let localDate = civil.year * 10_000 + civil.month * 100 + civil.day
        func row(_ payload: LeanPayload) -> Result<LeanRow, BarFileError> {
            .success(LeanRow(time: time, localDate: localDate, line: number, file: displayName, payload: payload))
        }
        let extra = fields.count > names.count + 1 ? Array(fields[(names.count + 1)...]) : []
        let exchange = extra.first.map(String.init) ?? ""
        let condition = extra.count > 1 ? String(extra[1]) : ""
        let suspicious = extra.count > 2 ? (extra[2] == "1" || extra[2].lowercased() == "true") : false

        switch kind {
        case .tradeBar:
            guard values.allSatisfy({ $0 != nil }) else { return problem(.badNumber, "a trade bar field is empty") }
            let v = values.map { $0! }
            if let bad = zip(names, v).prefix(4).first(where: { $0.1 <= 0 }) {
                return problem(.nonPositivePrice, "\(bad.0) \(bad.1) is not a positive price")
            }
            if let (code, message) = ohlcProblem(open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4]) {
                return problem(code, message)
            }
            return row(.tradeBar(BarRecord(time: time, open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4],
                                           line: number)))
        case .quoteBar:
            var sides: [[Double]?] = []
            for (side, offset) in [("bid", 0), ("ask", 5)] {
                let part = Array(values[offset..<offset + 5])
                if part.allSatisfy({ $0 == nil || $0 == 0 }) {
                    sides.append(nil)
                    continue
                }
                guard part.allSatisfy({ $0 != nil }) else { return problem(.badNumber, "the \(side) side is only partly filled") }
                let v = part.map { $0! }
                if let bad = v.prefix(4).first(where: { $0 <= 0 }) {
                    return problem(.nonPositivePrice, "\(side) price \(bad) is not a positive price")
                }
                if let (code, message) = ohlcProblem(open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4]) {
                    return problem(code, "\(side): \(message)")
                }
                sides.append(v)
            }
            guard sides[0] != nil || sides[1] != nil else { return problem(.nonPositivePrice, "quote bar has neither bid nor ask") }
            if let b = sides[0], let a = sides[1], b[3] > a[3] {
                return problem(.crossedQuote, "bid close \(b[3]) > ask close \(a[3])")
            }
            let nan = [Double](repeating: .nan, count: 4) + [0]
            let b = sides[0] ?? nan, a = sides[1] ?? nan
            return row(.quoteBar(LeanQuoteBar(bidOpen: b[0], bidHigh: b[1], bidLow: b[2], bidClose: b[3], bidSize: b[4],
                                              askOpen: a[0], askHigh: a[1], askLow: a[2], askClose: a[3], askSize: a[4])))
        case .tradeTick:
            guard let price = values[0], let size = values[1] else { return problem(.badNumber, "price or size is empty") }
            guard price > 0 else { return problem(.nonPositivePrice, "trade price \(price) is not a positive price") }
            guard size >= 0 else { return problem(.negativeVolume, "trade size \(size) is negative") }
            return row(.tradeTick(LeanTradeTick(price: price, size: size, exchange: exchange, condition: condition,
                                                suspicious: suspicious)))
        case .quoteTick:
            var bid = values[0] ?? 0, bidSize = values[1] ?? 0, ask = values[2] ?? 0, askSize = values[3] ?? 0
            guard bid >= 0, ask >= 0 else { return problem(.nonPositivePrice, "quote price below zero (bid \(bid), ask \(ask))") }
            guard bidSize >= 0, askSize >= 0 else { return problem(.negativeVolume, "quote size below zero") }
            if bid == 0 { (bid, bidSize) = (.nan, 0) }
            if ask == 0 { (ask, askSize) = (.nan, 0) }
            guard !(bid.isNaN && ask.isNaN) else { return problem(.nonPositivePrice, "quote tick has neither bid nor ask") }
            if bid > ask { return problem(.crossedQuote, "bid \(bid) > ask \(ask)") }
            return row(.quoteTick(LeanQuoteTick(bidPrice: bid, bidSize: bidSize, askPrice: ask, askSize: askSize,
                                                exchange: exchange, condition: condition, suspicious: suspicious)))
        }
    }

    /// `YYYYMMDD HH:MM[:SS]`, or milliseconds (with an optional fraction) since midnight of the name's date.
    private func civilTime(_ field: Substring) -> CivilTime? {
        if field.contains(" ") || (field.count == 8 && !options.kind.isTick && day == nil) {
            return TimeFormat.yyyymmdd.parseCivil(field, dayFromName: nil)
        }
        guard var t = day else { return nil }
        let parts = field.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let ms = Int(parts[0]), ms >= 0, ms < 86_400_000 else { return nil }
        var nanos = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let f = Int(digits)
            else { return nil }
            var scale = 1
            for _ in digits.count..<6 { scale *= 10 }
            nanos = f * scale
        }
        (t.hour, t.minute, t.second) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60)
        t.nanosecond = ms % 1000 * 1_000_000 + nanos
        return t
    }
}
