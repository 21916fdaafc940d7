// The Prometheus text format, byte for byte: families, labels, escaping, numbers, names.
import BourseMetrics
import Testing

@Suite struct ExpositionTests {
    let snapshot = MetricsSnapshot(
        gauges: [
            GaugeSample(topic: "indicators.ema20", instrument: "SPY", field: "ema20", value: 412.25),
            GaugeSample(topic: "bars.SPY.1d", instrument: "SPY", field: "close", value: 413),
            GaugeSample(topic: "bars.QQQ.1d", instrument: "QQQ", field: "close", value: 0.1),
        ],
        eventTimes: [
            EventTimeSample(topic: "bars.SPY.1d", instrument: "SPY", seconds: 1_609_459_200),
            EventTimeSample(topic: "bars.QQQ.1d", instrument: "QQQ", seconds: 1_609_459_200.5),
        ],
        messageCounts: [TopicCount(topic: "bars.SPY.1d", count: 5030), TopicCount(topic: "bars.QQQ.1d", count: 12)])

    @Test func defaultLayoutIsExact() {
        let text = PrometheusExposition().render(snapshot)
        #expect(text == """
            # HELP bourse_value Latest value of a chosen field of the messages on a topic, per instrument.
            # TYPE bourse_value gauge
            bourse_value{topic="bars.QQQ.1d",instrument="QQQ",field="close"} 0.1
            bourse_value{topic="bars.SPY.1d",instrument="SPY",field="close"} 413
            bourse_value{topic="indicators.ema20",instrument="SPY",field="ema20"} 412.25
            # HELP bourse_last_event_time_seconds Event time of the latest message on a topic, per instrument, in seconds since the Unix epoch.
            # TYPE bourse_last_event_time_seconds gauge
            bourse_last_event_time_seconds{topic="bars.QQQ.1d",instrument="QQQ"} 1609459200.5
            bourse_last_event_time_seconds{topic="bars.SPY.1d",instrument="SPY"} 1609459200
            # HELP bourse_messages_total Messages received per topic.
            # TYPE bourse_messages_total counter
            bourse_messages_total{topic="bars.QQQ.1d"} 12
            bourse_messages_total{topic="bars.SPY.1d"} 5030

            """)
    }

    @Test func emptySnapshotHasTheFamiliesWithoutSamples() {
        let text = PrometheusExposition(prefix: "x:").render(MetricsSnapshot())
        #expect(text.split(separator: "\n").map(String.init) == [
            "# HELP x:value Latest value of a chosen field of the messages on a topic, per instrument.",
            "# TYPE x:value gauge",
            "# HELP x:last_event_time_seconds Event time of the latest message on a topic, per instrument, in seconds since the Unix epoch.",
            "# TYPE x:last_event_time_seconds gauge",
            "# HELP x:messages_total Messages received per topic.",
            "# TYPE x:messages_total counter",
        ])
        #expect(text.hasSuffix("counter\n"))
    }

    @Test func labelValuesAreEscaped() {
        #expect(PrometheusExposition.escapeLabelValue(#"a\b"c"# + "\nd") == #"a\\b\"c\nd"#)
        #expect(PrometheusExposition.escapeLabelValue("plain é ünïcode") == "plain é ünïcode")
        #expect(PrometheusExposition.escapeLabelValue("tab\there") == "tab\there")
        let text = PrometheusExposition().render(MetricsSnapshot(
            gauges: [GaugeSample(topic: "t", instrument: "we\"ird\\sym\nbol", field: "f", value: 1)]))
        #expect(text.contains(#"bourse_value{topic="t",instrument="we\"ird\\sym\nbol",field="f"} 1"# + "\n"))
        #expect(!text.contains("sym\nbol"))
    }

    @Test func helpTextEscapesBackslashAndNewlineOnly() {
        #expect(PrometheusExposition.escapeHelp("a\\b\n\"c\"") == "a\\\\b\\n\"c\"")
    }

    @Test func numbersAreGoFloats() {
        #expect(PrometheusExposition.formatNumber(.nan) == "NaN")
        #expect(PrometheusExposition.formatNumber(.infinity) == "+Inf")
        #expect(PrometheusExposition.formatNumber(-.infinity) == "-Inf")
        #expect(PrometheusExposition.formatNumber(0) == "0")
        #expect(PrometheusExposition.formatNumber(-0.0) == "0")
        #expect(PrometheusExposition.formatNumber(3) == "3")
        #expect(PrometheusExposition.formatNumber(-42) == "-42")
        #expect(PrometheusExposition.formatNumber(412.25) == "412.25")
        #expect(PrometheusExposition.formatNumber(0.00001) == "1e-05")
        #expect(PrometheusExposition.formatNumber(1e20) == "1e+20")
        #expect(PrometheusExposition.formatNumber(9_007_199_254_740_991) == "9007199254740991")
        // Every finite output reads back as the same double.
        for value in [0.1, 1.0 / 3.0, 123456.789, 6.02e23, -2.5e-300, 1e20] {
            #expect(Double(PrometheusExposition.formatNumber(value)) == value)
        }
    }

    @Test func nonFiniteValuesAreRendered() {
        let text = PrometheusExposition().render(MetricsSnapshot(gauges: [
            GaugeSample(topic: "t", instrument: "", field: "a", value: .nan),
            GaugeSample(topic: "t", instrument: "", field: "b", value: -.infinity),
        ]))
        #expect(text.contains(#"bourse_value{topic="t",instrument="",field="a"} NaN"#))
        #expect(text.contains(#"bourse_value{topic="t",instrument="",field="b"} -Inf"#))
    }

    @Test func perFieldFamiliesAreSanitised() {
        let exposition = PrometheusExposition(prefix: "bourse_", perFieldMetrics: true)
        #expect(exposition.family(ofField: "close") == "bourse_close")
        #expect(exposition.family(ofField: "anomaly.score") == "bourse_anomaly_score")
        #expect(exposition.family(ofField: "macd-signal") == "bourse_macd_signal")
        #expect(exposition.family(ofField: "messages_total") == "bourse_messages_total_value")
        #expect(exposition.family(ofField: "last_event_time_seconds") == "bourse_last_event_time_seconds_value")
        let text = exposition.render(MetricsSnapshot(gauges: [
            GaugeSample(topic: "t", instrument: "SPY", field: "a.b", value: 1),
            GaugeSample(topic: "t", instrument: "SPY", field: "a-b", value: 2),
            GaugeSample(topic: "t", instrument: "SPY", field: "close", value: 3),
        ]))
        #expect(text.hasPrefix("""
            # HELP bourse_a_b Latest value of field "a-b", "a.b" of the messages on a topic, per instrument.
            # TYPE bourse_a_b gauge
            bourse_a_b{topic="t",instrument="SPY",field="a-b"} 2
            bourse_a_b{topic="t",instrument="SPY",field="a.b"} 1
            # HELP bourse_close Latest value of field "close" of the messages on a topic, per instrument.
            # TYPE bourse_close gauge
            bourse_close{topic="t",instrument="SPY",field="close"} 3
            # HELP bourse_last_event_time_seconds
            """))
        #expect(!text.contains("bourse_value"))
    }

    @Test func metricNames() {
        #expect(MetricName.isValid("bourse_value"))
        #expect(MetricName.isValid("a:b_c9"))
        #expect(MetricName.isValid("_x"))
        #expect(!MetricName.isValid(""))
        #expect(!MetricName.isValid("9lives"))
        #expect(!MetricName.isValid("a-b"))
        #expect(!MetricName.isValid("a.b"))
        #expect(!MetricName.isValid("é"))
        #expect(MetricName.isValidPrefix(""))
        #expect(!MetricName.isValidPrefix("bourse-"))
        #expect(MetricName.sanitised("ema.20") == "ema_20")
        #expect(MetricName.sanitised("20d") == "_20d")
        #expect(MetricName.sanitised("") == "_")
        #expect(MetricName.sanitised("é") == "__")
        #expect(MetricName.sanitised("ok:name_1") == "ok:name_1")
        for text in ["ema.20", "20d", "", "é", "a b\n\"c\""] {
            #expect(MetricName.isValid(MetricName.sanitised(text)))
        }
    }
}
