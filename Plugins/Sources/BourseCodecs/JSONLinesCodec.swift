// The JSON-lines codec: one JSON object per message.
import BourseSDK

/// Options of the JSON-lines codec.
public struct JSONLinesOptions: Sendable {
    /// How the encoder writes numbers JSON has no literal for.
    public enum NonFinite: String, Sendable, CaseIterable {
        /// NaN and ±infinity as `null` (lossy for infinities; csv-export's format).
        case null
        /// NaN as `null`, infinities as the strings `"Infinity"` and `"-Infinity"` (lossless).
        case string
    }

    /// How non-finite numbers are written.
    public var nonFinite = NonFinite.string

    /// Default options.
    public init() {}
}

/// JSON lines: one object per message, `{"time": ISO-8601, "topic", "instrument"
/// (null for none), "type", then the payload's columns (``MessageCells``)}`.
/// Integers are exact within ±2^53 (JSON's interoperable range); larger
/// `horizon_ns` values come back rounded to a double.
///
/// Decoding accepts numbers, `null` (NaN) and the strings `NaN`,
/// `Infinity`, `-Infinity` (also `inf`) where a number is expected; keys
/// of fixed types in any order, extra keys ignored; for values, every key
/// but time, topic, instrument and type is a value, in order.
public struct JSONLinesCodec: Codec {
    /// "jsonl".
    public let name = "jsonl"
    /// The options.
    public let options: CodecOptions

    /// A JSON-lines codec.
    public init(options: CodecOptions = CodecOptions()) {
        self.options = options
    }

    /// A new encoder.
    public func makeEncoder() -> any MessageEncoder {
        JSONLinesEncoder(nonFinite: options.jsonLines.nonFinite, intervalColumn: options.intervalColumn)
    }

    /// A new decoder.
    public func makeDecoder(sourceName: String) -> any MessageDecoder {
        JSONLinesDecoder(options: options, sourceName: sourceName)
    }
}

/// Writes one JSON object per message.
public final class JSONLinesEncoder: MessageEncoder {
    private let nonFinite: JSONLinesOptions.NonFinite
    private let intervalColumn: Bool

    /// An encoder.
    public init(nonFinite: JSONLinesOptions.NonFinite, intervalColumn: Bool) {
        self.nonFinite = nonFinite
        self.intervalColumn = intervalColumn
    }

    /// Appends `{…}\n`.
    public func encode(_ message: CodecMessage, into output: inout [UInt8]) throws(CodecError) {
        let cells = MessageCells(message, intervalColumn: intervalColumn)
        var out = "{\"time\":" + JSONValue.quoted(TimeText.format(message.eventTime))
            + ",\"topic\":" + JSONValue.quoted(message.topic)
            + ",\"instrument\":" + (message.instrument.isEmpty ? "null" : JSONValue.quoted(message.instrument))
            + ",\"type\":" + JSONValue.quoted(cells.kind.rawValue)
        for (name, cell) in zip(cells.columns, cells.cells) {
            out += "," + JSONValue.quoted(name) + ":"
            switch cell {
            case .text(let s): out += JSONValue.quoted(s)
            case .number(let d):
                if d.isFinite {
                    out += "\(d)"
                } else if d.isNaN || nonFinite == .null {
                    out += "null"
                } else {
                    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\""
                }
            case .integer(let v): out += String(v)
            case .missing: out += "null"
            }
        }
        output.append(contentsOf: out.utf8)
        output.append(contentsOf: "}\n".utf8)
    }
}

/// Reads one JSON object per line.
final class JSONLinesDecoder: MessageDecoder {
    private let options: CodecOptions
    private var records: TextRecords
    private let sourceName: String
    private var finished = false
    private static let headerKeys: Set<String> = ["time", "topic", "instrument", "type"]

    init(options: CodecOptions, sourceName: String) {
        self.options = options
        self.sourceName = sourceName
        records = TextRecords(sourceName: sourceName, quoteAware: false, maxRecordLength: options.maxRecordLength)
    }

    func feed(_ bytes: UnsafeRawBufferPointer) { records.feed(bytes) }
    func endRecord() { records.endRecord() }
    func finishInput() { records.finishInput() }

