// A payload as named cells (the columns of the text codecs), and back.
import BourseSDK

/// One cell of a flattened message.
public enum CodecCell: Equatable, Sendable {
    /// Text (quoted in JSON; quoted in CSV only when needed).
    case text(String)
    /// A number, written in Swift's shortest round-trip form.
    case number(Double)
    /// An integer.
    case integer(Int64)
    /// No value (empty in CSV, null in JSON).
    case missing
}

/// A message's payload as an ordered list of named cells, the columns the
/// CSV and JSON-lines codecs write after `time, topic, instrument`:
///
/// | type | columns |
/// |---|---|
/// | bar | open, high, low, close, volume (+ interval_ns with `intervalColumn`) |
/// | trade | price, size, side (unknown/buy/sell), exchange |
/// | quote | bid_price, bid_size, ask_price, ask_size |
/// | values | the value names (`v<index>` for a missing name) |
/// | signal | kind (signal/prediction), value, confidence, actual, horizon_ns, direction |
/// | alert | score, severity (info/warning/critical), code, reason |
/// | bytes | flags, bytes_hex |
/// | other | message_type, bytes_hex |
public struct MessageCells {
    /// The payload type.
    public var kind: MessageKind
    /// Column names, in order.
    public var columns: [String]
    /// Cells, one per column.
    public var cells: [CodecCell]

    /// The payload columns of each fixed type (bar without interval_ns).
    public static let fixedColumns: [(kind: MessageKind, columns: [String])] = [
        (.bar, ["open", "high", "low", "close", "volume"]),
        (.trade, ["price", "size", "side", "exchange"]),
        (.quote, ["bid_price", "bid_size", "ask_price", "ask_size"]),
        (.signal, ["kind", "value", "confidence", "actual", "horizon_ns", "direction"]),
        (.alert, ["score", "severity", "code", "reason"]),
        (.bytes, ["flags", "bytes_hex"]),
        (.other, ["message_type", "bytes_hex"]),
    ]
    /// The optional last column of a bar.
    public static let intervalColumnName = "interval_ns"

    static let sideNames = ["unknown", "buy", "sell"]
    static let severityNames = ["info", "warning", "critical"]
    static let signalKindNames = ["signal", "prediction"]

    /// Flattens the payload of `message`; `intervalColumn` adds `interval_ns` to bars.
    public init(_ message: CodecMessage, intervalColumn: Bool) {
        kind = message.kind
        columns = []
        cells = []
        func add(_ name: String, _ cell: CodecCell) {
            columns.append(name)
            cells.append(cell)
        }
        switch message.payload {
        case .bar(let b):
            add("open", .number(b.open)); add("high", .number(b.high)); add("low", .number(b.low))
            add("close", .number(b.close)); add("volume", .number(b.volume))
            if intervalColumn { add(Self.intervalColumnName, .integer(b.intervalNanoseconds)) }
        case .trade(let t):
            add("price", .number(t.price)); add("size", .number(t.size))
            add("side", .text(Self.sideNames[Int(t.side.rawValue)]))
            add("exchange", .integer(Int64(t.exchange)))
        case .quote(let q):
            add("bid_price", .number(q.bidPrice)); add("bid_size", .number(q.bidSize))
            add("ask_price", .number(q.askPrice)); add("ask_size", .number(q.askSize))
        case .values(let values):
            for (i, v) in values.enumerated() {
                add(i < message.fieldNames.count ? message.fieldNames[i] : "v\(i)", .number(v))
            }
        case .signal(let s):
            add("kind", .text(Self.signalKindNames[Int(s.kind.rawValue)]))
            add("value", .number(s.value)); add("confidence", .number(s.confidence)); add("actual", .number(s.actual))
            add("horizon_ns", .integer(s.horizonNanoseconds)); add("direction", .integer(Int64(s.direction)))
        case .alert(let a):
            add("score", .number(a.score)); add("severity", .text(Self.severityNames[Int(a.severity.rawValue)]))
            add("code", .integer(Int64(a.code))); add("reason", .text(a.reason))
        case .bytes(let bytes):
            add("flags", .integer(Int64(message.flags))); add("bytes_hex", .text(Hex.encode(bytes)))
        case .other(let t, let bytes):
            add("message_type", .integer(Int64(t))); add("bytes_hex", .text(Hex.encode(bytes)))
        }
    }

    /// The payload type whose columns are exactly `columns` (lowercased;
    /// a bar may end with `interval_ns`); anything else is values.
    public static func kind(ofColumns columns: [String]) -> MessageKind {
        let names = columns.map { $0.lowercased() }
        for (kind, fixed) in fixedColumns {
            if names == fixed || (kind == .bar && names == fixed + [intervalColumnName]) { return kind }
        }
        return .values
    }
}

