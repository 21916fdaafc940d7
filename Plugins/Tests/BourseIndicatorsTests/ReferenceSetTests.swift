// The indicators of ../shared/data/reference against TA-Lib's outputs, on both bar files.
import BourseIndicators
import Testing
import TestSupport

@Suite struct ReferenceSetTests {
    @Test(arguments: ReferenceData.names)
    func movingAverages(set: String) throws {
        let data = try ReferenceData.load(set)
        var sma = try SMA(period: 20), wma = try WMA(period: 20)
        #expect(expectMatches(outputs(&sma, closes(data.bars), width: 1) { [$0] }[0], try data.column("sma20"), "sma20") == sma.lookback)
        #expect(expectMatches(outputs(&wma, closes(data.bars), width: 1) { [$0] }[0], try data.column("wma20"), "wma20") == wma.lookback)
    }

    @Test(arguments: ReferenceData.names)
    func macd(set: String) throws {
        let data = try ReferenceData.load(set)
        var macd = try MACD()
        let got = outputs(&macd, closes(data.bars), width: 3) { [$0.macd, $0.signal, $0.histogram] }
        #expect(expectMatches(got[0], try data.column("macd"), "macd") == 33)
        expectMatches(got[1], try data.column("macd_signal"), "macd_signal")
        expectMatches(got[2], try data.column("macd_hist"), "macd_hist")
        #expect(macd.lookback == 33)
    }

    @Test(arguments: ReferenceData.names)
    func bollingerBandsAndStandardDeviation(set: String) throws {
        let data = try ReferenceData.load(set)
        var bands = try BollingerBands()
        let got = outputs(&bands, closes(data.bars), width: 3) { [$0.upper, $0.middle, $0.lower] }
        #expect(expectMatches(got[0], try data.column("bb_upper"), "bb_upper", tolerance: 1e-8) == 19)
        expectMatches(got[1], try data.column("bb_middle"), "bb_middle")
        expectMatches(got[2], try data.column("bb_lower"), "bb_lower", tolerance: 1e-8)
        var deviation = try StandardDeviation(period: 20)
        let sd = outputs(&deviation, closes(data.bars), width: 1) { [$0] }[0]
        #expect(expectMatches(sd, try data.column("stddev20"), "stddev20", tolerance: 1e-8) == deviation.lookback)
    }

    @Test(arguments: ReferenceData.names)
    func rangeIndicators(set: String) throws {
        let data = try ReferenceData.load(set)
        var atr = try ATR(period: 14)
        #expect(expectMatches(outputs(&atr, data.bars, width: 1) { [$0] }[0], try data.column("atr14"), "atr14") == 14)
        var stoch = try Stochastic(fastK: 14, slowK: 3, slowD: 3)
        let s = outputs(&stoch, data.bars, width: 2) { [$0.k, $0.d] }
        #expect(expectMatches(s[0], try data.column("stoch_slowk"), "stoch_slowk") == stoch.lookback)
        expectMatches(s[1], try data.column("stoch_slowd"), "stoch_slowd")
        var willr = try WilliamsR(period: 14)
        #expect(expectMatches(outputs(&willr, data.bars, width: 1) { [$0] }[0], try data.column("willr14"), "willr14") == 13)
        var cci = try CCI(period: 20)
        #expect(expectMatches(outputs(&cci, data.bars, width: 1) { [$0] }[0], try data.column("cci20"), "cci20") == 19)
    }

    @Test(arguments: ReferenceData.names)
    func momentumAndVolume(set: String) throws {
        let data = try ReferenceData.load(set)
        var roc = try ROC(period: 10), mom = try Momentum(period: 10), obv = OBV(), vwap = VWAP()
        #expect(expectMatches(outputs(&roc, closes(data.bars), width: 1) { [$0] }[0], try data.column("roc10"), "roc10") == 10)
        #expect(expectMatches(outputs(&mom, closes(data.bars), width: 1) { [$0] }[0], try data.column("mom10"), "mom10") == 10)
        #expect(expectMatches(outputs(&obv, data.bars, width: 1) { [$0] }[0], try data.column("obv"), "obv") == 0)
        #expect(expectMatches(outputs(&vwap, data.bars, width: 1) { [$0] }[0], try data.column("vwap"), "vwap") == 0)
    }

    /// The set engine gives the same 21 outputs as the reference file, bar by bar.
    @Test(arguments: ReferenceData.names)
    func referenceIndicatorSet(set: String) throws {
        let data = try ReferenceData.load(set)
        let indicators = try IndicatorSet(IndicatorSpec.referenceSet)
        #expect(indicators.fieldNames == ["sma20", "ema20", "wma20", "rsi14", "macd", "macd_signal", "macd_hist",
                                          "bb_upper", "bb_middle", "bb_lower", "atr14", "stoch_slowk", "stoch_slowd",
                                          "willr14", "obv", "cci20", "roc10", "mom10", "stddev20", "vwap"])
        let state = indicators.makeState()
        var got = Array(repeating: [Double](), count: indicators.fieldNames.count)
        for bar in data.bars {
            #expect(state.update(bar) == nil)
            for (k, value) in state.values.enumerated() { got[k].append(value) }
        }
        for (k, name) in indicators.fieldNames.enumerated() {
            let loose = name.hasPrefix("bb_u") || name.hasPrefix("bb_l") || name.hasPrefix("stddev")
            expectMatches(got[k], try data.column(name), "set \(name)", tolerance: loose ? 1e-8 : 1e-9)
        }
        #expect(state.acceptedCount == data.bars.count)
    }
}
