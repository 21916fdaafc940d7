// The per-row half of a bar file reader: resolved layout, zone and row rules, fed line by line.

/// Decodes the data rows of a bar file once its layout is resolved from a
/// sample of its first lines. ``BarFileReader`` reads files with it; the CSV
/// codec feeds it lines from any byte stream.
public struct BarRowDecoder {
    /// The resolved layout.
    public let layout: BarFileLayout
    /// The name used in errors (the file, or `archive#entry`).
    public let displayName: String
    /// Line number of the header line in the sample, if the file has one (it is not a data row).
    public let headerLine: Int?
    var zone: ZoneConverter
    /// The date taken from the file name (Lean minute files).
    let nameDate: CivilTime?
    /// Time of the previous accepted row (for the increasing-time rule).
    var previousTime: Int64?

    /// Resolves the layout from the first lines of a file.
    /// - Parameters:
    ///   - path: the file's path (its components decide Lean price units; a `YYYYMMDD` in its name dates Lean minute rows);
    ///   - displayName: the name used in errors;
    ///   - entryName: the data file's own name (the archive entry for archives, else the path);
    ///   - sample: the first lines with their numbers, blank lines included; at least the first non-blank one.
    /// - Throws: ``BarFileError`` (empty file, undetectable layout, bad option, unknown time zone).
    public init(options: BarFileOptions, path: String, displayName: String, entryName: String,
                sample: [(number: Int, text: String)]) throws(BarFileError) {
        self.displayName = displayName
        let nonBlank = sample.filter { !Self.isBlank($0.text) }
        guard let first = nonBlank.first else {
            throw BarFileError(code: .emptyFile, message: "file has no data rows", file: displayName)
        }
        let fileName = entryName + " " + path
        nameDate = TimeFormat.dateInName(String(entryName.split(separator: "/").last ?? ""))
            ?? TimeFormat.dateInName(String(path.split(separator: "/").last ?? ""))
        layout = try Self.resolveLayout(options: options, path: path, file: displayName, fileName: fileName,
                                        first: first, sample: nonBlank)
        zone = try ZoneConverter(identifier: layout.timeZone, file: displayName)
        headerLine = layout.header != nil ? first.number : nil
        if layout.timeFormat == .millisecondsOfDay && nameDate == nil {
            throw BarFileError(code: .badOption, message: "time_format ms_of_day needs a YYYYMMDD date in the file name",
                               file: displayName)
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
}
