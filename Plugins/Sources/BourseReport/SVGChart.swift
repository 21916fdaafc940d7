// One instrument's chart as inline SVG: price panel, optional lower panel, anomaly markers.
import BourseCommon

/// Draws an ``InstrumentReport`` as an SVG element (no scripts, no external
/// resources). Coordinates are rounded to 0.1 px, so output is the same for
/// the same input.
public struct SVGChart {
    /// Width of the drawing, px.
    public static let width = 960.0
    /// Height of the price panel, px.
    public static let priceHeight = 300.0
    /// Height of the lower panel, px.
    public static let lowerHeight = 110.0
    /// Left margin for the value labels, px.
    static let left = 64.0
    /// Right margin, px.
    static let right = 12.0
    /// Space above a panel, px.
    static let top = 14.0
    /// Space below the last panel for the date labels, px.
    static let bottom = 26.0
    /// Line colours, in series order (price first).
    public static let palette = ["#1f4e79", "#e07b00", "#2a9d3a", "#8e44ad", "#c0392b", "#16a3b5", "#7f8c8d", "#b8860b"]

    let instrument: InstrumentReport
    let settings: ReportSettings

    /// A chart of `instrument`.
    public init(_ instrument: InstrumentReport, settings: ReportSettings) {
        self.instrument = instrument
        self.settings = settings
    }

    /// The series names of the price panel that have points, price first.
    var priceSeries: [String] {
        ([settings.priceName] + settings.series).filter { instrument.series[$0] != nil }
    }

    /// The series names of the lower panel that have points.
    var lowerSeries: [String] {
        settings.lowerSeries.filter { instrument.series[$0] != nil }
    }

    /// The `<svg>` element.
    public func render() -> String {
        let lower = lowerSeries
        let height = SVGChart.top + SVGChart.priceHeight + (lower.isEmpty ? 0 : SVGChart.top + SVGChart.lowerHeight) + SVGChart.bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(fixed(SVGChart.width, 0))\" "
            + "height=\"\(fixed(height, 0))\" viewBox=\"0 0 \(fixed(SVGChart.width, 0)) \(fixed(height, 0))\" role=\"img\">\n"
        out += "<title>\(escapeXML(instrument.symbol)): \(escapeXML(priceSeries.joined(separator: ", ")))</title>\n"
        let all = priceSeries + lower
        let times = all.compactMap { instrument.series[$0]?.points }.flatMap { [$0.first?.time, $0.last?.time] }.compactMap { $0 }
        guard let t0 = times.min(), let t1 = times.max() else {
            return out + "<text x=\"\(fixed(SVGChart.left, 1))\" y=\"40\">no data</text>\n</svg>"
        }
        let x = TimeScale(t0: t0, t1: t1, x0: SVGChart.left, x1: SVGChart.width - SVGChart.right)
        let priceTop = SVGChart.top, priceBottom = SVGChart.top + SVGChart.priceHeight
        out += panel(priceSeries, colourOffset: 0, top: priceTop, bottom: priceBottom, x: x, markers: true)
        var axisY = priceBottom
        if !lower.isEmpty {
            let lowerTop = priceBottom + SVGChart.top
            axisY = lowerTop + SVGChart.lowerHeight
            out += panel(lower, colourOffset: priceSeries.count, top: lowerTop, bottom: axisY, x: x, markers: false)
        }
        for tick in x.ticks(count: 6) {
            out += "<text class=\"axis\" x=\"\(fixed(x.position(tick), 1))\" y=\"\(fixed(axisY + 16, 1))\" "
                + "text-anchor=\"middle\">\(UTCTimestamp.iso8601(tick).prefix(10))</text>\n"
        }
        return out + "</svg>"
    }

