// The lean, synthetic and failover source plugins through the SDK harness.
import BourseCodecs
import BourseCommon
import BourseSDK
import Foundation
import BourseSDKTesting
import SourcesPluginKit
import Testing
import TestSupport

/// JSON string literal of a path.
func json(_ s: String) -> String {
    "\"" + s.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined() + "\""
}

let lean = json(TestData.shared("lean"))

/// The error a plugin's init throws for `config`.
func createError<P: SourcePlugin>(_ type: P.Type, _ config: String, outputs: [String] = ["out"]) -> String {
    do {
        _ = try PluginHarness(type, config: config, outputs: outputs)
        return "no error"
    } catch {
        return "\(error)"
    }
}

func bars(_ messages: [Message]) -> [(time: Int64, bar: Bar)] {
    messages.compactMap { m in
        guard case .bar(let b) = m.payload else { return nil }
        return (m.eventTime, b)
    }
}

@Test func leanRoutesSymbolsToTheirTopics() throws {
    let h = try PluginHarness(LeanSource.self, config: #"{"root": \#(lean), "symbols": ["SPY", "QQQ"]}"#,
                              outputs: ["bars.SPY.1d", "bars.QQQ.1d"])
    try h.pollUntilEnd()
    let spy = h.published(on: "bars.SPY.1d"), qqq = h.published(on: "bars.QQQ.1d")
    #expect(spy.count == 5849 && qqq.count == 3964)
    #expect(spy.allSatisfy { $0.instrument == h.instrument("SPY") } && qqq.allSatisfy { $0.instrument == h.instrument("QQQ") })
    #expect(bars(spy)[0].bar == Bar(open: 96.87, high: 97.54, low: 95.71, close: 97.36, volume: 2_155_300,
                                    intervalNanoseconds: 86_400_000_000_000) || bars(spy)[0].bar.close == 97.36)
    #expect(UTCTimestamp.iso8601(bars(spy)[0].time) == "1998-01-02T05:00:00Z")
    #expect(h.counter("items_published") == 5849 + 3964)
    #expect(try h.poll() == .endOfStream)
    try h.stop()
}

