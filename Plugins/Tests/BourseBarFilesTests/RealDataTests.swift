// BarFileReader on the real files of shared/data.
import BourseBarFiles
import BourseCommon
import Foundation
import Testing
import TestSupport

/// Reads a whole file with default options except those given.
func readAll(_ path: String, _ configure: (inout BarFileOptions) -> Void = { _ in })
    throws -> (reader: BarFileReader, bars: [BarRecord], skipped: [BarFileError]) {
    var options = BarFileOptions()
    configure(&options)
    let reader = try BarFileReader(path: path, options: options)
    let (bars, skipped) = try reader.readAll()
    return (reader, bars, skipped)
}

@Test func leanEquityDailyZip() throws {
    let r = try readAll(TestData.shared("lean/equity/usa/daily/spy.zip"))
    #expect(r.reader.layout.format == "lean")
    #expect(r.reader.layout.priceScale == 10_000)
    #expect(r.reader.layout.timeZone == "America/New_York")
    #expect(r.reader.displayName.hasSuffix("spy.zip#spy.csv"))
    #expect(r.bars.count == 5849)
    #expect(r.skipped.isEmpty)
    let first = try #require(r.bars.first)
    #expect(first.close == 97.36)
    #expect(first.open == 97.31)
    #expect(first.volume == 2_150_000)
    // 1998-01-02 00:00 New York (EST, UTC-5) = 05:00 UTC.
    #expect(UTCTimestamp.iso8601(first.time) == "1998-01-02T05:00:00Z")
    #expect(first.line == 1)
    // A summer date is EDT (UTC-4).
    let july = try #require(r.bars.first { UTCTimestamp.iso8601($0.time).hasPrefix("2020-07-01") })
    #expect(UTCTimestamp.iso8601(july.time) == "2020-07-01T04:00:00Z")
    #expect(UTCTimestamp.iso8601(r.bars.last!.time) == "2021-03-31T04:00:00Z")
    #expect(r.reader.stats.barsRead == 5849)
}

@Test func leanCryptoDailyZipUsesPlainDecimals() throws {
    let r = try readAll(TestData.shared("lean/crypto/coinbase/daily/btcusd_trade.zip"))
    #expect(r.reader.layout.format == "lean")
    #expect(r.reader.layout.priceScale == 1)
    #expect(r.reader.layout.timeZone == "UTC")
    #expect(r.bars.count == 1318)
    #expect(r.skipped.isEmpty)
    #expect(r.bars[0].open == 300 && r.bars[0].close == 370)
    #expect(r.bars[0].volume == 0.05655554)
    #expect(r.bars[2].low == 377.01)
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2014-12-01T00:00:00Z")
}

@Test func leanScaleRuleFallsBackToContentAndCanBeOverridden() throws {
    // Same crypto file, but the path hint is overridden by explicit options.
    let r = try readAll(TestData.shared("lean/crypto/coinbase/daily/btcusd_trade.zip")) {
        $0.priceScale = .fixed(100)
        $0.timeZone = "America/New_York"
    }
    #expect(r.bars[0].close == 3.7)
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2014-12-01T05:00:00Z")
}

@Test func leanScaleFromContentWhenThePathGivesNoHint() throws {
    // Copies outside any equity/crypto folder: the rule falls back to the content.
    let dir = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["lean/crypto/coinbase/daily/btcusd_trade.zip", "lean/equity/usa/daily/spy.zip"] {
        let copy = dir.appendingPathComponent(URL(fileURLWithPath: name).lastPathComponent)
        try FileManager.default.copyItem(atPath: TestData.shared(name), toPath: copy.path)
    }
    // btcusd: rows 1-2 have integer prices, row 3 has decimals → plain decimals.
    let btc = try readAll(dir.appendingPathComponent("btcusd_trade.zip").path)
    #expect(btc.reader.layout.priceScale == 1)
    #expect(btc.reader.layout.timeZone == "UTC")
    #expect(btc.bars[0].close == 370)
    let spy = try readAll(dir.appendingPathComponent("spy.zip").path)
    #expect(spy.reader.layout.priceScale == 10_000)
    #expect(spy.reader.layout.timeZone == "America/New_York")
    #expect(spy.bars[0].close == 97.36)
    // With one sampled row only, btcusd looks like deci-cents: the sample size matters.
    let short = try readAll(dir.appendingPathComponent("btcusd_trade.zip").path) { $0.sampleRows = 1 }
    #expect(short.reader.layout.priceScale == 10_000)
}