/// Where ``PayloadBuilder`` reads the cells of one record from (a CSV row, a JSON object).
protocol CellReader {
    /// The number in column `name` (NaN and infinities allowed).
    func number(_ name: String) throws(CodecError) -> Double
    /// The integer in column `name`, which must lie in `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(CodecError) -> Int64
    /// The text in column `name`.
    func text(_ name: String) throws(CodecError) -> String
    /// True when the record has column `name`.
    func has(_ name: String) -> Bool
    /// A record-level error about column `name`.
    func problem(_ code: CodecError.Code, _ message: String, field: String?) -> CodecError
}

/// Builds payloads from named cells: the inverse of ``MessageCells``.
enum PayloadBuilder {
    /// The payload of `kind` read through `reader`; `valueNames` are the value
    /// columns of a values record. Returns the payload and the header flags
    /// it carries (bytes only). A bar without `interval_ns` gets `defaultInterval`.
    static func payload(kind: MessageKind, reader: some CellReader, valueNames: [String],
                        defaultInterval: Int64) throws(CodecError) -> (Payload, UInt16) {
        func choice(_ name: String, _ options: [String]) throws(CodecError) -> Int {
            let text = try reader.text(name)
            guard let index = options.firstIndex(of: text.lowercased()) else {
                throw reader.problem(.badField, "\(name) '\(text)' must be one of \(options.joined(separator: ", "))",
                                     field: name)
            }
            return index
        }
        func bytes(_ name: String) throws(CodecError) -> [UInt8] {
            let text = try reader.text(name)
            guard let bytes = Hex.decode(text) else {
                throw reader.problem(.badField, "\(name) is not an even number of hexadecimal digits", field: name)
            }
            guard bytes.count <= BourseABI.maxPayload else {
                throw reader.problem(.badField, "\(name) holds \(bytes.count) bytes, more than the maximum payload of \(BourseABI.maxPayload)",
                                     field: name)
            }
            return bytes
        }
        switch kind {
        case .bar:
            let interval = reader.has(MessageCells.intervalColumnName)
                ? try reader.integer(MessageCells.intervalColumnName, in: Int64.min...Int64.max) : defaultInterval
            return (.bar(Bar(open: try reader.number("open"), high: try reader.number("high"), low: try reader.number("low"),
                             close: try reader.number("close"), volume: try reader.number("volume"),
                             intervalNanoseconds: interval)), 0)
        case .trade:
            return (.trade(Trade(price: try reader.number("price"), size: try reader.number("size"),
                                 side: Trade.Side(rawValue: Int32(try choice("side", MessageCells.sideNames)))!,
                                 exchange: UInt32(try reader.integer("exchange", in: 0...Int64(UInt32.max))))), 0)
        case .quote:
            return (.quote(Quote(bidPrice: try reader.number("bid_price"), bidSize: try reader.number("bid_size"),
                                 askPrice: try reader.number("ask_price"), askSize: try reader.number("ask_size"))), 0)
        case .values:
            guard valueNames.count <= IndicatorValues.capacity else {
                throw reader.problem(.badField, "\(valueNames.count) values, at most \(IndicatorValues.capacity) fit in a message",
                                     field: nil)
            }
            var values = IndicatorValues()
            for name in valueNames {
                let value = try reader.number(name)
                try? values.append(value)  // cannot fail: at most `capacity` names
            }
            return (.values(values), 0)
        case .signal:
            let kind = SignalKind(rawValue: UInt32(try choice("kind", MessageCells.signalKindNames)))!
            return (.signal(Signal(value: try reader.number("value"), confidence: try reader.number("confidence"),
                                   actual: try reader.number("actual"),
                                   horizonNanoseconds: try reader.integer("horizon_ns", in: Int64.min...Int64.max),
                                   direction: Int32(try reader.integer("direction", in: Int64(Int32.min)...Int64(Int32.max))),
                                   kind: kind)), 0)
        case .alert:
            let reason = try reader.text("reason")
            guard reason.utf8.count <= Alert.maxReasonBytes, !reason.utf8.contains(0) else {
                throw reader.problem(.badField, "reason is longer than \(Alert.maxReasonBytes) UTF-8 bytes or holds a NUL",
                                     field: "reason")
            }
            return (.alert(Alert(score: try reader.number("score"),
                                 severity: Alert.Severity(rawValue: UInt32(try choice("severity", MessageCells.severityNames)))!,
                                 code: UInt32(try reader.integer("code", in: 0...Int64(UInt32.max))), reason: reason)), 0)
        case .bytes:
            let flags = UInt16(try reader.integer("flags", in: 0...Int64(UInt16.max)))
            return (.bytes(try bytes("bytes_hex")), flags)
        case .other:
            let type = UInt16(try reader.integer("message_type", in: 0...Int64(UInt16.max)))
            guard type >= 8 || type == 0 else {
                throw reader.problem(.badField, "message_type \(type) is a known type; write it with its own columns",
                                     field: "message_type")
            }
            return (.other(type: type, bytes: try bytes("bytes_hex")), 0)
        }
    }
}

/// Lower-case hexadecimal text of bytes.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lower-case hex digits.
    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of hex text (either case), or nil when it is not an even number of hex digits.
    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
