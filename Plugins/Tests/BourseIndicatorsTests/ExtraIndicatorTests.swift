// Indicators beyond ../shared/data/reference against the generated TA-Lib
// fixtures (Tests/Fixtures/indicators, see generate.py there) and StockCharts sheets.
import BourseIndicators
import Foundation
import Testing
import TestSupport

@Suite struct ExtraIndicatorTests {
    @Test(arguments: ReferenceData.names)
    func emaFamily(set: String) throws {
        let data = try ReferenceData.load(set)
        let c = closes(data.bars)
        var dema = try DEMA(period: 20), tema = try TEMA(period: 20), kama = try KAMA(period: 30)
        #expect(expectMatches(outputs(&dema, c, width: 1) { [$0] }[0], try data.column("dema20"), "dema20") == dema.lookback)
        #expect(expectMatches(outputs(&tema, c, width: 1) { [$0] }[0], try data.column("tema20"), "tema20") == tema.lookback)
        #expect(expectMatches(outputs(&kama, c, width: 1) { [$0] }[0], try data.column("kama30"), "kama30") == kama.lookback)
        var sma = try SMA(period: 50), wma = try WMA(period: 9), rsi = try RSI(period: 7)
        expectMatches(outputs(&sma, c, width: 1) { [$0] }[0], try data.column("sma50"), "sma50")
        expectMatches(outputs(&wma, c, width: 1) { [$0] }[0], try data.column("wma9"), "wma9")
        expectMatches(outputs(&rsi, c, width: 1) { [$0] }[0], try data.column("rsi7"), "rsi7")
    }

    @Test(arguments: ReferenceData.names)
    func directionalMovement(set: String) throws {
        let data = try ReferenceData.load(set)
        var adx = try ADX(period: 14)
        var plus: [Double] = [], minus: [Double] = [], main: [Double] = []
        for bar in data.bars {
            let out = adx.update(bar)
            main.append(out?.adx ?? .nan)
            plus.append(adx.directional?.plus ?? .nan)
            minus.append(adx.directional?.minus ?? .nan)
            if let out {
                #expect(out.plusDI == adx.directional?.plus && out.minusDI == adx.directional?.minus)
            }
        }
        #expect(expectMatches(main, try data.column("adx14"), "adx14") == 27)
        #expect(expectMatches(plus, try data.column("plus_di14"), "plus_di14") == 14)
        #expect(expectMatches(minus, try data.column("minus_di14"), "minus_di14") == 14)
    }

    @Test(arguments: ReferenceData.names)
    func trendAndVolatility(set: String) throws {
        let data = try ReferenceData.load(set)
        var aroon = try Aroon(period: 14)
        let a = outputs(&aroon, data.bars, width: 2) { [$0.down, $0.up] }
        #expect(expectMatches(a[0], try data.column("aroon_down14"), "aroon_down14") == 14)
        expectMatches(a[1], try data.column("aroon_up14"), "aroon_up14")
        var sar = try ParabolicSAR()
        #expect(expectMatches(outputs(&sar, data.bars, width: 1) { [$0] }[0], try data.column("sar"), "sar") == 1)
        var natr = try NATR(period: 14), atr = try ATR(period: 10), mfi = try MFI(period: 14)
        #expect(expectMatches(outputs(&natr, data.bars, width: 1) { [$0] }[0], try data.column("natr14"), "natr14") == 14)
        expectMatches(outputs(&atr, data.bars, width: 1) { [$0] }[0], try data.column("atr10"), "atr10")
        #expect(expectMatches(outputs(&mfi, data.bars, width: 1) { [$0] }[0], try data.column("mfi14"), "mfi14") == 14)
    }

