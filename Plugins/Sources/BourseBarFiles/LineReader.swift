// Splitting a byte stream into numbered lines (LF or CRLF, BOM, no final newline).

/// Reads numbered lines from a ``ByteSource``.
///
/// - Lines end at LF; a CR right before the LF is dropped (CRLF files).
/// - A UTF-8 byte order mark at the very start is dropped.
/// - The last line is returned even without a final newline.
/// - Invalid UTF-8 is replaced (U+FFFD); such fields then fail to parse.
/// - A line longer than `maxLineLength` bytes is an error, so memory stays bounded.
struct LineReader {
    private let source: ByteSource
    private let maxLineLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    private var atFileStart = true
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(source: ByteSource, maxLineLength: Int) {
        self.source = source
        self.maxLineLength = maxLineLength
    }

    /// The next line and its 1-based number, or `nil` at the end.
    mutating func next() throws(BarFileError) -> (number: Int, text: String)? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                lineNumber += 1
                atFileStart = false
                return (lineNumber, text)
            }
            if buffer.count - start > maxLineLength {
                throw BarFileError(code: .lineTooLong, message: "line longer than \(maxLineLength) bytes",
                                   file: source.displayName, line: lineNumber + 1)
            }
            if eof {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                start = buffer.count
                lineNumber += 1
                return (lineNumber, text)
            }
            try fill()
        }
    }

    /// Drops consumed bytes and appends the next chunk of the source.
    private mutating func fill() throws(BarFileError) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 1 << 16
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let source = self.source
        let n = try buffer.withUnsafeMutableBytes { all in
            Result { () throws(BarFileError) in try source.read(into: UnsafeMutableRawBufferPointer(rebasing: all[old...])) }
        }.get()
        buffer.removeLast(chunk - n)
        if n == 0 { eof = true }
        if atFileStart && (buffer.count >= 3 || eof) {
            atFileStart = false
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
                buffer.removeFirst(3)
            }
        }
    }
}

/// Splits one CSV line into trimmed fields. Double-quoted fields may
/// contain commas and doubled quotes (`""`); quotes are removed.
func splitCSV(_ line: String) -> [Substring] {
    guard line.contains("\"") else {
        return line.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
    }
    var fields: [Substring] = []
    var current = ""
    var inQuotes = false
    var chars = line.makeIterator()
    var pending: Character? = nil
    while let ch = pending ?? chars.next() {
        pending = nil
        if inQuotes {
            if ch == "\"" {
                if let nextCh = chars.next() {
                    if nextCh == "\"" { current.append("\"") } else { inQuotes = false; pending = nextCh }
                } else {
                    inQuotes = false
                }
            } else {
                current.append(ch)
            }
        } else if ch == "\"" {
            inQuotes = true
        } else if ch == "," {
            fields.append(trimmed(Substring(current)))
            current = ""
        } else {
            current.append(ch)
        }
    }
    fields.append(trimmed(Substring(current)))
    return fields
}

/// The field without surrounding spaces and tabs.
private func trimmed(_ s: Substring) -> Substring {
    var t = s
    while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
    while let l = t.last, l == " " || l == "\t" { t.removeLast() }
    return t
}
