// Streaming reader of OHLCV bar files.

/// One bar read from a file.
public struct BarRecord: Equatable, Sendable {
    /// Bar time, nanoseconds since the Unix epoch, UTC.
    public var time: Int64
    /// Opening price (after the price scale).
    public var open: Double
    /// Highest price (after the price scale).
    public var high: Double
    /// Lowest price (after the price scale).
    public var low: Double
    /// Closing price (after the price scale).
    public var close: Double
    /// Volume (never scaled; 0 when the file has no volume column).
    public var volume: Double
    /// 1-based physical line number in the file.
    public var line: Int

    /// Creates a record.
    public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double, line: Int) {
        (self.time, self.open, self.high, self.low, self.close, self.volume, self.line) =
            (time, open, high, low, close, volume, line)
    }
}

/// What ``BarFileReader/next()`` yields.
public enum BarFileEvent: Equatable, Sendable {
    /// A valid bar.
    case bar(BarRecord)
    /// A row rejected under ``BadRowPolicy/skip``; the caller should log it.
    case skipped(BarFileError)
}

/// Counters of a reader.
public struct BarFileStats: Equatable, Sendable {
    /// Valid bars returned.
    public var barsRead = 0
    /// Rows skipped under ``BadRowPolicy/skip``.
    public var rowsSkipped = 0
    /// Skipped rows per rule.
    public var skippedByRule: [BarFileError.Code: Int] = [:]
    /// Empty or whitespace-only lines (ignored, not errors).
    public var blankLines = 0
}

/// Reads OHLCV bars from a CSV file (optionally inside a zip or gzip),
/// one row per ``next()`` call, in constant memory.
///
/// Layout detection (`format: .auto`), on the first non-blank line and the
/// next ``BarFileOptions/sampleRows`` lines:
/// - a first line with no numeric field is a header; a header whose time
///   column is called `Date` means **yahoo**, any other header **plain**;
///   columns are found by name (`date|time|ts|timestamp|datetime`, `open|o`,
///   `high|h`, `low|l`, `close|c`, `volume|vol|v`; `Adj Close` is ignored;
///   volume is optional);
/// - no header and 6 fields with a `YYYYMMDD HH:MM` time, or a
///   milliseconds-of-day time and a `YYYYMMDD` in the file name → **lean**;
/// - no header and 6 fields with another time → **plain** `ts,o,h,l,c,v`.
///
/// Defaults that depend on the layout (each overridable by an option):
/// - price scale: Lean deci-cent files → 10,000, everything else → 1. A
///   Lean file holds deci-cents when its path has an `equity`/`option`
///   component, plain decimals when it has a `crypto`/`cryptofuture`/
///   `forex`/`cfd` component, and otherwise when no price in the sampled
///   rows contains `.`/`e`/`E` (so crypto files like btcusd, whose first
///   rows happen to be integers, still count as decimal when a later
///   sampled row has a decimal point);
/// - time zone: Lean deci-cent (equity) files → America/New_York; all
///   others → UTC. Epoch times and ISO times with an offset ignore it.
///
/// Every data row is checked: column count, numbers, time format, finite
/// values, volume ≥ 0, high ≥ low, open and close within [low, high], and
/// time strictly after the previous accepted row. A failing row is returned
/// as ``BarFileEvent/skipped(_:)`` (policy skip) or thrown (policy stop).
public final class BarFileReader {
    /// The path as given.
    public let path: String
    /// The name used in errors (`path`, or `path#entry` inside an archive).
    public let displayName: String
    /// The resolved layout.
    public let layout: BarFileLayout
    /// The options as given.
    public let options: BarFileOptions
    /// Counters so far.
    public private(set) var stats = BarFileStats()

    private let source: ByteSource
    private var lines: LineReader
    private var pending: [(number: Int, text: String)] = []
    private var zone: ZoneConverter
    private let dayFromName: CivilTime?
    private var lastTime: Int64?
    private var finished = false

