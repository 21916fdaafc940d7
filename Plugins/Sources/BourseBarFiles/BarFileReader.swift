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
    private var rows: BarRowDecoder
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
        do {
            rows = try BarRowDecoder(options: options, path: path, displayName: source.displayName,
                                     entryName: source.entryName, sample: sample)
        } catch {
            source.close()
            throw error
        }
        layout = rows.layout
        if let header = rows.headerLine { pending.removeAll { $0.number == header } }
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
            if BarRowDecoder.isBlank(line.text) {
                stats.blankLines += 1
                continue
            }
            switch rows.decode(number: line.number, text: line.text) {
            case .success(let bar):
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
}
