// The prometheus exporter through the SDK's harness: config checks, then messages in, scrapes over a socket.
import BourseMetrics
import BourseSDK
import BourseSDKTesting
import PrometheusPluginKit
import Testing
import TestSupport

/// The port from the plugin's "serving http://127.0.0.1:PORT/metrics" log line.
private func servedPort(_ harness: PluginHarness) throws -> UInt16 {
    for line in harness.logs where line.message.hasPrefix("prometheus: serving http://127.0.0.1:") {
        let rest = line.message.dropFirst("prometheus: serving http://127.0.0.1:".count)
        if let port = UInt16(rest.prefix { $0.isNumber }) { return port }
    }
    throw PluginError("no 'serving' log line in \(harness.logs.map(\.message))")
}

/// Samples of an exposition by series ("name{labels}" → value text); checks every line's shape.
private func samples(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else {
            Issue.record("sample line without a value: \(line)")
            continue
        }
        out[String(line[..<space])] = String(line[line.index(after: space)...])
    }
    return out
}

private func makeHarness(_ config: String = #"{"listen": "127.0.0.1:0"}"#) throws -> PluginHarness {
    try PluginHarness(PrometheusExporter.self, config: config, outputs: [])
}

@Suite struct PrometheusExporterConfigTests {
    @Test func asksForNetworkAndThreads() {
        #expect(PrometheusExporter.permissions == [.network, .threads])
        #expect(PrometheusExporter.name == "prometheus")
    }

