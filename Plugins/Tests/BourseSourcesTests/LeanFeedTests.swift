// The Lean reader and feed on hand-made defect fixtures and on the real Lean sample.
import BourseBarFiles
import BourseCommon
import BourseSources
import Foundation
import Testing
import TestSupport

/// Every item and problem of a feed.
func drain(_ feed: MarketFeed, batch: Int = 1000) throws -> (items: [FeedItem], problems: [FeedProblem]) {
    var items: [FeedItem] = [], problems: [FeedProblem] = []
    while true {
        let b = try feed.next(maxItems: batch)
        items += b.items
        problems += b.problems
        if b.status == .ended { return (items, problems) }
    }
}

func iso(_ item: FeedItem) -> String { UTCTimestamp.iso8601(item.eventTime) }

func close(_ item: FeedItem) -> Double {
    if case .bar(_, _, _, let c, _, _) = item.payload { return c }
    return .nan
}

let fixtureRoot = TestData.fixture("lean")
let leanRoot = TestData.shared("lean")

@Test func hourFixtureHandlesEveryDefect() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["XYZ"])
    o.resolution = .hour
    let (items, problems) = try drain(LeanFeed(options: o))
    #expect(items.map(iso) == [
        "2013-11-01T19:00:00Z", "2013-11-01T20:00:00Z", "2013-11-02T14:00:00Z", "2013-11-03T04:00:00Z",
        "2013-11-03T05:00:00Z", "2013-11-03T06:00:00Z", "2013-11-03T07:00:00Z", "2013-11-04T15:00:00Z",
    ])
    #expect(items.map(close) == [100.5, 100.55, 100.58, 100.6, 100.65, 100.7, 100.75, 100.85])
    #expect(items.allSatisfy { if case .bar(_, _, _, _, _, let i) = $0.payload { return i == 3_600_000_000_000 }; return false })
    #expect(problems.map(\.rule) == ["non_positive_price", "time_not_increasing", "bad_print"])
    #expect(problems[0].message.contains("xyz.zip#xyz.csv:3: "))
    #expect(problems[1].message.contains("xyz.zip#xyz.csv:5: "))
    #expect(problems[2].message.contains("xyz.zip#xyz.csv:10: bad print: open 201.5"))
}

@Test func stopPoliciesThrowNamingFileAndLine() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["XYZ"])
    o.resolution = .hour
    o.onBadRow = .stop
    #expect(throws: BarFileError.self) { _ = try drain(LeanFeed(options: o)) }
    do {
        _ = try drain(LeanFeed(options: o))
    } catch let error as BarFileError {
        #expect(error.code == .nonPositivePrice && error.line == 3)
        #expect(error.description.contains("xyz.zip#xyz.csv:3: open 0.0 is not a positive price [non_positive_price]"))
    }
    o.onBadRow = .skip
    o.badPrints = .stop
    do {
        _ = try drain(LeanFeed(options: o))
        Issue.record("expected a bad print error")
    } catch let error as BarFileError {
        #expect(error.code == .badPrint && error.line == 10)
    }
    o.badPrints = .keep
    #expect(try drain(LeanFeed(options: o)).items.count == 9)
}

@Test func factorFileAdjustments() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["XYZ"])
    o.resolution = .hour
    o.adjust = .split
    let split = try drain(LeanFeed(options: o)).items
    #expect(split.map(close) == [50.25, 50.275, 50.29, 50.3, 50.325, 50.35, 50.375, 100.85])
    if case .bar(_, _, _, _, let volume, _) = split[0].payload { #expect(volume == 200) }
    o.adjust = .total
    let total = try drain(LeanFeed(options: o)).items.map(close)
    #expect(closeEnough(total[0], 100.5 * 0.5 * 0.9) && closeEnough(total[2], 100.58 * 0.5 * 0.95) && total[7] == 100.85)
    let factors = try FactorFile(path: fixtureRoot + "/equity/usa/factor_files/xyz.csv")
    #expect(factors.factors(on: 20131101) == (0.9, 0.5) && factors.factors(on: 20131102) == (0.95, 0.5))
    #expect(factors.factors(on: 20990101) == (1, 1))
}

