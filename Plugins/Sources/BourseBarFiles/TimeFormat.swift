// Time formats of the time column and their parsing into UTC nanoseconds.

/// How the time column of a bar file is written.
public enum TimeFormat: Equatable, Sendable, CustomStringConvertible {
    /// Decide from the first data row (see ``TimeFormat/detect(_:)``).
    case auto
    /// Integer seconds since the Unix epoch (a fraction is allowed), UTC.
    case epochSeconds
    /// Integer milliseconds since the Unix epoch, UTC.
    case epochMilliseconds
    /// Integer microseconds since the Unix epoch, UTC.
    case epochMicroseconds
    /// Integer nanoseconds since the Unix epoch, UTC.
    case epochNanoseconds
    /// `YYYY-MM-DD`, optionally `[T| ]HH:MM[:SS[.f…]]`, optionally `Z` or `±HH[:]MM`.
    case iso8601
    /// `YYYYMMDD`, optionally followed by ` HH:MM[:SS]` (Lean daily/hour).
    case yyyymmdd
    /// Milliseconds since local midnight (Lean minute/second files); the
    /// date comes from the first `YYYYMMDD` in the file or entry name.
    case millisecondsOfDay
    /// A strftime-like pattern: `%Y %y %m %d %H %M %S %f %b %z %%`, other
    /// characters literal. Numbers of `%m %d %H %M %S` may have 1 or 2 digits.
    case pattern(String)

    /// Parses a configuration value: `auto`, `epoch_s`, `epoch_ms`,
    /// `epoch_us`, `epoch_ns`, `iso8601`, `yyyymmdd`, `ms_of_day`, or a
    /// pattern containing `%`.
    public init(parsing text: String) throws(BarFileError) {
        switch text {
        case "auto": self = .auto
        case "epoch_s": self = .epochSeconds
        case "epoch_ms": self = .epochMilliseconds
        case "epoch_us": self = .epochMicroseconds
        case "epoch_ns": self = .epochNanoseconds
        case "iso8601": self = .iso8601
        case "yyyymmdd": self = .yyyymmdd
        case "ms_of_day": self = .millisecondsOfDay
        default:
            guard text.contains("%") else {
                throw BarFileError(
                    code: .badOption,
                    message: "time_format must be auto, epoch_s, epoch_ms, epoch_us, epoch_ns, iso8601, yyyymmdd, "
                        + "ms_of_day or a %-pattern such as \"%d/%m/%Y\", got '\(text)'",
                    input: text)
            }
            self = .pattern(text)
        }
    }

    /// The configuration spelling.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .epochSeconds: return "epoch_s"
        case .epochMilliseconds: return "epoch_ms"
        case .epochMicroseconds: return "epoch_us"
        case .epochNanoseconds: return "epoch_ns"
        case .iso8601: return "iso8601"
        case .yyyymmdd: return "yyyymmdd"
        case .millisecondsOfDay: return "ms_of_day"
        case .pattern(let p): return p
        }
    }

    /// True for formats that carry an absolute UTC instant (no zone needed).
    public var isEpoch: Bool {
        switch self {
        case .epochSeconds, .epochMilliseconds, .epochMicroseconds, .epochNanoseconds: return true
        default: return false
        }
    }

    /// Guesses the format of one time field, or returns `nil`.
    ///
    /// - 8 digits, optionally followed by ` HH:MM[:SS]` → ``yyyymmdd``;
    /// - `YYYY-MM-DD…` → ``iso8601``;
    /// - any other integer → epoch, unit by magnitude: |v| < 1e11 seconds,
    ///   < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds (so
    ///   each unit covers 1973…5138; older epoch values need `time_format`);
    /// - anything else (e.g. `8/24/10`) is ambiguous: `nil`.
    public static func detect(_ field: Substring) -> TimeFormat? {
        let b = Array(field.utf8)
        func digits(_ r: Range<Int>) -> Bool { r.upperBound <= b.count && b[r].allSatisfy { $0 >= 48 && $0 <= 57 } }
        if b.count == 8 && digits(0..<8) { return .yyyymmdd }
        if b.count >= 14 && digits(0..<8) && b[8] == 32 && digits(9..<11) && b[11] == 58 { return .yyyymmdd }
        if b.count >= 10 && digits(0..<4) && b[4] == 45 && digits(5..<7) && b[7] == 45 { return .iso8601 }
        let body = b.first == 45 ? Array(b.dropFirst()) : b
        guard !body.isEmpty, body.count <= 19, body.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let v = Int64(field) else { return nil }
        let m = v.magnitude
        if m < 100_000_000_000 { return .epochSeconds }
        if m < 100_000_000_000_000 { return .epochMilliseconds }
        if m < 100_000_000_000_000_000 { return .epochMicroseconds }
        return .epochNanoseconds
    }
}

