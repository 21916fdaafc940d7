// Helpers of the indicator tests: bar files as PriceBars, reference columns, series comparison.
import BourseIndicators
import Foundation
import Testing
import TestSupport

/// A bar file of the shared reference set and its reference tables.
struct ReferenceData {
    /// The bars (time = ts in ns).
    let bars: [PriceBar]
    /// Reference columns by name: the shared TA-Lib file plus this package's extra fixture.
    let columns: [String: [Double]]

    /// The two data sets, by short name.
    static let names = ["bars_10000", "ford_2012"]

    /// Loads `bars_10000` or `ford_2012`.
    static func load(_ name: String) throws -> ReferenceData {
        let barsFile = name == "ford_2012" ? "reference/ford_2012_bars.csv" : "reference/bars_10000.csv"
        let table = try NumericTable(path: TestData.shared(barsFile))
        let ts = table.column("ts"), o = table.column("open"), h = table.column("high"), l = table.column("low"),
            c = table.column("close"), v = table.column("volume")
        let bars = ts.indices.map {
            PriceBar(open: o[$0], high: h[$0], low: l[$0], close: c[$0], volume: v[$0], time: Int64(ts[$0]) * 1_000_000)
        }
        var columns: [String: [Double]] = [:]
        for file in [TestData.shared("reference/ref_\(name).csv"), TestData.fixture("indicators/ref_extra_\(name).csv")] {
            let ref = try NumericTable(path: file)
            #expect(ref.column("ts") == ts, "\(file) rows match the bars")
            for column in ref.columns where column != "ts" { columns[column] = ref.column(column) }
        }
        return ReferenceData(bars: bars, columns: columns)
    }

    /// A reference column (fails the test when missing).
    func column(_ name: String) throws -> [Double] {
        try #require(columns[name], "reference column \(name)")
    }
}

/// Runs `indicator` over all bars, returning one array per output (NaN when no value).
func outputs<I: StreamingIndicator>(_ indicator: inout I, _ inputs: [I.Input], width: Int,
                                    _ split: (I.Output) -> [Double]) -> [[Double]] {
    var result = Array(repeating: [Double](), count: width)
    for input in inputs {
        let values = indicator.update(input).map(split) ?? Array(repeating: .nan, count: width)
        for k in 0..<width { result[k].append(values[k]) }
    }
    return result
}

/// Compares a series with a reference column: NaN exactly where the
/// reference is NaN (the warm-up), `closeEnough` elsewhere. Returns the
/// first compared index.
@discardableResult
func expectMatches(_ got: [Double], _ expected: [Double], _ label: String, tolerance: Double = 1e-9,
                   sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    #expect(got.count == expected.count, "\(label): length", sourceLocation: sourceLocation)
    var first = -1, failures = 0
    for i in 0..<min(got.count, expected.count) {
        if expected[i].isNaN {
            if !got[i].isNaN && failures < 5 {
                failures += 1
                Issue.record("\(label) index \(i): expected warm-up, got \(got[i])", sourceLocation: sourceLocation)
            }
            continue
        }
        if first < 0 { first = i }
        if !closeEnough(got[i], expected[i], relative: tolerance) && failures < 5 {
            failures += 1
            Issue.record("\(label) index \(i): \(got[i]) vs TA-Lib \(expected[i])", sourceLocation: sourceLocation)
        }
    }
    #expect(first >= 0, "\(label): reference has values", sourceLocation: sourceLocation)
    return first
}

/// Closes of the bars.
func closes(_ bars: [PriceBar]) -> [Double] { bars.map(\.close) }
