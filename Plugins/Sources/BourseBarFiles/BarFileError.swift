// Structured errors of the bar file reader.

/// Everything that can go wrong while reading a bar file, as a value:
/// a machine-readable ``Code``, a message, and where (file and line).
///
/// Row problems (``isRowProblem``) are reported through the bad-row policy:
/// under ``BadRowPolicy/skip`` they are returned as skipped rows, under
/// ``BadRowPolicy/stop`` they are thrown. All other codes are always thrown.
public struct BarFileError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Machine-readable reason. Raw values are stable (they become the
    /// plugin ABI's error code).
    public enum Code: Int32, Sendable, CaseIterable {
        /// The file does not exist or cannot be opened or read.
        case cannotOpen = 10
        /// The archive is damaged, or holds no regular file.
        case archive = 11
        /// The file holds no data row.
        case emptyFile = 12
        /// The layout could not be detected, or the header lacks a column.
        case unknownLayout = 13
        /// An option has an invalid value.
        case badOption = 14
        /// The time zone identifier is unknown.
        case unknownTimeZone = 15
        /// A line is longer than ``BarFileOptions/maxLineLength``.
        case lineTooLong = 16
        /// Row rule: the row has the wrong number of columns.
        case columnCount = 20
        /// Row rule: a price or volume field is not a number.
        case badNumber = 21
        /// Row rule: the time field does not match the time format.
        case badTime = 22
        /// Row rule: a price or volume is NaN or infinite.
        case nonFinite = 23
        /// Row rule: high < low.
        case highBelowLow = 24
        /// Row rule: open lies outside [low, high].
        case openOutsideRange = 25
        /// Row rule: close lies outside [low, high].
        case closeOutsideRange = 26
        /// Row rule: volume < 0.
        case negativeVolume = 27
        /// Row rule: the time is not after the previous accepted row's time.
        case timeNotIncreasing = 28
        /// Row rule: a price is zero or negative.
        case nonPositivePrice = 29
        /// Row rule: a quote's bid is above its ask.
        case crossedQuote = 30
        /// Row rule: a price lies far from every neighbouring price (a bad print).
        case badPrint = 31

        /// Short name of the rule or condition, e.g. `"high_below_low"`.
        public var rule: String {
            switch self {
            case .cannotOpen: return "cannot_open"
            case .archive: return "archive"
            case .emptyFile: return "empty_file"
            case .unknownLayout: return "unknown_layout"
            case .badOption: return "bad_option"
            case .unknownTimeZone: return "unknown_timezone"
            case .lineTooLong: return "line_too_long"
            case .columnCount: return "column_count"
            case .badNumber: return "bad_number"
            case .badTime: return "bad_time"
            case .nonFinite: return "non_finite"
            case .highBelowLow: return "high_below_low"
            case .openOutsideRange: return "open_outside_range"
            case .closeOutsideRange: return "close_outside_range"
            case .negativeVolume: return "negative_volume"
            case .timeNotIncreasing: return "time_not_increasing"
            case .nonPositivePrice: return "non_positive_price"
            case .crossedQuote: return "crossed_quote"
            case .badPrint: return "bad_print"
            }
        }
    }

    /// Machine-readable reason.
    public let code: Code
    /// Human-readable explanation (without the file:line prefix).
    public let message: String
    /// The file as given (for archives: `archive.zip#entry.csv`); empty for option errors.
    public let file: String
    /// 1-based physical line number, when the problem is on a line.
    public let line: Int?
    /// The offending input (the line or the option value), cut to 200 characters.
    public let input: String?

    /// Creates an error value.
    public init(code: Code, message: String, file: String = "", line: Int? = nil, input: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        if let input, input.count > 200 {
            self.input = String(input.prefix(200)) + "…"
        } else {
            self.input = input
        }
    }

    /// True for problems confined to one row, which the bad-row policy handles.
    public var isRowProblem: Bool { code.rawValue >= 20 }

    /// `file:line: message [rule]`.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        let prefix = location.isEmpty ? "" : location + ": "
        return "\(prefix)\(message) [\(code.rule)]"
    }
}