@Test func leanOneTopicForTradesAndQuotesAndBadPrintsCounted() throws {
    let h = try PluginHarness(LeanSource.self, config: #"{"root": \#(lean), "symbol": "IBM"}"#, outputs: ["bars.all.1d"])
    try h.pollUntilEnd()
    #expect(h.published.count == 5848 && h.counter("skipped_bad_print") == 1)
    #expect(h.logs.contains { $0.level == .warning && $0.message.contains("ibm.csv:") && $0.message.contains("bad print") })
    let m = try PluginHarness(LeanSource.self, config: #"""
        {"root": \#(lean), "symbol": "SPY", "resolution": "minute", "tick_type": "both", "from": "2013-10-07", "to": 20131007}
        """#, outputs: ["bars.SPY.1m", "quotes.SPY.1m"])
    try m.pollUntilEnd()
    #expect(m.published(on: "bars.SPY.1m").count == 828 && m.published(on: "quotes.SPY.1m").count == 908)
    guard case .quote(let q) = m.published(on: "quotes.SPY.1m")[0].payload else { Issue.record("not a quote"); return }
    #expect(q.bidPrice == 167.25 && q.askPrice == 167.27)
}

@Test func leanConfigurationErrors() {
    #expect(createError(LeanSource.self, #"{"symbol": "SPY"}"#).contains("lean: missing required config key 'root'"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean)}"#).contains("'symbols' (a list) or 'symbol' is required"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbol": "SPY", "resolution": "weekly"}"#)
        .contains("'resolution' must be tick, second, minute, hour, daily"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbol": "SPY", "colour": 1}"#).contains("unknown config key 'colour'"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbol": "ZZZ"}"#).contains("no Lean daily trade file for ZZZ"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbol": "SPY", "from": "2013-02-30"}"#)
        .contains("'from' must be a date"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbols": ["SPY", "QQQ"]}"#, outputs: ["bars.SPY.1d", "quotes.x"])
        .contains("no output topic for QQQ bars"))
    #expect(createError(LeanSource.self, #"{"root": \#(lean), "symbol": "BTCUSD", "security": "crypto", "adjust": "split"}"#)
        .contains("factor files"))
}

@Test func syntheticIsDeterministicThroughThePlugin() throws {
    let config = #"{"instruments": ["A", "B"], "count": 300, "seed": 7, "interval": "5m", "start": "2020-01-01T00:00:00Z"}"#
    let first = try PluginHarness(SyntheticSource.self, config: config, outputs: ["bars.syn"])
    try first.pollUntilEnd()
    let second = try PluginHarness(SyntheticSource.self, config: config, outputs: ["bars.syn"])
    _ = try second.poll(maxMessages: 17)
    try second.pollUntilEnd()
    #expect(first.published.count == 600 && first.published.map(\.payload) == second.published.map(\.payload))
    #expect(first.published.map(\.eventTime) == second.published.map(\.eventTime))
    #expect(UTCTimestamp.iso8601(first.published[2].eventTime) == "2020-01-01T00:05:00Z")
    #expect(createError(SyntheticSource.self, #"{"garch": {"alpha": 0.5, "beta": 0.6}}"#).contains("alpha + beta must be < 1"))
    #expect(createError(SyntheticSource.self, #"{"start": "yesterday"}"#).contains("'start' must be a UTC time"))
    #expect(createError(SyntheticSource.self, #"{"output": "candles"}"#).contains("'output' must be bars, trades, quotes"))
}

@Test func failoverOverLeanAndCSVBarsDropsTheBadPrintOnce() throws {
    let ibm = json(TestData.shared("lean/equity/usa/daily/ibm.zip"))
    let h = try PluginHarness(FailoverSource.self, config: #"""
        {"sources": [
            {"name": "lean", "plugin": "lean", "config": {"root": \#(lean), "symbol": "IBM", "bad_prints": "keep"}},
            {"name": "mirror", "plugin": "csv-bars", "config": {"path": \#(ibm), "instrument": "IBM", "interval": "1d"}}],
         "max_jump": 0.5, "recovery": 3}
        """#, outputs: ["bars.IBM.1d"])
    try h.pollUntilEnd()
    let times = bars(h.published).map(\.time)
    #expect(times.count == 5848 && zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
    #expect(!h.published.contains { UTCTimestamp.iso8601($0.eventTime).hasPrefix("2002-12-23") })
    #expect(h.counter("invalid_items") == 2 && h.counter("switches") >= 1)
    #expect(h.logs.contains { $0.message.contains("failover: switched lean → mirror (invalid data: price jump: IBM bar") })
}

@Test func failoverConfigurationErrors() {
    #expect(createError(FailoverSource.self, #"{}"#).contains("'sources' must be a non-empty list"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "kafka"}]}"#)
        .contains("plugin \"kafka\" cannot be a failover child (supported: csv-bars, file, lean, synthetic"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "synthetic"}, {"plugin": "synthetic", "name": "synthetic#1"}]}"#)
        .contains("name \"synthetic#1\" is used twice"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "synthetic", "config": {"count": -1}}]}"#)
        .contains("failover: source synthetic#1: synthetic: config key 'count' must be ≥ 0"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "synthetic"}], "stall_timeout": "soon"}"#)
        .contains("'stall_timeout'"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "synthetic"}], "recovery": 0}"#).contains("'recovery' must be ≥ 1"))
}

/// `count` daily bars of `symbol` from 2020-01-01 as a JSON-lines file, with
/// an alert after the third (not market data) when `withAlert`.
func jsonLinesBars(_ symbol: String, count: Int, in directory: URL, name: String, withAlert: Bool = false) throws -> String {
    let encoder = try Codecs.named("jsonl").makeEncoder()
    var bytes: [UInt8] = []
    let day: Int64 = 86_400_000_000_000, start: Int64 = 1_577_836_800_000_000_000
    for i in 0..<count {
        let close = 100.0 + Double(i)
        try encoder.encode(CodecMessage(topic: "bars", instrument: symbol, eventTime: start + Int64(i) * day, payload: .bar(Bar(
            open: close - 0.5, high: close + 1, low: close - 1, close: close, volume: 1000, intervalNanoseconds: day))), into: &bytes)
        if withAlert && i == 2 {
            try encoder.encode(CodecMessage(topic: "alerts", instrument: symbol, eventTime: start + Int64(i) * day,
                                            payload: .alert(Alert(score: 1, reason: "test"))), into: &bytes)
        }
    }
    let path = directory.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Test func failoverWithFileChildrenMovesOnAtTheEndOfThePrimaryFile() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let primary = json(try jsonLinesBars("ABC", count: 20, in: dir, name: "primary.jsonl", withAlert: true))
    let backup = json(try jsonLinesBars("ABC", count: 30, in: dir, name: "backup.jsonl"))
    let h = try PluginHarness(FailoverSource.self, config: #"""
        {"sources": [
            {"name": "primary", "plugin": "file", "config": {"path": \#(primary)}},
            {"name": "backup", "plugin": "file", "config": {"path": \#(backup), "codec": "jsonl"}}]}
        """#, outputs: ["bars.ABC.1d"])
    try h.pollUntilEnd()
    let series = bars(h.published)
    #expect(series.count == 30, "\(series.count)")
    #expect(series.map(\.bar.close) == (0..<30).map { 100.0 + Double($0) })
    #expect(zip(series, series.dropFirst()).allSatisfy { $0.time < $1.time })
    #expect(h.published.allSatisfy { $0.instrument == h.instrument("ABC") })
    #expect(h.counter("skipped_not_market_data") == 1, "\(h.logs.map(\.message))")
    #expect(h.logs.contains { $0.message.contains("failover: switched primary → backup") }, "\(h.logs.map(\.message))")
}

@Test func fileChildConfigurationErrors() throws {
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "file", "config": {}}]}"#)
        .contains("failover: source file#1: missing required config key 'config.path'"))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "file", "config": {"path": "/nonexistent/x.csv"}}]}"#)
        .contains("failover: source file#1: file: "))
    #expect(createError(FailoverSource.self, #"{"sources": [{"plugin": "file", "config": {"path": "/tmp/x.csv", "speed": 2}}]}"#)
        .contains("unknown config key 'config.speed'"))
}