    /// Opens `path`, reads the first rows and resolves the layout.
    /// - Throws: ``BarFileError`` (cannot open, damaged archive, empty file,
    ///   undetectable layout, bad option, unknown time zone).
    public init(path: String, options: BarFileOptions = BarFileOptions()) throws(BarFileError) {
        self.path = path
        self.options = options
        source = try openByteSource(path: path)
        displayName = source.displayName
        lines = LineReader(source: source, maxLineLength: max(options.maxLineLength, 64))
        // Sample: the first non-blank line plus up to sampleRows more.
        var sample: [(number: Int, text: String)] = []
        do {
            while sample.count <= max(options.sampleRows, 1), let line = try lines.next() {
                sample.append(line)
            }
        } catch {
            source.close()
            throw error
        }
        pending = sample
        let nonBlank = sample.filter { !$0.text.allSatisfy { $0 == " " || $0 == "\t" } }
        guard let first = nonBlank.first else {
            source.close()
            throw BarFileError(code: .emptyFile, message: "file has no data rows", file: source.displayName)
        }
        let fileName = source.entryName + " " + path
        dayFromName = TimeFormat.dateInName(String(source.entryName.split(separator: "/").last ?? ""))
            ?? TimeFormat.dateInName(String(path.split(separator: "/").last ?? ""))
        do {
            layout = try Self.resolveLayout(options: options, path: path, file: source.displayName,
                                            fileName: fileName, first: first, sample: nonBlank)
            zone = try ZoneConverter(identifier: layout.timeZone, file: source.displayName)
        } catch {
            source.close()
            throw error
        }
        if layout.header != nil { pending.removeAll { $0.number == first.number } }
        if layout.timeFormat == .millisecondsOfDay && dayFromName == nil {
            source.close()
            throw BarFileError(code: .badOption, message: "time_format ms_of_day needs a YYYYMMDD date in the file name",
                               file: source.displayName)
        }
    }

    /// Decides format, columns, time format, zone and scale.
    private static func resolveLayout(
        options: BarFileOptions, path: String, file: String, fileName: String,
        first: (number: Int, text: String), sample: [(number: Int, text: String)]
    ) throws(BarFileError) -> BarFileLayout {
        let firstFields = splitCSV(first.text)
        let headerFields: [Substring]? = isHeaderLine(firstFields) ? firstFields : nil
        let dataRows = sample.filter { $0.number != first.number || headerFields == nil }.map { splitCSV($0.text) }
        var notes: [String] = []
        var format: String
        var columns: [Int?]
        var columnCount: Int
        var leanDeciCents = false
        let positional: [Int?] = [0, 1, 2, 3, 4, 5]

        func noLayout(_ why: String) -> BarFileError {
            BarFileError(code: .unknownLayout, message: why, file: file, line: first.number, input: first.text)
        }
        let firstData = dataRows.first ?? []
        let looksLean = firstData.count == 6
            && (isLeanDateTime(firstData[0]) || isLeanMillisecondsOfDay(firstData[0], fileName: fileName))

        switch options.format {
        case .auto, .yahoo, .plain:
            if let headerFields {
                columns = try columnsFromHeader(headerFields, file: file)
                columnCount = headerFields.count
                let timeName = headerFields[columns[0]!].lowercased()
                if case .auto = options.format { format = timeName == "date" ? "yahoo" : "plain" } else {
                    format = options.format.name
                }
            } else if case .yahoo = options.format {
                throw noLayout("yahoo layout needs a header line Date,Open,High,Low,Close[,Adj Close],Volume")
            } else if case .auto = options.format, looksLean {
                (format, columns, columnCount) = ("lean", positional, 6)
            } else if firstData.count == 6, TimeFormat.detect(firstData[0]) != nil || options.timeFormat != .auto {
                (format, columns, columnCount) = ("plain", positional, 6)
            } else {
                throw noLayout("cannot detect the layout of the first data row (\(firstData.count) fields); "
                    + "set format (yahoo|lean|plain|columns) and, for columns, the columns mapping")
            }
        case .lean:
            guard headerFields == nil, firstData.count == 6 else {
                throw noLayout("lean layout is YYYYMMDD HH:MM,O,H,L,C,V (or ms,O,H,L,C,V) without a header")
            }
            (format, columns, columnCount) = ("lean", positional, 6)
        case .columns(let mapping):
            format = "columns"
            columns = try columnsFromMapping(mapping, header: headerFields, file: file)
            if let headerFields {
                columnCount = headerFields.count
            } else {
                // The most common field count among the sampled rows.
                var counts: [Int: Int] = [:]
                for row in dataRows { counts[row.count, default: 0] += 1 }
                columnCount = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? firstFields.count
            }
            let needed = (columns.compactMap { $0 }.max() ?? 0) + 1
            guard needed <= columnCount else {
                throw noLayout("columns mapping uses column #\(needed - 1) but rows have \(columnCount) fields")
            }
        }

        // Time format.
        var timeFormat = options.timeFormat
        if timeFormat == .auto {
            if format == "lean", let t = firstData.first, isLeanMillisecondsOfDay(t, fileName: fileName) {
                timeFormat = .millisecondsOfDay
            } else if let detected = dataRows.lazy.compactMap({ row -> TimeFormat? in
                guard let c = columns[0], c < row.count else { return nil }
                return TimeFormat.detect(row[c])
            }).first {
                timeFormat = detected
            } else {
                throw noLayout("cannot recognise the time format of the sampled rows; set time_format "
                    + "(epoch_s|epoch_ms|epoch_us|epoch_ns|iso8601|yyyymmdd|ms_of_day|%-pattern)")
            }
            notes.append("time format \(timeFormat) (detected)")
        }

        // Price scale and zone.
        if format == "lean" {
            let prices = dataRows.flatMap { $0.count == 6 ? Array($0[1...4]) : [] }
            let (deciCents, why) = leanUsesDeciCents(path: path, samplePrices: prices)
            leanDeciCents = deciCents
            notes.append(why)
        }
        let scale: Double
        switch options.priceScale {
        case .fixed(let s): scale = s
        case .auto: scale = leanDeciCents ? 10_000 : 1
        }
        let zoneName = options.timeZone ?? (leanDeciCents ? "America/New_York" : "UTC")
        notes.append("price scale \(scale)\(options.priceScale == .auto ? " (auto)" : ""), time zone \(zoneName)"
            + (options.timeZone == nil ? " (default)" : ""))
        return BarFileLayout(format: format, header: headerFields?.map(String.init), columns: columns,
                             columnCount: columnCount, timeFormat: timeFormat, timeZone: zoneName,
                             priceScale: scale, notes: notes)
    }

