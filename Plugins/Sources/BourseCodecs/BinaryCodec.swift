// The compact binary codec: a versioned header, then length-prefixed frames.
import BourseSDK

/// A compact, lossless binary format for every message type.
///
/// Layout (all integers little-endian; `varint` = unsigned LEB128):
///
/// ```
/// stream  = header frame* (header frame*)*
/// header  = "BRSM" (4 bytes) · version u16 (= 1) · reserved u16 (= 0)
/// frame   = length u32 (bytes after this field, 1 … 131072) · body
/// body    = 0x01 · id varint · UTF-8 text                    (string definition)
///         | 0x02 · type u16 · flags u16 · topic varint · instrument varint
///                · event_time i64 · name-count varint · name varint*
///                · payload (the rest: the C ABI's payload bytes)   (message)
/// ```
///
/// Topic, instrument and value names are references to strings defined
/// earlier in the stream (ids 1, 2, 3… in order; 0 = ""), so a long run of
/// bars costs 19 bytes of framing plus the 48-byte payload each. The payload
/// is exactly what the C ABI carries for the type (docs/abi.md §7), so any
/// type — private ones included — round-trips bit for bit.
///
/// A header may come again between frames: a writer that restarted (an
/// exporter's instance made again after its worker failed) continues the
/// file with a new header, and string ids start again from 1 there.
///
/// Decoders refuse a stream without the magic, and any version but 1, with
/// a clear error; a frame length out of range or a stream cut inside a
/// frame ends the stream; a frame whose content is bad (an undefined string
/// id, a payload of the wrong size for its type) is a record problem.
public struct BinaryCodec: Codec {
    /// "binary".
    public let name = "binary"
    /// The options (only the bad-record policy applies).
    public let options: CodecOptions

    /// The 4 magic bytes "BRSM".
    public static let magic: [UInt8] = Array("BRSM".utf8)
    /// The magic read as a little-endian frame length (far above
    /// ``maxFrameLength``, so a header after frames is never taken for one).
    static let magicWord = Int(magic.loadLittleEndian(UInt32.self, at: 0))
    /// The format version this codec writes and reads.
    public static let version: UInt16 = 1
    /// Bytes of the stream header.
    public static let headerSize = 8
    /// Largest frame body accepted.
    public static let maxFrameLength = 1 << 17

    /// A binary codec.
    public init(options: CodecOptions = CodecOptions()) {
        self.options = options
    }

    /// A new encoder.
    public func makeEncoder() -> any MessageEncoder { BinaryEncoder() }

    /// A new decoder.
    public func makeDecoder(sourceName: String) -> any MessageDecoder {
        BinaryDecoder(policy: options.onBadRecord, sourceName: sourceName)
    }
}

/// Frame kinds.
enum BinaryFrameKind: UInt8 {
    case string = 1
    case message = 2
}

/// Writes the binary format.
public final class BinaryEncoder: MessageEncoder {
    private var wroteHeader = false
    private var strings: [String: UInt64] = [:]
    private let payloads = PayloadBytes()

    /// An encoder.
    public init() {}