    @Test(arguments: [
        (#"{"listen": "localhost:9464"}"#,
         #"prometheus: config key 'listen': invalid listen address "localhost:9464": 'localhost' is not a numeric IPv4 address"#),
        (#"{"listen": "127.0.0.1:70000"}"#, "the port '70000' must be a number from 0 to 65535"),
        (#"{"listen": 9464}"#, "config key 'listen' must be a string"),
        (#"{"prefix": "bourse-"}"#, #"prometheus: config key 'prefix' "bourse-" is not a valid metric name start"#),
        (#"{"fields": []}"#, "prometheus: config key 'fields': 'fields' is empty"),
        (#"{"fields": "close"}"#, "config key 'fields' must be an array of strings"),
        (#"{"timeout_ms": 0}"#, "prometheus: config key 'timeout_ms' must be 10...600000, got 0"),
        (#"{"max_series": 0}"#, "prometheus: config key 'max_series' must be 1...10000000, got 0"),
        (#"{"port": 9464}"#, "unknown config key 'port'"),
    ])
    func badConfigIsRefused(config: String, message: String) {
        #expect {
            _ = try makeHarness(config)
        } throws: { error in
            (error as? PluginError)?.message.contains(message) == true
        }
    }

    @Test func busyPortFailsStartWithTheAddress() throws {
        let first = try makeHarness()
        try first.start()
        let port = try servedPort(first)
        let second = try makeHarness(#"{"listen": "127.0.0.1:\#(port)"}"#)
        #expect {
            try second.start()
        } throws: { error in
            (error as? PluginError)?.message == "prometheus: cannot bind 127.0.0.1:\(port): Address already in use"
        }
        try first.stop()
    }
}

@Suite struct PrometheusExporterScrapeTests {
    @Test func latestValuesCountsAndLabelsAreServed() throws {
        let harness = try makeHarness(#"{"listen": "127.0.0.1:0", "fields": ["close", "ema20", "alert.score", "severity", "anomaly_score"]}"#)
        harness.setFields(["ema20"], for: "indicators.ema20")
        harness.setFields(["anomaly_score", "confidence", "raw"], for: "models.scores")
        try harness.start()
        let port = try servedPort(harness)

        // Before any message: the families, no samples.
        let empty = try HTTPTestClient.get(port: port)
        #expect(empty.status == 200)
        #expect(samples(empty.body).isEmpty)

        let bar = { (close: Double) in Payload.bar(Bar(open: 1, high: close + 1, low: 0.5, close: close, volume: 100)) }
        try harness.send(bar(410), topic: "bars.SPY.1d", instrument: "SPY", eventTime: 1_000_000_000)
        try harness.send(bar(412.5), topic: "bars.SPY.1d", instrument: "SPY", eventTime: 2_000_000_000)
        try harness.send(bar(300), topic: "bars.QQQ.1d", instrument: "QQQ", eventTime: 2_000_000_000)
        try harness.send(.values(try IndicatorValues([411.75])), topic: "indicators.ema20", instrument: "SPY", eventTime: 2_000_000_000)
        try harness.send(.values(try IndicatorValues([0.9, 0.5, 7])), topic: "models.scores", instrument: "SPY", eventTime: 2_000_000_000)
        try harness.send(.alert(Alert(score: 0.97, severity: .critical, code: 2, reason: "out of range")),
                         topic: "models.alerts", instrument: "SPY", eventTime: 2_000_000_000)
        try harness.send(.signal(Signal(value: 1, confidence: 0.5)), topic: "models.signals", instrument: "SPY", eventTime: 3_000_000_000)
        try harness.send(.bytes([1, 2, 3]), topic: "raw", eventTime: 3_500_000_000)

        let response = try HTTPTestClient.get(port: port)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(samples(response.body) == [
            #"bourse_value{topic="bars.QQQ.1d",instrument="QQQ",field="close"}"#: "300",
            #"bourse_value{topic="bars.SPY.1d",instrument="SPY",field="close"}"#: "412.5",
            #"bourse_value{topic="indicators.ema20",instrument="SPY",field="ema20"}"#: "411.75",
            #"bourse_value{topic="models.alerts",instrument="SPY",field="score"}"#: "0.97",
            #"bourse_value{topic="models.alerts",instrument="SPY",field="severity"}"#: "2",
            #"bourse_value{topic="models.scores",instrument="SPY",field="anomaly_score"}"#: "0.9",
            #"bourse_last_event_time_seconds{topic="bars.QQQ.1d",instrument="QQQ"}"#: "2",
            #"bourse_last_event_time_seconds{topic="bars.SPY.1d",instrument="SPY"}"#: "2",
            #"bourse_last_event_time_seconds{topic="indicators.ema20",instrument="SPY"}"#: "2",
            #"bourse_last_event_time_seconds{topic="models.alerts",instrument="SPY"}"#: "2",
            #"bourse_last_event_time_seconds{topic="models.scores",instrument="SPY"}"#: "2",
            #"bourse_last_event_time_seconds{topic="models.signals",instrument="SPY"}"#: "3",
            #"bourse_last_event_time_seconds{topic="raw",instrument=""}"#: "3.5",
            #"bourse_messages_total{topic="bars.QQQ.1d"}"#: "1",
            #"bourse_messages_total{topic="bars.SPY.1d"}"#: "2",
            #"bourse_messages_total{topic="indicators.ema20"}"#: "1",
            #"bourse_messages_total{topic="models.alerts"}"#: "1",
            #"bourse_messages_total{topic="models.scores"}"#: "1",
            #"bourse_messages_total{topic="models.signals"}"#: "1",
            #"bourse_messages_total{topic="raw"}"#: "1",
        ])
        #expect(response.body.hasPrefix("# HELP bourse_value "))

        // A later value replaces the earlier one.
        try harness.send(bar(415), topic: "bars.SPY.1d", instrument: "SPY", eventTime: 4_000_000_000)
        let later = samples(try HTTPTestClient.get(port: port).body)
        #expect(later[#"bourse_value{topic="bars.SPY.1d",instrument="SPY",field="close"}"#] == "415")
        #expect(later[#"bourse_messages_total{topic="bars.SPY.1d"}"#] == "3")

        #expect(try HTTPTestClient.get(port: port, path: "/").status == 404)
        #expect(harness.counter("messages_seen") == 9)
        #expect(harness.counter("scrapes_served") == 3)
        #expect(harness.counter("requests_refused") == 1)
        try harness.stop()
        #expect(throws: HTTPTestClient.Failure.self) { _ = try HTTPTestClient.get(port: port) }
    }

    @Test func everyFieldByDefaultAndPerFieldFamilies() throws {
        let harness = try makeHarness(#"{"listen": "127.0.0.1:0", "prefix": "md_", "per_field_metrics": true}"#)
        harness.setFields(["macd", "macd.signal"], for: "ind")
        try harness.start()
        try harness.send(.values(try IndicatorValues([1.5, -0.25, 3])), topic: "ind", instrument: "A\"B", eventTime: 0)
        try harness.send(.quote(Quote(bidPrice: 9.5, bidSize: 1, askPrice: .nan, askSize: 0)), topic: "q", instrument: "X", eventTime: 0)
        let body = try HTTPTestClient.get(port: try servedPort(harness)).body
        let got = samples(body)
        #expect(got[#"md_macd{topic="ind",instrument="A\"B",field="macd"}"#] == "1.5")
        #expect(got[#"md_macd_signal{topic="ind",instrument="A\"B",field="macd.signal"}"#] == "-0.25")
        #expect(got[#"md_v2{topic="ind",instrument="A\"B",field="v2"}"#] == "3")
        #expect(got[#"md_ask_price{topic="q",instrument="X",field="ask_price"}"#] == "NaN")
        #expect(body.contains("# TYPE md_macd_signal gauge\n"))
        try harness.stop()
    }

    @Test func scrapesWhileMessagesFlowSeeGrowingCounts() async throws {
        let harness = try makeHarness(#"{"listen": "127.0.0.1:0", "fields": ["close"]}"#)
        try harness.start()
        let port = try servedPort(harness)
        let scraper = Task.detached { () throws -> [Int] in
            var counts: [Int] = []
            for _ in 0..<20 {
                let response = try HTTPTestClient.get(port: port)
                guard response.status == 200 else { throw PluginError("status \(response.status)") }
                counts.append(Int(samples(response.body)[#"bourse_messages_total{topic="bars"}"#] ?? "0") ?? -1)
            }
            return counts
        }
        let topic = harness.topic("bars"), instrument = harness.instrument("SPY")
        for batch in 0..<200 {
            try harness.send((0..<50).map { i in
                Message(topic: topic, instrument: instrument, eventTime: Int64(batch * 50 + i),
                        payload: .bar(Bar(open: 1, high: 1, low: 1, close: Double(batch * 50 + i), volume: 1)))
            })
        }
        let counts = try await scraper.value
        #expect(counts.count == 20)
        #expect(counts == counts.sorted())                       // never goes back
        #expect(counts.allSatisfy { $0 % 50 == 0 && $0 <= 10_000 }) // a batch is applied whole
        let final = samples(try HTTPTestClient.get(port: port).body)
        #expect(final[#"bourse_messages_total{topic="bars"}"#] == "10000")
        #expect(final[#"bourse_value{topic="bars",instrument="SPY",field="close"}"#] == "9999")
        try harness.stop()
    }
}
