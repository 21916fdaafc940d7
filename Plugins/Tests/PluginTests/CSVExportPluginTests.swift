// The csv-export exporter plugin through the SDK harness.
import BourseSDK
import BourseSDKTesting
import CSVExportPluginKit
import Foundation
import Testing
import TestSupport

/// An exporter harness with the usual topics known.
func exporter(_ config: String) throws -> PluginHarness {
    try PluginHarness(CSVExporter.self, config: config, outputs: [],
                      topics: ["bars.F.1d", "bars.SPY.1d", "ind.ema", "ind.macd", "alerts.x"])
}

/// The text of a file ("" when absent).
func contents(_ url: URL) -> String {
    (try? String(contentsOf: url, encoding: .utf8)) ?? ""
}

/// The first two Ford bars.
func twoFordBars() throws -> [(time: Int64, bar: Bar)] {
    Array(try referenceBars("reference/ford_2012_bars.csv").prefix(2))
}

@Test func csvOfBarsWithFlushAndStop() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("out/nested/bars.csv")
    let h = try exporter(#"{"path": \#(json(file.path))}"#)
    try sendBars(h, try twoFordBars(), topic: "bars.F.1d", symbol: "F")
    try h.send(.bar(Bar(open: 1, high: 2, low: 0.5, close: 1e-7, volume: 0)), topic: "bars.SPY.1d",
               instrument: "SPY", eventTime: 1_325_548_800_500_000_000)
    try h.flush()
    let expected = """
        time,topic,instrument,open,high,low,close,volume
        2012-01-03T00:00:00Z,bars.F.1d,F,11.0,11.25,10.99,11.13,45709900.0
        2012-01-04T00:00:00Z,bars.F.1d,F,11.15,11.53,11.07,11.3,79725200.0
        2012-01-03T00:00:00.5Z,bars.SPY.1d,SPY,1.0,2.0,0.5,1e-07,0.0

        """
    #expect(contents(file) == expected)
    try h.stop()
    #expect(contents(file) == expected)
    #expect(h.counter("messages_written") == 3)
}

