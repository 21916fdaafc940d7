// Structured errors of the codecs.

/// Everything that can go wrong while encoding or decoding, as a value: a
/// machine-readable ``Code``, a message, and where — the stream's name, the
/// line (text codecs) or byte offset (binary), the field.
///
/// Record problems (``isRecordProblem``: one bad line or frame) go through
/// the decoder's bad-record policy (skip or stop); the others end the stream.
public struct CodecError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Machine-readable reason.
    public enum Code: String, Sendable, CaseIterable {
        /// An option has an invalid value (unknown codec name, bad layout…).
        case badOption = "bad_option"
        /// The stream does not start as the codec requires (binary magic, CSV header).
        case badHeader = "bad_header"
        /// A binary stream of a version this codec cannot read.
        case unsupportedVersion = "unsupported_version"
        /// The stream ends inside a header, frame or quoted field.
        case truncated
        /// A binary frame announces a length outside the allowed range.
        case badFrame = "bad_frame"
        /// A text record is longer than the limit.
        case recordTooLong = "record_too_long"
        /// Record: wrong number of columns.
        case columnCount = "column_count"
        /// Record: a field is missing, or has the wrong type or an invalid value.
        case badField = "bad_field"
        /// Record: not a valid record of the codec (JSON syntax, unknown type, bad frame content).
        case badRecord = "bad_record"
        /// Record: a bar row breaks a rule of the bar file reader (the message names the rule).
        case badRow = "bad_row"
        /// Encoding: the message cannot be written (CSV columns differ from the header, payload too large).
        case cannotEncode = "cannot_encode"

        /// True for problems confined to one record.
        public var isRecordProblem: Bool {
            switch self {
            case .columnCount, .badField, .badRecord, .badRow: return true
            default: return false
            }
        }
    }

    /// Machine-readable reason.
    public let code: Code
    /// Human-readable explanation (without the location prefix).
    public let message: String
    /// The stream's name (a file path, `archive#entry`, a topic); "" when unnamed.
    public let source: String
    /// 1-based line of a text record.
    public let line: Int?
    /// Byte offset in the stream (binary codec: the frame's first byte).
    public let offset: Int?
    /// The field (column or key) at fault.
    public let field: String?
    /// The offending input, cut to 200 characters.
    public let input: String?

    /// Creates an error value.
    public init(code: Code, message: String, source: String = "", line: Int? = nil, offset: Int? = nil,
                field: String? = nil, input: String? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.line = line
        self.offset = offset
        self.field = field
        if let input, input.count > 200 {
            self.input = String(input.prefix(200)) + "…"
        } else {
            self.input = input
        }
    }

    /// True for problems confined to one record (see ``Code/isRecordProblem``).
    public var isRecordProblem: Bool { code.isRecordProblem }

    /// The same error with the stream's name set.
    public func named(_ source: String) -> CodecError {
        CodecError(code: code, message: message, source: source, line: line, offset: offset, field: field, input: input)
    }

    /// `source:line: message [code]` or `source@offset: message [code]`.
    public var description: String {
        var location = source
        if let line { location += ":\(line)" }
        if let offset { location += "@\(offset)" }
        let prefix = location.isEmpty ? "" : location + ": "
        return "\(prefix)\(message) [\(code.rawValue)]"
    }
}