    /// One panel: frame, grid and value labels, the lines, and (price panel) the markers.
    func panel(_ names: [String], colourOffset: Int, top: Double, bottom: Double, x: TimeScale, markers: Bool) -> String {
        // The first line sets the scale; the others widen it by at most a quarter
        // of its span on each side (beyond, they are clipped to the panel), so a
        // band that explodes after a split does not flatten the price.
        let ranges = names.compactMap { instrument.series[$0]?.range }
        var low = ranges.first?.min ?? 0, high = ranges.first?.max ?? 1
        let margin = (high - low) * 0.25
        for range in ranges.dropFirst() {
            low = min(low, max(range.min, low - margin))
            high = max(high, min(range.max, high + margin))
        }
        if high - low < 1e-12 * max(1, abs(high)) { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.04
        let y = ValueScale(v0: low - pad, v1: high + pad, y0: bottom, y1: top)
        let frame = "x=\"\(fixed(SVGChart.left, 1))\" y=\"\(fixed(top, 1))\" "
            + "width=\"\(fixed(SVGChart.width - SVGChart.left - SVGChart.right, 1))\" height=\"\(fixed(bottom - top, 1))\""
        let clip = "clip-\(anchorID(instrument.symbol))-\(colourOffset)"
        var out = "<clipPath id=\"\(clip)\"><rect \(frame)/></clipPath>\n<rect class=\"frame\" \(frame)/>\n"
        for value in y.ticks(count: 5) {
            let py = fixed(y.position(value), 1)
            out += "<line class=\"grid\" x1=\"\(fixed(SVGChart.left, 1))\" x2=\"\(fixed(SVGChart.width - SVGChart.right, 1))\" "
                + "y1=\"\(py)\" y2=\"\(py)\"/>\n"
            out += "<text class=\"axis\" x=\"\(fixed(SVGChart.left - 6, 1))\" y=\"\(py)\" text-anchor=\"end\" "
                + "dominant-baseline=\"middle\">\(label(value, step: y.tickStep))</text>\n"
        }
        for (index, name) in names.enumerated() {
            guard let series = instrument.series[name] else { continue }
            let colour = SVGChart.palette[(colourOffset + index) % SVGChart.palette.count]
            for segment in SVGChart.segments(series.points) {
                let points = segment.map { "\(fixed(x.position($0.time), 1)),\(fixed(y.position($0.value), 1))" }
                out += "<polyline class=\"series\" clip-path=\"url(#\(clip))\" data-series=\"\(escapeXML(name))\" "
                    + "stroke=\"\(colour)\" points=\"\(points.joined(separator: " "))\"><title>\(escapeXML(name))</title></polyline>\n"
            }
        }
        guard markers, let price = instrument.series[settings.priceName] else { return out }
        for marker in instrument.markers.sorted(by: { ($0.time, $0.score) < ($1.time, $1.score) }) {
            guard let value = price.value(at: marker.time) else { continue }
            let tip = "\(UTCTimestamp.iso8601(marker.time).prefix(10)) · \(marker.severity) · score "
                + "\(fixed(marker.score, 3)) · \(marker.reason)"
            out += "<circle class=\"anomaly \(escapeXML(marker.severity))\" cx=\"\(fixed(x.position(marker.time), 1))\" "
                + "cy=\"\(fixed(y.position(value), 1))\" r=\"5\"><title>\(escapeXML(tip))</title></circle>\n"
        }
        return out
    }
}

extension SVGChart {
    /// The points split where data is missing, so no straight line is drawn
    /// across years without data (a ticker that left the feed): at every gap
    /// longer than 50 times the line's mean spacing without its largest gap.
    /// Decimated lines have uneven spacing (a run's lowest and highest point
    /// may be neighbours or three bars apart), so the mean, not the median.
    static func segments(_ points: [SeriesPoint]) -> [ArraySlice<SeriesPoint>] {
        guard points.count > 2, let first = points.first, let last = points.last else { return [points[...]] }
        var largest: Int64 = 0
        for i in 1..<points.count { largest = max(largest, points[i].time - points[i - 1].time) }
        let mean = Double(last.time - first.time - largest) / Double(points.count - 2)
        let limit = 50 * max(mean, 1)
        let threshold = limit < 9e18 ? Int64(limit) : Int64.max
        var result: [ArraySlice<SeriesPoint>] = []
        var start = 0
        for i in 1..<points.count where points[i].time - points[i - 1].time > threshold {
            result.append(points[start..<i])
            start = i
        }
        result.append(points[start...])
        return result
    }
}

/// Event time → x.
struct TimeScale {
    let t0: Int64, t1: Int64, x0: Double, x1: Double

    func position(_ t: Int64) -> Double {
        t1 == t0 ? (x0 + x1) / 2 : x0 + (x1 - x0) * Double(t - t0) / Double(t1 - t0)
    }

    /// `count` evenly spaced times from t0 to t1 (one when t0 == t1).
    func ticks(count: Int) -> [Int64] {
        guard t1 > t0, count > 1 else { return [t0] }
        return (0..<count).map { t0 + Int64((Double(t1 - t0) * Double($0) / Double(count - 1)).rounded()) }
    }
}

/// Value → y, with "nice" ticks (1, 2 or 5 × 10ⁿ).
struct ValueScale {
    let v0: Double, v1: Double, y0: Double, y1: Double

    func position(_ v: Double) -> Double { y0 + (y1 - y0) * (v - v0) / (v1 - v0) }

    /// The spacing of about five ticks over the range.
    var tickStep: Double {
        let raw = (v1 - v0) / 5
        let magnitude = pow10(floorLog10(raw))
        let normalised = raw / magnitude
        return (normalised < 1.5 ? 1 : normalised < 3.5 ? 2 : normalised < 7.5 ? 5 : 10) * magnitude
    }

    func ticks(count: Int) -> [Double] {
        let step = tickStep
        var value = (v0 / step).rounded(.up) * step
        var ticks: [Double] = []
        while value <= v1 && ticks.count < 4 * count {
            ticks.append(value)
            value += step
        }
        return ticks
    }
}

/// ⌊log₁₀ x⌋ for x > 0 (no Foundation).
func floorLog10(_ x: Double) -> Int {
    guard x > 0, x.isFinite else { return 0 }
    var e = 0, v = x
    while v >= 10 { v /= 10; e += 1 }
    while v < 1 { v *= 10; e -= 1 }
    return e
}

/// 10ⁿ.
func pow10(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(n) { result *= 10 }
    return n < 0 ? 1 / result : result
}

/// A tick label with as many decimals as the step needs.
func label(_ value: Double, step: Double) -> String {
    fixed(value, max(0, -floorLog10(step)))
}

/// `value` with exactly `digits` decimals (half away from zero), "-0" written "0".
public func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
    let scale = pow10(digits)
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e15 else { return "\(value)" }
    let integer = Int64(scaled)
    let whole = integer / Int64(scale), fraction = integer % Int64(scale)
    var text = String(whole)
    if digits > 0 {
        let digitsText = String(fraction)
        text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
    }
    return (value < 0 && integer != 0 ? "-" : "") + text
}

/// An XML id fragment for a symbol: characters outside `[A-Za-z0-9_-]` become `_`.
func anchorID(_ symbol: String) -> String {
    String(symbol.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
}

/// Text escaped for XML content and attribute values.
public func escapeXML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            // XML 1.0 forbids most control characters even as references.
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" {
                out += " "
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
