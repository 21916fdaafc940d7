// Payloads as the C ABI lays them out, through the SDK's own record encoding (no ABI code here).
import BourseSDK

/// Converts payloads to and from their ABI bytes by encoding and decoding a
/// whole message record with the SDK, so the layouts are the SDK's. One
/// instance per encoder or decoder: it reuses one record-sized scratch buffer.
final class PayloadBytes {
    private let scratch = UnsafeMutableRawBufferPointer.allocate(
        byteCount: BourseABI.headerSize + BourseABI.maxPayload + 8, alignment: 16)

    deinit { scratch.deallocate() }

    /// Appends the payload's ABI bytes to `output`.
    /// - Throws: `cannotEncode` when it is larger than ``BourseABI/maxPayload``.
    func append(_ payload: Payload, to output: inout [UInt8]) throws(CodecError) {
        let length = try encodeRecord(payload)
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[BourseABI.headerSize..<(BourseABI.headerSize + length)]))
    }

    /// Encodes a record holding `payload` into the scratch buffer; returns the payload length.
    private func encodeRecord(_ payload: Payload) throws(CodecError) -> Int {
        let length = payload.encodedLength
        guard length <= BourseABI.maxPayload else {
            throw CodecError(code: .cannotEncode,
                             message: "payload of \(length) bytes is larger than the maximum of \(BourseABI.maxPayload) bytes",
                             field: "payload")
        }
        do {
            _ = try Message(topic: Topic(id: 0), eventTime: 0, payload: payload).encode(into: scratch)
        } catch {
            throw CodecError(code: .cannotEncode, message: "\(error)", field: "payload")
        }
        return length
    }

    /// The payload of `type` held in `bytes`.
    /// - Throws: `badRecord` when `bytes` does not encode back to itself
    ///   (e.g. a values payload whose count disagrees with its length).
    func decode(type: UInt16, bytes: ArraySlice<UInt8>) throws(CodecError) -> Payload {
        guard bytes.count <= BourseABI.maxPayload else {
            throw CodecError(code: .badRecord, message: "payload of \(bytes.count) bytes is larger than \(BourseABI.maxPayload)")
        }
        // A record of type `type` whose payload is `bytes`: encode it as an opaque payload, decode it typed.
        let carrier = Message(topic: Topic(id: 0), eventTime: 0, payload: .other(type: type, bytes: Array(bytes)))
        let payload: Payload
        do {
            _ = try carrier.encode(into: scratch)
            payload = try Message(decoding: UnsafeRawBufferPointer(scratch)).payload
        } catch {
            throw CodecError(code: .badRecord, message: "\(error)")
        }
        switch payload {
        case .other, .bytes:
            return payload
        default:
            // Known types must be in the form the SDK writes (values count matching the length, zeroed
            // reserved and padding bytes, enum values in range), so that re-encoding gives the same bytes.
            let length = try encodeRecord(payload)
            let same = length == bytes.count && bytes.withUnsafeBytes { original in
                original.elementsEqual(UnsafeRawBufferPointer(rebasing: scratch[BourseABI.headerSize..<(BourseABI.headerSize + length)]))
            }
            guard same else {
                throw CodecError(code: .badRecord,
                                 message: "a type \(type) payload of \(bytes.count) bytes is inconsistent "
                                     + "(a count, reserved byte or enum value that does not match what the SDK writes)")
            }
            return payload
        }
    }
}