@Test func quoteTicksOneSidedCrossedAndSuspicious() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["XYZ"])
    o.resolution = .tick
    o.tickTypes = [.quote]
    let (items, problems) = try drain(LeanFeed(options: o))
    #expect(items.map(iso) == ["2013-10-07T08:00:00.054Z", "2013-10-07T08:00:00.241Z", "2013-10-07T08:00:00.241Z",
                               "2013-10-07T08:00:00.6005Z"])
    guard case .quote(let bid, let bidSize, let ask, _) = items[0].payload else { Issue.record("not a quote"); return }
    #expect(bid.isNaN && bidSize == 0 && ask == 183.63)
    #expect(items[3].payload == .quote(bidPrice: 180.05, bidSize: 200, askPrice: 180.06, askSize: 300))
    #expect(problems.map(\.rule) == ["crossed_quote", "non_positive_price", "suspicious", "time_not_increasing"])
    #expect(problems[0].message.contains("20131007_quote.zip#20131007_xyz_Quote_Tick.csv:4: bid 190.0 > ask 180.0"))
    o.includeSuspicious = true
    #expect(try drain(LeanFeed(options: o)).items.count == 5)
}

@Test func tradeTicksSameMillisecondAndBadPrint() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["XYZ"])
    o.resolution = .tick
    let (items, problems) = try drain(LeanFeed(options: o))
    #expect(items.map(\.payload) == [
        .trade(price: 181.52, size: 283, exchange: 0x50), .trade(price: 181.8, size: 500, exchange: 0x50),
        .trade(price: 181.8, size: 100, exchange: 0x50), .trade(price: 181.81, size: 100, exchange: 0x54),
    ])
    #expect(problems.map(\.rule) == ["bad_print"] && problems[0].message.contains("_Trade_Tick.csv:4: bad print: trade price 900.0"))
}

