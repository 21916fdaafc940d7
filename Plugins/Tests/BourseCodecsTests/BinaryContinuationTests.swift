// A binary stream continued by a restarted writer: a second header between frames.
import BourseCodecs
import BourseSDK
import Testing

@Test func aBinaryStreamMayContinueWithANewHeader() throws {
    let codec = try Codecs.named("binary")
    func encoded(_ range: Range<Int>, symbol: String) throws -> [UInt8] {
        let encoder = codec.makeEncoder()
        var bytes: [UInt8] = []
        for i in range {
            try encoder.encode(CodecMessage(topic: "t.\(symbol)", instrument: symbol, eventTime: Int64(i),
                                            payload: .values(try IndicatorValues([Double(i)]))), into: &bytes)
        }
        return bytes
    }
    // A restarted writer starts again with a header; its string ids restart at 1, for other strings.
    let stream = try encoded(0..<3, symbol: "AAA") + encoded(3..<6, symbol: "BBB")
    let decoder = codec.makeDecoder(sourceName: "joined")
    decoder.feed(stream)
    decoder.finishInput()
    var back: [CodecMessage] = []
    while let item = try decoder.next() {
        if case .message(let m) = item { back.append(m) }
    }
    #expect(back.map(\.eventTime) == Array(0..<6).map(Int64.init))
    #expect(back.map(\.instrument) == ["AAA", "AAA", "AAA", "BBB", "BBB", "BBB"])
    #expect(back.map(\.topic) == ["t.AAA", "t.AAA", "t.AAA", "t.BBB", "t.BBB", "t.BBB"])
}
