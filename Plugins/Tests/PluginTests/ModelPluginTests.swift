// The anomaly and rls-predict model plugins through the SDK harness.
import BourseSDK
import BourseSDKTesting
import ModelPluginKit
import Testing

/// Bars whose prices are all `values[i]`, one minute apart.
private func valueBars(_ values: [Double]) -> [(time: Int64, bar: Bar)] {
    values.enumerated().map { i, v in
        (Int64(i) * 60_000_000_000, Bar(open: v, high: v, low: v, close: v, volume: 0))
    }
}

/// A cycle with a dip inside the seen range at 700 and a jump out of it at 900.
private func anomalousSeries() -> [Double] {
    (0..<1000).map { (i: Int) -> Double in
        let cycle: Double = 10 * Double(i % 48) / 48
        let anomaly: Double = i == 700 ? -5 : i == 900 ? 80 : 0
        return 100 + cycle + anomaly
    }
}

private func anomalyHarness(_ config: String, outputs: [String] = ["scores", "alerts"]) throws -> PluginHarness {
    try PluginHarness(AnomalyModelPlugin.self, config: config, outputs: outputs, topics: ["bars.X.1m"])
}

@Test(arguments: ["robust", "forest", "ensemble"])
func anomalyPluginScoresEveryValueAndAlertsOnAnomalies(detector: String) throws {
    let harness = try anomalyHarness("{\"detector\": \"\(detector)\", \"learning_period\": 300}")
    #expect(harness.kind == .model)
    #expect(harness.fields(of: "scores") == ["anomaly_score", "confidence", "raw"])
    try sendBars(harness, valueBars(anomalousSeries()), topic: "bars.X.1m", symbol: "X")
    let scores = harness.published(on: "scores")
    #expect(scores.count == 1000)
    #expect(harness.counter("values_scored") == 1000)
    for (i, message) in scores.enumerated() {
        #expect(message.eventTime == Int64(i) * 60_000_000_000)
        #expect(message.instrument == harness.instrument("X"))
    }
    guard case .values(let jump) = scores[900].payload else {
        Issue.record("scores are values messages")
        return
    }
    #expect(jump[0] == 1)
    let alerts = harness.published(on: "alerts")
    #expect(harness.counter("alerts_published") == Int64(alerts.count))
    let jumpAlert = try #require(alerts.first { $0.eventTime == 900 * 60_000_000_000 })
    guard case .alert(let alert) = jumpAlert.payload else {
        Issue.record("alerts are alert messages")
        return
    }
    #expect(alert.severity == .critical)
    #expect(alert.score == 1)
    #expect(alert.code == 2)
    #expect(alert.reason.hasPrefix("value outside the range seen so far: close=187.5"))
    // No alert while learning.
    #expect(alerts.allSatisfy { $0.eventTime >= 300 * 60_000_000_000 })
    try harness.stop()
}

@Test func anomalyPluginIsDeterministicAndKeepsOneStatePerInstrument() throws {
    let values = anomalousSeries()
    let alone = try anomalyHarness("{\"learning_period\": 200, \"seed\": 3}", outputs: ["scores"])
    try sendBars(alone, valueBars(values), topic: "bars.X.1m", symbol: "A")
    let mixed = try anomalyHarness("{\"learning_period\": 200, \"seed\": 3}", outputs: ["scores"])
    let topic = mixed.topic("bars.X.1m")
    var messages: [Message] = []
    for (time, bar) in valueBars(values) {
        messages.append(Message(topic: topic, instrument: mixed.instrument("A"), eventTime: time, payload: .bar(bar)))
        let other = Bar(open: 5, high: 5, low: 5, close: bar.close / 20, volume: 0)
        messages.append(Message(topic: topic, instrument: mixed.instrument("B"), eventTime: time, payload: .bar(other)))
    }
    try mixed.send(messages)
    let a = mixed.published.filter { $0.instrument == mixed.instrument("A") }.map(\.payload)
    #expect(a == alone.published.map(\.payload))
    #expect(mixed.published.count == 2 * values.count)
}

@Test func anomalyPluginSkipsNonFiniteValuesAndIgnoresOtherPayloads() throws {
    let harness = try anomalyHarness("{\"learning_period\": 10}", outputs: ["scores"])
    try harness.send(.bar(Bar(open: .nan, high: .nan, low: .nan, close: .nan, volume: 0)), topic: "bars.X.1m",
                     instrument: "X", eventTime: 1)
    try harness.send(.trade(Trade(price: 1, size: 1)), topic: "bars.X.1m", instrument: "X", eventTime: 2)
    #expect(harness.published.isEmpty)
    #expect(harness.counter("values_skipped_nonfinite") == 1)
    #expect(harness.counter("messages_ignored") == 1)
}

