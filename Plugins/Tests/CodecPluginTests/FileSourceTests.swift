// The file source plugin through the SDK harness.
import BourseCodecs
import BourseSDK
import BourseSDKTesting
import CodecPluginKit
import Foundation
import Testing
import TestSupport

/// JSON string literal.
func json(_ s: String) -> String {
    "\"" + s.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined() + "\""
}

/// Writes `messages` with `codec` to a file in a new temporary directory.
func writeFile(_ messages: [CodecMessage], codec: String, name: String) throws -> URL {
    let dir = try TestData.temporaryDirectory("codec-plugins")
    let url = dir.appendingPathComponent(name)
    let encoder = try Codecs.named(codec).makeEncoder()
    var bytes: [UInt8] = []
    for m in messages { try encoder.encode(m, into: &bytes) }
    try Data(bytes).write(to: url)
    return url
}

func someMessages() throws -> [CodecMessage] {
    [
        CodecMessage(topic: "bars.SPY.1d", instrument: "SPY", eventTime: 1_000_000_000,
                     payload: .bar(Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 10))),
        CodecMessage(topic: "ind.set", instrument: "SPY", eventTime: 2_000_000_000,
                     payload: .values(try IndicatorValues([1, .nan, .infinity])), fieldNames: ["ema", "rsi", "x"]),
        CodecMessage(topic: "alerts", instrument: "", eventTime: 3_000_000_000,
                     payload: .alert(Alert(score: 2, severity: .critical, code: 3, reason: "spike, \"big\" 🚀"))),
        CodecMessage(topic: "other", instrument: "QQQ", eventTime: 4_000_000_000, flags: 0,
                     payload: .other(type: 0x8001, bytes: [1, 2, 3])),
    ]
}

@Test(arguments: ["binary", "jsonl"])
func fileReplaysEveryMessageOnItsTopic(codec: String) throws {
    let messages = try someMessages()
    let url = try writeFile(messages, codec: codec, name: "all.\(codec == "binary" ? "brsm" : "jsonl")")
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let h = try PluginHarness(FileSourcePlugin.self, config: #"{"path": \#(json(url.path))}"#,
                              outputs: ["bars.SPY.1d", "ind.set", "alerts", "rest"])
    #expect(h.fields(of: "ind.set") == ["ema", "rsi", "x"])
    try h.pollUntilEnd()
    #expect(h.published.count == 4)
    // "other" is not an output: it goes to the first one.
    #expect(h.published.map { h.name(of: $0.topic) } == ["bars.SPY.1d", "ind.set", "alerts", "bars.SPY.1d"])
    #expect(h.published.map(\.eventTime) == messages.map(\.eventTime))
    #expect(h.symbol(of: h.published[3].instrument) == "QQQ" && h.published[2].instrument == .none)
    for (sent, got) in zip(messages, h.published) {
        let back = CodecMessage(got, topicName: sent.topic == "other" ? "other" : h.name(of: got.topic) ?? "", symbol: h.symbol(of: got.instrument), fieldNames: sent.fieldNames)
        #expect(back.isSame(as: sent), "\(sent) vs \(got)")
    }
    #expect(h.counter("messages_published") == 4)
    #expect(try h.poll() == .endOfStream)
}

@Test func fileReadsLeanZipBarsLikeCSVBars() throws {
    let path = TestData.shared("lean/equity/usa/daily/spy.zip")
    let h = try PluginHarness(FileSourcePlugin.self,
                              config: #"{"path": \#(json(path)), "instrument": "SPY", "interval": "1d", "on_bad_row": "stop"}"#,
                              outputs: ["bars.SPY.1d"])
    try h.pollUntilEnd()
    #expect(h.published.count == 5849)
    guard case .bar(let first) = h.published[0].payload else { Issue.record("not a bar"); return }
    #expect(first.close == 97.36 && first.intervalNanoseconds == 86_400_000_000_000)
    #expect(h.published.allSatisfy { h.symbol(of: $0.instrument) == "SPY" })
}

@Test func fileReadsGzippedCSV() throws {
    let h = try PluginHarness(FileSourcePlugin.self, config: #"{"path": \#(json(TestData.fixture("ford_head.csv.gz"))), "instrument": "F"}"#,
                              outputs: ["bars.F.1d"])
    try h.pollUntilEnd()
    #expect(h.published.count > 0)
}

@Test func pacedReplayWaitsForEventTime() throws {
    // 1000 seconds of event time between two messages at speed 1: the second is not due right after the first.
    let messages = [
        CodecMessage(topic: "t", eventTime: 0, payload: .trade(Trade(price: 1, size: 1))),
        CodecMessage(topic: "t", eventTime: 1_000_000_000_000, payload: .trade(Trade(price: 2, size: 1))),
    ]
    let url = try writeFile(messages, codec: "binary", name: "t.bin")
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let h = try PluginHarness(FileSourcePlugin.self, config: #"{"path": \#(json(url.path)), "speed": 1}"#, outputs: ["t"])
    #expect(try h.poll() == .produced)
    #expect(h.published.count == 1)
    #expect(try h.poll() == .idle)
    #expect(h.published.count == 1)
    // At full speed both come at once.
    let fast = try PluginHarness(FileSourcePlugin.self, config: #"{"path": \#(json(url.path))}"#, outputs: ["t"])
    #expect(try fast.poll() == .produced && fast.published.count == 2)
}

@Test func fileConfigurationAndInputErrors() throws {
    let dir = try TestData.temporaryDirectory("codec-plugins")
    defer { try? FileManager.default.removeItem(at: dir) }
    let unknown = dir.appendingPathComponent("data.txt")
    try Data("x".utf8).write(to: unknown)
    let future = dir.appendingPathComponent("future.brsm")
    try Data(Array("BRSM".utf8) + [9, 0, 0, 0]).write(to: future)
    for (config, expected) in [
        (#"{}"#, "path"),
        (#"{"path": "/nonexistent/x.csv"}"#, "cannot open"),
        (#"{"path": \#(json(unknown.path))}"#, "codec"),
        (#"{"path": \#(json(unknown.path)), "codec": "xml"}"#, "unknown codec"),
        (#"{"path": \#(json(future.path))}"#, "version 9 is not supported"),
        (#"{"path": \#(json(future.path)), "speed": -1}"#, "speed"),
        (#"{"path": \#(json(future.path)), "colour": 1}"#, "colour"),
        (#"{"path": \#(json(future.path)), "codec": "csv", "layout": "sideways"}"#, "layout"),
    ] {
        do {
            _ = try PluginHarness(FileSourcePlugin.self, config: config, outputs: ["t"])
            Issue.record("expected an error for \(config)")
        } catch let error as PluginError {
            #expect(error.message.contains(expected), "\(config): \(error.message)")
        }
    }
    // A truncated stream fails when reached, naming the file and offset.
    let cut = dir.appendingPathComponent("cut.brsm")
    let full = try writeFile(try someMessages(), codec: "binary", name: "full.brsm")
    defer { try? FileManager.default.removeItem(at: full.deletingLastPathComponent()) }
    let bytes = try Data(contentsOf: full)
    try bytes.prefix(bytes.count - 3).write(to: cut)
    do {  // (within the look-ahead of creation here; later in a bigger file)
        let h = try PluginHarness(FileSourcePlugin.self, config: #"{"path": \#(json(cut.path))}"#, outputs: ["t"])
        try h.pollUntilEnd()
        Issue.record("expected a truncation error")
    } catch let error as PluginError {
        #expect(error.message.contains("ends inside a frame") && error.message.contains("cut.brsm@"), "\(error.message)")
    }
}
