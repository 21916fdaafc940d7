// The `html-report` exporter and its BourseReport model: well-formed page, every series and marker, bounds, determinism.
@testable import BourseReport
import BourseSDK
import BourseSDKTesting
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HTMLReportPluginKit
import Testing
import TestSupport

/// Collects the structure of an XML document with Foundation's parser.
final class XMLOutline: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var titles: [String] = []
    private var text = ""
    private var inTitle = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        if name == "title" { inTitle = true; text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inTitle { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" { titles.append(text); inTitle = false }
    }

    /// Parses `text`; throws the parser's error when it is not well-formed XML.
    static func parse(_ text: String) throws -> XMLOutline {
        let outline = XMLOutline()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = outline
        guard parser.parse() else {
            throw parser.parserError ?? CocoaError(.fileReadCorruptFile)
        }
        return outline
    }
}

private let day: Int64 = 86_400_000_000_000
private let jan3: Int64 = 1_325_548_800_000_000_000

/// A harness with two instruments' bars, an indicator topic, anomaly scores and alerts.
func reportHarness(_ config: String) throws -> PluginHarness {
    let h = try PluginHarness(HTMLReporter.self, config: config, outputs: [],
                              topics: ["bars.SPY.1d", "bars.QQQ.1d", "ind.set", "models.anomaly.scores", "models.anomaly.alerts"])
    h.setFields(["ema20", "bb_upper", "bb_lower", "rsi14"], for: "ind.set")
    h.setFields(["anomaly_score", "confidence", "raw"], for: "models.anomaly.scores")
    return h
}

/// Sends `count` bars per instrument (a sine with a spike at bar 50) with indicators, scores and two alerts for SPY.
func feedReport(_ h: PluginHarness, count: Int = 120) throws {
    for symbol in ["SPY", "QQQ"] {
        let base = symbol == "SPY" ? 100.0 : 50.0
        var messages: [Message] = []
        for i in 0..<count {
            let close = base + 5 * sin(Double(i) / 7) + (i == 50 ? 30 : 0)
            let t = jan3 + Int64(i) * day
            messages.append(Message(topic: h.topic("bars.\(symbol).1d"), instrument: h.instrument(symbol), eventTime: t,
                                    payload: .bar(Bar(open: close, high: close + 1, low: close - 1, close: close, volume: 1000))))
            messages.append(Message(topic: h.topic("ind.set"), instrument: h.instrument(symbol), eventTime: t,
                                    payload: .values(try IndicatorValues(i < 19 ? [.nan, .nan, .nan, .nan]
                                                                            : [close - 1, close + 3, close - 3, 50 + Double(i % 10)]))))
            messages.append(Message(topic: h.topic("models.anomaly.scores"), instrument: h.instrument(symbol), eventTime: t,
                                    payload: .values(try IndicatorValues([i == 50 ? 0.99 : 0.1, 0.9, 1]))))
        }
        try h.send(messages)
    }
    try h.send(.alert(Alert(score: 0.99, severity: .critical, code: 2, reason: "value outside the range seen so far: close=<130>")),
               topic: "models.anomaly.alerts", instrument: "SPY", eventTime: jan3 + 50 * day)
    try h.send(.alert(Alert(score: 0.75, severity: .warning, code: 3, reason: "deviation & \"drift\"")),
               topic: "models.anomaly.alerts", instrument: "SPY", eventTime: jan3 + 80 * day)
}

