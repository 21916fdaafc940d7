// The indicator-set plugin through the SDK harness.
import BourseIndicators
import BourseSDK
import BourseSDKTesting
import IndicatorPluginKit
import Testing
import TestSupport

/// The four category topics of a default indicator-set node.
let categoryTopics = ["ind.SPY.trend", "ind.SPY.momentum", "ind.SPY.volatility", "ind.SPY.volume"]

/// A harness for the indicator-set plugin.
func indicatorSetHarness(config: String = "{}", outputs: [String] = categoryTopics) throws -> PluginHarness {
    try PluginHarness(IndicatorSetIndicatorPlugin.self, config: config, outputs: outputs, topics: ["bars.SPY.1m"])
}

/// The values of a values message, or nil.
func allValues(_ message: Message) -> [Double]? {
    guard case .values(let values) = message.payload else { return nil }
    return Array(values)
}

@Suite struct IndicatorSetPluginTests {
    @Test func defaultSetDeclaresTheReferenceFieldsPerCategory() throws {
        let harness = try indicatorSetHarness()
        #expect(harness.fields(of: "ind.SPY.trend") == ["sma20", "ema20", "wma20", "macd", "macd_signal", "macd_hist"])
        #expect(harness.fields(of: "ind.SPY.momentum") == ["rsi14", "stoch_slowk", "stoch_slowd", "willr14", "cci20",
                                                           "roc10", "mom10"])
        #expect(harness.fields(of: "ind.SPY.volatility") == ["bb_upper", "bb_middle", "bb_lower", "atr14", "stddev20"])
        #expect(harness.fields(of: "ind.SPY.volume") == ["obv", "vwap"])
    }

    /// Every published value equals TA-Lib's reference for that bar (NaN in the warm-up).
    @Test(arguments: [0, 1])
    func defaultSetMatchesTALib(referenceIndex: Int) throws {
        let (barsFile, refFile) = referencePairs[referenceIndex]
        let bars = try referenceBars(barsFile)
        let reference = try NumericTable(path: TestData.shared(refFile))
        let harness = try indicatorSetHarness()
        try sendBars(harness, bars, topic: "bars.SPY.1m", symbol: "SPY", batchSize: 100)
        let times = bars.map(\.time)
        var compared = 0
        for topic in categoryTopics {
            let fields = harness.fields(of: topic)
            let columns = fields.map { reference.column($0) }
            let messages = harness.published.filter { $0.topic == harness.topic(topic) }
            // The volume topic starts at bar 0 (OBV, VWAP); the others once their first indicator is ready.
            let firstMessage = try #require(messages.first)
            let firstBar = try #require(times.firstIndex(of: firstMessage.eventTime))
            #expect(messages.count == bars.count - firstBar, "\(topic)")
            for (k, message) in messages.enumerated() {
                let i = firstBar + k
                #expect(message.eventTime == times[i] && message.instrument == harness.instrument("SPY"))
                let values = try #require(allValues(message))
                for (f, (field, value)) in zip(fields, values).enumerated() {
                    let expected = columns[f][i]
                    let tolerance = field == "stddev20" || field == "bb_upper" || field == "bb_lower" ? 1e-8 : 1e-9
                    #expect(closeEnough(value, expected, relative: tolerance), "\(field) bar \(i): \(value) vs \(expected)")
                    compared += 1
                }
            }
        }
        #expect(compared > bars.count * 15)
        #expect(harness.counter("values_published") == Int64(harness.published.count))
        try harness.stop()
    }

    /// Topics not named after categories: the 20 outputs in order, 10 per topic, the same values per field.
    @Test func packedLayoutSplitsTheOutputsEvenlyWithTheSameValues() throws {
        let bars = try referenceBars("reference/ford_2012_bars.csv")
        let packedTopics = ["ind.SPY.a", "ind.SPY.b"]
        let packed = try indicatorSetHarness(outputs: packedTopics)
        let names = try IndicatorSet(IndicatorSpec.referenceSet).fieldNames
        #expect(packed.fields(of: "ind.SPY.a") == Array(names[0..<10]))
        #expect(packed.fields(of: "ind.SPY.b") == Array(names[10..<20]))
        let byCategory = try indicatorSetHarness()
        try sendBars(packed, bars, topic: "bars.SPY.1m", symbol: "F")
        try sendBars(byCategory, bars, topic: "bars.SPY.1m", symbol: "F")
        /// field name → value at each event time ("nan" for NaN, so that equal maps mean equal values).
        func table(_ harness: PluginHarness, _ topics: [String]) -> [Int64: [String: String]] {
            var table: [Int64: [String: String]] = [:]
            for topic in topics {
                let fields = harness.fields(of: topic)
                for message in harness.published where message.topic == harness.topic(topic) {
                    for (field, value) in zip(fields, allValues(message)!) {
                        table[message.eventTime, default: [:]][field] = value.isNaN ? "nan" : "\(value)"
                    }
                }
            }
            return table
        }
        let packedTable = table(packed, packedTopics)
        let categoryTable = table(byCategory, categoryTopics)
        #expect(packedTable.count == bars.count)
        // A packed message starts once one of its own indicators is ready: compare the defined values.
        for (time, values) in categoryTable {
            for (field, value) in values where value != "nan" {
                #expect(packedTable[time]?[field] == value, "\(field) at \(time)")
            }
        }
        #expect(packed.counter("values_published") == Int64(packed.published.count))
    }

    @Test func smallSetUsesOneTopicAndPublishesFromTheFirstReadyIndicator() throws {
        let bars = try referenceBars("reference/ford_2012_bars.csv")
        let harness = try indicatorSetHarness(config: #"{"indicators": ["sma:20", "rsi:14", "adx"]}"#, outputs: ["ind.x"])
        #expect(harness.fields(of: "ind.x") == ["sma20", "rsi14", "adx14", "plus_di14", "minus_di14"])
        try sendBars(harness, bars, topic: "bars.SPY.1m", symbol: "F")
        let out = harness.published.compactMap(allValues)
        #expect(out.count == bars.count - 14)                 // RSI's first value at bar 14
        #expect(out[0][0].isNaN && !out[0][1].isNaN && out[0][2].isNaN)
        var sma = try SMA(period: 20)
        let expected = bars.compactMap { sma.update($0.bar.close) }
        #expect(out.suffix(expected.count).map { $0[0] } == expected)
    }

    @Test func instrumentsAreIndependentWhenInterleaved() throws {
        let a = try referenceBars("reference/ford_2012_bars.csv")
        let b = Array(try referenceBars("reference/bars_10000.csv").prefix(300))
        let config = #"{"indicators": ["kama:10", "sar", "mfi", "vwap_session", "kdj", "donchian"]}"#
        let topics = ["i.trend", "i.momentum", "i.volatility", "i.volume"]
        let aloneA = try indicatorSetHarness(config: config, outputs: topics)
        try sendBars(aloneA, a, topic: "bars.SPY.1m", symbol: "F")
        let aloneB = try indicatorSetHarness(config: config, outputs: topics)
        try sendBars(aloneB, b, topic: "bars.SPY.1m", symbol: "SYN")
        let mixed = try indicatorSetHarness(config: config, outputs: topics)
        let t = mixed.topic("bars.SPY.1m"), fa = mixed.instrument("F"), fb = mixed.instrument("SYN")
        var messages: [Message] = []
        for i in 0..<max(a.count, b.count) {
            if i < b.count { messages.append(Message(topic: t, instrument: fb, eventTime: b[i].time, payload: .bar(b[i].bar))) }
            if i < a.count { messages.append(Message(topic: t, instrument: fa, eventTime: a[i].time, payload: .bar(a[i].bar))) }
        }
        for start in stride(from: 0, to: messages.count, by: 41) {
            try mixed.send(Array(messages[start..<min(start + 41, messages.count)]))
        }
        func key(_ m: Message) -> String { "\(m.topic) \(m.eventTime) \(allValues(m)!.map { $0.isNaN ? "nan" : "\($0)" })" }
        #expect(mixed.published.filter { $0.instrument == fa }.map(key) == aloneA.published.map(key))
        #expect(mixed.published.filter { $0.instrument == fb }.map(key) == aloneB.published.map(key))
        #expect(!aloneA.published.isEmpty && !aloneB.published.isEmpty)
    }

    @Test func badBarsAndOtherMessagesAreDroppedAndCounted() throws {
        let bars = try referenceBars("reference/ford_2012_bars.csv")
        let clean = try indicatorSetHarness()
        try sendBars(clean, bars, topic: "bars.SPY.1m", symbol: "F")
        var dirty = bars
        let t0 = bars[0].time
        dirty.insert((t0 - 3, Bar(open: 0, high: 0, low: 0, close: 0, volume: 10)), at: 0)       // first bar: a zero print
        dirty.insert((t0 - 2, Bar(open: 11, high: 10, low: 12, close: 11, volume: 10)), at: 1)   // high < low
        dirty.insert((bars[40].time - 1, Bar(open: 11, high: 12, low: 10, close: .nan, volume: 10)), at: 42)
        dirty.insert((bars[80].time - 1, Bar(open: 11, high: 12, low: 10, close: 11, volume: .infinity)), at: 83)
        let harness = try indicatorSetHarness()
        try sendBars(harness, dirty, topic: "bars.SPY.1m", symbol: "F")
        try harness.send(.trade(Trade(price: 1, size: 1)), topic: "bars.SPY.1m", instrument: "F", eventTime: 1)
        func key(_ m: Message) -> String { "\(m.topic) \(m.eventTime) \(allValues(m)!.map { $0.isNaN ? "nan" : "\($0)" })" }
        #expect(harness.published.map(key) == clean.published.map(key))
        #expect(harness.counter("bars_rejected_bad_print") == 2)
        #expect(harness.counter("bars_skipped_nonfinite") == 2)
        #expect(harness.counter("messages_ignored") == 1)
    }

    @Test func badConfigurationsAreRejectedWithClearMessages() throws {
        let cases: [(config: String, outputs: [String], fragment: String)] = [
            (#"{"indicators": ["sma:20", "smaa"]}"#, ["x"], "unknown indicator \"smaa\""),
            (#"{"indicators": ["rsi:1"]}"#, ["x"], "period must be in"),
            (#"{"indicators": "sma"}"#, ["x"], "indicators"),
            (#"{"indicator": ["sma"]}"#, ["x"], "indicator"),
            ("{}", ["ind.x"], "the set has 20 outputs and one message carries at most 16: publish 2 topics"),
            ("{}", ["ind.a", "ind.b", "ind.c"], "publish 2 topics"),
            ("{}", ["ind.a", "ind.trend"], "no published topic ends with '.momentum'"),
            ("{}", categoryTopics + ["ind.extra"], "'ind.extra' gets no indicator"),
            (#"{"indicators": ["sma"]}"#, [], "no output topic"),
            (#"{"indicators": ["sma", "sma"]}"#, ["x"], "appears twice"),
        ]
        for c in cases {
            do {
                _ = try indicatorSetHarness(config: c.config, outputs: c.outputs)
                Issue.record("accepted \(c.config) publishing \(c.outputs)")
            } catch let error as PluginError {
                #expect(error.message.contains(c.fragment), "\(c.config): \(error.message)")
            }
        }
    }
}
