// The csv-bars source plugin through the SDK harness.
import BourseCommon
import BourseIndicators
import BourseSDK
import BourseSDKTesting
import CSVBarsPluginKit
import IndicatorPluginKit
import Testing
import TestSupport

/// A csv-bars harness publishing on "bars.X.1d".
func csvBars(_ config: String) throws -> PluginHarness {
    try PluginHarness(CSVBarsSource.self, config: config, outputs: ["bars.X.1d"])
}

/// JSON string literal of a path.
func json(_ s: String) -> String {
    "\"" + s.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : String($0) }.joined() + "\""
}

/// The bars a harness published.
func publishedBars(_ h: PluginHarness) -> [(time: Int64, bar: Bar)] {
    h.published.compactMap { m in
        guard case .bar(let b) = m.payload else { return nil }
        return (m.eventTime, b)
    }
}

@Test func leanEquityZipIncrementally() throws {
    let h = try csvBars(#"{"path": \#(json(TestData.shared("lean/equity/usa/daily/spy.zip"))), "instrument": "SPY", "interval": "1d"}"#)
    #expect(h.logs.contains { $0.level == .info && $0.message.contains("layout lean") })
    #expect(try h.poll(maxMessages: 100) == .produced)
    #expect(h.published.count == 100)
    try h.pollUntilEnd()
    let bars = publishedBars(h)
    #expect(bars.count == 5849)
    #expect(bars[0].bar.close == 97.36)
    #expect(bars[0].bar.intervalNanoseconds == 86_400_000_000_000)
    #expect(UTCTimestamp.iso8601(bars[0].time) == "1998-01-02T05:00:00Z")
    #expect(h.published.allSatisfy { $0.instrument == h.instrument("SPY") && $0.topic == h.topic("bars.X.1d") })
    #expect(h.counter("rows_published") == 5849)
    #expect(h.counter("rows_skipped") == 0)
    #expect(try h.poll() == .endOfStream)
    try h.stop()
}

@Test func leanCryptoZip() throws {
    let h = try csvBars(#"{"path": \#(json(TestData.shared("lean/crypto/coinbase/daily/btcusd_trade.zip"))), "instrument": "BTCUSD"}"#)
    try h.pollUntilEnd()
    let bars = publishedBars(h)
    #expect(bars.count == 1318)
    #expect(bars[2].bar.low == 377.01)
    #expect(bars[0].bar.intervalNanoseconds == 0)
}

@Test func yahooPlainAndColumnsLayouts() throws {
    let ford = try csvBars(#"{"path": \#(json(TestData.shared("talib_python/ford_2012_daily.csv"))), "instrument": "F", "format": "yahoo"}"#)
    try ford.pollUntilEnd()
    #expect(publishedBars(ford).count == 250)
    #expect(publishedBars(ford)[0].bar.close == 11.13)

    let plain = try csvBars(#"{"path": \#(json(TestData.shared("reference/bars_10000.csv"))), "instrument": "SYN", "interval": "1m"}"#)
    try plain.pollUntilEnd()
    #expect(publishedBars(plain).count == 10_000)
    #expect(publishedBars(plain)[0].time == 1_704_067_200_000_000_000)
    #expect(publishedBars(plain)[0].bar.intervalNanoseconds == 60_000_000_000)

    let columns = try csvBars("""
        {"path": \(json(TestData.fixture("columns_named.csv"))), "instrument": "X",
         "columns": {"time": "When", "open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Vol"},
         "time_format": "%d/%m/%Y %H:%M", "timezone": "Europe/Berlin"}
        """)
    try columns.pollUntilEnd()
    #expect(publishedBars(columns).map(\.bar.close) == [10.5, 10.75, 11])
    #expect(UTCTimestamp.iso8601(publishedBars(columns)[0].time) == "2024-01-03T08:30:00Z")

    let indexed = try csvBars("""
        {"path": \(json(TestData.fixture("columns_indexed.csv"))), "instrument": "X", "format": "columns",
         "columns": {"time": 5, "open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}, "price_scale": 10}
        """)
    try indexed.pollUntilEnd()
    #expect(publishedBars(indexed).map(\.bar.close) == [1.05, 1.075])

    let bom = try csvBars(#"{"path": \#(json(TestData.fixture("yahoo_bom_crlf_nofinal.csv"))), "instrument": "F"}"#)
    try bom.pollUntilEnd()
    #expect(publishedBars(bom).map(\.bar.close) == [11.13, 11.30, 11.59])
}

@Test func brokenRowsUnderSkipAreLoggedWithLineNumbers() throws {
    let path = TestData.fixture("broken_rows.csv")
    let h = try csvBars(#"{"path": \#(json(path)), "instrument": "X"}"#)
    try h.pollUntilEnd()
    #expect(publishedBars(h).count == 3)
    #expect(h.counter("rows_skipped") == 8)
    #expect(h.counter("rows_published") == 3)
    let warnings = h.logs.filter { $0.level == .warning && $0.message.contains("skipped row") }.map(\.message)
    #expect(warnings.count == 8)
    for (line, rule) in [(3, "bad_number"), (4, "high_below_low"), (7, "negative_volume"), (8, "time_not_increasing"),
                         (9, "column_count"), (10, "open_outside_range"), (11, "non_finite"), (12, "bad_time")] {
        #expect(warnings.contains { $0.contains("\(path):\(line):") && $0.contains("[\(rule)]") }, "line \(line)")
    }
    #expect(h.logs.contains { $0.message.contains("skipped 8 rows") })
}

@Test func brokenRowsUnderStopFailWithFileAndLine() throws {
    let path = TestData.fixture("broken_rows.csv")
    let h = try csvBars(#"{"path": \#(json(path)), "instrument": "X", "on_bad_row": "stop"}"#)
    do {
        try h.pollUntilEnd()
        Issue.record("expected the poll to fail")
    } catch let error as PluginError {
        #expect(error.message.contains("\(path):3:"))
        #expect(error.message.contains("[bad_number]"))
        #expect(error.code == 21)
    }
    #expect(publishedBars(h).count == 1)
}

@Test func csvBarsConfigurationErrors() {
    let spy = json(TestData.shared("lean/equity/usa/daily/spy.zip"))
    let bad = [
        #"{"path": "/nonexistent/file.csv", "instrument": "X"}"#,                 // missing file, at create
        #"{"instrument": "X"}"#,                                                  // no path
        #"{"path": \#(spy)}"#,                                                   // no instrument
        #"{"path": \#(spy), "instrument": "X", "colour": "red"}"#,               // unknown key
        #"{"path": \#(spy), "instrument": "X", "format": "excel"}"#,
        #"{"path": \#(spy), "instrument": "X", "format": "columns"}"#,           // columns missing
        #"{"path": \#(spy), "instrument": "X", "interval": "1 day"}"#,
        #"{"path": \#(spy), "instrument": "X", "on_bad_row": "ignore"}"#,
        #"{"path": \#(spy), "instrument": "X", "price_scale": -1}"#,
        #"{"path": \#(spy), "instrument": "X", "timezone": "Nowhere/Land"}"#,
        #"{"path": \#(spy), "instrument": "X", "time_format": "weird"}"#,
        #"{"path": \#(spy), "instrument": "X", "columns": {"time": 0}}"#,
    ]
    for config in bad {
        #expect(throws: PluginError.self, "\(config)") { try csvBars(config) }
    }
    #expect(throws: PluginError.self) {
        try PluginHarness(CSVBarsSource.self, config: #"{"path": \#(spy), "instrument": "X"}"#, outputs: [])
    }
}

@Test func csvBarsFeedsTheEMAPluginToTALibValues() throws {
    // End to end: file → csv-bars → ema, against the TA-Lib reference.
    let source = try csvBars(#"{"path": \#(json(TestData.shared("reference/ford_2012_bars.csv"))), "instrument": "F"}"#)
    try source.pollUntilEnd()
    let ema = try PluginHarness(EMAIndicatorPlugin.self, outputs: ["ind.ema"], topics: ["bars.X.1d"])
    try sendBars(ema, publishedBars(source), topic: "bars.X.1d", symbol: "F")
    let expected = try NumericTable(path: TestData.shared("reference/ref_ford_2012.csv")).column("ema20")
    let got = ema.published.compactMap(singleValue)
    #expect(got.count == 250 - 19)
    for (k, v) in got.enumerated() {
        #expect(closeEnough(v, expected[k + 19]))
    }
}
