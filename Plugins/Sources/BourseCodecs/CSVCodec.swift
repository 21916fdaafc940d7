// The CSV codec: the Bourse message schema both ways, and bar files (csv-bars layouts) when decoding.
public import BourseBarFiles
import BourseSDK

/// How the CSV decoder reads its input.
public enum CSVLayout: Equatable, Sendable {
    /// A header starting `time,topic,instrument` means ``messages``, anything else is a bar file whose layout is detected.
    case auto
    /// The schema the encoder writes: `time,topic,instrument`, then one
    /// payload's columns (``MessageCells``); the header's columns decide the
    /// type: the fixed column lists of bar, trade, quote, signal, alert,
    /// bytes, other, anything else values named by the header.
    case messages
    /// An OHLCV bar file read as `csv-bars` reads it (yahoo, lean, plain, columns or auto-detected).
    case bars(BarFileFormat)
}

/// Options of the CSV codec.
public struct CSVCodecOptions: Sendable {
    /// How the decoder reads its input.
    public var layout: CSVLayout = .auto
    /// Bar files: the `csv-bars` reader options (time format, zone, price
    /// scale; `format` and `onBadRow` are taken from ``layout`` and the codec's policy).
    public var barOptions = BarFileOptions()

    /// Default options.
    public init() {}
}

/// CSV (RFC 4180). Encoding writes the message schema: a header line
/// `time,topic,instrument,<payload columns>` from the first message, then
/// one line per message; a later message with other columns is an error
/// (one CSV stream holds one schema). Text with a comma, quote, CR or LF is
/// quoted. Numbers use Swift's shortest round-trip form (`NaN`, `inf`,
/// `-inf`), times ISO-8601 UTC with up to nine fraction digits.
///
/// Decoding reads that schema back, or a bar file (``CSVLayout``).
public struct CSVCodec: Codec {
    /// "csv".
    public let name = "csv"
    /// The options.
    public let options: CodecOptions

    /// A CSV codec.
    public init(options: CodecOptions = CodecOptions()) {
        self.options = options
    }

    /// A new encoder.
    public func makeEncoder() -> any MessageEncoder { CSVMessageEncoder(intervalColumn: options.intervalColumn) }

    /// A new decoder.
    public func makeDecoder(sourceName: String) -> any MessageDecoder {
        CSVMessageDecoder(options: options, sourceName: sourceName)
    }
}

/// Writes messages as CSV lines under one header.
public final class CSVMessageEncoder: MessageEncoder {
    /// Encoders: add `interval_ns` to bars.
    public let intervalColumn: Bool
    /// The header's columns, once the first message is written.
    public private(set) var header: [String]?
    /// The type and topic of the first message (they decided the header).
    public private(set) var first: (kind: MessageKind, topic: String)?

    /// An encoder; `intervalColumn` adds `interval_ns` to bars.
    public init(intervalColumn: Bool) {
        self.intervalColumn = intervalColumn
    }

    /// Appends the line of `message` (after the header line, for the first).
    /// - Throws: `cannotEncode` when its columns differ from the header's.
    public func encode(_ message: CodecMessage, into output: inout [UInt8]) throws(CodecError) {
        let cells = MessageCells(message, intervalColumn: intervalColumn)
        let columns = ["time", "topic", "instrument"] + cells.columns
        if let header, let first {
            guard header == columns else {
                throw CodecError(
                    code: .cannotEncode,
                    message: "a \(cells.kind.rawValue) message on topic \(message.topic) has columns "
                        + "[\(columns.joined(separator: ","))] but the header, from a \(first.kind.rawValue) message on topic "
                        + "\(first.topic), is [\(header.joined(separator: ","))]",
                    field: nil)
            }
        } else {
            header = columns
            first = (cells.kind, message.topic)
            output.append(contentsOf: columns.map(CSVText.escaped).joined(separator: ",").utf8)
            output.append(0x0A)
        }
        var line = TimeText.format(message.eventTime) + "," + CSVText.escaped(message.topic) + ","
            + CSVText.escaped(message.instrument)
        for cell in cells.cells {
            line += ","
            switch cell {
            case .text(let s): line += CSVText.escaped(s)
            case .number(let d): line += NumberText.format(d)
            case .integer(let i): line += String(i)
            case .missing: break
            }
        }
        output.append(contentsOf: line.utf8)
        output.append(0x0A)
    }
}

