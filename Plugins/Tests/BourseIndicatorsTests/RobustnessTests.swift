// Bad input, gaps, independence of states, the rolling-window helpers and set specs.
import BourseIndicators
import Testing
import TestSupport

@Suite struct RobustnessTests {
    /// Every value of a set over `bars`, bar by bar, for bars the set accepted.
    func run(_ set: IndicatorSet, _ bars: [PriceBar], state: IndicatorSetState? = nil) -> [[Double]] {
        let state = state ?? set.makeState()
        var rows: [[Double]] = []
        for bar in bars where state.update(bar) == nil { rows.append(Array(state.values)) }
        return rows
    }

    /// A set with every kind, for the robustness checks.
    func everyKind() throws -> IndicatorSet {
        try IndicatorSet(IndicatorSpec.Kind.allCases.map { try IndicatorSpec($0) })
    }

    /// Equal as doubles, NaN equal to NaN.
    func same(_ a: [[Double]], _ b: [[Double]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.count == y.count && zip(x, y).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
    }

    @Test func nonFiniteAndBadPrintBarsAreRejectedAndCounted() throws {
        let bars = try ReferenceData.load("ford_2012").bars
        let set = try everyKind()
        let clean = run(set, bars)
        let bad: [PriceBar] = [
            PriceBar(open: 0, high: 0, low: 0, close: 0, volume: 100),              // zero print
            PriceBar(open: -1, high: 12, low: 11, close: 11.5, volume: 100),        // negative price
            PriceBar(open: 11, high: 10, low: 12, close: 11, volume: 100),          // high < low
            PriceBar(open: 11, high: 12, low: 10, close: 11, volume: -5),           // negative volume
            PriceBar(open: 11, high: 12, low: 10, close: .nan, volume: 100),
            PriceBar(open: 11, high: .infinity, low: 10, close: 11, volume: 100),
            PriceBar(open: 11, high: 12, low: 10, close: 11, volume: .nan),
        ]
        var dirty = bad                     // the very first bars are bad prints
        for (i, bar) in bars.enumerated() {
            dirty.append(bar)
            if i % 37 == 5 { dirty.append(bad[i % bad.count]) }
        }
        let state = set.makeState()
        #expect(same(run(set, dirty, state: state), clean))
        #expect(state.acceptedCount == bars.count)
        #expect(state.nonFiniteCount + state.badPrintCount == dirty.count - bars.count)
        #expect(state.nonFiniteCount == 3 + (0..<bars.count).filter { $0 % 37 == 5 && $0 % bad.count >= 4 }.count)
        #expect(PriceBar(open: 1, high: 0.5, low: 1, close: 1).defect == .highBelowLow)
    }

    @Test func standaloneIndicatorsSkipNonFiniteBars() throws {
        let bars = try ReferenceData.load("ford_2012").bars
        var clean = try ADX(period: 14), dirty = try ADX(period: 14)
        var sarClean = try ParabolicSAR(), sarDirty = try ParabolicSAR()
        for (i, bar) in bars.enumerated() {
            if i % 50 == 3 {
                #expect(dirty.update(PriceBar(open: 1, high: .nan, low: 1, close: 1)) == nil)
                #expect(sarDirty.update(PriceBar(open: 1, high: 1, low: -.infinity, close: 1)) == nil)
            }
            #expect(clean.update(bar) == dirty.update(bar))
            #expect(sarClean.update(bar) == sarDirty.update(bar))
        }
        #expect(dirty.skippedCount == 5 && sarDirty.skippedCount == 5)
        #expect(dirty.acceptedCount == bars.count)
    }

    /// Missing bars are simply absent: the state continues from the last bar it saw.
    @Test func gapsContinueFromTheLastBarSeen() throws {
        let bars = try ReferenceData.load("bars_10000").bars
        let gapped = Array(bars[0..<1000]) + Array(bars[2500..<4000])   // a day and more missing
        let set = try everyKind()
        let separate = set.makeState()
        let rows = run(set, gapped, state: separate)
        #expect(rows.count == gapped.count)
        // Session VWAP restarts at the first bar of the new day after the gap.
        let index = try #require(set.fieldNames.firstIndex(of: "vwap_session"))
        let first = gapped[1000]
        #expect(rows[1000][index] == (first.high + first.low + first.close) / 3.0 * first.volume / first.volume)
    }

    /// Two states of one set are independent: interleaving gives the separate series.
    @Test func statesAreIndependent() throws {
        let a = try ReferenceData.load("ford_2012").bars
        let b = Array(try ReferenceData.load("bars_10000").bars.prefix(400))
        let set = try everyKind()
        let aloneA = run(set, a), aloneB = run(set, b)
        let stateA = set.makeState(), stateB = set.makeState()
        var mixedA: [[Double]] = [], mixedB: [[Double]] = []
        for i in 0..<max(a.count, b.count) {
            if i < b.count, stateB.update(b[i]) == nil { mixedB.append(Array(stateB.values)) }
            if i < a.count, stateA.update(a[i]) == nil { mixedA.append(Array(stateA.values)) }
        }
        #expect(same(mixedA, aloneA) && same(mixedB, aloneB))
    }

    @Test func rollingExtremeMatchesBruteForceWithTies() {
        var generator = SplitMix64(seed: 7)
        for window in [1, 2, 5, 15] {
            var high = RollingExtreme(.highest, window: window), low = RollingExtreme(.lowest, window: window)
            var values: [Double] = []
            for i in 0..<2000 {
                let x = Double(generator.next() % 9)           // many ties
                values.append(x)
                high.push(x, at: i)
                low.push(x, at: i)
                let recent = values.suffix(window)
                #expect(high.value == recent.max()! && low.value == recent.min()!)
                #expect(high.index == values.lastIndex(of: recent.max()!)!)
                #expect(low.index == values.lastIndex(of: recent.min()!)!)
            }
        }
    }

    @Test func ringBufferKeepsTheLastValues() {
        var ring = RingBuffer(capacity: 3)
        for x in [1.0, 2, 3, 4, 5] { ring.push(x) }
        #expect(ring.isFull && ring.oldest == 3 && ring[age: 0] == 5 && ring[age: 2] == 3)
        ring.removeAll()
        ring.push(9)
        #expect(ring.count == 1 && ring.oldest == 9)
    }

    @Test func specsParseWithDefaultsAndNames() throws {
        #expect(try IndicatorSpec(parsing: "sma").outputNames == ["sma20"])
        #expect(try IndicatorSpec(parsing: " SMA : 50 ").outputNames == ["sma50"])
        #expect(try IndicatorSpec(parsing: "macd:5:35:5").outputNames == ["macd_5_35_5", "macd_5_35_5_signal", "macd_5_35_5_hist"])
        #expect(try IndicatorSpec(parsing: "bbands:20:2.5").outputNames == ["bb_20_2.5_2_upper", "bb_20_2.5_2_middle", "bb_20_2.5_2_lower"])
        #expect(try IndicatorSpec(parsing: "stddev:20:2").outputNames == ["stddev20_2"])
        #expect(try IndicatorSpec(parsing: "adx").outputNames == ["adx14", "plus_di14", "minus_di14"])
        #expect(try IndicatorSpec(parsing: "sar").outputNames == ["sar"])
        #expect(try IndicatorSpec(parsing: "vwap_session:570").outputNames == ["vwap_session_570"])
        #expect(try IndicatorSpec(parsing: "keltner").kind.category == .volatility)
        #expect(IndicatorSpec.referenceSet.count == 15)
        #expect(IndicatorSpec.Kind.allCases.count == 27)
    }

    @Test func badSpecsAndSetsThrowNamingTheInput() throws {
        for (text, fragment) in [("smaa:20", "unknown indicator \"smaa\""), ("sma:x", "\"x\""), ("sma:2.5", "integer"),
                                 ("sma:20:3", "at most 1"), ("sma:0", "period"), ("sar:-1", "acceleration"),
                                 ("vwap_session:1440", "session_start_minutes")] {
            do {
                _ = try IndicatorSet([try IndicatorSpec(parsing: text)])
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
        #expect(throws: IndicatorError.self) { try IndicatorSet([try IndicatorSpec(parsing: "sma"), try IndicatorSpec(parsing: "sma:20")]) }
        #expect(throws: IndicatorError.self) { try IndicatorSet([]) }
    }
}
