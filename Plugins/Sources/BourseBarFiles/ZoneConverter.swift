// Wall-clock time in a named zone → UTC nanoseconds, via Foundation's TimeZone.
import Foundation

/// Converts wall-clock times of one IANA time zone to UTC.
///
/// Times that carry an explicit offset ignore the zone. For a wall-clock
/// time that occurs twice (the hour after a DST fall-back) the offset in
/// force before the transition is used (the earlier instant); a time that
/// does not exist (inside a spring-forward gap) is read with the larger
/// (daylight) offset. Offsets are cached between transitions, so a whole file
/// costs a handful of zone look-ups.
struct ZoneConverter {
    /// The zone identifier as resolved, e.g. "America/New_York".
    let identifier: String
    private let zone: TimeZone?
    /// Cached: offset valid for UTC seconds in [validFrom, validUntil).
    private var cacheFrom: Int64 = .max, cacheUntil: Int64 = .min, cacheOffset: Int64 = 0

    /// Resolves `identifier`; "UTC", "GMT" and "Z" need no zone database.
    init(identifier: String, file: String) throws(BarFileError) {
        self.identifier = identifier
        if ["UTC", "GMT", "Z", "Etc/UTC"].contains(identifier) {
            zone = nil
            return
        }
        guard let tz = TimeZone(identifier: identifier) else {
            throw BarFileError(code: .unknownTimeZone,
                               message: "unknown time zone '\(identifier)' (use an IANA name such as America/New_York or UTC)",
                               file: file, input: identifier)
        }
        zone = tz
    }

    /// Offset east of UTC (seconds) in force at a UTC instant.
    private mutating func offset(atUTC seconds: Int64) -> Int64 {
        guard let zone else { return 0 }
        if seconds >= cacheFrom && seconds < cacheUntil { return cacheOffset }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let off = Int64(zone.secondsFromGMT(for: date))
        // Cache until the next transition (or a year ahead when there is none).
        let next = zone.nextDaylightSavingTimeTransition(after: date).map { Int64($0.timeIntervalSince1970) }
        cacheFrom = seconds
        cacheUntil = next ?? seconds + 366 * 86_400
        cacheOffset = off
        return off
    }

    /// UTC nanoseconds of a civil time (using its own offset when it has one).
    mutating func utcNanoseconds(_ t: CivilTime) -> Int64 {
        let local = t.secondsAsUTC
        let utcSeconds: Int64
        if let explicit = t.utcOffset {
            utcSeconds = local - Int64(explicit)
        } else if zone == nil {
            utcSeconds = local
        } else {
            let first = offset(atUTC: local)
            var guess = local - first
            let second = offset(atUTC: guess)
            if second != first { guess = local - second }
            // Prefer the earlier of two valid readings (DST fall-back).
            let earlier = local - max(first, second)
            if earlier != guess, offset(atUTC: earlier) == local - earlier { guess = earlier }
            utcSeconds = guess
        }
        return utcSeconds * 1_000_000_000 + Int64(t.nanosecond)
    }
}

extension ZoneConverter {
    /// UTC nanoseconds of a civil time that must come after `previous`.
    ///
    /// A wall-clock time inside a DST fall-back occurs twice; the earlier
    /// instant is used unless it is not after `previous` (the file's rows
    /// already reached it), in which case the later instant is — so the two
    /// `01:30` rows of a fall-back night become two different instants an
    /// hour apart. Any other time converts as ``utcNanoseconds(_:)`` does.
    mutating func utcNanoseconds(_ t: CivilTime, after previous: Int64?) -> Int64 {
        let earliest = utcNanoseconds(t)
        guard let previous, earliest <= previous, t.utcOffset == nil, identifier != "UTC" else { return earliest }
        let local = t.secondsAsUTC
        let earliestSeconds = (earliest - Int64(t.nanosecond)) / 1_000_000_000
        // Offsets in force a day either side: a fall-back's two readings use them.
        for probe in [earliestSeconds - 86_400, earliestSeconds + 86_400] {
            let candidateOffset = offset(atUTC: probe)
            let reading = local - candidateOffset
            guard offset(atUTC: reading) == candidateOffset else { continue }
            let nanos = reading * 1_000_000_000 + Int64(t.nanosecond)
            if nanos > previous { return nanos }
        }
        return earliest
    }
}
