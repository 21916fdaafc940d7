import BourseSDK
import BourseSDKTesting
import CBourseABI
import Testing

/// One payload of every type, with no NaN so that `==` holds.
let everyPayload: [Payload] = [
    .bar(Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 1000, intervalNanoseconds: 86_400_000_000_000)),
    .trade(Trade(price: 101.25, size: 3, side: .sell, exchange: 7)),
    .quote(Quote(bidPrice: 99.5, bidSize: 10, askPrice: 100.5, askSize: 12)),
    .values(try! IndicatorValues([1, -2.5, 1e300])),
    .values(IndicatorValues()),
    .values(try! IndicatorValues((0..<16).map(Double.init))),
    .signal(Signal(value: 0.8, confidence: 0.9, actual: 1.1, horizonNanoseconds: 5_000, direction: -1, kind: .prediction)),
    .alert(Alert(score: 9.5, severity: .critical, code: 12, reason: "volume spike ⚠️")),
    .bytes([0, 1, 2, 255]),
    .bytes([]),
    .other(type: 0x8001, bytes: [9, 8, 7]),
]

@Suite("Payload encoding and decoding")
struct PayloadTests {
    @Test func everyPayloadRoundTripsThroughTheHarness() throws {
        let harness = try PluginHarness(EchoModel.self, outputs: ["echo.out"], topics: ["in"])
        harness.wallClockNanoseconds = 777
        var sent: [Message] = []
        for (index, payload) in everyPayload.enumerated() {
            sent.append(Message(topic: harness.topic("in"), instrument: harness.instrument("SPY"),
                                eventTime: Int64(index) * 10, flags: index == 8 ? Message.moreFlag : 0,
                                payload: payload))
        }
        try harness.send(sent)
        let published = harness.published
        #expect(published.count == everyPayload.count)
        for (index, message) in published.enumerated() {
            #expect(message.payload == everyPayload[index])
            #expect(message.topic == harness.topic("echo.out"))
            #expect(harness.name(of: message.topic) == "echo.out")
            #expect(harness.symbol(of: message.instrument) == "SPY")
            #expect(message.eventTime == Int64(index) * 10)
            #expect(message.sequence == UInt64(index + 1))
            #expect(message.originNode == 1)
            #expect(message.createdTime == 777)
            #expect(message.flags == (index == 8 ? Message.moreFlag : 0))
        }
        #expect(harness.publishCallCount == 1)
    }