@Test func gzipFilesAreReadThroughLibarchive() throws {
    let r = try readAll(TestData.fixture("ford_head.csv.gz"))
    #expect(r.reader.layout.format == "yahoo")
    #expect(r.bars.count == 10)
    #expect(r.bars[0].close == 11.13)
}

@Test func leanMinuteZipTakesItsDateFromTheFileName() throws {
    let r = try readAll(TestData.shared("lean/equity/usa/minute/spy/20131007_trade.zip"))
    #expect(r.reader.layout.timeFormat == .millisecondsOfDay)
    #expect(r.skipped.isEmpty)
    #expect(r.bars.count > 700)
    // 14400000 ms = 04:00 New York (EDT) = 08:00 UTC; close 1672700 deci-cents.
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2013-10-07T08:00:00Z")
    #expect(r.bars[0].close == 167.27)
}

@Test(arguments: ["aapl", "ibm", "goog", "googl", "qqq", "aig", "bac"])
func everyLeanDailyFileReadsWithoutCrashing(symbol: String) throws {
    let r = try readAll(TestData.shared("lean/equity/usa/daily/\(symbol).zip"))
    #expect(r.bars.count + r.skipped.count > 1000)
    for problem in r.skipped {
        #expect(problem.line != nil)
        #expect(problem.file.hasSuffix(".zip#\(symbol).csv"))
    }
    if symbol == "ibm" {
        // The 2002-12-23 bad print is internally consistent (low ≤ open = high), so it passes.
        let bad = try #require(r.bars.first { UTCTimestamp.iso8601($0.time).hasPrefix("2002-12-23") })
        #expect(bad.open == 159.58 && bad.high == 159.58)
        #expect(bad.close < 81)
    }
}

@Test func yahooStyleFordFile() throws {
    let r = try readAll(TestData.shared("talib_python/ford_2012_daily.csv"))
    #expect(r.reader.layout.format == "yahoo")
    #expect(r.reader.layout.columns[5] == 5)
    #expect(r.bars.count == 250)
    #expect(r.skipped.isEmpty)
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2012-01-03T00:00:00Z")
    #expect(r.bars[0].close == 11.13)
    #expect(r.bars[0].line == 2)
    #expect(UTCTimestamp.iso8601(r.bars.last!.time) == "2012-12-31T00:00:00Z")
}

@Test func yahooDatesCanBeReadInAnotherZone() throws {
    let r = try readAll(TestData.shared("talib_python/ford_2012_daily.csv")) { $0.timeZone = "America/New_York" }
    #expect(UTCTimestamp.iso8601(r.bars[0].time) == "2012-01-03T05:00:00Z")
}

@Test func plainReferenceBarsWithEpochMilliseconds() throws {
    let r = try readAll(TestData.shared("reference/bars_10000.csv"))
    #expect(r.reader.layout.format == "plain")
    #expect(r.reader.layout.timeFormat == .epochMilliseconds)
    #expect(r.bars.count == 10_000)
    #expect(r.skipped.isEmpty)
    #expect(r.bars[0].time == 1_704_067_200_000 * 1_000_000)
    #expect(r.bars[0].close == 100.0422)
    #expect(r.bars[9999].close == 100.5310)
}

@Test func referenceBarsMatchTheTalibInputs() throws {
    // The same closes as the reference file's inputs, bit for bit.
    let table = try NumericTable(path: TestData.shared("reference/ford_2012_bars.csv"))
    let r = try readAll(TestData.shared("reference/ford_2012_bars.csv"))
    #expect(r.bars.map(\.close) == table.column("close"))
    #expect(r.bars.map { Double($0.time / 1_000_000) } == table.column("ts"))
}

@Test func missingFileAndUnknownZoneAreStructuredErrors() {
    #expect {
        _ = try BarFileReader(path: "/nonexistent/bars.csv")
    } throws: { ($0 as? BarFileError)?.code == .cannotOpen }
    #expect {
        var o = BarFileOptions()
        o.timeZone = "Mars/Olympus_Mons"
        _ = try BarFileReader(path: TestData.shared("talib_python/ford_2012_daily.csv"), options: o)
    } throws: { ($0 as? BarFileError)?.code == .unknownTimeZone }
    #expect {
        _ = try BarFileReader(path: TestData.shared("lean/readme.md"))
    } throws: { ($0 as? BarFileError)?.code == .unknownLayout }
}
