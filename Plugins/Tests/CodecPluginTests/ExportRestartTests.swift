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
    try Data("run 1\n".utf8).write(to: dir.appendingPathComponent(".out.csv.bourse-run"))  // written earlier in this run
    let h = try PluginHarness(CSVExporter.self, config: #"{"path": \#(json(file.path))}"#, outputs: [], topics: ["bars.SPY"],
                              restartCount: 2)
    #expect {
        try sendBatch(h, 0..<3)
    } throws: { error in
        "\(error)".contains("cannot continue \(file.path) after a restart: it has the columns time,topic,instrument,price,size")
    }
}

@Test func aRestartedInstanceStartsOverAFileOfAnotherRun() throws {
    let dir = try TestData.temporaryDirectory("export-restart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try writeAcrossARestart(format: "csv", in: dir)  // run 1
    // Run 2 dies before its first message for this file: the new instance must not append to run 1's rows.
    let later = try PluginHarness(CSVExporter.self, config: #"{"path": \#(json(file.path))}"#, outputs: [], topics: ["bars.SPY"],
                                  restartCount: 1, runID: 2)
    try sendBatch(later, 0..<5)
    try later.stop()
    #expect(try decodeFile(file, codec: "csv").count == 5)
    #expect(try String(contentsOf: dir.appendingPathComponent(".bars.csv.bourse-run"), encoding: .utf8) == "run 2\n")
}

@Test(arguments: ["csv", "jsonl", "binary"])
func aHalfWrittenLastRecordIsCutBeforeAppending(format: String) throws {
    let dir = try TestData.temporaryDirectory("export-restart")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("bars.\(format)")
    let config = #"{"format": "\#(format)", "path": \#(json(file.path))}"#
    do {
        let first = try PluginHarness(CSVExporter.self, config: config, outputs: [], topics: ["bars.SPY"])
        try sendBatch(first, 0..<10)
    }
    // A writer killed inside write(): the file ends in the middle of a record of the next (unacknowledged) batch.
    var bytes = Array(try Data(contentsOf: file))
    let wholeSize = bytes.count
    let encoder = try Codecs.named(format).makeEncoder()
    func encoded(_ i: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        let b = bar(i)
        try encoder.encode(CodecMessage(topic: "bars.SPY", instrument: "SPY", eventTime: b.eventTime, payload: b.payload), into: &out)
        return out
    }
    _ = try encoded(9)  // the stream's header and strings
    let record = try encoded(10)
    bytes += record.prefix(record.count / 2)  // the first half of bar 10's record
    try Data(bytes).write(to: file)
    let second = try PluginHarness(CSVExporter.self, config: config, outputs: [], topics: ["bars.SPY"], restartCount: 1)
    try sendBatch(second, 10..<20)
    try second.stop()
    let decoder = try Codecs.named(format).makeDecoder(sourceName: file.path)
    decoder.feed(Array(try Data(contentsOf: file)))
    decoder.finishInput()
    var back: [CodecMessage] = [], skipped = 0
    while let item = try decoder.next() {
        switch item {
        case .message(let m): back.append(m)
        case .skipped: skipped += 1
        }
    }
    #expect(skipped == 0)
    #expect(back.map(\.eventTime) == (0..<20).map { bar($0).eventTime }, "\(back.count) of 20 after cutting at \(wholeSize)")
}
