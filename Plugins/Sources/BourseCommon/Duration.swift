// Parsing bar intervals such as "1d", "15m", "500ms".

/// Why a duration string was rejected.
public struct DurationParseError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The text as given.
    public let input: String
    /// Human-readable explanation.
    public let message: String

    /// The explanation.
    public var description: String { message }
}

/// Bar interval strings: a non-negative integer and a unit.
public enum IntervalText {
    /// Nanoseconds per unit: ns, us, ms, s, m (minute), h, d, w.
    public static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000), ("w", 604_800_000_000_000),
    ]

    /// Parses `"1d"`, `"4h"`, `"15m"` (minutes), `"30s"`, `"500ms"`, `"1w"`
    /// or `"0"` (unknown) into nanoseconds.
    public static func nanoseconds(_ text: String) throws(DurationParseError) -> Int64 {
        if text == "0" { return 0 }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, let count = Int64(digits),
              let per = units.first(where: { $0.suffix == unit })?.nanoseconds else {
            throw DurationParseError(
                input: text,
                message: "interval must be a count and a unit (ns, us, ms, s, m, h, d, w), e.g. \"1d\" or \"15m\"; got \"\(text)\"")
        }
        let (ns, overflow) = count.multipliedReportingOverflow(by: per)
        guard !overflow else {
            throw DurationParseError(input: text, message: "interval \"\(text)\" is too long")
        }
        return ns
    }
}
