// CSV records and fields (RFC 4180), shared by the bar file reader and the CSV codec.

/// Splitting CSV text: records out of a byte stream (``CSVRecordSplitter``)
/// and fields out of a record (``fields(_:trimSpaces:)``).
public enum CSVText {
    private static let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, space: UInt8 = 0x20, tab: UInt8 = 0x09

    /// Splits one record into fields. Double-quoted fields may contain
    /// commas, line breaks and doubled quotes (`""`); the quotes are removed.
    /// A quote anywhere in a field opens a quoted part. With `trimSpaces`,
    /// spaces and tabs around each field (after unquoting) are removed;
    /// without, every byte is kept, so any text survives a round trip
    /// through ``escaped(_:)``.
    ///
    /// Works on UTF-8 bytes, so a quote followed by a combining mark is still a quote.
    public static func fields(_ record: String, trimSpaces: Bool = true) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var inQuotes = false
        var afterQuote = false  // the previous byte closed a quoted part
        func emit() {
            var lower = 0, upper = current.count
            if trimSpaces {
                while lower < upper, current[lower] == space || current[lower] == tab { lower += 1 }
                while upper > lower, current[upper - 1] == space || current[upper - 1] == tab { upper -= 1 }
            }
            fields.append(String(decoding: current[lower..<upper], as: UTF8.self))
            current.removeAll(keepingCapacity: true)
        }
        for byte in record.utf8 {
            if inQuotes {
                if byte == quote {
                    inQuotes = false
                    afterQuote = true
                } else {
                    current.append(byte)
                }
                continue
            }
            if byte == quote {
                if afterQuote { current.append(quote) }  // "" inside a quoted field
                inQuotes = true
                afterQuote = false
                continue
            }
            afterQuote = false
            if byte == comma { emit() } else { current.append(byte) }
        }
        emit()
        return fields
    }

    /// `text` as one CSV field: quoted (quotes doubled) when it holds a
    /// comma, quote, CR or LF, else unchanged (RFC 4180).
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == comma || $0 == quote || $0 == 10 || $0 == 13 }) else { return text }
        var out: [UInt8] = [quote]
        out.reserveCapacity(text.utf8.count + 4)
        for byte in text.utf8 {
            out.append(byte)
            if byte == quote { out.append(quote) }
        }
        out.append(quote)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Cuts a stream of bytes, fed in pieces of any size, into numbered records (lines).
///
/// - Records end at LF; a CR right before the LF is dropped (CRLF).
/// - With `quoteAware`, an LF inside double quotes belongs to the record
///   (RFC 4180 quoted line breaks); the record's number is its first line.
/// - A UTF-8 byte order mark at the very start is dropped.
/// - After ``finishInput()``, a last record without a final newline is returned.
/// - A record longer than `maxRecordLength` bytes is an error, so memory stays bounded.
/// - Invalid UTF-8 is replaced (U+FFFD).
public struct CSVRecordSplitter {
    /// A record and the 1-based number of its first line.
    public typealias Record = (number: Int, text: String)

    private let quoteAware: Bool
    private let maxRecordLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scan = 0
    private var inQuotes = false
    private var embeddedLines = 0
    private var atStreamStart = true
    /// Lines consumed so far (the number of the last line of the last record returned).
    public private(set) var linesConsumed = 0
    /// True once ``finishInput()`` was called.
    public private(set) var inputFinished = false

    /// A splitter; `maxRecordLength` bounds one record in bytes.
    public init(quoteAware: Bool, maxRecordLength: Int = 1 << 20) {
        self.quoteAware = quoteAware
        self.maxRecordLength = max(maxRecordLength, 64)
    }

    /// Adds bytes at the end of the stream.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scan -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Says that no more bytes will come: a last line without newline becomes a record.
    public mutating func finishInput() {
        inputFinished = true
    }

    /// Bytes received but not returned in a record yet.
    public var pendingByteCount: Int { buffer.count - start }

    /// True when the pending bytes hold an unterminated quoted field.
    public var insideQuotes: Bool { inQuotes }

    /// The next complete record, or nil when more input is needed (or the stream is done).
    /// - Throws: ``BarFileError`` with code `lineTooLong` (no file name) for an over-long record.
    public mutating func next() throws(BarFileError) -> Record? {
        if atStreamStart {
            guard buffer.count - start >= 3 || inputFinished else { return nil }
            atStreamStart = false
            if buffer.count - start >= 3 && buffer[start] == 0xEF && buffer[start + 1] == 0xBB && buffer[start + 2] == 0xBF {
                start += 3
                scan = max(scan, start)
            }
        }
        while scan < buffer.count {
            if !quoteAware {
                guard let newline = buffer[scan...].firstIndex(of: 0x0A) else {
                    scan = buffer.count
                    break
                }
                scan = newline
            }
            let byte = buffer[scan]
            if byte == 0x22 && quoteAware {
                inQuotes.toggle()
            } else if byte == 0x0A {
                if inQuotes {
                    embeddedLines += 1
                } else {
                    return take(end: scan, next: scan + 1)
                }
            }
            scan += 1
        }
        if buffer.count - start > maxRecordLength {
            throw BarFileError(code: .lineTooLong, message: "line longer than \(maxRecordLength) bytes",
                               line: linesConsumed + 1)
        }
        if inputFinished && start < buffer.count {
            return take(end: buffer.count, next: buffer.count)
        }
        return nil
    }

    /// Returns the record `start..<end` (without a final CR) and moves on to `next`.
    private mutating func take(end rawEnd: Int, next: Int) -> Record {
        var end = rawEnd
        if end > start && buffer[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: buffer[start..<end], as: UTF8.self)
        let number = linesConsumed + 1
        linesConsumed += 1 + embeddedLines
        embeddedLines = 0
        inQuotes = false
        start = next
        scan = next
        return (number, text)
    }
}
