// Parsing and checking one data row.
import BourseCommon

extension BarRowDecoder {
    /// Parses one non-blank line into a bar, or the first rule it breaks. A
    /// bar is remembered for the increasing-time rule.
    public mutating func decode(number: Int, text: String) -> Result<BarRecord, BarFileError> {
        let result = parseRow(number: number, text: text)
        if case .success(let bar) = result { previousTime = bar.time }
        return result
    }

    /// True for an empty or whitespace-only line (ignored, not a row).
    public static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0 == " " || $0 == "\t" }
    }

    private mutating func parseRow(number: Int, text: String) -> Result<BarRecord, BarFileError> {
        func problem(_ code: BarFileError.Code, _ message: String) -> Result<BarRecord, BarFileError> {
            .failure(BarFileError(code: code, message: message, file: displayName, line: number, input: text))
        }
        let fields = splitCSV(text)
        guard fields.count == layout.columnCount else {
            return problem(.columnCount, "expected \(layout.columnCount) columns, found \(fields.count)")
        }
        // Time.
        guard let timeColumn = layout.columns[0] else { return problem(.badTime, "no time column") }
        let timeField = fields[timeColumn]
        let time: Int64
        if layout.timeFormat.isEpoch {
            guard let t = layout.timeFormat.parseEpoch(timeField) else {
                return problem(.badTime, "time '\(timeField)' is not \(layout.timeFormat) (integer epoch)")
            }
            time = t
        } else {
            guard let civil = layout.timeFormat.parseCivil(timeField, dayFromName: nameDate) else {
                return problem(.badTime, "time '\(timeField)' does not match time format \(layout.timeFormat)")
            }
            time = zone.utcNanoseconds(civil, after: previousTime)  // a DST fall-back hour: its second reading
        }
        // Numbers: open, high, low, close, volume.
        var values = [Double](repeating: 0, count: 5)
        let names = ["open", "high", "low", "close", "volume"]
        for k in 0..<5 {
            guard let column = layout.columns[k + 1] else { continue }  // no volume column → 0
            let field = fields[column]
            guard let v = Double(field) else {
                return problem(.badNumber, "\(names[k]) '\(field)' (column \(column + 1)) is not a number")
            }
            guard v.isFinite else {
                return problem(.nonFinite, "\(names[k]) '\(field)' (column \(column + 1)) is not finite")
            }
            values[k] = k < 4 ? v / layout.priceScale : v
        }
        let (open, high, low, close, volume) = (values[0], values[1], values[2], values[3], values[4])
        guard open.isFinite, high.isFinite, low.isFinite, close.isFinite else {
            return problem(.nonFinite, "a price overflows after dividing by price scale \(layout.priceScale)")
        }
        if let (code, message) = ohlcProblem(open: open, high: high, low: low, close: close, volume: volume) {
            return problem(code, message)
        }
        if let previous = previousTime, time <= previous {
            return problem(.timeNotIncreasing,
                           "time \(UTCTimestamp.iso8601(time)) is not after the previous row's \(UTCTimestamp.iso8601(previous))")
        }
        return .success(BarRecord(time: time, open: open, high: high, low: low, close: close, volume: volume,
                                  line: number))
    }
}
