// One message flattened into named cells, and its CSV / JSON-lines text.
import BourseCommon
import BourseSDK

/// A cell of an exported row.
public enum ExportCell: Equatable {
    /// Text (quoted in JSON; quoted in CSV only when needed).
    case text(String)
    /// A number, written in shortest round-trip form.
    case number(Double)
    /// An integer.
    case integer(Int64)
    /// No value (empty in CSV, null in JSON).
    case missing
}

/// A message as an ordered list of named cells:
/// `time, topic, instrument`, then the payload's fields.
public struct ExportRecord {
    /// The payload type: bar, trade, quote, values, signal, alert, bytes or other.
    public var type: String
    /// Column names, in order.
    public var columns: [String]
    /// Cells, one per column.
    public var cells: [ExportCell]

    /// Flattens a message. `valueNames` are the fields declared for the
    /// message's topic (used for ``Payload/values(_:)``; missing names become `v<i>`).
    public init(message: Message, topicName: String, symbol: String?, valueNames: [String]) {
        columns = ["time", "topic", "instrument"]
        cells = [.text(UTCTimestamp.iso8601(message.eventTime)), .text(topicName), symbol.map(ExportCell.text) ?? .missing]
        func add(_ name: String, _ cell: ExportCell) {
            columns.append(name)
            cells.append(cell)
        }
        switch message.payload {
        case .bar(let b):
            type = "bar"
            add("open", .number(b.open)); add("high", .number(b.high)); add("low", .number(b.low))
            add("close", .number(b.close)); add("volume", .number(b.volume))
        case .trade(let t):
            type = "trade"
            add("price", .number(t.price)); add("size", .number(t.size))
            add("side", .text(["unknown", "buy", "sell"][Int(t.side.rawValue)]))
            add("exchange", .integer(Int64(t.exchange)))
        case .quote(let q):
            type = "quote"
            add("bid_price", .number(q.bidPrice)); add("bid_size", .number(q.bidSize))
            add("ask_price", .number(q.askPrice)); add("ask_size", .number(q.askSize))
        case .values(let values):
            type = "values"
            for (i, v) in values.enumerated() {
                add(i < valueNames.count ? valueNames[i] : "v\(i)", .number(v))
            }
        case .signal(let s):
            type = "signal"
            add("kind", .text(s.kind == .prediction ? "prediction" : "signal"))
            add("value", .number(s.value)); add("confidence", .number(s.confidence)); add("actual", .number(s.actual))
            add("horizon_ns", .integer(s.horizonNanoseconds)); add("direction", .integer(Int64(s.direction)))
        case .alert(let a):
            type = "alert"
            add("score", .number(a.score)); add("severity", .text(["info", "warning", "critical"][Int(a.severity.rawValue)]))
            add("code", .integer(Int64(a.code))); add("reason", .text(a.reason))
        case .bytes(let bytes):
            type = "bytes"
            add("flags", .integer(Int64(message.flags))); add("bytes_hex", .text(hex(bytes)))
        case .other(let t, let bytes):
            type = "other"
            add("message_type", .integer(Int64(t))); add("bytes_hex", .text(hex(bytes)))
        }
    }

    /// The CSV header line (with newline).
    public var csvHeader: String { columns.map(csvEscape).joined(separator: ",") + "\n" }

    /// The CSV data line (with newline). NaN is written `NaN`, infinities `inf` / `-inf`.
    public var csvLine: String {
        cells.map { cell -> String in
            switch cell {
            case .text(let s): return csvEscape(s)
            case .number(let d): return d.isNaN ? "NaN" : "\(d)"
            case .integer(let i): return "\(i)"
            case .missing: return ""
            }
        }.joined(separator: ",") + "\n"
    }

    /// One JSON object (with newline): `time, topic, instrument, type`, then
    /// the fields. Non-finite numbers are written as `null`.
    public var jsonLine: String {
        var out = "{"
        for (i, name) in columns.enumerated() {
            if i > 0 { out += "," }
            out += jsonString(name) + ":"
            switch cells[i] {
            case .text(let s): out += jsonString(s)
            case .number(let d): out += d.isFinite ? "\(d)" : "null"
            case .integer(let v): out += "\(v)"
            case .missing: out += "null"
            }
            if i == 2 { out += ",\"type\":" + jsonString(type) }
        }
        return out + "}\n"
    }
}

/// Lower-case hexadecimal of bytes.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// RFC 4180 quoting: fields with a comma, quote, CR or LF are quoted, quotes doubled.
func csvEscape(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return s }
    var out = "\""
    for ch in s {
        if ch == "\"" { out += "\"\"" } else { out.append(ch) }
    }
    return out + "\""
}

/// A JSON string literal (the SDK's encoder).
func jsonString(_ s: String) -> String { JSONValue.quoted(s) }