    /// The next bar or skipped row; `nil` at the end of the file.
    /// - Throws: a row's ``BarFileError`` under ``BadRowPolicy/stop`` (the
    ///   reader is then finished), or an I/O error.
    public func next() throws(BarFileError) -> BarFileEvent? {
        while !finished {
            let line: (number: Int, text: String)?
            do {
                line = pending.isEmpty ? try lines.next() : pending.removeFirst()
            } catch {
                finish()
                throw error
            }
            guard let line else {
                finish()
                return nil
            }
            if line.text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                stats.blankLines += 1
                continue
            }
            switch parseRow(number: line.number, text: line.text) {
            case .success(let bar):
                lastTime = bar.time
                stats.barsRead += 1
                return .bar(bar)
            case .failure(let problem):
                if options.onBadRow == .stop {
                    finish()
                    throw problem
                }
                stats.rowsSkipped += 1
                stats.skippedByRule[problem.code, default: 0] += 1
                return .skipped(problem)
            }
        }
        return nil
    }

    /// Reads everything left: the bars and the skipped rows.
    public func readAll() throws(BarFileError) -> (bars: [BarRecord], skipped: [BarFileError]) {
        var bars: [BarRecord] = [], skipped: [BarFileError] = []
        while let event = try next() {
            switch event {
            case .bar(let b): bars.append(b)
            case .skipped(let e): skipped.append(e)
            }
        }
        return (bars, skipped)
    }

    /// Closes the file early; ``next()`` then returns `nil`.
    public func close() { finish() }

    private func finish() {
        finished = true
        pending.removeAll()
        source.close()
    }

    /// Time of the previous accepted row (for the increasing-time rule).
    var previousTime: Int64? { lastTime }
    /// Converts civil times of the file's zone.
    func utc(_ t: CivilTime) -> Int64 { zone.utcNanoseconds(t) }
    /// The date taken from the file name (Lean minute files).
    var nameDate: CivilTime? { dayFromName }
}
