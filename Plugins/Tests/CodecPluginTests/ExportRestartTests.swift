// csv-export as the instance made after its worker failed (restart_count > 0): files continue, nothing lost or doubled.
import BourseCodecs
import BourseSDK
import BourseSDKTesting
import CSVExportPluginKit
import Foundation
import Testing
import TestSupport

/// Bars 0..<count of SPY, one a day from 2020-01-01.
private func bar(_ i: Int) -> (payload: Payload, eventTime: Int64) {
    let close = 100.0 + Double(i)
    return (.bar(Bar(open: close, high: close + 1, low: close - 1, close: close, volume: 10, intervalNanoseconds: 0)),
            1_577_836_800_000_000_000 + Int64(i) * 86_400_000_000_000)
}

/// Sends bars `range` as one batch.
private func sendBatch(_ h: PluginHarness, _ range: Range<Int>) throws {
    try h.send(range.map { i in
        let b = bar(i)
        return Message(topic: h.topic("bars.SPY"), instrument: h.instrument("SPY"), eventTime: b.eventTime, payload: b.payload)
    })
}

/// A first instance writes batches 0..<10 and 10..<20 and "dies" (no stop); a
/// restarted one gets the unfinished batch 20..<30 again, then 30..<40.
private func writeAcrossARestart(format: String, in dir: URL) throws -> URL {
    let file = dir.appendingPathComponent("bars.\(format)")
    let config = #"{"format": "\#(format)", "path": \#(json(file.path))}"#
    do {
        let first = try PluginHarness(CSVExporter.self, config: config, outputs: [], topics: ["bars.SPY"])
        try sendBatch(first, 0..<10)
        try sendBatch(first, 10..<20)
        // Each batch is in the file once the call returned, before any stop or flush.
        #expect(try Data(contentsOf: file).count > 0)
    }
    let second = try PluginHarness(CSVExporter.self, config: config, outputs: [], topics: ["bars.SPY"], restartCount: 1)
    try sendBatch(second, 20..<30)
    try sendBatch(second, 30..<40)
    try second.stop()
    #expect(second.logs.contains { $0.message.contains("appending to \(file.path)") })
    return file
}

@Test(arguments: ["csv", "jsonl", "binary"])
func restartedExportContinuesTheFile(format: String) throws {
    let dir = try TestData.temporaryDirectory("export-restart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try writeAcrossARestart(format: format, in: dir)
    let back = try decodeFile(file, codec: format)
    #expect(back.count == 40, "\(back.count)")
    #expect(back.map(\.eventTime) == (0..<40).map { bar($0).eventTime })
    #expect(back.allSatisfy { $0.instrument == "SPY" && $0.topic == "bars.SPY" })
    if format == "csv" {
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.components(separatedBy: "time,topic,instrument").count == 2, "one header")
    }
}

@Test func aFirstInstanceStillTruncates() throws {
    let dir = try TestData.temporaryDirectory("export-restart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try writeAcrossARestart(format: "csv", in: dir)
    let again = try PluginHarness(CSVExporter.self, config: #"{"path": \#(json(file.path))}"#, outputs: [], topics: ["bars.SPY"])
    try sendBatch(again, 0..<5)
    try again.stop()
    #expect(try decodeFile(file, codec: "csv").count == 5)
}

@Test func aContinuedCSVFileMustHaveTheSameColumns() throws {
    let dir = try TestData.temporaryDirectory("export-restart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("out.csv")
    try Data("time,topic,instrument,price,size\n".utf8).write(to: file)
    let h = try PluginHarness(CSVExporter.self, config: #"{"path": \#(json(file.path))}"#, outputs: [], topics: ["bars.SPY"],
                              restartCount: 2)
    #expect {
        try sendBatch(h, 0..<3)
    } throws: { error in
        "\(error)".contains("cannot continue \(file.path) after a restart: it has the columns time,topic,instrument,price,size")
    }
}
