// Shared by the text codecs: line framing of a fed stream, and number text.
import BourseBarFiles
import BourseCommon

/// The records (lines) of a text stream fed in pieces, as the CSV and JSON-lines decoders read them.
struct TextRecords {
    private var splitter: CSVRecordSplitter
    private var lastByte: UInt8?
    let sourceName: String

    init(sourceName: String, quoteAware: Bool, maxRecordLength: Int) {
        self.sourceName = sourceName
        splitter = CSVRecordSplitter(quoteAware: quoteAware, maxRecordLength: maxRecordLength)
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let last = bytes.last else { return }
        splitter.append(bytes)
        lastByte = last
    }

    /// Ends the current line at a record boundary of a chunked stream.
    mutating func endRecord() {
        if splitter.pendingByteCount > 0, lastByte != 0x0A, !splitter.insideQuotes {
            splitter.append(CollectionOfOne(0x0A))
            lastByte = 0x0A
        }
    }

    mutating func finishInput() { splitter.finishInput() }

    var inputFinished: Bool { splitter.inputFinished }

    /// The next complete line, or nil.
    mutating func next() throws(CodecError) -> CSVRecordSplitter.Record? {
        if splitter.inputFinished && splitter.insideQuotes {
            throw CodecError(code: .truncated, message: "the stream ends inside a quoted field",
                             source: sourceName, line: splitter.linesConsumed + 1)
        }
        do {
            return try splitter.next()
        } catch {
            throw CodecError(code: .recordTooLong, message: error.message, source: sourceName, line: error.line)
        }
    }
}

/// Numbers as the text codecs write and read them.
enum NumberText {
    /// Swift's shortest round-trip form; `NaN`, `inf`, `-inf` for the non-finite.
    static func format(_ value: Double) -> String {
        value.isNaN ? "NaN" : "\(value)"
    }

    /// A number written by ``format(_:)`` or any decimal/exponent form `Double` accepts
    /// (also `nan`, `inf`, `infinity`, either case).
    static func parse(_ text: Substring) -> Double? {
        Double(text)
    }
}

/// Event times as the text codecs write and read them.
enum TimeText {
    /// ISO-8601 UTC with a fraction only when non-zero.
    static func format(_ nanoseconds: Int64) -> String {
        UTCTimestamp.iso8601(nanoseconds)
    }

    /// Nanoseconds of an ISO-8601 time (`Z` or an offset; none = UTC), or an integer of epoch nanoseconds.
    static func parse(_ text: Substring) -> Int64? {
        if let ns = TimeFormat.iso8601Nanoseconds(text) { return ns }
        return Int64(text)
    }
}
