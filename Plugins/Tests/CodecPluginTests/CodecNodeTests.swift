// The codec plugin (both directions) and csv-export's binary format through the SDK harness.
import BourseCodecs
import BourseSDK
import BourseSDKTesting
import CodecPluginKit
import CSVExportPluginKit
import Foundation
import Testing
import TestSupport

/// Typed messages → bytes with an encode node, then bytes → typed messages with a decode node.
func roundTripThroughNodes(codec: String, chunkLimit: Int) throws -> (sent: [CodecMessage], back: [Message], decoder: PluginHarness) {
    let sent = try someMessages()
    let encoder = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "\#(codec)", "direction": "encode"}"#,
                                    outputs: ["raw"], topics: sent.map(\.topic))
    encoder.setFields(["ema", "rsi", "x"], for: "ind.set")
    for m in sent {
        try encoder.send(m.payload, topic: m.topic, instrument: m.instrument, eventTime: m.eventTime)
    }
    // Re-chunk the published bytes into pieces of at most `chunkLimit`, MORE on all but the last of each record.
    var chunks: [Message] = []
    for record in encoder.published {
        guard case .bytes(let bytes) = record.payload else { continue }
        var start = 0
        repeat {
            let end = min(start + chunkLimit, bytes.count)
            let last = end == bytes.count && record.flags & Message.moreFlag == 0
            chunks.append(Message(topic: Topic(id: 0), eventTime: record.eventTime,
                                  flags: last ? 0 : Message.moreFlag, payload: .bytes(Array(bytes[start..<end]))))
            start = end
        } while start < bytes.count
    }
    let decoder = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "\#(codec)"}"#,
                                    outputs: ["bars.SPY.1d", "ind.set", "alerts", "rest"], topics: ["raw"])
    let raw = decoder.topic("raw")
    try decoder.send(chunks.map { var m = $0; m.topic = raw; return m })
    try decoder.stop()
    return (sent, decoder.published, decoder)
}

@Test(arguments: ["binary", "jsonl"])
func encodeThenDecodeNodesGiveTheMessagesBack(codec: String) throws {
    for limit in [1 << 16, 5] {
        let (sent, back, decoder) = try roundTripThroughNodes(codec: codec, chunkLimit: limit)
        #expect(back.count == sent.count, "\(codec) chunks of \(limit)")
        for (s, b) in zip(sent, back) {
            let topic = decoder.name(of: b.topic) ?? ""
            let again = CodecMessage(b, topicName: s.topic == "other" ? "other" : topic, symbol: decoder.symbol(of: b.instrument),
                                     fieldNames: s.fieldNames)
            #expect(again.isSame(as: s), "\(codec) chunks of \(limit): \(s) vs \(b)")
        }
        #expect(decoder.counter("messages_decoded") == Int64(sent.count))
    }
}

@Test func csvEncodeNodeWritesTheHeaderOnceAndRefusesAnotherSchema() throws {
    let h = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "csv", "direction": "encode"}"#,
                              outputs: ["raw"], topics: ["bars"])
    try h.send(.bar(Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 3)), topic: "bars", instrument: "SPY", eventTime: 0)
    try h.send(.bar(Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 4)), topic: "bars", instrument: "SPY", eventTime: 1)
    let text = h.published.compactMap { m -> String? in
        guard case .bytes(let b) = m.payload else { return nil }
        return String(decoding: b, as: UTF8.self)
    }
    #expect(text == ["time,topic,instrument,open,high,low,close,volume\n1970-01-01T00:00:00Z,bars,SPY,1.0,2.0,0.5,1.5,3.0\n",
                     "1970-01-01T00:00:00.000000001Z,bars,SPY,1.0,2.0,0.5,1.5,4.0\n"])
    #expect(h.published.allSatisfy { h.symbol(of: $0.instrument) == "SPY" })
    #expect(throws: PluginError.self) { try h.send(.alert(Alert(score: 1)), topic: "bars", eventTime: 2) }
}

