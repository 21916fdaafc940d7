// Encoding and decoding of message records (header + payload) as the C ABI lays them out.

public import CBourseABI

/// Layout helpers for a record: a 48-byte `bourse_message` header followed by the payload.
@usableFromInline enum RecordLayout {
    /// Header plus payload, rounded up to a multiple of 8.
    @inlinable
    static func recordSize(payloadLength: Int) -> Int {
        (BourseABI.headerSize + payloadLength + 7) & ~7
    }

    /// `payload_len` of the header at `record`.
    @inlinable
    static func payloadLength(at record: UnsafeRawPointer) -> Int {
        Int(record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }

    /// Writes a complete header at `record`.
    @inlinable
    static func writeHeader(
        to record: UnsafeMutableRawPointer, type: UInt16, flags: UInt16, payloadLength: Int,
        topic: UInt32, instrument: UInt32, eventTime: Int64, createdTime: Int64,
        sequence: UInt64 = 0, originNode: UInt32 = 0
    ) {
        let header = bourse_message(
            type: type, flags: flags, payload_len: UInt32(truncatingIfNeeded: payloadLength),
            topic_id: topic, instrument_id: instrument, event_time_ns: eventTime,
            created_time_ns: createdTime, sequence: sequence, origin_node: originNode, reserved: 0)
        record.storeBytes(of: header, as: bourse_message.self)
    }

    /// Zeroes the bytes between the end of the payload and the end of the record.
    @inlinable
    static func zeroPadding(_ record: UnsafeMutableRawPointer, payloadLength: Int) {
        let end = BourseABI.headerSize + payloadLength
        let padded = recordSize(payloadLength: payloadLength)
        if padded > end {
            (record + end).initializeMemory(as: UInt8.self, repeating: 0, count: padded - end)
        }
    }
}

/// Converts between ``Payload`` values and the C payload structs.
@usableFromInline enum PayloadCodec {
    @inlinable static var barSize: Int { MemoryLayout<bourse_bar>.size }
    @inlinable static var tradeSize: Int { MemoryLayout<bourse_trade>.size }
    @inlinable static var quoteSize: Int { MemoryLayout<bourse_quote>.size }
    @inlinable static var signalSize: Int { MemoryLayout<bourse_signal>.size }
    @inlinable static var alertSize: Int { MemoryLayout<bourse_alert>.size }
    /// Offset of `reason` in `bourse_alert` (score, severity, code come first).
    @inlinable static var reasonOffset: Int { 16 }
    @inlinable static var reasonCapacity: Int { Int(BOURSE_ALERT_REASON_CAPACITY) }

    /// `BOURSE_VALUES_PAYLOAD_SIZE(count)`.
    @inlinable
    static func valuesLength(count: Int) -> Int { 8 + 8 * count }

    /// The encoded payload length of `payload`.
    @inlinable static func length(of payload: Payload) -> Int {
        switch payload {
        case .bar: return barSize
        case .trade: return tradeSize
        case .quote: return quoteSize
        case .values(let values): return valuesLength(count: values.count)
        case .signal: return signalSize
        case .alert: return alertSize
        case .bytes(let bytes): return bytes.count
        case .other(_, let bytes): return bytes.count
        }
    }

