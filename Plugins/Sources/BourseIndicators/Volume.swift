// Volume indicators: OBV (TA-Lib conventions) and VWAP (cumulative or per session).

/// On-balance volume exactly as TA-Lib's `OBV(close, volume)`: starts at the
/// first bar's volume, then adds the volume when the close rose above the
/// previous close, subtracts it when it fell, keeps it when equal. First
/// value at index 0.
public struct OBV: StreamingIndicator {
    private var previousClose = 0.0
    private var current = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// Creates an OBV.
    public init() {}

    /// 0.
    public var lookback: Int { 0 }

    /// Feeds one bar (close, volume); bars with a non-finite field are skipped.
    public mutating func update(_ bar: PriceBar) -> Double? {
        guard bar.isFinite else {
            skippedCount += 1
            return nil
        }
        return updateFinite(bar)
    }

    /// ``update(_:)`` for a bar whose five numbers are known to be finite (an
    /// ``IndicatorSet`` checks each bar once, before all its indicators).
    mutating func updateFinite(_ bar: PriceBar) -> Double? {
        defer { previousClose = bar.close }
        acceptedCount += 1
        if acceptedCount == 1 {
            current = bar.volume
        } else {
            // +volume on a higher close, −volume on a lower one, nothing otherwise; without a branch.
            let up = bar.close > previousClose ? bar.volume : 0
            let down = bar.close < previousClose ? bar.volume : 0
            current = current + up - down
        }
        return current
    }

    /// Forgets all state.
    public mutating func reset() {
        previousClose = 0
        current = 0
        acceptedCount = 0
        skippedCount = 0
    }
}

/// Volume-weighted average price (not in TA-Lib): Σ(TP·V) / ΣV with
/// TP = (H + L + C) / 3, summed from the first bar (cumulative, the
/// reference set's `vwap`) or from the first bar of each session.
///
/// Sessions: a bar belongs to session ⌊(time − `sessionStart`) / `sessionLength`⌋
/// (times in nanoseconds since the Unix epoch, UTC); when that number changes
/// the sums restart. `sessionStart` is the UTC time of day a session opens,
/// e.g. 0 for UTC days. No value while the summed volume is 0.
public struct VWAP: StreamingIndicator {
    /// Nanoseconds in one day.
    public static let day: Int64 = 86_400_000_000_000
    /// Session length in nanoseconds, or nil for one cumulative VWAP.
    public let sessionLength: Int64?
    /// Offset of a session's start from the epoch-aligned boundary, nanoseconds.
    public let sessionStart: Int64
    private var session: Int64 = .min
    private var priceVolume = 0.0
    private var volume = 0.0
    /// See ``StreamingIndicator/acceptedCount``.
    public private(set) var acceptedCount = 0
    /// See ``StreamingIndicator/skippedCount``.
    public private(set) var skippedCount = 0

    /// A cumulative VWAP, never reset.
    public init() {
        sessionLength = nil
        sessionStart = 0
    }

    /// A VWAP reset at each session.
    /// - Parameters:
    ///   - sessionLength: nanoseconds per session (default one day).
    ///   - sessionStart: offset of the session boundary, nanoseconds (0 = midnight UTC).
    /// - Throws: ``IndicatorError`` when `sessionLength` is not positive.
    public init(sessionLength: Int64 = VWAP.day, sessionStart: Int64) throws(IndicatorError) {
        guard sessionLength > 0 else {
            throw IndicatorError(code: .parameterOutOfRange,
                                 message: "VWAP: session length must be positive, got \(sessionLength) ns",
                                 parameter: "session_length", value: String(sessionLength))
        }
        self.sessionLength = sessionLength
        self.sessionStart = sessionStart % sessionLength
    }

    /// 0.
    public var lookback: Int { 0 }

    /// Feeds one bar (high, low, close, volume, time); bars with a non-finite field are skipped.
    public mutating func update(_ bar: PriceBar) -> Double? {
        guard bar.isFinite else {
            skippedCount += 1
            return nil
        }
        return updateFinite(bar)
    }

    /// ``update(_:)`` for a bar whose five numbers are known to be finite (an
    /// ``IndicatorSet`` checks each bar once, before all its indicators).
    mutating func updateFinite(_ bar: PriceBar) -> Double? {
        acceptedCount += 1
        if let sessionLength {
            let (shifted, overflow) = bar.time.subtractingReportingOverflow(sessionStart)
            let current = overflow ? session : floorDivide(shifted, sessionLength)
            if current != session {
                session = current
                priceVolume = 0
                volume = 0
            }
        }
        let typical = (bar.high + bar.low + bar.close) / 3.0
        priceVolume += typical * bar.volume
        volume += bar.volume
        return volume != 0 ? priceVolume / volume : nil
    }

    private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Forgets all state.
    public mutating func reset() {
        session = .min
        priceVolume = 0
        volume = 0
        acceptedCount = 0
        skippedCount = 0
    }
}
