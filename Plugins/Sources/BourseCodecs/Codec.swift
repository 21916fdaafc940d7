// The codec protocol, its encoders and decoders, and lookup by name.
import BourseBarFiles

/// A format for messages as bytes: CSV, JSON lines or the compact binary format.
///
/// A codec makes stateful encoders and decoders, one per stream (a file, a
/// topic of bytes): a CSV stream has one header, a binary stream one magic
/// and version header and its string table.
public protocol Codec: Sendable {
    /// The codec's name: `csv`, `jsonl` or `binary`.
    var name: String { get }
    /// A new encoder for one output stream.
    func makeEncoder() -> any MessageEncoder
    /// A new decoder for one input stream; `sourceName` (a path, or a topic)
    /// appears in its errors, and for CSV bar files decides Lean defaults as
    /// `csv-bars` does.
    func makeDecoder(sourceName: String) -> any MessageDecoder
}

/// Turns messages into bytes, one stream at a time.
public protocol MessageEncoder: AnyObject {
    /// Appends the encoding of `message` to `output`; the first call also
    /// writes the stream's header (CSV header line, binary magic and version).
    func encode(_ message: CodecMessage, into output: inout [UInt8]) throws(CodecError)
}

/// What a decoder yields.
public enum DecodedItem: Sendable {
    /// A decoded message.
    case message(CodecMessage)
    /// A record that could not be decoded, skipped under the skip policy (log it).
    case skipped(CodecError)
}

/// Turns bytes, fed in pieces of any size, into messages.
///
/// Feed bytes with ``feed(_:)``, take what is complete with ``next()`` until
/// it returns nil, repeat; after the last bytes call ``finishInput()`` and
/// drain ``next()`` once more (it then reports a stream cut short).
public protocol MessageDecoder: AnyObject {
    /// Adds bytes at the end of the stream.
    func feed(_ bytes: UnsafeRawBufferPointer)
    /// Marks the end of a logical record in a chunked stream (a bytes
    /// message without `BOURSE_FLAG_MORE`): text codecs end a line there if
    /// it has no newline yet; the binary codec, whose frames delimit
    /// themselves, ignores it.
    func endRecord()
    /// Says that no more bytes will come.
    func finishInput()
    /// The next message or skipped record; nil when more input is needed or the stream is done.
    /// - Throws: ``CodecError`` for a stream-level problem, or a record
    ///   problem under the stop policy; the decoder is then finished.
    func next() throws(CodecError) -> DecodedItem?
}

extension MessageDecoder {
    /// Adds the bytes of an array.
    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }
}

/// What a decoder does with a record it cannot decode.
public enum BadRecordPolicy: String, Sendable, CaseIterable {
    /// Return it as ``DecodedItem/skipped(_:)`` and go on.
    case skip
    /// Throw its error; the decoder is then finished.
    case stop
}

/// The options of every codec (each uses the ones that apply to it).
public struct CodecOptions: Sendable {
    /// CSV options.
    public var csv = CSVCodecOptions()
    /// JSON-lines options.
    public var jsonLines = JSONLinesOptions()
    /// What decoders do with bad records.
    public var onBadRecord: BadRecordPolicy = .skip
    /// Longest text record (line) in bytes.
    public var maxRecordLength = 1 << 20
    /// Bar length given to decoded bars that do not carry one (CSV bar files, text without `interval_ns`).
    public var intervalNanoseconds: Int64 = 0
    /// Instrument given to decoded messages that do not name one (CSV bar files).
    public var instrument = ""
    /// Encoders: add an `interval_ns` column (key) to bars.
    public var intervalColumn = false

    /// Default options.
    public init() {}
}

/// The codecs by name.
public enum Codecs {
    /// The names of the codecs: csv, jsonl, binary.
    public static let names = ["csv", "jsonl", "binary"]

    /// The codec called `name` with `options`.
    /// - Throws: ``CodecError`` `badOption` for an unknown name.
    public static func named(_ name: String, options: CodecOptions = CodecOptions()) throws(CodecError) -> any Codec {
        switch name {
        case "csv": return CSVCodec(options: options)
        case "jsonl": return JSONLinesCodec(options: options)
        case "binary": return BinaryCodec(options: options)
        default:
            throw CodecError(code: .badOption, message: "unknown codec '\(name)' (codecs: \(names.joined(separator: ", ")))",
                             field: "codec", input: name)
        }
    }
}

extension BadRecordPolicy {
    /// The bar reader's policy of the same name.
    var barPolicy: BadRowPolicy { self == .skip ? .skip : .stop }
}
