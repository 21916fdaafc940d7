// Payloads as the C ABI lays them out, through the SDK's own record encoding (no ABI code here).
import BourseSDK

/// Converts payloads to and from their ABI bytes by encoding and decoding a
/// whole message record with the SDK, so the layouts are the SDK's.
enum PayloadBytes {
    /// The payload's ABI bytes.
    /// - Throws: `cannotEncode` when it is larger than ``BourseABI/maxPayload``.
    static func encode(_ payload: Payload) throws(CodecError) -> [UInt8] {
        let message = Message(topic: Topic(id: 0), eventTime: 0, payload: payload)
        var record = [UInt8](repeating: 0, count: message.encodedSize)
        do {
            _ = try record.withUnsafeMutableBytes { try message.encode(into: $0) }
        } catch {
            throw CodecError(code: .cannotEncode, message: "\(error)", field: "payload")
        }
        let length = payload.encodedLength
        return Array(record[BourseABI.headerSize..<(BourseABI.headerSize + length)])
    }

    /// The payload of `type` held in `bytes`.
    /// - Throws: `badRecord` when `bytes` does not encode back to itself
    ///   (e.g. a values payload whose count disagrees with its length).
    static func decode(type: UInt16, bytes: [UInt8]) throws(CodecError) -> Payload {
        guard bytes.count <= BourseABI.maxPayload else {
            throw CodecError(code: .badRecord, message: "payload of \(bytes.count) bytes is larger than \(BourseABI.maxPayload)")
        }
        let carrier = Message(topic: Topic(id: 0), eventTime: 0, payload: .other(type: type, bytes: bytes))
        var record = [UInt8](repeating: 0, count: carrier.encodedSize)
        let decoded: Message
        do {
            decoded = try record.withUnsafeMutableBytes { raw in
                _ = try carrier.encode(into: raw)
                return try Message(decoding: UnsafeRawBufferPointer(raw))
            }
        } catch {
            throw CodecError(code: .badRecord, message: "\(error)")
        }
        let payload = decoded.payload
        if case .other = payload { return payload }
        // Known types must be in the form the SDK writes (values count matching the length, zeroed
        // reserved and padding bytes, enum values in range), so that re-encoding gives the same bytes.
        guard (try? encode(payload)) == bytes else {
            throw CodecError(code: .badRecord,
                             message: "a type \(type) payload of \(bytes.count) bytes is inconsistent "
                                 + "(a count, reserved byte or enum value that does not match what the SDK writes)")
        }
        return payload
    }
}