@Test func htmlReportIsWellFormedWithEverySeriesAndMarker() throws {
    let dir = try TestData.temporaryDirectory("bourse-report")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("out/report.html").path
    let h = try reportHarness(#"{"path": \#(JSONValue.quoted(path)), "title": "Demo <daily>", "series": ["ema20", "bb_upper", "bb_lower"], "lower_series": ["rsi14", "anomaly_score"]}"#)
    try feedReport(h)
    try h.flush()
    try h.stop()
    let page = try String(contentsOfFile: path, encoding: .utf8)
    let outline = try XMLOutline.parse(page)

    // Self-contained: no scripts, no external resources.
    #expect(!outline.elements.contains { ["script", "link", "img", "iframe", "object"].contains($0.name) })
    #expect(!page.contains("http://") || !page.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
    #expect(!page.contains("https://") && !page.replacingOccurrences(of: "url(#", with: "").contains("url("))

    // One chart per instrument, sorted, each with every series.
    let charts = outline.elements.filter { $0.name == "svg" }
    #expect(charts.count == 2)
    #expect(outline.elements.filter { $0.name == "h2" }.map { $0.attributes["id"] } == ["i-QQQ", "i-SPY"])
    let lines = outline.elements.filter { $0.name == "polyline" }.map { $0.attributes["data-series"] ?? "" }
    #expect(lines == Array(repeating: ["close", "ema20", "bb_upper", "bb_lower", "rsi14", "anomaly_score"], count: 2).flatMap { $0 })
    for line in outline.elements.filter({ $0.name == "polyline" }) {
        let points = (line.attributes["points"] ?? "").split(separator: " ")
        #expect(points.count >= 100 && points.allSatisfy { $0.split(separator: ",").count == 2 })
    }

    // Both SPY alerts, as circles with the score and reason in their title; none for QQQ.
    let circles = outline.elements.filter { $0.name == "circle" }
    #expect(circles.map { $0.attributes["class"] } == ["anomaly critical", "anomaly warning"])
    #expect(outline.titles.contains("2012-02-22 · critical · score 0.990 · value outside the range seen so far: close=<130>"))
    #expect(outline.titles.contains("2012-03-23 · warning · score 0.750 · deviation & \"drift\""))
    #expect(outline.titles.contains("Demo <daily>"))
    // The critical marker sits on the spike: the highest point of SPY's close line.
    let spyClose = outline.elements.filter { $0.name == "polyline" && $0.attributes["data-series"] == "close" }[1]
    let ys = (spyClose.attributes["points"] ?? "").split(separator: " ").compactMap { Double($0.split(separator: ",")[1]) }
    #expect(circles.first?.attributes["cy"].flatMap(Double.init) == ys.min())

    // The counts table.
    #expect(page.contains("<td><a href=\"#i-SPY\">SPY</a></td><td>120</td><td>2012-01-03</td><td>2012-05-01</td>"))
    #expect(page.contains("<tr class=\"total\"><td>total</td><td>240</td><td></td><td></td><td></td><td>2</td><td>1</td></tr>"))
    #expect(h.counter("bars") == 240 && h.counter("alerts") == 2 && h.counter("reports_written") == 1)
    #expect(h.logs.contains { $0.message.contains("SPY: 120 bars 2012-01-03…2012-05-01, 2 anomalies (1 critical)") })
}

@Test func htmlReportIsDeterministicAndBounded() throws {
    let dir = try TestData.temporaryDirectory("bourse-report")
    defer { try? FileManager.default.removeItem(at: dir) }
    var pages: [String] = []
    for run in 0..<2 {
        let path = dir.appendingPathComponent("r\(run).html").path
        let h = try reportHarness(#"{"path": \#(JSONValue.quoted(path)), "series": ["ema20"], "max_points": 40, "max_markers": 1}"#)
        try feedReport(h, count: 1000)
        try h.stop()
        pages.append(try String(contentsOfFile: path, encoding: .utf8))
    }
    #expect(pages[0] == pages[1])
    let outline = try XMLOutline.parse(pages[0])
    for line in outline.elements.filter({ $0.name == "polyline" }) {
        #expect((line.attributes["points"] ?? "").split(separator: " ").count <= 40)
    }
    // Only the highest-scoring marker is kept, but both alerts are counted.
    #expect(outline.elements.filter { $0.name == "circle" }.map { $0.attributes["class"] } == ["anomaly critical"])
    #expect(pages[0].contains("<td>2</td><td>1</td></tr>"))
}

@Test func downsamplingKeepsExtremesAndIsBounded() {
    var series = DownsampledSeries(capacity: 16)
    for i in 0..<1000 {
        series.append(time: Int64(i), value: i == 777 ? 1e6 : i == 333 ? -1e6 : Double(i % 13))
    }
    #expect(series.points.count <= 16)
    #expect(series.appended == 1000)
    #expect(series.points.contains(SeriesPoint(time: 777, value: 1e6)))
    #expect(series.points.contains(SeriesPoint(time: 333, value: -1e6)))
    #expect(series.points.map(\.time) == series.points.map(\.time).sorted())
    #expect(series.value(at: 777) == 1e6)
}

@Test func downsamplingStaysEvenlySpaced() {
    var series = DownsampledSeries(capacity: 64)
    for i in 0..<5000 { series.append(time: Int64(i), value: Double((i * 7919) % 101)) }
    let points = series.points
    #expect(points.count <= 64 && points.count >= 32)
    // Every bucket holds `bucketSize` bars, so no two kept points are more than two buckets apart.
    let gaps = zip(points.dropFirst(), points).map { $0.time - $1.time }
    #expect(gaps.max()! < 2 * Int64(series.bucketSize))
    #expect(points.first!.time < Int64(series.bucketSize) && points.last!.time > 5000 - Int64(series.bucketSize))
}

@Test func linesBreakWhereDataIsMissing() {
    let daily = (0..<10).map { SeriesPoint(time: Int64($0), value: 1) } + (500..<510).map { SeriesPoint(time: Int64($0), value: 2) }
    #expect(SVGChart.segments(daily).map(\.count) == [10, 10])
    #expect(SVGChart.segments(Array(daily.prefix(10))).map(\.count) == [10])
    #expect(SVGChart.segments([SeriesPoint(time: 5, value: 1)]).map(\.count) == [1])
    // A decimated line's uneven spacing is not a gap.
    var series = DownsampledSeries(capacity: 64)
    for i in 0..<5000 { series.append(time: Int64(i) * 86_400, value: Double((i * 7919) % 101)) }
    #expect(SVGChart.segments(series.points).count == 1)
}

@Test func numbersAndTextAreFormattedExactly() {
    #expect(fixed(1.25, 1) == "1.3" && fixed(-0.04, 1) == "0.0" && fixed(-2.5, 0) == "-3" && fixed(3, 2) == "3.00")
    #expect(fixed(0.0501, 3) == "0.050" && fixed(1234.5678, 2) == "1234.57")
    #expect(escapeXML("a<b & \"c\" 'd'>\u{1}") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt; ")
}

@Test func htmlReportConfigurationErrors() {
    for config in [
        #"{}"#, #"{"path": ""}"#, #"{"path": "out/"}"#, #"{"path": "r.html", "price": "vwap"}"#,
        #"{"path": "r.html", "series": ["ema20", "ema20"]}"#, #"{"path": "r.html", "series": "ema20"}"#,
        #"{"path": "r.html", "max_points": 3}"#, #"{"path": "r.html", "max_markers": -1}"#, #"{"path": "r.html", "width": 3}"#,
    ] {
        #expect(throws: PluginError.self, "\(config)") { try reportHarness(config) }
    }
}

@Test func htmlReportUnwritablePathIsAnError() throws {
    let h = try reportHarness(#"{"path": "/proc/self/bourse/report.html"}"#)
    try h.send(.bar(Bar(open: 1, high: 1, low: 1, close: 1, volume: 1)), topic: "bars.SPY.1d", instrument: "SPY", eventTime: 0)
    #expect { try h.flush() } throws: { error in
        (error as? PluginError)?.message.contains("html-report: cannot create") == true
    }
}
