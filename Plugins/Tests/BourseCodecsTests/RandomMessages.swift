// Seeded random messages of every type, with the awkward values codecs must survive.
import BourseCodecs
import BourseSDK
import TestSupport

/// The generator of the codec tests.
typealias SeededRandom = SplitMix64

/// Makes random messages. `textSafe` keeps to what the text codecs carry:
/// flags only on bytes, integers within ±2^53 (JSON).
struct MessageFactory {
    var random: SeededRandom
    var textSafe: Bool

    static let topics = ["bars.SPY.1d", "ind.set", "alerts.x", "a,b \"quoted\" topic", ""]
    static let instruments = ["SPY", "BRK.B", "", "ÄÖÜ", "x y"]
    static let reasons = ["", "plain", "comma, and \"quotes\"", "line\nbreak", "crlf\r\nin it", "lone\rcr",
                          "  spaces around  ", "unicode: 🚀 日本語 é́", "\"", "\u{301}combining first",
                          String(repeating: "é", count: 60), "tab\there"]

    init(seed: UInt64, textSafe: Bool) {
        random = SeededRandom(seed: seed)
        self.textSafe = textSafe
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<12, using: &random) {
        case 0: return .nan
        case 1: return .infinity
        case 2: return -.infinity
        case 3: return -0.0
        case 4: return 0
        case 5: return .leastNonzeroMagnitude
        case 6: return .greatestFiniteMagnitude
        case 7: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)  // any finite positive
        default: return Double.random(in: -1e6...1e6, using: &random)
        }
    }

    mutating func int64() -> Int64 {
        let limit: Int64 = textSafe ? 1 << 53 : .max
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return textSafe ? limit : .max
        case 1: return textSafe ? -limit : .min
        default: return Int64.random(in: -limit...limit, using: &random)
        }
    }

    mutating func bytes(maxSize: Bool) -> [UInt8] {
        let count = maxSize ? BourseABI.maxPayload : Int.random(in: 0...64, using: &random)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    mutating func payload(_ kind: MessageKind, valueCount: Int? = nil) -> Payload {
        switch kind {
        case .bar:
            return .bar(Bar(open: double(), high: double(), low: double(), close: double(), volume: double(),
                            intervalNanoseconds: int64()))
        case .trade:
            return .trade(Trade(price: double(), size: double(), side: Trade.Side.allCases.randomElement(using: &random)!,
                                exchange: UInt32.random(in: 0...UInt32.max, using: &random)))
        case .quote:
            return .quote(Quote(bidPrice: double(), bidSize: double(), askPrice: double(), askSize: double()))
        case .values:
            let count = valueCount ?? Int.random(in: 0...16, using: &random)
            return .values(try! IndicatorValues((0..<count).map { _ in double() }))
        case .signal:
            return .signal(Signal(value: double(), confidence: double(), actual: double(), horizonNanoseconds: int64(),
                                  direction: Int32.random(in: .min ... .max, using: &random),
                                  kind: SignalKind.allCases.randomElement(using: &random)!))
        case .alert:
            return .alert(Alert(score: double(), severity: Alert.Severity.allCases.randomElement(using: &random)!,
                                code: UInt32.random(in: 0...UInt32.max, using: &random),
                                reason: Self.reasons.randomElement(using: &random)!))
        case .bytes:
            return .bytes(bytes(maxSize: Int.random(in: 0..<50, using: &random) == 0))
        case .other:
            let type = [UInt16(0x8000), 0xFFFF, 8, 0x1234, 0].randomElement(using: &random)!
            return .other(type: type, bytes: bytes(maxSize: Int.random(in: 0..<50, using: &random) == 0))
        }
    }

    /// A message of `kind`; values get names `f0…` (or `names`).
    mutating func message(_ kind: MessageKind, names: [String]? = nil) -> CodecMessage {
        let payload = self.payload(kind, valueCount: names?.count)
        var fieldNames: [String] = []
        if case .values(let values) = payload { fieldNames = names ?? (0..<values.count).map { "f\($0)" } }
        let flags: UInt16 = !textSafe || kind == .bytes ? UInt16.random(in: 0...UInt16.max, using: &random) : 0
        let time = Int.random(in: 0..<8, using: &random) == 0 ? [Int64.min, .max, 0, -1].randomElement(using: &random)!
            : Int64.random(in: .min ... .max, using: &random)
        return CodecMessage(topic: Self.topics.randomElement(using: &random)!,
                            instrument: Self.instruments.randomElement(using: &random)!,
                            eventTime: time, flags: flags, payload: payload, fieldNames: fieldNames)
    }

    mutating func anyMessage() -> CodecMessage {
        message(MessageKind.allCases.randomElement(using: &random)!)
    }
}