@Test func anomalyPluginReadsADeclaredValuesField() throws {
    let harness = try PluginHarness(AnomalyModelPlugin.self, config: "{\"field\": \"rsi14\", \"learning_period\": 5}",
                                    outputs: ["scores"], topics: ["ind.rsi"])
    harness.setFields(["ema20", "rsi14"], for: "ind.rsi")
    for i in 0..<20 {
        try harness.send(.values(try IndicatorValues([1, 50 + Double(i % 3)])), topic: "ind.rsi", instrument: "X",
                         eventTime: Int64(i))
    }
    #expect(harness.published.count == 20)
}

@Test(arguments: [
    ("{\"detector\": \"lstm\"}", "'detector'"),
    ("{\"window\": 3}", "'window'"),
    ("{\"combination\": \"median\"}", "'combination'"),
    ("{\"alert_threshold\": 2}", "'alert_threshold'"),
    ("{\"windw\": 30}", "windw"),
    ("{\"record_span\": 0}", "'record_span'"),
])
func anomalyPluginRejectsBadConfig(config: String, named: String) {
    do {
        _ = try anomalyHarness(config)
        Issue.record("config \(config) was accepted")
    } catch {
        #expect("\(error)".contains(named), "\(error)")
    }
}

@Test func predictionPluginLearnsALinearRelationAndReportsRealisedErrors() throws {
    let harness = try PluginHarness(PredictionModelPlugin.self,
                                    config: "{\"features\": [\"close\"], \"mode\": \"value\", \"ridge\": 0.000001}",
                                    outputs: ["pred"], topics: ["bars.X.1m"])
    // close(t+1) = 0.5 × close(t) + 10: a fixed point at 20, approached from 100.
    var values: [Double] = [100]
    for _ in 0..<60 { values.append(0.5 * values[values.count - 1] + 10 + (values.count % 2 == 0 ? 0.25 : -0.25)) }
    try sendBars(harness, valueBars(values), topic: "bars.X.1m", symbol: "X")
    let signals = harness.published.compactMap { message -> Signal? in
        guard case .signal(let s) = message.payload else { return nil }
        return s
    }
    let realised = signals.filter { !$0.actual.isNaN }
    let pending = signals.filter { $0.actual.isNaN }
    #expect(pending.count == values.count)
    #expect(realised.count == values.count - 1)
    #expect(signals.allSatisfy { $0.kind == .prediction })
    #expect(realised.dropFirst(1).first?.horizonNanoseconds == 60_000_000_000)
    // Once learned, predictions are close to what happens next.
    let lastErrors = realised.suffix(10).map { abs($0.actual - $0.value) }
    #expect(lastErrors.allSatisfy { $0 < 0.6 }, "\(lastErrors)")
    #expect(harness.counter("predictions_realised") == Int64(realised.count))
}

@Test func predictionPluginPredictsReturnsFromIndicatorFields() throws {
    let harness = try PluginHarness(PredictionModelPlugin.self,
                                    config: "{\"features\": [\"ema20\", \"rsi14\"], \"target\": \"close\"}",
                                    outputs: ["pred"], topics: ["ind.set"])
    harness.setFields(["close", "ema20", "rsi14"], for: "ind.set")
    for i in 0..<30 {
        let close = 100 + Double(i)
        try harness.send(.values(try IndicatorValues([close, close - 1, 55])), topic: "ind.set", instrument: "X",
                         eventTime: Int64(i))
    }
    #expect(harness.counter("predictions_published") == 30)
    #expect(harness.counter("predictions_realised") == 29)
}

@Test(arguments: [
    ("{}", "'features'"),
    ("{\"features\": [\"close\"], \"mode\": \"level\"}", "'mode'"),
    ("{\"features\": [\"close\"], \"ridge\": 0}", "'ridge'"),
    ("{\"features\": [\"close\"], \"forgetting\": 1.5}", "'forgetting'"),
])
func predictionPluginRejectsBadConfig(config: String, named: String) {
    do {
        _ = try PluginHarness(PredictionModelPlugin.self, config: config, outputs: ["pred"], topics: ["bars.X.1m"])
        Issue.record("config \(config) was accepted")
    } catch {
        #expect("\(error)".contains(named), "\(error)")
    }
}