/// Reads CSV: the message schema, or bar files.
final class CSVMessageDecoder: MessageDecoder {
    private enum State {
        /// Collecting the first lines to decide the layout.
        case sampling([(number: Int, text: String)])
        /// The message schema with this header.
        case messages(header: [String], kind: MessageKind, valueNames: [String])
        /// A bar file.
        case bars(BarRowDecoder)
        /// Finished: an empty stream, or after a thrown error.
        case finished
    }

    private let options: CodecOptions
    private var records: TextRecords
    private var state = State.sampling([])
    private var queue: [(number: Int, text: String)] = []
    private let sourceName: String

    init(options: CodecOptions, sourceName: String) {
        self.options = options
        self.sourceName = sourceName
        records = TextRecords(sourceName: sourceName, quoteAware: true, maxRecordLength: options.maxRecordLength)
    }

    func feed(_ bytes: UnsafeRawBufferPointer) { records.feed(bytes) }
    func endRecord() { records.endRecord() }
    func finishInput() { records.finishInput() }

    func next() throws(CodecError) -> DecodedItem? {
        do {
            return try nextItem()
        } catch {
            if !error.isRecordProblem || options.onBadRecord == .stop { state = .finished }
            throw error
        }
    }

    private func nextItem() throws(CodecError) -> DecodedItem? {
        while true {
            if case .sampling(let sample) = state {
                guard try decideLayout(sample) else { return nil }
                continue
            }
            let line: (number: Int, text: String)
            if !queue.isEmpty {
                line = queue.removeFirst()
            } else if let next = try records.next() {
                line = next
            } else {
                return nil
            }
            if BarRowDecoder.isBlank(line.text) { continue }
            switch state {
            case .messages(let header, let kind, let valueNames):
                do throws(CodecError) {
                    return .message(try decodeMessage(line, header: header, kind: kind, valueNames: valueNames))
                } catch where error.isRecordProblem && options.onBadRecord == .skip {
                    return .skipped(error)
                }
            case .bars(var rows):
                let result = rows.decode(number: line.number, text: line.text)
                state = .bars(rows)
                switch result {
                case .success(let bar):
                    return .message(CodecMessage(
                        topic: "", instrument: options.instrument, eventTime: bar.time,
                        payload: .bar(Bar(open: bar.open, high: bar.high, low: bar.low, close: bar.close,
                                          volume: bar.volume, intervalNanoseconds: options.intervalNanoseconds))))
                case .failure(let problem):
                    let error = CodecError(code: .badRow, message: "\(problem.message) [\(problem.code.rule)]",
                                           source: sourceName, line: problem.line, input: problem.input)
                    if options.onBadRecord == .stop { throw error }
                    return .skipped(error)
                }
            case .sampling, .finished:
                return nil
            }
        }
    }

