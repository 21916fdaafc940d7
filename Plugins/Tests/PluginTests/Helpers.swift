// Shared helpers of the plugin tests.
import BourseSDK
import BourseSDKTesting
import TestSupport

/// Bars of a reference bar file as (event time ns, bar).
func referenceBars(_ relative: String) throws -> [(time: Int64, bar: Bar)] {
    let table = try NumericTable(path: TestData.shared(relative))
    let ts = table.column("ts"), o = table.column("open"), h = table.column("high"), l = table.column("low"),
        c = table.column("close"), v = table.column("volume")
    return ts.indices.map { i in
        (Int64(ts[i]) * 1_000_000, Bar(open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i]))
    }
}

/// The single value of a values message, or nil.
func singleValue(_ message: Message) -> Double? {
    guard case .values(let values) = message.payload, values.count == 1 else { return nil }
    return values[0]
}

/// Sends bars to a harness in batches of `batchSize` messages.
func sendBars(_ harness: PluginHarness, _ bars: [(time: Int64, bar: Bar)], topic: String, symbol: String,
              batchSize: Int = 64) throws {
    let t = harness.topic(topic), inst = harness.instrument(symbol)
    var start = 0
    while start < bars.count {
        let chunk = bars[start..<min(start + batchSize, bars.count)]
        try harness.send(chunk.map { Message(topic: t, instrument: inst, eventTime: $0.time, payload: .bar($0.bar)) })
        start += batchSize
    }
}
