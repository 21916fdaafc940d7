// indicator-bench: bars/s of an indicator set in one process, no plugin ABI
// (the pure-math half of the indicator benchmark; `bourse bench plugin`
// measures the same set through the plugin boundary).
//
//   cd Plugins && swift build -c release --product indicator-bench
//   .build/release/indicator-bench [--bars 1000000] [--repetitions 3] [--indicators sma:20,rsi:14,...] [--each]
#if canImport(Glibc)
import Glibc
#endif
import BourseIndicators
import Foundation

/// Command-line options.
struct Options {
    var bars = 1_000_000
    var repetitions = 3
    var specs = IndicatorSpec.referenceSet
    var each = false
}

func usage() -> Never {
    print("""
    usage: indicator-bench [--bars N] [--repetitions N] [--indicators SPEC,SPEC,...] [--each]
      --bars N            synthetic bars per run (seeded GBM with volatility clustering), default 1000000
      --repetitions N     runs, the best is reported, default 3
      --indicators LIST   indicator specs (name[:p1[:p2...]]), default the 15-indicator TA-Lib reference set
      --each              also time every indicator alone
    """)
    exit(0)
}

func fail(_ message: String) -> Never {
    fputs("indicator-bench: \(message)\n", stderr)
    exit(2)
}

func parse() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = arguments.popFirst() else { fail("\(flag) needs a value") }
        return v
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--bars":
            guard let n = Int(value(argument)), n > 0 else { fail("--bars must be a positive integer") }
            options.bars = n
        case "--repetitions":
            guard let n = Int(value(argument)), n > 0 else { fail("--repetitions must be a positive integer") }
            options.repetitions = n
        case "--indicators":
            do {
                options.specs = try value(argument).split(separator: ",").map { try IndicatorSpec(parsing: String($0)) }
            } catch let error as IndicatorError {
                fail("--indicators: \(error.message)")
            } catch {
                fail("--indicators: \(error)")
            }
        case "--each": options.each = true
        case "-h", "--help": usage()
        default: fail("unknown argument '\(argument)' (see --help)")
        }
    }
    return options
}

/// Seeded GBM bars with GARCH-like volatility clustering (the same recipe as `bourse bench plugin`).
func syntheticBars(_ count: Int, seed: UInt64 = 42) -> [PriceBar] {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }
    func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
    var bars: [PriceBar] = []
    bars.reserveCapacity(count)
    var price = 100.0, variance = 1e-6
    for i in 0..<count {
        let shock = normal()
        variance = 2e-8 + 0.05 * variance * shock * shock + 0.93 * variance
        let open = price
        price *= exp(variance.squareRoot() * shock - variance / 2)
        let spread = abs(normal()) * variance.squareRoot() * price
        bars.append(PriceBar(open: open, high: max(open, price) + spread, low: min(open, price) - spread, close: price,
                             volume: Double(100 + next() % 10_000), time: 1_704_067_200_000_000_000 + Int64(i) * 60_000_000_000))
    }
    return bars
}

/// Wall-clock (CLOCK_MONOTONIC) or this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), ns.
func nanoseconds(cpu: Bool = false) -> Int64 {
    var t = timespec()
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
}

/// Best wall and CPU seconds over the repetitions for one set; also a checksum so the work is not optimised away.
func measure(_ specs: [IndicatorSpec], _ bars: [PriceBar], repetitions: Int) -> (seconds: Double, cpuSeconds: Double, checksum: Double) {
    guard let set = try? IndicatorSet(specs) else { fail("invalid indicator set") }
    var best = Double.infinity, bestCPU = Double.infinity, checksum = 0.0
    for _ in 0..<repetitions {
        let state = set.makeState()
        let begin = nanoseconds(), beginCPU = nanoseconds(cpu: true)
        for bar in bars { state.update(bar) }
        bestCPU = min(bestCPU, Double(nanoseconds(cpu: true) - beginCPU) / 1e9)
        best = min(best, Double(nanoseconds() - begin) / 1e9)
        checksum = state.values.reduce(0) { $1.isNaN ? $0 : $0 + $1 }
    }
    return (best, bestCPU, checksum)
}

let options = parse()
#if DEBUG
fputs("warning: debug build; use `swift build -c release` for real figures\n", stderr)
#endif
let bars = syntheticBars(options.bars)
let set = try IndicatorSet(options.specs)
let whole = measure(options.specs, bars, repetitions: options.repetitions)
let wholeRate = Double(options.bars) / whole.seconds / 1e6
let wholePerBar = whole.seconds * 1e9 / Double(options.bars)
print("indicator set of \(options.specs.count) indicators (\(set.fieldNames.count) outputs), \(options.bars) bars, best of \(options.repetitions)")
print(String(format: "  wall clock: %.2f M bars/s  (%.1f ns/bar, %.3f s)", wholeRate, wholePerBar, whole.seconds))
print(String(format: "  CPU time:   %.2f M bars/s  (%.1f ns/bar; differs from wall clock when other processes share the cores)",
             Double(options.bars) / whole.cpuSeconds / 1e6, whole.cpuSeconds * 1e9 / Double(options.bars)))
print("  checksum \(whole.checksum)")
if options.each {
    print("  each alone, CPU time:")
    // Baseline: one EMA struct fed directly, no set, no closure.
    var best = Double.infinity, sink = 0.0
    for _ in 0..<options.repetitions {
        var ema = try EMA(period: 20)
        let begin = nanoseconds(cpu: true)
        for bar in bars { sink += ema.update(bar.close) ?? 0 }
        best = min(best, Double(nanoseconds(cpu: true) - begin) / 1e9)
    }
    print("  " + "EMA struct alone".padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(format: " %8.2f M bars/s  %6.1f ns/bar", Double(options.bars) / best / 1e6, best * 1e9 / Double(options.bars))
          + (sink == 0 ? " " : ""))

    for spec in options.specs {
        let one = measure([spec], bars, repetitions: options.repetitions)
        let rate: Double = Double(options.bars) / one.cpuSeconds / 1e6
        let perBar: Double = one.cpuSeconds * 1e9 / Double(options.bars)
        let name = spec.description.padding(toLength: 16, withPad: " ", startingAt: 0)
        print("  " + name + String(format: " %8.2f M bars/s  %6.1f ns/bar", rate, perBar))
    }
}