    /// Collects lines until the layout can be decided; true once decided.
    private func decideLayout(_ collected: [(number: Int, text: String)]) throws(CodecError) -> Bool {
        var sample = collected
        let sampleSize = max(options.csv.barOptions.sampleRows, 1) + 1
        while sample.count < sampleSize, let line = try records.next() {
            sample.append(line)
            if let first = sample.first(where: { !BarRowDecoder.isBlank($0.text) }), first.number == line.number,
               isMessagesHeader(first.text) || options.csv.layout == .messages {
                break  // the message schema needs no more sample
            }
        }
        let firstLine = sample.first { !BarRowDecoder.isBlank($0.text) }
        let messagesLayout = options.csv.layout == .messages
            || (options.csv.layout == .auto && firstLine.map { isMessagesHeader($0.text) } == true)
        if !messagesLayout && sample.count < sampleSize && !records.inputFinished {
            state = .sampling(sample)
            return false
        }
        if messagesLayout {
            guard let header = firstLine else {
                if records.inputFinished { state = .finished }  // empty stream: no messages
                else { state = .sampling(sample) }
                return false
            }
            let columns = CSVText.fields(header.text)
            guard columns.count >= 3, columns[0...2].map({ $0.lowercased() }) == ["time", "topic", "instrument"] else {
                throw CodecError(code: .badHeader,
                                 message: "the header must start with time,topic,instrument (the message schema)",
                                 source: sourceName, line: header.number, input: header.text)
            }
            let payloadColumns = Array(columns.dropFirst(3))
            let kind = MessageCells.kind(ofColumns: payloadColumns)
            if kind == .values, payloadColumns.count > 16 {
                throw CodecError(code: .badHeader,
                                 message: "\(payloadColumns.count) value columns, at most 16 fit in a message",
                                 source: sourceName, line: header.number, input: header.text)
            }
            state = .messages(header: columns, kind: kind, valueNames: payloadColumns)
            queue = sample.filter { $0.number > header.number }
            return true
        }
        if sample.allSatisfy({ BarRowDecoder.isBlank($0.text) }) && records.inputFinished {
            state = .finished  // empty stream
            return false
        }
        var barOptions = options.csv.barOptions
        if case .bars(let format) = options.csv.layout { barOptions.format = format }
        barOptions.onBadRow = options.onBadRecord.barPolicy
        do {
            let rows = try BarRowDecoder(options: barOptions, path: sourceName, displayName: sourceName,
                                         entryName: sourceName, sample: sample)
            queue = sample.filter { $0.number != rows.headerLine }
            state = .bars(rows)
        } catch {
            throw CodecError(code: .badHeader, message: "\(error.message) [\(error.code.rule)]", source: sourceName,
                             line: error.line, input: error.input)
        }
        return true
    }

    private func isMessagesHeader(_ text: String) -> Bool {
        let fields = CSVText.fields(text)
        return fields.count >= 3 && fields[0...2].map { $0.lowercased() } == ["time", "topic", "instrument"]
    }

    /// One data line of the message schema.
    private func decodeMessage(_ line: (number: Int, text: String), header: [String], kind: MessageKind,
                               valueNames: [String]) throws(CodecError) -> CodecMessage {
        let fields = CSVText.fields(line.text, trimSpaces: false)
        let row = CSVRow(header: header, fields: fields, line: line.number, text: line.text, source: sourceName)
        guard fields.count == header.count else {
            throw row.problem(.columnCount, "expected \(header.count) columns, found \(fields.count)", field: nil)
        }
        let timeText = fields[0]
        guard let time = TimeText.parse(Substring(timeText)) else {
            throw row.problem(.badField, "time '\(timeText)' is not an ISO-8601 time or integer nanoseconds", field: "time")
        }
        let (payload, flags) = try PayloadBuilder.payload(kind: kind, reader: row, valueNames: valueNames,
                                                          defaultInterval: options.intervalNanoseconds)
        return CodecMessage(topic: fields[1], instrument: fields[2], eventTime: time, flags: flags, payload: payload,
                            fieldNames: kind == .values ? valueNames : [])
    }
}

/// The cells of one CSV data row, by header name.
private struct CSVRow: CellReader {
    let header: [String]
    let fields: [String]
    let line: Int
    let text: String
    let source: String

    private func cell(_ name: String) throws(CodecError) -> String {
        guard let index = header.firstIndex(of: name) ?? header.firstIndex(where: { $0.lowercased() == name.lowercased() }),
              index < fields.count else {
            throw problem(.badField, "no column \(name)", field: name)
        }
        return fields[index]
    }

    func number(_ name: String) throws(CodecError) -> Double {
        let text = try cell(name)
        guard let value = NumberText.parse(Substring(text)) else {
            throw problem(.badField, "\(name) '\(text)' is not a number", field: name)
        }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws(CodecError) -> Int64 {
        let text = try cell(name)
        guard let value = Int64(text), range.contains(value) else {
            throw problem(.badField, "\(name) '\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)",
                          field: name)
        }
        return value
    }

    func text(_ name: String) throws(CodecError) -> String { try cell(name) }

    func has(_ name: String) -> Bool { header.contains { $0.lowercased() == name.lowercased() } }

    func problem(_ code: CodecError.Code, _ message: String, field: String?) -> CodecError {
        CodecError(code: code, message: message, source: source, line: line, field: field, input: text)
    }
}
