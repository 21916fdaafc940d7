// BarFileReader on the hand-made fixtures: line endings, mappings, broken rows.
import BourseBarFiles
import BourseCommon
import Foundation
import Testing
import TestSupport

@Test func bomCrlfAndMissingFinalNewline() throws {
    let r = try readAll(TestData.fixture("yahoo_bom_crlf_nofinal.csv"))
    #expect(r.reader.layout.format == "yahoo")
    #expect(r.reader.layout.header?.first == "Date")  // the BOM is gone
    #expect(r.bars.count == 3)
    #expect(r.skipped.isEmpty)
    #expect(r.bars.map(\.close) == [11.13, 11.30, 11.59])  // Close, not Adj Close; no stray \r
    #expect(r.bars.last?.volume == 67_877_500)
    #expect(r.bars.map(\.line) == [2, 3, 4])
}

@Test func headerlessPlainWithoutFinalNewline() throws {
    let r = try readAll(TestData.fixture("plain_noheader_nofinal.csv"))
    #expect(r.reader.layout.format == "plain")
    #expect(r.reader.layout.header == nil)
    #expect(r.bars.count == 2)
    #expect(r.bars[1].volume == 764)
}

@Test func explicitColumnMappingByName() throws {
    let mapping = try ColumnMapping(entries: [
        "time": .name("When"), "open": .name("open"), "high": .name("High"), "low": .name("Low"),
        "close": .name("Close"), "volume": .name("Vol"),
    ])
    let r = try readAll(TestData.fixture("columns_named.csv")) {
        $0.format = .columns(mapping)
        $0.timeFormat = try! TimeFormat(parsing: "%d/%m/%Y %H:%M")
        $0.timeZone = "Europe/Berlin"
    }
    #expect(r.skipped.isEmpty)
    #expect(r.bars.count == 3)
    #expect(r.bars[0] == BarRecord(time: r.bars[0].time, open: 10, high: 11, low: 9, close: 10.5, volume: 100, line: 2))
    // 03/01/2024 09:30 in Berlin (CET, UTC+1) = 08:30 UTC.
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2024-01-03T08:30:00Z")
    #expect(r.bars[2].time - r.bars[1].time == 60_000_000_000)
}

@Test func explicitColumnMappingByIndex() throws {
    let mapping = try ColumnMapping(entries: [
        "time": .index(5), "open": .index(0), "high": .index(1), "low": .index(2), "close": .index(3),
        "volume": .index(4),
    ])
    let r = try readAll(TestData.fixture("columns_indexed.csv")) { $0.format = .columns(mapping) }
    #expect(r.reader.layout.timeFormat == .epochSeconds)
    #expect(r.bars.count == 2)
    #expect(UTCTimestamp.iso8601(r.bars[1].time) == "2024-01-01T00:01:00Z")
    #expect(r.bars[1].close == 10.75 && r.bars[1].volume == 8)
}

@Test func columnMappingErrors() {
    #expect(throws: BarFileError.self) { try ColumnMapping(entries: ["time": .index(0)]) }
    #expect(throws: BarFileError.self) {
        try ColumnMapping(entries: ["time": .index(0), "open": .index(1), "high": .index(2), "low": .index(3),
                                    "close": .index(4), "bogus": .index(5)])
    }
    #expect {
        let m = try ColumnMapping(entries: ["time": .index(0), "open": .index(1), "high": .index(2),
                                            "low": .index(3), "close": .index(9)])
        _ = try readAll(TestData.fixture("columns_indexed.csv")) { $0.format = .columns(m) }
    } throws: { ($0 as? BarFileError)?.code == .unknownLayout }
}

/// The rule each broken line of broken_rows.csv breaks.
let brokenLines: [(line: Int, code: BarFileError.Code)] = [
    (3, .badNumber), (4, .highBelowLow), (7, .negativeVolume), (8, .timeNotIncreasing),
    (9, .columnCount), (10, .openOutsideRange), (11, .nonFinite), (12, .badTime),
]

@Test func brokenRowsAreSkippedCountedAndReported() throws {
    let path = TestData.fixture("broken_rows.csv")
    let r = try readAll(path)
    #expect(r.bars.map(\.line) == [2, 6, 13])
    #expect(r.bars.map(\.close) == [10.5, 10.5, 10.25])
    #expect(r.skipped.map(\.line) == brokenLines.map(\.line))
    #expect(r.skipped.map(\.code) == brokenLines.map(\.code))
    for problem in r.skipped {
        #expect(problem.file == path)
        #expect(problem.isRowProblem)
        #expect(problem.description.hasPrefix("\(path):\(problem.line!): "))
        #expect(problem.input != nil)
    }
    #expect(r.reader.stats.rowsSkipped == 8)
    #expect(r.reader.stats.blankLines == 1)
    #expect(r.reader.stats.skippedByRule[.highBelowLow] == 1)
    #expect(r.skipped[0].message.contains("10.x5"))
}

@Test func brokenRowsStopWithFileLineAndRule() throws {
    let path = TestData.fixture("broken_rows.csv")
    var options = BarFileOptions()
    options.onBadRow = .stop
    let reader = try BarFileReader(path: path, options: options)
    guard case .bar(let first)? = try reader.next() else {
        Issue.record("expected a first bar")
        return
    }
    #expect(first.line == 2)
    do {
        _ = try reader.next()
        Issue.record("expected an error")
    } catch {
        #expect(error.code == .badNumber)
        #expect(error.line == 3)
        #expect(error.description.hasPrefix("\(path):3: "))
        #expect(error.description.hasSuffix("[bad_number]"))
    }
    #expect(try reader.next() == nil)  // finished after stop
}

@Test func eachRuleStopsOnItsOwnLine() throws {
    // Feed each broken line after a good one, in its own file, under `stop`.
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: TestData.fixture("broken_rows.csv"), encoding: .utf8)
        .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for (line, code) in brokenLines where code != .timeNotIncreasing {
        let file = dir.appendingPathComponent("case\(line).csv").path
        try (lines[0] + "\n" + lines[1] + "\n" + lines[line - 1] + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        var options = BarFileOptions()
        options.onBadRow = .stop
        let reader = try BarFileReader(path: file, options: options)
        #expect {
            _ = try reader.readAll()
        } throws: { error in
            let e = error as? BarFileError
            return e?.code == code && e?.line == 3 && e?.file == file
        }
    }
}

@Test func garbageNeverCrashes() throws {
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let inputs: [[UInt8]] = [
        [], [0xEF, 0xBB, 0xBF], Array("\n\n\r\n".utf8), [0xFF, 0xFE, 0x00, 0x41, 0x0A],
        Array("ts,open,high,low,close,volume\n".utf8), Array("PK\u{3}\u{4}garbage".utf8), [0x1F, 0x8B, 0x08, 0x00],
        Array("1,2,3\n4,5,6".utf8), Array("ts,open,high,low,close,volume\n99999999999999999999,1,1,1,1,1\n".utf8),
        Array("ts,open,high,low,close,volume\n-170000000000,1e308,1e308,1e308,1e308,1e999\n\"".utf8),
    ]
    for (i, bytes) in inputs.enumerated() {
        let file = dir.appendingPathComponent("g\(i).csv").path
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        do {
            let reader = try BarFileReader(path: file)
            _ = try reader.readAll()
        } catch {
            #expect(!error.message.isEmpty)
        }
    }
}