@Test func decodeNodeSkipsBadRecordsAndIgnoresTypedInput() throws {
    let h = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "jsonl"}"#, outputs: ["out"], topics: ["raw"])
    let good = #"{"time":"1970-01-01T00:00:00Z","topic":"out","instrument":"X","type":"trade","price":1,"size":2,"side":"buy","exchange":0}"#
    // One record split in two chunks, with no newline: the end of the record ends the line.
    try h.send([
        Message(topic: h.topic("raw"), eventTime: 0, flags: Message.moreFlag, payload: .bytes(Array(good.utf8.prefix(20)))),
        Message(topic: h.topic("raw"), eventTime: 0, payload: .bytes(Array(good.utf8.dropFirst(20)))),
        Message(topic: h.topic("raw"), eventTime: 0, payload: .bytes(Array("{broken\n".utf8))),
        Message(topic: h.topic("raw"), eventTime: 0, payload: .trade(Trade(price: 1, size: 1))),
    ])
    try h.stop()
    #expect(h.published.count == 1)
    #expect(h.counter("records_skipped") == 1 && h.counter("messages_ignored") == 1)
    #expect(h.logs.contains { $0.level == .warning && $0.message.contains("raw:2: invalid JSON") })
    // A stream cut inside a binary frame fails at the end of the input.
    let b = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "binary", "on_bad_row": "stop"}"#, outputs: ["out"],
                              topics: ["raw"])
    try b.send(.bytes(Array("BRSM".utf8) + [1, 0, 0, 0, 9, 0, 0, 0, 2]), topic: "raw", eventTime: 0)
    #expect(throws: PluginError.self) { try b.stop() }
}

@Test func codecNodeConfigurationErrors() {
    for config in [#"{}"#, #"{"codec": "yaml"}"#, #"{"codec": "csv", "direction": "sideways"}"#,
                   #"{"codec": "csv", "on_bad_row": "ignore"}"#, #"{"codec": "jsonl", "non_finite": "nan"}"#,
                   #"{"codec": "csv", "layout": "messages", "columns": {"time": 0}}"#, #"{"codec": "csv", "extra": 1}"#] {
        #expect(throws: PluginError.self, "\(config)") {
            try PluginHarness(CodecNodePlugin.self, config: config, outputs: ["out"])
        }
    }
}

@Test func csvExportWritesBinaryTheFileSourceReadsBack() throws {
    let dir = try TestData.temporaryDirectory("codec-plugins")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("all.brsm")
    let sent = try someMessages()
    let h = try PluginHarness(CSVExporter.self, config: #"{"format": "binary", "path": \#(json(file.path))}"#, outputs: [],
                              topics: sent.map(\.topic))
    h.setFields(["ema", "rsi", "x"], for: "ind.set")
    for m in sent { try h.send(m.payload, topic: m.topic, instrument: m.instrument, eventTime: m.eventTime) }
    try h.stop()
    let back = try decodeFile(file, codec: "binary")
    #expect(back.count == sent.count)
    for (a, b) in zip(back, sent) { #expect(a.isSame(as: b), "\(a) vs \(b)") }
}

/// Decodes a whole file.
func decodeFile(_ url: URL, codec: String) throws -> [CodecMessage] {
    let decoder = try Codecs.named(codec).makeDecoder(sourceName: url.path)
    decoder.feed(Array(try Data(contentsOf: url)))
    decoder.finishInput()
    var out: [CodecMessage] = []
    while let item = try decoder.next() {
        if case .message(let m) = item { out.append(m) }
    }
    return out
}

@Test func configuredFieldsAreDeclaredOnOutputs() throws {
    let h = try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "jsonl", "fields": {"out": ["ema20", "rsi14"]}}"#,
                              outputs: ["out"], topics: ["raw"])
    #expect(h.fields(of: "out") == ["ema20", "rsi14"])
    #expect(throws: PluginError.self) {
        try PluginHarness(CodecNodePlugin.self, config: #"{"codec": "jsonl", "fields": {"raw": ["a"]}}"#,
                          outputs: ["out"], topics: ["raw"])
    }
}