    /// Writes exactly `length(of: payload)` bytes at `destination`.
    @inlinable static func write(_ payload: Payload, to destination: UnsafeMutableRawPointer) {
        switch payload {
        case .bar(let bar):
            destination.storeBytes(
                of: bourse_bar(open: bar.open, high: bar.high, low: bar.low, close: bar.close,
                               volume: bar.volume, interval_ns: bar.intervalNanoseconds),
                as: bourse_bar.self)
        case .trade(let trade):
            destination.storeBytes(
                of: bourse_trade(price: trade.price, size: trade.size, side: trade.side.rawValue,
                                 exchange: trade.exchange),
                as: bourse_trade.self)
        case .quote(let quote):
            destination.storeBytes(
                of: bourse_quote(bid_price: quote.bidPrice, bid_size: quote.bidSize,
                                 ask_price: quote.askPrice, ask_size: quote.askSize),
                as: bourse_quote.self)
        case .values(let values):
            destination.storeBytes(of: UInt32(values.count), as: UInt32.self)
            destination.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)
            values.write(to: destination + 8)
        case .signal(let signal):
            destination.storeBytes(
                of: bourse_signal(value: signal.value, confidence: signal.confidence, actual: signal.actual,
                                  horizon_ns: signal.horizonNanoseconds, direction: signal.direction,
                                  kind: signal.kind.rawValue),
                as: bourse_signal.self)
        case .alert(let alert):
            var header = bourse_alert()
            header.score = alert.score
            header.severity = alert.severity.rawValue
            header.code = alert.code
            destination.storeBytes(of: header, as: bourse_alert.self)  // reason zeroed
            let reason = destination + reasonOffset
            var written = 0
            for byte in alert.reason.utf8 where written < reasonCapacity - 1 {
                reason.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
                written += 1
            }
        case .bytes(let bytes), .other(_, let bytes):
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress {
                    destination.copyMemory(from: base, byteCount: source.count)
                }
            }
        }
    }

    /// The bar at `payload`, which holds at least `barSize` bytes.
    @inlinable
    static func decodeBar(_ payload: UnsafeRawPointer) -> Bar {
        let c = payload.loadUnaligned(as: bourse_bar.self)
        return Bar(open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume,
                   intervalNanoseconds: c.interval_ns)
    }

    /// The trade at `payload`, which holds at least `tradeSize` bytes. Unknown sides decode as `.unknown`.
    @inlinable
    static func decodeTrade(_ payload: UnsafeRawPointer) -> Trade {
        let c = payload.loadUnaligned(as: bourse_trade.self)
        return Trade(price: c.price, size: c.size, side: Trade.Side(rawValue: c.side) ?? .unknown, exchange: c.exchange)
    }

    /// The quote at `payload`, which holds at least `quoteSize` bytes.
    @inlinable
    static func decodeQuote(_ payload: UnsafeRawPointer) -> Quote {
        let c = payload.loadUnaligned(as: bourse_quote.self)
        return Quote(bidPrice: c.bid_price, bidSize: c.bid_size, askPrice: c.ask_price, askSize: c.ask_size)
    }

    /// The values at `payload` of `length` ≥ 8 bytes; the count is clamped to
    /// 16 and to what the payload holds.
    @inlinable
    static func decodeValues(_ payload: UnsafeRawPointer, length: Int) -> IndicatorValues {
        let announced = Int(payload.loadUnaligned(as: UInt32.self))
        let count = Swift.min(announced, IndicatorValues.capacity, (length - 8) / 8)
        return IndicatorValues(rawValues: payload + 8, count: count)
    }

    /// Decodes a payload of `type`; never reads outside `payload`.
    ///
    /// A payload too short for its type, or holding an enum value this SDK
    /// cannot represent, becomes ``Payload/other(type:bytes:)``. A values
    /// payload whose count exceeds 16 or what the payload holds is clamped.
    @inlinable
    static func decode(type: UInt16, payload: UnsafeRawBufferPointer) -> Payload {
        let length = payload.count
        guard let base = payload.baseAddress else {
            return type == 7 ? .bytes([]) : .other(type: type, bytes: [])
        }
        switch type {
        case 1 where length >= barSize:
            return .bar(decodeBar(base))
        case 2 where length >= tradeSize:
            return .trade(decodeTrade(base))
        case 3 where length >= quoteSize:
            return .quote(decodeQuote(base))
        case 4 where length >= 8:
            return .values(decodeValues(base, length: length))
        case 7:
            return .bytes(Array(payload))
        default:
            return decodeRare(type: type, payload: payload)
        }
    }

    /// Signals, alerts, short payloads and unknown types (kept out of line).
    @usableFromInline
    static func decodeRare(type: UInt16, payload: UnsafeRawBufferPointer) -> Payload {
        let length = payload.count
        guard let base = payload.baseAddress else { return .other(type: type, bytes: []) }
        switch type {
        case 5 where length >= signalSize:
            let c = base.loadUnaligned(as: bourse_signal.self)
            guard let kind = SignalKind(rawValue: c.kind) else { break }
            return .signal(Signal(value: c.value, confidence: c.confidence, actual: c.actual,
                                  horizonNanoseconds: c.horizon_ns, direction: c.direction, kind: kind))
        case 6 where length >= alertSize:
            let c = base.loadUnaligned(as: bourse_alert.self)
            guard let severity = Alert.Severity(rawValue: c.severity) else { break }
            let reasonBytes = UnsafeRawBufferPointer(start: base + reasonOffset, count: reasonCapacity)
            let end = reasonBytes.firstIndex(of: 0) ?? reasonCapacity
            let reason = String(decoding: reasonBytes[..<end], as: UTF8.self)
            return .alert(Alert(score: c.score, severity: severity, code: c.code, reason: reason))
        default:
            break
        }
        return .other(type: type, bytes: Array(payload))
    }
}