    func next() throws(CodecError) -> DecodedItem? {
        while !finished {
            let line: (number: Int, text: String)?
            do {
                line = try records.next()
            } catch {
                finished = true
                throw error
            }
            guard let line else { return nil }
            if line.text.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            do throws(CodecError) {
                return .message(try decode(line))
            } catch {
                if options.onBadRecord == .stop {
                    finished = true
                    throw error
                }
                return .skipped(error)
            }
        }
        return nil
    }

    private func decode(_ line: (number: Int, text: String)) throws(CodecError) -> CodecMessage {
        func problem(_ code: CodecError.Code, _ message: String, field: String?) -> CodecError {
            CodecError(code: code, message: message, source: sourceName, line: line.number, field: field, input: line.text)
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line.text)
        } catch {
            throw problem(.badRecord, "invalid JSON: \(error)", field: nil)
        }
        guard case .object(let members) = value else {
            throw problem(.badRecord, "a line must hold a JSON object, got \(value.typeDescription)", field: nil)
        }
        let object = JSONObjectCells(members: members, problem: problem)
        let typeName = try object.text("type")
        guard let kind = MessageKind(rawValue: typeName) else {
            throw problem(.badField, "type '\(typeName)' is not one of "
                + MessageKind.allCases.map(\.rawValue).joined(separator: ", "), field: "type")
        }
        let timeText = try object.text("time")
        guard let time = TimeText.parse(Substring(timeText)) else {
            throw problem(.badField, "time '\(timeText)' is not an ISO-8601 time or integer nanoseconds", field: "time")
        }
        let topic = try object.optionalText("topic")
        let instrument = try object.optionalText("instrument")
        let valueNames = kind == .values ? members.map(\.key).filter { !Self.headerKeys.contains($0) } : []
        let (payload, flags) = try PayloadBuilder.payload(kind: kind, reader: object, valueNames: valueNames,
                                                          defaultInterval: options.intervalNanoseconds)
        return CodecMessage(topic: topic, instrument: instrument, eventTime: time, flags: flags, payload: payload,
                            fieldNames: valueNames)
    }
}

/// The members of one JSON object, read as cells.
private struct JSONObjectCells: CellReader {
    let members: [(key: String, value: JSONValue)]
    let problem: (CodecError.Code, String, String?) -> CodecError

    private func value(_ name: String) throws(CodecError) -> JSONValue {
        guard let member = members.first(where: { $0.key == name }) else {
            throw problem(.badField, "missing key \"\(name)\"", name)
        }
        return member.value
    }

    func number(_ name: String) throws(CodecError) -> Double {
        switch try value(name) {
        case .number(let d): return d
        case .null: return .nan
        case .string(let s):
            switch s.lowercased() {
            case "nan": return .nan
            case "infinity", "inf", "+infinity": return .infinity
            case "-infinity", "-inf": return -.infinity
            default: break
            }
            throw problem(.badField, "\(name) must be a number, null, \"NaN\" or \"±Infinity\", got \"\(s)\"", name)
        case let other:
            throw problem(.badField, "\(name) must be a number, got \(other.typeDescription)", name)
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws(CodecError) -> Int64 {
        let v = try value(name)
        guard case .number(let d) = v, let i = Int64(exactly: d), range.contains(i) else {
            throw problem(.badField, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \(v)", name)
        }
        return i
    }

    func text(_ name: String) throws(CodecError) -> String {
        let v = try value(name)
        guard case .string(let s) = v else {
            throw problem(.badField, "\(name) must be a string, got \(v.typeDescription)", name)
        }
        return s
    }

    /// A string, or "" when the key is absent or null.
    func optionalText(_ name: String) throws(CodecError) -> String {
        guard let member = members.first(where: { $0.key == name }) else { return "" }
        switch member.value {
        case .null: return ""
        case .string(let s): return s
        case let other: throw problem(.badField, "\(name) must be a string or null, got \(other.typeDescription)", name)
        }
    }

    func has(_ name: String) -> Bool { members.contains { $0.key == name } }

    func problem(_ code: CodecError.Code, _ message: String, field: String?) -> CodecError {
        problem(code, message, field)
    }
}
