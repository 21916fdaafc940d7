// decode(encode(m)) == m for every message type, over many seeded random messages.
import BourseCodecs
import BourseSDK
import Testing

/// Expects `decoded` to be `original`, message by message, naming the first difference.
func expectSame(_ decoded: [CodecMessage], _ original: [CodecMessage], _ label: String) {
    #expect(decoded.count == original.count, "\(label): \(decoded.count) decoded, \(original.count) encoded")
    for (index, (d, o)) in zip(decoded, original).enumerated() where !d.isSame(as: o) {
        Issue.record("\(label): message \(index) differs:\n  encoded \(o) \(o.payload) \(o.fieldNames)\n  decoded \(d) \(d.payload) \(d.fieldNames)")
        return
    }
}

@Test(arguments: [1, 2, 3] as [UInt64])
func binaryRoundTripOfEveryTypeInOneStream(seed: UInt64) throws {
    var factory = MessageFactory(seed: seed, textSafe: false)
    var messages = (0..<1500).map { _ in factory.anyMessage() }
    for kind in MessageKind.allCases { messages.append(factory.message(kind)) }
    messages.append(CodecMessage(topic: "t", eventTime: 0, payload: .bytes(Array(repeating: 7, count: BourseABI.maxPayload))))
    let codec = try Codecs.named("binary")
    let bytes = try encodeAll(codec, messages)
    for chunk in [1 << 20, 4096, 7, 1] where chunk > 1 || seed == 1 {
        let (decoded, skipped) = try decodeAll(codec, bytes, chunk: chunk)
        #expect(skipped.isEmpty)
        expectSame(decoded, messages, "binary, chunks of \(chunk)")
    }
}

@Test(arguments: [1, 2, 3] as [UInt64])
func jsonLinesRoundTripOfEveryTypeInOneStream(seed: UInt64) throws {
    var factory = MessageFactory(seed: seed, textSafe: true)
    var messages = (0..<1500).map { _ in factory.anyMessage() }
    for kind in MessageKind.allCases { messages.append(factory.message(kind)) }
    var options = CodecOptions()
    options.intervalColumn = true
    let codec = try Codecs.named("jsonl", options: options)
    let bytes = try encodeAll(codec, messages)
    let (decoded, skipped) = try decodeAll(codec, bytes, chunk: 1000)
    #expect(skipped.isEmpty, "\(skipped.first.map(String.init(describing:)) ?? "")")
    expectSame(decoded, messages, "jsonl")
}

@Test(arguments: MessageKind.allCases)
func csvRoundTripOfEachType(kind: MessageKind) throws {
    var options = CodecOptions()
    options.intervalColumn = true
    let codec = try Codecs.named("csv", options: options)
    for seed in 1...4 as ClosedRange<UInt64> {
        var factory = MessageFactory(seed: seed * 31 + UInt64(kind.hashValue & 0xFF), textSafe: true)
        // One CSV stream has one schema: values streams share their names.
        let names = kind == .values ? (0..<Int(seed * 4 % 17)).map { "ema_\($0)" } : nil
        let messages = (0..<300).map { _ in factory.message(kind, names: names) }
        let bytes = try encodeAll(codec, messages)
        let (decoded, skipped) = try decodeAll(codec, bytes, chunk: 333)
        #expect(skipped.isEmpty, "\(skipped.first.map(String.init(describing:)) ?? "")")
        expectSame(decoded, messages, "csv \(kind) seed \(seed)")
    }
}

@Test func csvWithoutIntervalColumnTakesTheConfiguredInterval() throws {
    var factory = MessageFactory(seed: 9, textSafe: true)
    var messages = (0..<50).map { _ in factory.message(.bar) }
    for i in messages.indices {
        if case .bar(var bar) = messages[i].payload {
            bar.intervalNanoseconds = 86_400_000_000_000
            messages[i].payload = .bar(bar)
        }
    }
    var options = CodecOptions()
    options.intervalNanoseconds = 86_400_000_000_000
    let codec = try Codecs.named("csv", options: options)
    let bytes = try encodeAll(codec, messages)
    #expect(String(decoding: bytes.prefix(49), as: UTF8.self).hasPrefix("time,topic,instrument,open,high,low,close,volume\n"))
    expectSame(try decodeAll(codec, bytes).messages, messages, "csv bars, interval from options")
}

@Test func csvStreamHoldsOneSchema() throws {
    let encoder = try Codecs.named("csv").makeEncoder()
    var out: [UInt8] = []
    try encoder.encode(CodecMessage(topic: "b", eventTime: 0, payload: .bar(Bar(open: 1, high: 1, low: 1, close: 1, volume: 1))),
                       into: &out)
    #expect(throws: CodecError.self) {
        try encoder.encode(CodecMessage(topic: "a", eventTime: 0, payload: .alert(Alert(score: 1))), into: &out)
    }
}

@Test func jsonLinesNullModeWritesEveryNonFiniteAsNull() throws {
    var options = CodecOptions()
    options.jsonLines.nonFinite = .null
    let message = CodecMessage(topic: "q", eventTime: 0,
                               payload: .quote(Quote(bidPrice: .nan, bidSize: .infinity, askPrice: -.infinity, askSize: 1)))
    let text = String(decoding: try encodeAll(try Codecs.named("jsonl", options: options), [message]), as: UTF8.self)
    #expect(text == #"{"time":"1970-01-01T00:00:00Z","topic":"q","instrument":null,"type":"quote","bid_price":null,"bid_size":null,"ask_price":null,"ask_size":1.0}"# + "\n")
    let lossless = String(decoding: try encodeAll(try Codecs.named("jsonl"), [message]), as: UTF8.self)
    #expect(lossless.contains(#""bid_size":"Infinity","ask_price":"-Infinity""#))
}
