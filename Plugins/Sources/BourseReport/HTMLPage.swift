// The self-contained HTML page: title, counts table, one chart per instrument.
import BourseCommon

extension Report {
    /// The whole page: inline CSS, a table of counts, one SVG chart per
    /// instrument (sorted by symbol). Nothing external (no scripts, styles,
    /// fonts or images) and no generation time, so the same input gives the
    /// same bytes. The page is well-formed XML (XHTML syntax).
    public func html() -> String {
        let instruments = sortedInstruments
        var out = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(escapeXML(settings.title))</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; background: #fff; }
            h1 { font-size: 22px; margin: 0 0 12px; }
            h2 { font-size: 17px; margin: 28px 0 4px; }
            table.counts { border-collapse: collapse; font-size: 13px; }
            table.counts th, table.counts td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
            table.counts th:first-child, table.counts td:first-child { text-align: left; }
            table.counts tr.total td { font-weight: 600; border-top: 2px solid #999; }
            .legend { font-size: 13px; margin: 2px 0 6px; }
            .legend span { display: inline-block; margin-right: 14px; }
            .legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 4px; }
            svg.chart { max-width: 100%; height: auto; }
            svg .frame { fill: #fcfcfc; stroke: #ccc; }
            svg .grid { stroke: #eee; }
            svg .axis { font-size: 11px; fill: #555; }
            svg .series { fill: none; stroke-width: 1.2; stroke-linejoin: round; }
            svg .anomaly { fill: #f39c12; fill-opacity: 0.85; stroke: #7a4a00; stroke-width: 1; }
            svg .anomaly.critical { fill: #d62728; stroke: #600; }
            p.note { font-size: 12px; color: #666; }
            </style>
            </head>
            <body>
            <h1>\(escapeXML(settings.title))</h1>

            """
        out += countsTable(instruments)
        out += "<p class=\"note\">Lines: \(escapeXML(([settings.priceName] + settings.series + settings.lowerSeries).joined(separator: ", "))). "
            + "Circles: anomaly alerts (red: critical); hover one for its score and reason. "
            + "At most \(settings.maxPoints) points per line (each bucket of consecutive bars keeps its lowest and highest point); gaps in the data break the lines.</p>\n"
        for instrument in instruments {
            let chart = SVGChart(instrument, settings: settings)
            out += "<h2 id=\"\(escapeXML(anchor(instrument.symbol)))\">\(escapeXML(instrument.symbol))</h2>\n"
            out += "<div class=\"legend\">"
            for (index, name) in (chart.priceSeries + chart.lowerSeries).enumerated() {
                out += "<span><i style=\"background: \(SVGChart.palette[index % SVGChart.palette.count])\"></i>\(escapeXML(name))</span>"
            }
            out += "</div>\n" + chart.render() + "\n"
        }
        return out + "</body>\n</html>\n"
    }

    /// The table: per instrument bars, dates, last price, anomalies by severity; a total row.
    func countsTable(_ instruments: [InstrumentReport]) -> String {
        var out = "<table class=\"counts\">\n<tr><th>instrument</th><th>bars</th><th>first</th><th>last</th>"
            + "<th>last \(escapeXML(settings.priceName))</th><th>anomalies</th><th>critical</th></tr>\n"
        func date(_ t: Int64?) -> String { t.map { String(UTCTimestamp.iso8601($0).prefix(10)) } ?? "" }
        for i in instruments {
            out += "<tr><td><a href=\"#\(escapeXML(anchor(i.symbol)))\">\(escapeXML(i.symbol))</a></td><td>\(i.bars)</td>"
                + "<td>\(date(i.firstTime))</td><td>\(date(i.lastTime))</td><td>\(i.lastPrice.map { fixed($0, 2) } ?? "")</td>"
                + "<td>\(i.alertCount)</td><td>\(i.alerts["critical"] ?? 0)</td></tr>\n"
        }
        let bars = instruments.map(\.bars).reduce(0, +), alerts = instruments.map(\.alertCount).reduce(0, +)
        let critical = instruments.map { $0.alerts["critical"] ?? 0 }.reduce(0, +)
        out += "<tr class=\"total\"><td>total</td><td>\(bars)</td><td></td><td></td><td></td><td>\(alerts)</td><td>\(critical)</td></tr>\n"
        return out + "</table>\n"
    }

    /// An id for a symbol: characters outside `[A-Za-z0-9_-]` become `_`.
    func anchor(_ symbol: String) -> String {
        "i-" + anchorID(symbol)
    }
}
