// codec-bench: messages/s and MB/s of each codec, encoding and decoding in one process (no plugin ABI).
//
//   cd Plugins && swift build -c release --product codec-bench
//   .build/release/codec-bench [--messages 1000000] [--repetitions 3] [--codecs csv,jsonl,binary]
#if canImport(Glibc)
import Glibc
#endif
import BourseCodecs
import BourseSDK

/// Command-line options.
struct Options {
    var messages = 1_000_000
    var repetitions = 3
    var codecs = Codecs.names
}

func usage() -> Never {
    print("""
    usage: codec-bench [--messages N] [--repetitions N] [--codecs LIST]
      --messages N      minute bars per run (one instrument, one topic, a random walk), default 1000000
      --repetitions N   runs, the best is reported, default 3
      --codecs LIST     comma-separated codec names, default csv,jsonl,binary
    """)
    exit(0)
}

func fail(_ message: String) -> Never {
    fputs("codec-bench: \(message)\n", stderr)
    exit(2)
}

func parse() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func positive(_ flag: String) -> Int {
        guard let text = arguments.popFirst(), let n = Int(text), n > 0 else { fail("\(flag) needs a positive integer") }
        return n
    }
    while let flag = arguments.popFirst() {
        switch flag {
        case "--messages": options.messages = positive(flag)
        case "--repetitions": options.repetitions = positive(flag)
        case "--codecs":
            guard let text = arguments.popFirst() else { fail("--codecs needs a list such as csv,binary") }
            options.codecs = text.split(separator: ",").map(String.init)
        case "-h", "--help": usage()
        default: fail("unknown argument '\(flag)' (see --help)")
        }
    }
    return options
}

/// Seconds of a monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Minute bars of a seeded random walk.
func makeBars(_ count: Int) -> [CodecMessage] {
    var state: UInt64 = 42
    var price = 100.0
    return (0..<count).map { i in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        price *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.02
        let bar = Bar(open: price, high: price * 1.01, low: price * 0.99, close: price, volume: Double(i % 1000) * 100,
                      intervalNanoseconds: 60_000_000_000)
        return CodecMessage(topic: "bars.SPY.1d", instrument: "SPY", eventTime: 1_600_000_000_000_000_000 + Int64(i) * 60_000_000_000,
                            payload: .bar(bar))
    }
}

let options = parse()
let messages = makeBars(options.messages)
print("codec   bytes/msg   encode msg/s   encode MB/s   decode msg/s   decode MB/s   (\(options.messages) bars, best of \(options.repetitions))")
for name in options.codecs {
    let codec: any Codec
    do { codec = try Codecs.named(name) } catch { fail(error.description) }
    var bestEncode = Double.infinity, bestDecode = Double.infinity
    var bytes: [UInt8] = []
    for _ in 0..<options.repetitions {
        bytes.removeAll(keepingCapacity: true)
        let encoder = codec.makeEncoder()
        let start = now()
        do {
            for message in messages { try encoder.encode(message, into: &bytes) }
        } catch { fail("\(name): \(error)") }
        bestEncode = min(bestEncode, now() - start)

        let decoder = codec.makeDecoder(sourceName: "bench")
        var decoded = 0
        let decodeStart = now()
        do {
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + 65_536, bytes.count)
                bytes[offset..<end].withUnsafeBytes { decoder.feed($0) }
                offset = end
                while let item = try decoder.next() { if case .message = item { decoded += 1 } }
            }
            decoder.finishInput()
            while let item = try decoder.next() { if case .message = item { decoded += 1 } }
        } catch { fail("\(name): \(error)") }
        bestDecode = min(bestDecode, now() - decodeStart)
        guard decoded == messages.count else { fail("\(name): decoded \(decoded) of \(messages.count) messages") }
    }
    let count = Double(messages.count), megabytes = Double(bytes.count) / 1e6
    func column(_ value: Double, _ width: Int) -> String {
        let text = value >= 100 ? String(Int(value.rounded())) : String(Double(Int(value * 10)) / 10)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
    print(name.padding(toLength: 6, withPad: " ", startingAt: 0)
        + column(Double(bytes.count) / count, 12) + column(count / bestEncode, 15) + column(megabytes / bestEncode, 14)
        + column(count / bestDecode, 15) + column(megabytes / bestDecode, 14))
}