    @Test func fieldAccessorsAgreeWithFullDecoding() throws {
        let key = "field-accessors"
        let harness = try PluginHarness(RecorderExporter.self, config: #"{"key": "\#(key)"}"#, topics: ["in"])
        var payloads = everyPayload
        payloads += [.other(type: 1, bytes: [1, 2]), .other(type: 4, bytes: [3, 0, 0, 0, 0, 0, 0, 0, 1])]
        try harness.send(payloads.enumerated().map { index, payload in
            Message(topic: harness.topic("in"), instrument: harness.instrument(index % 2 == 0 ? "SPY" : ""),
                    eventTime: Int64(index), payload: payload)
        })
        let full = TestStore.shared.messages(key)
        let fast = TestStore.shared.messages(key + ".fast")
        #expect(full.count == payloads.count)
        #expect(full.map(\.payload) == payloads.map { $0 == .other(type: 4, bytes: [3, 0, 0, 0, 0, 0, 0, 0, 1]) ? .values(IndicatorValues()) : $0 })
        #expect(fast.map(\.payload) == full.map(\.payload))
        #expect(fast.map(\.instrument) == full.map(\.instrument))
        #expect(fast.map(\.eventTime) == full.map(\.eventTime))
        #expect(fast.map(\.topic) == full.map(\.topic))
        #expect(TestStore.shared.count(key + ".mismatch") == 0)
    }

    @Test func encodeAndDecodeRecords() throws {
        for payload in everyPayload {
            let message = Message(topic: Topic(id: 3), instrument: Instrument(id: 4), eventTime: -5, createdTime: 6,
                                  sequence: 7, originNode: 8, flags: 9, payload: payload)
            var buffer = [UInt8](repeating: 0xAA, count: message.encodedSize)
            let written = try buffer.withUnsafeMutableBytes { try message.encode(into: $0) }
            #expect(written == message.encodedSize)
            #expect(written % 8 == 0)
            #expect(written >= 48 + payload.encodedLength)
            #expect(buffer[(48 + payload.encodedLength)...].allSatisfy { $0 == 0 }, "padding is zeroed")
            let decoded = try buffer.withUnsafeBytes { try Message(decoding: $0) }
            #expect(decoded == message)
        }
    }

    @Test func cLayoutIsTheOneTheSDKAssumes() {
        #expect(MemoryLayout<bourse_message>.size == BourseABI.headerSize)
        #expect(MemoryLayout<bourse_bar>.size == 48)
        #expect(MemoryLayout<bourse_trade>.size == 24)
        #expect(MemoryLayout<bourse_quote>.size == 32)
        #expect(MemoryLayout<bourse_values>.size == 136)
        #expect(MemoryLayout<bourse_signal>.size == 40)
        #expect(MemoryLayout<bourse_alert>.size == 120)
        #expect(MemoryLayout<bourse_alert>.offset(of: \bourse_alert.reason) == 16)
        #expect(MemoryLayout<bourse_error>.size == 1032)
        #expect(Int(BOURSE_MAX_PAYLOAD) == BourseABI.maxPayload)
        #expect(Int(BOURSE_MAX_VALUES) == IndicatorValues.capacity)
        #expect(BOURSE_ABI_MAJOR == Int32(BourseABI.major) && BOURSE_ABI_MINOR == Int32(BourseABI.minor))
    }

    @Test func encodedLengthsMatchTheCStructs() throws {
        #expect(Payload.bar(Bar(open: 0, high: 0, low: 0, close: 0, volume: 0)).encodedLength == 48)
        #expect(Payload.trade(Trade(price: 0, size: 0)).encodedLength == 24)
        #expect(Payload.quote(Quote(bidPrice: 0, bidSize: 0, askPrice: 0, askSize: 0)).encodedLength == 32)
        #expect(Payload.values(try IndicatorValues([1, 2, 3])).encodedLength == 8 + 8 * 3)
        #expect(Payload.signal(Signal(value: 0)).encodedLength == 40)
        #expect(Payload.alert(Alert(score: 0)).encodedLength == 120)
        #expect(Payload.bytes([1, 2, 3]).encodedLength == 3)
        #expect(Message(topic: Topic(id: 1), eventTime: 0, payload: .bytes([1])).encodedSize == 56)
    }

    @Test func decodingIsRobust() throws {
        func decode(type: UInt16, payload: [UInt8]) throws -> Payload {
            var record = [UInt8](repeating: 0, count: 48)
            record[0] = UInt8(type & 0xFF)
            record[1] = UInt8(type >> 8)
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { record.replaceSubrange(4..<8, with: $0) }
            record += payload
            return try record.withUnsafeBytes { try Message(decoding: $0) }.payload
        }
        // Shorter than the struct: `.other`, never a read past payload_len.
        for type: UInt16 in 1...6 {
            #expect(try decode(type: type, payload: [1, 2, 3]) == .other(type: type, bytes: [1, 2, 3]))
        }
        #expect(try decode(type: 4, payload: []) == .other(type: 4, bytes: []))
        // Values count larger than 16 or than the payload holds: clamped.
        func valuesPayload(count: UInt32, present: Int) -> [UInt8] {
            var bytes: [UInt8] = withUnsafeBytes(of: count.littleEndian) { Array($0) } + [0, 0, 0, 0]
            for index in 0..<present {
                bytes += withUnsafeBytes(of: Double(index).bitPattern.littleEndian) { Array($0) }
            }
            return bytes
        }
        #expect(try decode(type: 4, payload: valuesPayload(count: 99, present: 3)) == .values(try IndicatorValues([0, 1, 2])))
        #expect(try decode(type: 4, payload: valuesPayload(count: 1_000, present: 20)) == .values(try IndicatorValues((0..<16).map(Double.init))))
        #expect(try decode(type: 4, payload: valuesPayload(count: 2, present: 5)) == .values(try IndicatorValues([0, 1])))
        #expect(try decode(type: 4, payload: valuesPayload(count: 5, present: 0) + [1, 2, 3]) == .values(IndicatorValues()))
        // Unknown enum values.
        var trade = [UInt8](repeating: 0, count: 24)
        trade[16] = 9  // side 9
        #expect(try decode(type: 2, payload: trade) == .trade(Trade(price: 0, size: 0, side: .unknown)))
        var signal = [UInt8](repeating: 0, count: 40)
        signal[36] = 5  // kind 5
        #expect(try decode(type: 5, payload: signal) == .other(type: 5, bytes: signal))
        // Alert reason without NUL and with invalid UTF-8 still decodes within bounds.
        var alert = [UInt8](repeating: 0x41, count: 120)
        alert[8...15] = [0, 0, 0, 0, 0, 0, 0, 0]
        alert[16] = 0xFF
        guard case .alert(let decoded) = try decode(type: 6, payload: alert) else {
            Issue.record("not an alert")
            return
        }
        #expect(decoded.reason.utf8.count <= Alert.maxReasonBytes)
        // Longer payloads than the struct are accepted; extra bytes ignored.
        let bar = try decode(type: 1, payload: [UInt8](repeating: 0, count: 56))
        #expect(bar == .bar(Bar(open: 0, high: 0, low: 0, close: 0, volume: 0)))
        // Unknown and private types.
        #expect(try decode(type: 99, payload: [1]) == .other(type: 99, bytes: [1]))
        #expect(try decode(type: 7, payload: [1, 2]) == .bytes([1, 2]))
    }

    @Test func truncatedRecordsAreRejected() {
        let short = #expect(throws: PluginError.self) {
            try [UInt8](repeating: 0, count: 40).withUnsafeBytes { try Message(decoding: $0) }
        }
        #expect(short?.message.contains("too short") == true)
        var record = [UInt8](repeating: 0, count: 50)
        record[4] = 10  // payload_len 10, only 2 present
        let truncated = #expect(throws: PluginError.self) { try record.withUnsafeBytes { try Message(decoding: $0) } }
        #expect(truncated?.message.contains("truncated") == true)
    }

