// One message as codecs see it: names instead of process-local ids, and a typed payload.
public import BourseSDK

/// A message outside the bus: its topic and instrument by name (ids are only
/// meaningful inside one process), its event time, flags and payload, and the
/// names of its values.
///
/// The payload is the SDK's ``Payload``, so every message type the SDK knows
/// (bar, trade, quote, values, signal, alert, bytes, private/other) is covered
/// by one representation.
public struct CodecMessage: Sendable, CustomStringConvertible {
    /// The topic name; "" when not known (a bar file's rows: the node decides).
    public var topic: String
    /// The instrument symbol; "" = none.
    public var instrument: String
    /// When the event happened, nanoseconds since the Unix epoch (UTC).
    public var eventTime: Int64
    /// `BOURSE_FLAG_*` bits (``Message/moreFlag`` on bytes chunks).
    public var flags: UInt16
    /// The payload.
    public var payload: Payload
    /// For ``Payload/values(_:)``: the names of the values in order (the
    /// fields declared for the topic); a value without a name is written `v<index>`.
    public var fieldNames: [String]

    /// Creates a message.
    public init(topic: String, instrument: String = "", eventTime: Int64, flags: UInt16 = 0, payload: Payload,
                fieldNames: [String] = []) {
        self.topic = topic
        self.instrument = instrument
        self.eventTime = eventTime
        self.flags = flags
        self.payload = payload
        self.fieldNames = fieldNames
    }

    /// The payload type's name: bar, trade, quote, values, signal, alert, bytes or other.
    public var kind: MessageKind { MessageKind(payload) }

    /// `kind topic instrument time`, for logs.
    public var description: String {
        "\(kind.rawValue) on \(topic.isEmpty ? "(no topic)" : topic) \(instrument.isEmpty ? "" : instrument + " ")at \(eventTime)"
    }

    /// True when both messages carry the same information: equal header
    /// fields, payload type and cells, where numbers are equal when their bit
    /// patterns are, or when both are NaN (any NaN). Value names are compared
    /// as written (`v<index>` for a missing name).
    public func isSame(as other: CodecMessage) -> Bool {
        guard topic == other.topic, instrument == other.instrument, eventTime == other.eventTime,
              flags == other.flags else { return false }
        let a = MessageCells(self, intervalColumn: true), b = MessageCells(other, intervalColumn: true)
        guard a.kind == b.kind, a.columns == b.columns, a.cells.count == b.cells.count else { return false }
        return zip(a.cells, b.cells).allSatisfy { x, y in
            switch (x, y) {
            case (.number(let p), .number(let q)): return (p.isNaN && q.isNaN) || p.bitPattern == q.bitPattern
            default: return x == y
            }
        }
    }
}

/// The payload types, by the names the text codecs write in `type`.
public enum MessageKind: String, Sendable, CaseIterable {
    /// ``Payload/bar(_:)``.
    case bar
    /// ``Payload/trade(_:)``.
    case trade
    /// ``Payload/quote(_:)``.
    case quote
    /// ``Payload/values(_:)``.
    case values
    /// ``Payload/signal(_:)``.
    case signal
    /// ``Payload/alert(_:)``.
    case alert
    /// ``Payload/bytes(_:)``.
    case bytes
    /// ``Payload/other(type:bytes:)``: private and unknown types.
    case other

    /// The kind of a payload.
    public init(_ payload: Payload) {
        switch payload {
        case .bar: self = .bar
        case .trade: self = .trade
        case .quote: self = .quote
        case .values: self = .values
        case .signal: self = .signal
        case .alert: self = .alert
        case .bytes: self = .bytes
        case .other: self = .other
        }
    }
}

extension CodecMessage {
    /// A bus message with its ids resolved to names: `topicName`, `symbol`
    /// (nil = none) and the value names declared for its topic.
    public init(_ message: Message, topicName: String, symbol: String?, fieldNames: [String]) {
        self.init(topic: topicName, instrument: symbol ?? "", eventTime: message.eventTime, flags: message.flags,
                  payload: message.payload, fieldNames: fieldNames)
    }
}