    @Test(arguments: ReferenceData.names)
    func channelsKDJAndSessionVWAP(set: String) throws {
        let data = try ReferenceData.load(set)
        var keltner = try KeltnerChannels()
        let k = outputs(&keltner, data.bars, width: 3) { [$0.upper, $0.middle, $0.lower] }
        #expect(expectMatches(k[0], try data.column("kc_upper"), "kc_upper") == keltner.lookback)
        expectMatches(k[1], try data.column("kc_middle"), "kc_middle")
        expectMatches(k[2], try data.column("kc_lower"), "kc_lower")
        var donchian = try DonchianChannels()
        let d = outputs(&donchian, data.bars, width: 3) { [$0.upper, $0.middle, $0.lower] }
        #expect(expectMatches(d[0], try data.column("dc_upper"), "dc_upper") == 19)
        expectMatches(d[1], try data.column("dc_middle"), "dc_middle")
        expectMatches(d[2], try data.column("dc_lower"), "dc_lower")
        var kdj = try KDJ()
        let j = outputs(&kdj, data.bars, width: 3) { [$0.k, $0.d, $0.j] }
        #expect(expectMatches(j[0], try data.column("kdj_k"), "kdj_k") == 8)
        expectMatches(j[1], try data.column("kdj_d"), "kdj_d")
        expectMatches(j[2], try data.column("kdj_j"), "kdj_j")
        var session = try VWAP(sessionStart: 0)
        expectMatches(outputs(&session, data.bars, width: 1) { [$0] }[0], try data.column("svwap"), "svwap")
    }

    /// KDJ(3, 3, 3) by hand: RSV 50 → K = (2·50 + 50)/3 = 50; then RSV 100 → K = 200/3, D = 500/9, J = 800/9.
    @Test func kdjByHand() throws {
        var kdj = try KDJ(period: 3)
        #expect(kdj.update(PriceBar(open: 1, high: 2, low: 1, close: 1.5)) == nil)
        #expect(kdj.update(PriceBar(open: 1, high: 3, low: 1, close: 2)) == nil)
        let third = kdj.update(PriceBar(open: 2, high: 2.5, low: 1.5, close: 2))   // HH 3, LL 1 → RSV 50
        let first = try #require(third)
        #expect(first.k == 50 && first.d == 50 && first.j == 50)
        let fourth = kdj.update(PriceBar(open: 2, high: 4, low: 2, close: 4))      // HH 4, LL 1.5 → RSV 100
        let second = try #require(fourth)
        #expect(abs(second.k - 200.0 / 3) < 1e-12 && abs(second.d - 500.0 / 9) < 1e-12 && abs(second.j - 800.0 / 9) < 1e-12)
    }

    /// StockCharts' Donchian sheet (20 bars, values rounded to cents).
    @Test func donchianMatchesStockCharts() throws {
        let rows = try sheet("cs-dc.csv")
        var donchian = try DonchianChannels(period: 20)
        var compared = 0
        for row in rows {
            let out = donchian.update(PriceBar(open: row["close"]!, high: row["high"]!, low: row["low"]!, close: row["close"]!))
            let got = out
            guard let upper = row["upper_band"], let lower = row["lower_band"], let middle = row["middle_band"] else {
                #expect(out == nil)
                continue
            }
            let value = try #require(got)
            #expect(abs(value.upper - upper) < 1e-9 && abs(value.lower - lower) < 1e-9 && abs(value.middle - middle) < 0.0051)
            compared += 1
        }
        #expect(compared == 11)
    }

    /// StockCharts' VWAP sheet. The sheet (from the `ta` package's tests) sums
    /// over a 14-bar rolling window, which equals the cumulative VWAP for its
    /// first 14 rows; those are compared.
    @Test func vwapMatchesStockCharts() throws {
        let rows = try sheet("cs-vwap.csv")
        var vwap = VWAP()
        for row in rows.prefix(14) {
            let out = vwap.update(PriceBar(open: row["Close"]!, high: row["High"]!, low: row["Low"]!,
                                           close: row["Close"]!, volume: row["Volume"]!))
            let got = try #require(out)
            #expect(closeEnough(got, row["vwap"]!, relative: 1e-12))
        }
        #expect(rows.count == 30)
    }

    /// The numeric cells of a StockCharts sheet by column name (empty or text cells left out).
    func sheet(_ name: String) throws -> [[String: Double]] {
        let text = try String(contentsOfFile: TestData.shared("ta_bukosabino/\(name)"), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines.removeFirst().map(String.init)
        return lines.map { cells in
            var row: [String: Double] = [:]
            for (column, cell) in zip(header, cells) { if let v = Double(cell) { row[column] = v } }
            return row
        }
    }
}