    @Test func indicatorValuesHoldAtMostSixteen() throws {
        var values = try IndicatorValues((0..<16).map(Double.init))
        #expect(values.count == 16)
        #expect(values[15] == 15)
        values[3] = 42
        #expect(values[3] == 42)
        #expect(throws: PluginError.self) { try values.append(1) }
        let error = #expect(throws: PluginError.self) { try IndicatorValues((0..<17).map(Double.init)) }
        #expect(error?.message.contains("at most 16") == true)
        values.removeAll()
        #expect(values.isEmpty)
        #expect(try IndicatorValues([1, 2]).description == "[1.0, 2.0]")
        #expect(try IndicatorValues([1, 2]) != IndicatorValues([1, 2, 3]))
    }

    @Test func alertReasonsAreTruncatedOnCharacterBoundaries() {
        let ascii = String(repeating: "a", count: 200)
        #expect(Alert(score: 0, reason: ascii).reason.utf8.count == 103)
        // "é" is 2 bytes: 51 of them are 102 bytes, a 52nd would be 104.
        let accented = String(repeating: "é", count: 60)
        #expect(Alert(score: 0, reason: accented).reason == String(repeating: "é", count: 51))
        // A family emoji is one character of 25 bytes: never split.
        let family = "👨‍👩‍👧‍👦"
        let text = String(repeating: "x", count: 90) + family
        #expect(Alert(score: 0, reason: text).reason == String(repeating: "x", count: 90))
        #expect(Alert(score: 0, reason: "ab\u{0}cd").reason == "ab")
        var alert = Alert(score: 0)
        alert.reason = ascii
        #expect(alert.reason.utf8.count == 103)
    }
}
