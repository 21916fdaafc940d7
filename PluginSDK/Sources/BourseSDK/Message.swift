// The message value type and its payload enum.

public import CBourseABI

/// The payload of a message, one case per message type.
public enum Payload: Equatable, Sendable {
    /// An OHLCV bar (type 1).
    case bar(Bar)
    /// A trade print (type 2).
    case trade(Trade)
    /// Top of book (type 3).
    case quote(Quote)
    /// Indicator outputs (type 4).
    case values(IndicatorValues)
    /// A signal or prediction (type 5).
    case signal(Signal)
    /// An alert (type 6).
    case alert(Alert)
    /// Raw bytes, e.g. for codecs (type 7). Set ``Message/flags`` to
    /// ``Message/moreFlag`` when more chunks of the same record follow.
    case bytes([UInt8])
    /// Any other type: a private type (0x8000 and up), a type this SDK does
    /// not know, or a known type whose payload was too short or held a value
    /// the SDK cannot represent. `bytes` is the payload exactly as received.
    case other(type: UInt16, bytes: [UInt8])

    /// The wire message type (`bourse_message_type`) of this payload.
    public var messageType: UInt16 {
        switch self {
        case .bar: return 1
        case .trade: return 2
        case .quote: return 3
        case .values: return 4
        case .signal: return 5
        case .alert: return 6
        case .bytes: return 7
        case .other(let type, _): return type
        }
    }

    /// The payload length in bytes once encoded (`payload_len`).
    public var encodedLength: Int {
        PayloadCodec.length(of: self)
    }
}

/// One message: header fields and a decoded payload.
///
/// A `Message` is a value copy: it is safe to keep after the call that
/// delivered it returns.
public struct Message: Equatable, Sendable {
    /// Header flag: more ``Payload/bytes(_:)`` chunks of the same record follow (`BOURSE_FLAG_MORE`).
    public static let moreFlag: UInt16 = 0x0001

    /// The topic the message was published on.
    public var topic: Topic
    /// The instrument it is about; ``Instrument/none`` if none.
    public var instrument: Instrument
    /// When the event happened, in nanoseconds since the Unix epoch (UTC).
    public var eventTime: Int64
    /// When the message was made, in nanoseconds since the Unix epoch; the host fills it when 0.
    public var createdTime: Int64
    /// Per-topic sequence number 1, 2, 3, ...; assigned by the host on publish.
    public var sequence: UInt64
    /// Id of the publishing node; assigned by the host on publish.
    public var originNode: UInt32
    /// `BOURSE_FLAG_*` bits; unknown bits must be ignored.
    public var flags: UInt16
    /// The decoded payload.
    public var payload: Payload

    /// Creates a message. The host assigns `sequence` and `originNode` when it is published.
    @inlinable
    public init(topic: Topic, instrument: Instrument = .none, eventTime: Int64, createdTime: Int64 = 0,
                sequence: UInt64 = 0, originNode: UInt32 = 0, flags: UInt16 = 0, payload: Payload) {
        self.topic = topic
        self.instrument = instrument
        self.eventTime = eventTime
        self.createdTime = createdTime
        self.sequence = sequence
        self.originNode = originNode
        self.flags = flags
        self.payload = payload
    }

    /// Bytes the encoded record occupies: the 48-byte header plus the
    /// payload, rounded up to a multiple of 8.
    public var encodedSize: Int {
        RecordLayout.recordSize(payloadLength: payload.encodedLength)
    }

    /// Writes the record (header, payload, zero padding) at the start of
    /// `buffer` and returns the number of bytes written (``encodedSize``).
    ///
    /// Throws ``PluginError`` when the payload is larger than
    /// ``BourseABI/maxPayload`` or `buffer` is too small.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let length = payload.encodedLength
        guard length <= BourseABI.maxPayload else {
            throw PluginError.payloadTooLarge(length)
        }
        let size = RecordLayout.recordSize(payloadLength: length)
        guard let base = buffer.baseAddress, buffer.count >= size else {
            throw PluginError("buffer too small for message: need \(size) bytes, have \(buffer.count)")
        }
        RecordLayout.writeHeader(
            to: base, type: payload.messageType, flags: flags, payloadLength: length,
            topic: topic.id, instrument: instrument.id, eventTime: eventTime, createdTime: createdTime,
            sequence: sequence, originNode: originNode)
        PayloadCodec.write(payload, to: base + BourseABI.headerSize)
        RecordLayout.zeroPadding(base, payloadLength: length)
        return size
    }

    /// Decodes one record (a 48-byte header followed by `payload_len` payload bytes).
    ///
    /// Throws ``PluginError`` when `buffer` is shorter than the header or
    /// than the payload length the header announces. Payloads that are too
    /// short for their type decode as ``Payload/other(type:bytes:)``.
    public init(decoding buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count >= BourseABI.headerSize else {
            throw PluginError("message record too short: \(buffer.count) bytes, a header is 48")
        }
        let length = RecordLayout.payloadLength(at: base)
        guard buffer.count - BourseABI.headerSize >= length else {
            throw PluginError(
                "message record truncated: payload_len \(length) but only \(buffer.count - BourseABI.headerSize) bytes follow the header")
        }
        self.init(record: base)
    }

    /// Decodes a record the host vouches for: `payload_len` bytes follow the header.
    @inlinable init(record: UnsafeRawPointer) {
        let header = record.loadUnaligned(as: bourse_message.self)
        topic = Topic(id: header.topic_id)
        instrument = Instrument(id: header.instrument_id)
        eventTime = header.event_time_ns
        createdTime = header.created_time_ns
        sequence = header.sequence
        originNode = header.origin_node
        flags = header.flags
        payload = PayloadCodec.decode(
            type: header.type,
            payload: UnsafeRawBufferPointer(start: record + BourseABI.headerSize, count: Int(header.payload_len)))
    }
}

extension PluginError {
    /// The error for a payload above `BOURSE_MAX_PAYLOAD`.
    @usableFromInline static func payloadTooLarge(_ length: Int) -> PluginError {
        PluginError("payload of \(length) bytes is larger than the maximum of \(BourseABI.maxPayload) bytes")
    }
}
