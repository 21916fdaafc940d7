// Helpers of the codec tests: encoding and decoding whole streams.
import BourseCodecs
import BourseSDK

/// Encodes `messages` with a new encoder of `codec`.
func encodeAll(_ codec: any Codec, _ messages: [CodecMessage]) throws -> [UInt8] {
    let encoder = codec.makeEncoder()
    var out: [UInt8] = []
    for message in messages { try encoder.encode(message, into: &out) }
    return out
}

/// Decodes `bytes` fed in pieces of `chunk` bytes; returns messages and skipped records.
func decodeAll(_ codec: any Codec, _ bytes: [UInt8], chunk: Int = 1 << 20,
               name: String = "test") throws -> (messages: [CodecMessage], skipped: [CodecError]) {
    let decoder = codec.makeDecoder(sourceName: name)
    var messages: [CodecMessage] = [], skipped: [CodecError] = []
    func drain() throws {
        while let item = try decoder.next() {
            switch item {
            case .message(let m): messages.append(m)
            case .skipped(let e): skipped.append(e)
            }
        }
    }
    var start = 0
    while start < bytes.count {
        let end = min(start + max(chunk, 1), bytes.count)
        decoder.feed(Array(bytes[start..<end]))
        try drain()
        start = end
    }
    decoder.finishInput()
    try drain()
    return (messages, skipped)
}