    /// Appends the message's frame, after the stream header (first call) and the definitions of new strings.
    /// - Throws: `cannotEncode` when the payload is larger than 65536 bytes.
    public func encode(_ message: CodecMessage, into output: inout [UInt8]) throws(CodecError) {
        if !wroteHeader {
            output.append(contentsOf: BinaryCodec.magic)
            output.appendLittleEndian(BinaryCodec.version)
            output.appendLittleEndian(UInt16(0))
            wroteHeader = true
        }
        let names: [String] = message.kind == .values ? Array(message.fieldNames.prefix(IndicatorValues.capacity)) : []
        let topic = reference(message.topic, into: &output)
        let instrument = reference(message.instrument, into: &output)
        let nameRefs = names.map { reference($0, into: &output) }
        let frameStart = output.count
        output.appendLittleEndian(UInt32(0))  // the length, filled in below
        output.append(BinaryFrameKind.message.rawValue)
        output.appendLittleEndian(message.payload.messageType)
        output.appendLittleEndian(message.flags)
        output.appendVarint(topic)
        output.appendVarint(instrument)
        output.appendLittleEndian(UInt64(bitPattern: message.eventTime))
        output.appendVarint(UInt64(nameRefs.count))
        for ref in nameRefs { output.appendVarint(ref) }
        do {
            try payloads.append(message.payload, to: &output)
        } catch {
            output.removeSubrange(frameStart...)
            throw error
        }
        let length = UInt32(output.count - frameStart - 4)
        for k in 0..<4 { output[frameStart + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
    }

    /// The id of `text`, defining it first when new; 0 for "".
    private func reference(_ text: String, into output: inout [UInt8]) -> UInt64 {
        if text.isEmpty { return 0 }
        if let id = strings[text] { return id }
        let id = UInt64(strings.count + 1)
        strings[text] = id
        var body: [UInt8] = [BinaryFrameKind.string.rawValue]
        body.appendVarint(id)
        body.append(contentsOf: text.utf8)
        output.appendLittleEndian(UInt32(body.count))
        output.append(contentsOf: body)
        return id
    }
}

/// Reads the binary format.
final class BinaryDecoder: MessageDecoder {
    private let policy: BadRecordPolicy
    private let sourceName: String
    private var buffer: [UInt8] = []
    private var position = 0
    /// Stream offset of `buffer[0]`.
    private var consumedBefore = 0
    private var headerRead = false
    private var inputFinished = false
    private var finished = false
    private var strings: [String] = []
    private let payloads = PayloadBytes()

    init(policy: BadRecordPolicy, sourceName: String) {
        self.policy = policy
        self.sourceName = sourceName
    }

    func feed(_ bytes: UnsafeRawBufferPointer) {
        if position > 0 && position >= buffer.count / 2 {
            buffer.removeSubrange(0..<position)
            consumedBefore += position
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    func endRecord() {}
    func finishInput() { inputFinished = true }

    private var available: Int { buffer.count - position }
    private var offset: Int { consumedBefore + position }

    private func fail(_ code: CodecError.Code, _ message: String, at offset: Int, field: String? = nil) -> CodecError {
        CodecError(code: code, message: message, source: sourceName, offset: offset, field: field)
    }

    func next() throws(CodecError) -> DecodedItem? {
        while !finished {
            if !headerRead {
                guard available >= BinaryCodec.headerSize else {
                    guard inputFinished else { return nil }
                    finished = true
                    if available == 0 { return nil }  // an empty stream holds no messages
                    throw fail(.truncated, "the stream ends inside its \(BinaryCodec.headerSize)-byte header (\(available) bytes)",
                               at: offset)
                }
                try readHeader()
                continue
            }
            guard available >= 4 else {
                guard inputFinished else { return nil }
                finished = true
                if available == 0 { return nil }
                throw fail(.truncated, "the stream ends inside a frame's length (\(available) of 4 bytes)", at: offset)
            }
            let frameStart = offset
            let length = Int(buffer.loadLittleEndian(UInt32.self, at: position))
            if length == BinaryCodec.magicWord {
                // Another header: a restarted writer continued the file. Its
                // string ids start again.
                headerRead = false
                strings.removeAll(keepingCapacity: true)
                continue
            }
            guard length >= 1 && length <= BinaryCodec.maxFrameLength else {
                finished = true
                throw fail(.badFrame, "frame length \(length) is outside 1...\(BinaryCodec.maxFrameLength)", at: frameStart)
            }
            guard available >= 4 + length else {
                guard inputFinished else { return nil }
                finished = true
                throw fail(.truncated, "the stream ends inside a frame: \(available - 4) of \(length) bytes", at: frameStart)
            }
            let body = buffer[(position + 4)..<(position + 4 + length)]
            position += 4 + length
            do throws(CodecError) {
                if let message = try decodeFrame(body, at: frameStart) { return .message(message) }
            } catch {
                if policy == .stop {
                    finished = true
                    throw error
                }
                return .skipped(error)
            }
        }
        return nil
    }

    private func readHeader() throws(CodecError) {
        let start = offset
        guard Array(buffer[position..<(position + 4)]) == BinaryCodec.magic else {
            finished = true
            let shown = buffer[position..<(position + 4)].map { String($0, radix: 16) }.joined(separator: " ")
            throw fail(.badHeader, "not a Bourse binary stream: the first bytes are \(shown), not \"BRSM\"", at: start)
        }
        let version = buffer.loadLittleEndian(UInt16.self, at: position + 4)
        guard version == BinaryCodec.version else {
            finished = true
            throw fail(.unsupportedVersion,
                       "binary stream version \(version) is not supported: this codec reads version \(BinaryCodec.version)",
                       at: start + 4, field: "version")
        }
        position += BinaryCodec.headerSize
        headerRead = true
    }

    /// Decodes one frame body: nil for a string definition.
    private func decodeFrame(_ body: ArraySlice<UInt8>, at frameStart: Int) throws(CodecError) -> CodecMessage? {
        var reader = ByteReader(bytes: body)
        func bad(_ message: String, field: String? = nil) -> CodecError {
            fail(.badRecord, message, at: frameStart, field: field)
        }
        let kind = reader.byte()
        switch kind.flatMap(BinaryFrameKind.init(rawValue:)) {
        case .string?:
            guard let id = reader.varint() else { throw bad("string definition without an id", field: "id") }
            guard id == UInt64(strings.count + 1) else {
                throw bad("string id \(id) out of order: the next id is \(strings.count + 1)", field: "id")
            }
            guard let text = String(validating: reader.rest, as: UTF8.self) else {
                throw bad("string \(id) is not valid UTF-8", field: "text")
            }
            strings.append(text)
            return nil
        case .message?:
            guard let type = reader.uint16(), let flags = reader.uint16() else { throw bad("message frame too short") }
            func string(_ field: String) throws(CodecError) -> String {
                guard let id = reader.varint() else { throw bad("message frame ends inside \(field)", field: field) }
                if id == 0 { return "" }
                guard id <= UInt64(strings.count) else {
                    throw bad("\(field) refers to string \(id), but only \(strings.count) are defined", field: field)
                }
                return strings[Int(id - 1)]
            }
            let topic = try string("topic"), instrument = try string("instrument")
            guard let time = reader.uint64() else { throw bad("message frame ends inside event_time", field: "event_time") }
            guard let count = reader.varint(), count <= UInt64(IndicatorValues.capacity) else {
                throw bad("bad value-name count", field: "names")
            }
            var names: [String] = []
            for _ in 0..<count { names.append(try string("names")) }
            let decoded: Payload
            do {
                decoded = try payloads.decode(type: type, bytes: reader.rest)
            } catch {
                throw bad(error.message, field: "payload")
            }
            return CodecMessage(topic: topic, instrument: instrument, eventTime: Int64(bitPattern: time), flags: flags,
                                payload: decoded, fieldNames: names)
        case nil:
            throw bad("unknown frame kind \(kind.map(String.init) ?? "(empty)")", field: "kind")
        }
    }
}

/// A cursor over a frame body.
private struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var rest: ArraySlice<UInt8> { bytes[index...] }

    mutating func byte() -> UInt8? {
        guard index < bytes.endIndex else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint16() -> UInt16? {
        guard bytes.endIndex - index >= 2 else { return nil }
        defer { index += 2 }
        return UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
    }

    mutating func uint64() -> UInt64? {
        guard bytes.endIndex - index >= 8 else { return nil }
        var value: UInt64 = 0
        for k in 0..<8 { value |= UInt64(bytes[index + k]) << (8 * UInt64(k)) }
        index += 8
        return value
    }

    /// Unsigned LEB128, at most 10 bytes; nil when cut short or too long.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let b = byte() {
            guard shift < 64, shift < 63 || b <= 1 else { return nil }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value |= T(self[offset + k]) << (8 * k) }
        return value
    }
}

extension BinaryCodec {
    /// The length of the longest prefix of a stream of `size` bytes that is
    /// made of whole headers and frames (0 when it does not start with a
    /// header): where a writer that died in the middle of a frame left the
    /// last complete record. `read(offset, count)` returns the stream's bytes
    /// there (at least `count` of them while `offset + count <= size`).
    public static func wholeRecordsLength(size: Int, read: (Int, Int) throws -> [UInt8]) rethrows -> Int {
        var position = 0
        while size - position >= 4 {
            let length = Int(try read(position, 4).loadLittleEndian(UInt32.self, at: 0))
            if length == magicWord {
                guard size - position >= headerSize else { break }
                position += headerSize
                continue
            }
            guard position > 0, (1...maxFrameLength).contains(length), size - position - 4 >= length else { break }
            position += 4 + length
        }
        return position
    }
}
