// Splitting a byte stream into numbered lines (LF or CRLF, BOM, no final newline).

/// Reads numbered lines from a ``ByteSource`` (framing by ``CSVRecordSplitter``,
/// without quoted line breaks: a bar row is one line).
///
/// - Lines end at LF; a CR right before the LF is dropped (CRLF files).
/// - A UTF-8 byte order mark at the very start is dropped.
/// - The last line is returned even without a final newline.
/// - Invalid UTF-8 is replaced (U+FFFD); such fields then fail to parse.
/// - A line longer than `maxLineLength` bytes is an error, so memory stays bounded.
struct LineReader {
    private let source: ByteSource
    private var splitter: CSVRecordSplitter
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    init(source: ByteSource, maxLineLength: Int) {
        self.source = source
        splitter = CSVRecordSplitter(quoteAware: false, maxRecordLength: maxLineLength)
    }

    /// The next line and its 1-based number, or `nil` at the end.
    mutating func next() throws(BarFileError) -> (number: Int, text: String)? {
        while true {
            do {
                if let line = try splitter.next() { return line }
            } catch {
                throw BarFileError(code: error.code, message: error.message, file: source.displayName, line: error.line)
            }
            if splitter.inputFinished { return nil }
            let source = self.source
            let n = try chunk.withUnsafeMutableBytes { all in
                Result { () throws(BarFileError) in try source.read(into: all) }
            }.get()
            if n == 0 { splitter.finishInput() } else { splitter.append(chunk[0..<n]) }
        }
    }
}

/// Splits one CSV line into trimmed fields (``CSVText/fields(_:trimSpaces:)``).
func splitCSV(_ line: String) -> [Substring] {
    CSVText.fields(line).map { Substring($0) }
}