/// A calendar date and time of day, with an optional explicit UTC offset.
struct CivilTime: Equatable {
    var year = 1970, month = 1, day = 1
    var hour = 0, minute = 0, second = 0, nanosecond = 0
    /// Seconds east of UTC when the text carried an offset (`Z` = 0).
    var utcOffset: Int?

    /// True when every component is in range.
    var isValid: Bool {
        guard (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour),
              (0...59).contains(minute), (0...59).contains(second), (0..<1_000_000_000).contains(nanosecond)
        else { return false }
        return (1...CivilTime.daysInMonth(year, month)).contains(day)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Seconds since the epoch of these wall-clock fields read as UTC.
    var secondsAsUTC: Int64 {
        Int64(CivilTime.daysFromCivil(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}

/// A tiny cursor over the bytes of one field.
struct ByteCursor {
    let bytes: [UInt8]
    var i = 0

    init(_ s: Substring) { bytes = Array(s.utf8) }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    /// Consumes `c` if it is next.
    mutating func eat(_ c: UInt8) -> Bool {
        guard peek == c else { return false }
        i += 1
        return true
    }

    /// Reads between `min` and `max` decimal digits.
    mutating func number(min: Int, max: Int) -> Int? {
        var v = 0, n = 0
        while n < max, let c = peek, c >= 48, c <= 57 {
            v = v * 10 + Int(c - 48)
            n += 1
            i += 1
        }
        return n >= min ? v : nil
    }

    /// Reads a fraction `f…` (1–9 digits used, more ignored) as nanoseconds.
    mutating func fractionNanos() -> Int? {
        var v = 0, n = 0
        while let c = peek, c >= 48, c <= 57 {
            if n < 9 { v = v * 10 + Int(c - 48) }
            n += 1
            i += 1
        }
        guard n > 0 else { return nil }
        for _ in n..<max(n, 9) { v *= 10 }
        return v
    }

    /// Reads `Z`, or `±HH[:]MM`, or `±HH`, as seconds east of UTC.
    mutating func utcOffset() -> Int? {
        if eat(90) || eat(122) { return 0 }  // Z z
        let sign: Int
        if eat(43) { sign = 1 } else if eat(45) { sign = -1 } else { return nil }
        guard let h = number(min: 2, max: 2), h <= 23 else { return nil }
        _ = eat(58)
        let m = number(min: 2, max: 2) ?? 0
        guard m <= 59 else { return nil }
        return sign * (h * 3600 + m * 60)
    }
}

extension TimeFormat {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses a wall-clock format into civil time; `nil` when the text does not match.
    /// `dayFromName` supplies the date for ``millisecondsOfDay``.
    func parseCivil(_ field: Substring, dayFromName: CivilTime?) -> CivilTime? {
        var c = ByteCursor(field)
        var t = CivilTime()
        switch self {
        case .iso8601:
            guard let y = c.number(min: 4, max: 4), c.eat(45), let mo = c.number(min: 2, max: 2), c.eat(45),
                  let d = c.number(min: 2, max: 2) else { return nil }
            (t.year, t.month, t.day) = (y, mo, d)
            if c.eat(84) || c.eat(116) || c.eat(32) {  // T t space
                guard let h = c.number(min: 2, max: 2), c.eat(58), let mi = c.number(min: 2, max: 2) else { return nil }
                (t.hour, t.minute) = (h, mi)
                if c.eat(58) {
                    guard let s = c.number(min: 2, max: 2) else { return nil }
                    t.second = s
                    if c.eat(46) || c.eat(44) {
                        guard let f = c.fractionNanos() else { return nil }
                        t.nanosecond = f
                    }
                }
            }
            if !c.atEnd {
                guard let off = c.utcOffset() else { return nil }
                t.utcOffset = off
            }
        case .yyyymmdd:
            guard let y = c.number(min: 4, max: 4), let mo = c.number(min: 2, max: 2),
                  let d = c.number(min: 2, max: 2) else { return nil }
            (t.year, t.month, t.day) = (y, mo, d)
            if c.eat(32) {
                guard let h = c.number(min: 2, max: 2), c.eat(58), let mi = c.number(min: 2, max: 2) else { return nil }
                (t.hour, t.minute) = (h, mi)
                if c.eat(58) {
                    guard let s = c.number(min: 2, max: 2) else { return nil }
                    t.second = s
                }
            }
        case .millisecondsOfDay:
            guard let day = dayFromName, let ms = c.number(min: 1, max: 8), ms < 86_400_000 else { return nil }
            t = day
            (t.hour, t.minute, t.second, t.nanosecond) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60,
                                                          ms % 1000 * 1_000_000)
        case .pattern(let p):
            var pc = ByteCursor(Substring(p))
            while let pch = pc.peek {
                pc.i += 1
                guard pch == 37, let spec = pc.peek else {  // literal
                    guard c.eat(pch) else { return nil }
                    continue
                }
                pc.i += 1
                switch spec {
                case 89: guard let v = c.number(min: 4, max: 4) else { return nil }; t.year = v   // %Y
                case 121: guard let v = c.number(min: 2, max: 2) else { return nil }               // %y
                    t.year = v < 69 ? 2000 + v : 1900 + v
                case 109: guard let v = c.number(min: 1, max: 2) else { return nil }; t.month = v  // %m
                case 100: guard let v = c.number(min: 1, max: 2) else { return nil }; t.day = v    // %d
                case 72: guard let v = c.number(min: 1, max: 2) else { return nil }; t.hour = v    // %H
                case 77: guard let v = c.number(min: 1, max: 2) else { return nil }; t.minute = v  // %M
                case 83: guard let v = c.number(min: 1, max: 2) else { return nil }; t.second = v  // %S
                case 102: guard let v = c.fractionNanos() else { return nil }; t.nanosecond = v    // %f
                case 122: guard let v = c.utcOffset() else { return nil }; t.utcOffset = v         // %z
                case 98:                                                                           // %b
                    guard c.i + 3 <= c.bytes.count else { return nil }
                    let name = String(decoding: c.bytes[c.i..<c.i + 3], as: UTF8.self).lowercased()
                    guard let m = Self.months.firstIndex(of: name) else { return nil }
                    t.month = m + 1
                    c.i += 3
                case 37: guard c.eat(37) else { return nil }
                default: return nil
                }
            }
        default:
            return nil
        }
        guard c.atEnd, t.isValid else { return nil }
        return t
    }

    /// Parses an epoch format into nanoseconds since the epoch; `nil` on mismatch or overflow.
    func parseEpoch(_ field: Substring) -> Int64? {
        let unit: Int64
        switch self {
        case .epochSeconds: unit = 1_000_000_000
        case .epochMilliseconds: unit = 1_000_000
        case .epochMicroseconds: unit = 1_000
        case .epochNanoseconds: unit = 1
        default: return nil
        }
        var whole = field, fraction: Substring = ""
        if self == .epochSeconds, let dot = field.firstIndex(of: ".") {
            whole = field[..<dot]
            fraction = field[field.index(after: dot)...]
            guard !fraction.isEmpty, fraction.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        }
        guard whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 || $0 == 45 }), let v = Int64(whole) else { return nil }
        let (ns, overflow) = v.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        var frac: Int64 = 0
        if !fraction.isEmpty {
            var c = ByteCursor(fraction)
            frac = Int64(c.fractionNanos() ?? 0)
            if v < 0 || whole.hasPrefix("-") { frac = -frac }
        }
        let (total, overflow2) = ns.addingReportingOverflow(frac)
        return overflow2 ? nil : total
    }

    /// The first `YYYYMMDD` run of exactly 8 digits in a file name (Lean minute files), as a date.
    static func dateInName(_ name: String) -> CivilTime? {
        let b = Array(name.utf8)
        var i = 0
        while i < b.count {
            guard b[i] >= 48 && b[i] <= 57 else { i += 1; continue }
            var j = i
            while j < b.count, b[j] >= 48, b[j] <= 57 { j += 1 }
            if j - i == 8, let t = TimeFormat.yyyymmdd.parseCivil(Substring(String(decoding: b[i..<j], as: UTF8.self)),
                                                                  dayFromName: nil) {
                return t
            }
            i = j
        }
        return nil
    }
}

extension TimeFormat {
    /// Nanoseconds since the Unix epoch of an ISO-8601 time (`YYYY-MM-DD[THH:MM[:SS[.f…]]][Z|±HH:MM]`,
    /// read as UTC when it has no offset), or nil when the text does not match or the instant does not
    /// fit in an `Int64` of nanoseconds.
    public static func iso8601Nanoseconds(_ text: Substring) -> Int64? {
        guard let civil = TimeFormat.iso8601.parseCivil(text, dayFromName: nil) else { return nil }
        var seconds = civil.secondsAsUTC - Int64(civil.utcOffset ?? 0)
        var nanoseconds = Int64(civil.nanosecond)
        if seconds < 0 && nanoseconds > 0 {  // keep the scaled seconds in range near Int64.min
            seconds += 1
            nanoseconds -= 1_000_000_000
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(nanoseconds)
        return overflow || overflow2 ? nil : total
    }
}