@Test func missingFilesAndBadOptionsNameWhatWasLookedFor() throws {
    var o = LeanFeedOptions(root: fixtureRoot, symbols: ["NOPE"])
    o.resolution = .hour
    #expect(throws: BarFileError.self) { _ = try LeanFeed(options: o) }
    do { _ = try LeanFeed(options: o) } catch { #expect(error.message.contains("looked for") && error.message.contains("nope.zip")) }
    o.symbols = ["XYZ"]
    o.resolution = .minute
    do { _ = try LeanFeed(options: o) } catch { #expect(error.message.contains("no Lean minute folder for XYZ")) }
    o.resolution = .hour
    o.security = .crypto
    o.adjust = .split
    do { _ = try LeanFeed(options: o) } catch { #expect(error.code == .badOption && error.message.contains("factor files")) }
}

// MARK: Real data

@Test func realEquityDailySeveralSymbolsMergedByTime() throws {
    let (items, problems) = try drain(LeanFeed(options: LeanFeedOptions(root: leanRoot, symbols: ["SPY", "QQQ"])))
    #expect(items.filter { $0.symbol == "SPY" }.count == 5849 && items.filter { $0.symbol == "QQQ" }.count == 3964)
    #expect(problems.isEmpty)
    #expect(zip(items, items.dropFirst()).allSatisfy { $0.eventTime < $1.eventTime || ($0.eventTime == $1.eventTime && $0.symbol == "SPY") })
    #expect(iso(items[0]) == "1998-01-02T05:00:00Z" && close(items[0]) == 97.36)
}

@Test func realBadPrintsAreLeftOutWithFileAndLine() throws {
    let (ibm, ibmProblems) = try drain(LeanFeed(options: LeanFeedOptions(root: leanRoot, symbols: ["IBM"])))
    #expect(ibm.count == 5848 && ibmProblems.count == 1)
    #expect(ibmProblems[0].message.hasPrefix(leanRoot + "/equity/usa/daily/ibm.zip#ibm.csv:"))
    #expect(ibmProblems[0].message.contains("bad print: open 159.58"))
    let (_, goog) = try drain(LeanFeed(options: LeanFeedOptions(root: leanRoot, symbols: ["GOOG"])))
    #expect(goog.count == 2 && goog[1].message.contains("low 0.01"))
    for symbol in ["SPY", "QQQ", "BAC", "GOOGL"] {
        #expect(try drain(LeanFeed(options: LeanFeedOptions(root: leanRoot, symbols: [symbol]))).problems.isEmpty)
    }
}

@Test func realSplitAdjustmentRemovesTheAAPLSplitGap() throws {
    var o = LeanFeedOptions(root: leanRoot, symbols: ["AAPL"])
    func ratio(_ items: [FeedItem]) -> Double {
        let i = items.firstIndex { iso($0).hasPrefix("2014-06-09") }!
        return close(items[i]) / close(items[i - 1])
    }
    #expect(ratio(try drain(LeanFeed(options: o)).items) < 0.2)
    o.adjust = .split
    let adjusted = try drain(LeanFeed(options: o)).items
    #expect(ratio(adjusted) > 0.95 && ratio(adjusted) < 1.05)
    #expect(close(adjusted.last!) == 122.15)  // after the last factor row: unadjusted
}

@Test func realMinuteTradesAndQuotes() throws {
    var o = LeanFeedOptions(root: leanRoot, symbols: ["SPY"])
    o.resolution = .minute
    o.tickTypes = [.trade, .quote]
    o.from = 20131007
    o.to = 20131008
    let (items, problems) = try drain(LeanFeed(options: o))
    #expect(problems.isEmpty)
    let bars = items.filter { $0.payload.kindName == "bar" }, quotes = items.filter { $0.payload.kindName == "quote" }
    #expect(bars.count == 828 + 828 && quotes.count == 908 + 910)
    #expect(iso(bars[0]) == "2013-10-07T08:00:00Z" && close(bars[0]) == 167.27)
    #expect(iso(quotes[0]) == "2013-10-07T08:01:00Z")  // a quote bar at its end
    #expect(quotes.allSatisfy { if case .quote(let b, _, let a, _) = $0.payload { return b <= a }; return false })
}

@Test func realCryptoMinuteCRLFAndDailyQuotesInUTC() throws {
    var o = LeanFeedOptions(root: leanRoot, symbols: ["BTCUSD"])
    o.security = .crypto
    o.resolution = .minute
    o.to = 20161007
    let (bars, problems) = try drain(LeanFeed(options: o))
    #expect(bars.count == 1419 && problems.isEmpty && iso(bars[0]).hasPrefix("2016-10-07T00:"))
    o.resolution = .daily
    o.to = nil
    o.tickTypes = [.quote]
    let quotes = try drain(LeanFeed(options: o)).items
    #expect(quotes.count == 1332 && iso(quotes[0]) == "2015-04-28T00:00:00Z")
    #expect(quotes[0].payload == .quote(bidPrice: 219.58, bidSize: 5.8133, askPrice: 219.6, askSize: 0.0100001))
}

@Test func realTicksEveryRowAccountedFor() throws {
    var o = LeanFeedOptions(root: leanRoot, symbols: ["IBM"])
    o.resolution = .tick
    o.tickTypes = [.trade, .quote]
    o.to = 20131007
    let (items, problems) = try drain(LeanFeed(options: o), batch: 4096)
    #expect(items.count + problems.count == 24_293 + 109_067)
    #expect(problems.count < 10)
    #expect(zip(items, items.dropFirst()).allSatisfy { $0.eventTime <= $1.eventTime })
}

@Test func csvBarsReaderAlsoKeepsDSTFallBackRows() throws {
    let dir = try TestData.temporaryDirectory("dst")
    let path = dir.appendingPathComponent("bars.csv").path
    try """
        time,open,high,low,close,volume
        2013-11-03 00:30,1,1,1,1,1
        2013-11-03 01:30,2,2,2,2,1
        2013-11-03 01:30,3,3,3,3,1
        2013-11-03 02:30,4,4,4,4,1
        """.write(toFile: path, atomically: true, encoding: .utf8)
    var options = BarFileOptions()
    options.timeZone = "America/New_York"
    let (bars, skipped) = try BarFileReader(path: path, options: options).readAll()
    #expect(skipped.isEmpty)
    #expect(bars.map { UTCTimestamp.iso8601($0.time) } == ["2013-11-03T04:30:00Z", "2013-11-03T05:30:00Z",
                                                          "2013-11-03T06:30:00Z", "2013-11-03T07:30:00Z"])
}
