// The ema and rsi plugins through the SDK harness.
import BourseIndicators
import BourseSDK
import BourseSDKTesting
import IndicatorPluginKit
import Testing
import TestSupport

/// (plugin config, output field, reference column, lookback, plugin type)
let indicatorCases: [(name: String, column: String, lookback: Int)] = [("ema", "ema20", 19), ("rsi", "rsi14", 14)]
let referencePairs = [
    ("reference/bars_10000.csv", "reference/ref_bars_10000.csv"),
    ("reference/ford_2012_bars.csv", "reference/ref_ford_2012.csv"),
]

/// A harness for the named indicator plugin.
func indicatorHarness(_ name: String, config: String = "{}", outputs: [String] = ["ind.x"]) throws -> PluginHarness {
    name == "ema"
        ? try PluginHarness(EMAIndicatorPlugin.self, config: config, outputs: outputs, topics: ["bars.SPY.1d"])
        : try PluginHarness(RSIIndicatorPlugin.self, config: config, outputs: outputs, topics: ["bars.SPY.1d"])
}

@Test(arguments: [0, 1], [0, 1])
func pluginMatchesTALib(indicatorIndex: Int, referenceIndex: Int) throws {
    let ind = indicatorCases[indicatorIndex]
    let (barsFile, refFile) = referencePairs[referenceIndex]
    let bars = try referenceBars(barsFile)
    let expected = try NumericTable(path: TestData.shared(refFile)).column(ind.column)
    let harness = try indicatorHarness(ind.name)
    #expect(harness.fields(of: "ind.x") == [ind.column])
    try sendBars(harness, bars, topic: "bars.SPY.1d", symbol: "SPY")
    let out = harness.published
    // Nothing during the warm-up: exactly one output per bar from index `lookback` on.
    #expect(out.count == bars.count - ind.lookback)
    #expect(expected[ind.lookback - 1].isNaN && !expected[ind.lookback].isNaN)
    for (k, message) in out.enumerated() {
        let i = k + ind.lookback
        #expect(message.eventTime == bars[i].time)
        #expect(message.instrument == harness.instrument("SPY"))
        #expect(message.topic == harness.topic("ind.x"))
        let value = try #require(singleValue(message))
        #expect(closeEnough(value, expected[i]), "\(ind.name) \(barsFile) index \(i): \(value) vs \(expected[i])")
    }
    #expect(harness.counter("values_published") == Int64(out.count))
    try harness.stop()
}

@Test(arguments: ["ema", "rsi"])
func instrumentsAreIndependentWhenInterleaved(name: String) throws {
    let a = try referenceBars("reference/ford_2012_bars.csv")
    let b = Array(try referenceBars("reference/bars_10000.csv").prefix(300))
    let alone = try indicatorHarness(name)
    try sendBars(alone, a, topic: "bars.SPY.1d", symbol: "F")
    let aloneB = try indicatorHarness(name)
    try sendBars(aloneB, b, topic: "bars.SPY.1d", symbol: "SYN")

    let mixed = try indicatorHarness(name)
    let t = mixed.topic("bars.SPY.1d"), fa = mixed.instrument("F"), fb = mixed.instrument("SYN")
    var messages: [Message] = []
    for i in 0..<max(a.count, b.count) {
        if i < b.count { messages.append(Message(topic: t, instrument: fb, eventTime: b[i].time, payload: .bar(b[i].bar))) }
        if i < a.count { messages.append(Message(topic: t, instrument: fa, eventTime: a[i].time, payload: .bar(a[i].bar))) }
    }
    for start in stride(from: 0, to: messages.count, by: 37) {
        try mixed.send(Array(messages[start..<min(start + 37, messages.count)]))
    }
    let mixedA = mixed.published.filter { $0.instrument == fa }.map(singleValue)
    let mixedB = mixed.published.filter { $0.instrument == fb }.map(singleValue)
    #expect(mixedA == alone.published.map(singleValue))
    #expect(mixedB == aloneB.published.map(singleValue))
    #expect(mixedA.count == a.count - (name == "ema" ? 19 : 14))
}

@Test(arguments: ["ema", "rsi"])
func nonFiniteBarsAndOtherMessagesAreSkippedAndCounted(name: String) throws {
    let bars = try referenceBars("reference/ford_2012_bars.csv")
    let clean = try indicatorHarness(name)
    try sendBars(clean, bars, topic: "bars.SPY.1d", symbol: "F")

    let dirty = try indicatorHarness(name)
    var withNaN = bars
    var nanBar = bars[30].bar
    nanBar.close = .nan
    withNaN.insert((bars[30].time - 1, nanBar), at: 30)
    var infBar = bars[3].bar
    infBar.close = .infinity
    withNaN.insert((bars[3].time - 1, infBar), at: 3)
    try sendBars(dirty, withNaN, topic: "bars.SPY.1d", symbol: "F")
    try dirty.send(.trade(Trade(price: 1, size: 1)), topic: "bars.SPY.1d", instrument: "F", eventTime: 1)
    try dirty.send(.values(try IndicatorValues([1, 2])), topic: "bars.SPY.1d", instrument: "F", eventTime: 2)

    #expect(dirty.published.map(singleValue) == clean.published.map(singleValue))
    #expect(dirty.published.map(\.eventTime) == clean.published.map(\.eventTime))
    #expect(dirty.counter("bars_skipped_nonfinite") == 2)
    #expect(dirty.counter("messages_ignored") == 2)
}

@Test func fieldAndPeriodOptions() throws {
    let bars = try referenceBars("reference/ford_2012_bars.csv")
    let harness = try indicatorHarness("ema", config: #"{"period": 5, "field": "high"}"#)
    #expect(harness.fields(of: "ind.x") == ["ema5_high"])
    try sendBars(harness, bars, topic: "bars.SPY.1d", symbol: "F")
    var ema = try EMA(period: 5)
    let expected = bars.compactMap { ema.update($0.bar.high) }
    #expect(harness.published.map(singleValue) == expected)
}

@Test func badIndicatorConfigsAreRejected() {
    for config in [#"{"period": 1}"#, #"{"period": "20"}"#, #"{"field": "median"}"#, #"{"periods": 20}"#,
                   #"{"period": 2.5}"#] {
        #expect(throws: PluginError.self, "config \(config)") { try indicatorHarness("ema", config: config) }
        #expect(throws: PluginError.self, "config \(config)") { try indicatorHarness("rsi", config: config) }
    }
    #expect(throws: PluginError.self) { try indicatorHarness("rsi", outputs: []) }
}