@Test func csvOfValuesUsesDeclaredFieldNames() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let h = try exporter(#"{"path": \#(json(dir.path + "/{topic}.csv"))}"#)
    h.setFields(["macd", "macd_signal", "macd_hist"], for: "ind.macd")
    try h.send(.values(try IndicatorValues([1.5, -0.25, .nan])), topic: "ind.macd", instrument: "SPY", eventTime: 0)
    try h.send(.values(try IndicatorValues([3, 4])), topic: "ind.ema", instrument: "", eventTime: 60_000_000_000)
    try h.stop()
    #expect(contents(dir.appendingPathComponent("ind.macd.csv")) == """
        time,topic,instrument,macd,macd_signal,macd_hist
        1970-01-01T00:00:00Z,ind.macd,SPY,1.5,-0.25,NaN

        """)
    #expect(contents(dir.appendingPathComponent("ind.ema.csv")) == """
        time,topic,instrument,v0,v1
        1970-01-01T00:01:00Z,ind.ema,,3.0,4.0

        """)
}

@Test func topicPlaceholderGivesOneFilePerTopic() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let h = try exporter(#"{"path": \#(json(dir.path + "/x/{topic}/bars.csv"))}"#)
    try sendBars(h, try twoFordBars(), topic: "bars.F.1d", symbol: "F")
    try sendBars(h, try twoFordBars(), topic: "bars.SPY.1d", symbol: "SPY")
    try h.stop()
    let f = contents(dir.appendingPathComponent("x/bars.F.1d/bars.csv"))
    let spy = contents(dir.appendingPathComponent("x/bars.SPY.1d/bars.csv"))
    #expect(f.split(separator: "\n").count == 3 && spy.split(separator: "\n").count == 3)
    #expect(spy.contains("bars.SPY.1d,SPY,11.0,"))
    #expect(!f.contains("SPY"))
}

@Test func schemaMismatchInOneCSVFileIsAnError() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("all.csv").path
    let h = try exporter(#"{"path": \#(json(path))}"#)
    h.setFields(["ema20"], for: "ind.ema")
    try sendBars(h, try twoFordBars(), topic: "bars.F.1d", symbol: "F")
    do {
        try h.send(.values(try IndicatorValues([1])), topic: "ind.ema", instrument: "F", eventTime: 5)
        Issue.record("expected a schema error")
    } catch let error as PluginError {
        #expect(error.message.contains(path))
        #expect(error.message.contains("[time,topic,instrument,ema20]"))
        #expect(error.message.contains("[time,topic,instrument,open,high,low,close,volume]"))
        #expect(error.message.contains("{topic}"))
    }
}

@Test func jsonLinesAcceptAnySchema() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("all.jsonl")
    let h = try exporter(#"{"format": "jsonl", "path": \#(json(file.path))}"#)
    h.setFields(["ema20"], for: "ind.ema")
    try sendBars(h, try twoFordBars().prefix(1).map { $0 }, topic: "bars.F.1d", symbol: "F")
    try h.send(.values(try IndicatorValues([12.5])), topic: "ind.ema", instrument: "F", eventTime: 1_000)
    try h.send(.values(try IndicatorValues([.nan])), topic: "ind.ema", instrument: "F", eventTime: 2_000)
    try h.send(.alert(Alert(score: 3.5, severity: .critical, code: 7, reason: "say \"hi\",\nnow")),
               topic: "alerts.x", instrument: "", eventTime: 0)
    try h.stop()
    #expect(contents(file) == """
        {"time":"2012-01-03T00:00:00Z","topic":"bars.F.1d","instrument":"F","type":"bar","open":11.0,"high":11.25,"low":10.99,"close":11.13,"volume":45709900.0}
        {"time":"1970-01-01T00:00:00.000001Z","topic":"ind.ema","instrument":"F","type":"values","ema20":12.5}
        {"time":"1970-01-01T00:00:00.000002Z","topic":"ind.ema","instrument":"F","type":"values","ema20":null}
        {"time":"1970-01-01T00:00:00Z","topic":"alerts.x","instrument":null,"type":"alert","score":3.5,"severity":"critical","code":7,"reason":"say \\"hi\\",\\nnow"}

        """)
    for line in contents(file).split(separator: "\n") {
        #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "invalid JSON: \(line)")
    }
}

@Test func filesRouteByTopicPattern() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = """
        {"files": [{"match": "bars.*.1d", "path": \(json(dir.path + "/bars/{topic}.csv"))},
                   {"match": "ind.>", "path": \(json(dir.path + "/indicators.csv"))}]}
        """
    let h = try exporter(config)
    h.setFields(["ema20"], for: "ind.ema")
    try sendBars(h, try twoFordBars(), topic: "bars.F.1d", symbol: "F")
    try h.send(.values(try IndicatorValues([2])), topic: "ind.ema", instrument: "F", eventTime: 0)
    try h.send(.alert(Alert(score: 1)), topic: "alerts.x", instrument: "", eventTime: 0)  // no route
    try h.send(.alert(Alert(score: 2)), topic: "alerts.x", instrument: "", eventTime: 1)
    try h.stop()
    #expect(contents(dir.appendingPathComponent("bars/bars.F.1d.csv")).split(separator: "\n").count == 3)
    #expect(contents(dir.appendingPathComponent("indicators.csv")) == """
        time,topic,instrument,ema20
        1970-01-01T00:00:00Z,ind.ema,F,2.0

        """)
    #expect(h.counter("messages_unrouted") == 2)
    #expect(h.counter("messages_written") == 3)
    #expect(h.logs.filter { $0.message.contains("no 'files' entry matches topic alerts.x") }.count == 1)
}

@Test func csvQuotesTextWhenNeeded() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("alerts.csv")
    let h = try exporter(#"{"path": \#(json(file.path))}"#)
    try h.send(.alert(Alert(score: 0.25, severity: .warning, code: 1, reason: "gap, \"big\"")), topic: "alerts.x",
               instrument: "BRK.B", eventTime: 0)
    try h.stop()
    #expect(contents(file) == """
        time,topic,instrument,score,severity,code,reason
        1970-01-01T00:00:00Z,alerts.x,BRK.B,0.25,warning,1,"gap, ""big\"\""

        """)
}

@Test func exporterConfigurationErrors() {
    for config in [
        #"{}"#, #"{"path": "a.csv", "files": []}"#, #"{"files": []}"#, #"{"files": [{"match": "a..b", "path": "x"}]}"#,
        #"{"files": [{"match": "a", "path": "x", "mode": "w"}]}"#, #"{"files": "a.csv"}"#,
        #"{"path": "a.csv", "format": "xlsx"}"#, #"{"path": "a.csv", "append": true}"#, #"{"path": ""}"#,
    ] {
        #expect(throws: PluginError.self, "\(config)") { try exporter(config) }
    }
}

@Test func unwritablePathIsAnError() throws {
    let h = try exporter(#"{"path": "/proc/definitely/not/writable.csv"}"#)
    #expect(throws: PluginError.self) {
        try h.send(.bar(Bar(open: 1, high: 1, low: 1, close: 1, volume: 1)), topic: "bars.F.1d", instrument: "F",
                   eventTime: 0)
    }
}
