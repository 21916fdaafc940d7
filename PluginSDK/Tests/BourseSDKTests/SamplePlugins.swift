// Plugins used by the tests. Each one is configured through its JSON config so
// that tests running in parallel never share mutable state.

import BourseSDK

#if canImport(Glibc)
import Glibc
#endif

/// Thread-safe store the recorder plugin writes to, keyed by a per-test string.
final class TestStore: @unchecked Sendable {
    static let shared = TestStore()
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var messages: [String: [Message]] = [:]
    private var counts: [String: Int] = [:]
    private var contexts: [String: PluginContext] = [:]

    init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    func record(_ message: Message, key: String) { locked { messages[key, default: []].append(message) } }
    func messages(_ key: String) -> [Message] { locked { messages[key] ?? [] } }
    func increment(_ key: String) { locked { counts[key, default: 0] += 1 } }
    func count(_ key: String) -> Int { locked { counts[key] ?? 0 } }
    func keep(_ context: PluginContext, key: String) { locked { contexts[key] = context } }
    func context(_ key: String) -> PluginContext? { locked { contexts[key] } }
}

/// A source publishing `count` bars for `symbol`, at most `maxMessages` per poll.
final class CountingSource: SourcePlugin {
    static let name = "counting-source"
    static let version = "1.0.0"
    static let summary = "Publishes N synthetic bars"

    let context: PluginContext
    let total: Int
    let instrument: Instrument
    let output: Topic
    let produced: Counter
    var next = 0

    init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["count", "symbol"])
        self.context = context
        total = try config.int("count", default: 5)
        instrument = try context.instrument(named: try config.string("symbol", default: "SPY"))
        guard let output = context.outputs.first else { throw PluginError("needs one output") }
        self.output = output
        produced = context.counter("bars_out")
    }

    func start() throws {
        context.log(.info, "starting with \(total) bars")
    }

    func poll(maxMessages: Int) throws -> PollResult {
        guard next < total else { return .endOfStream }
        let end = min(total, next + maxMessages)
        while next < end {
            let price = 100 + Double(next)
            try context.publish(
                .bar(Bar(open: price, high: price + 1, low: price - 1, close: price, volume: 10,
                         intervalNanoseconds: 60_000_000_000)),
                topic: output, instrument: instrument, eventTime: Int64(next) * 60_000_000_000)
            produced.add()
            next += 1
        }
        return .produced
    }
}

/// A simple moving average of bar closes, per instrument.
final class SMAIndicator: IndicatorPlugin {
    static let name = "sma"
    static let version = "0.3.1-beta.2+build.7"

    let context: PluginContext
    let period: Int
    let output: Topic
    var windows: [Instrument: [Double]] = [:]

    init(context: PluginContext, config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: ["period"])
        period = try config.int("period", default: 3)
        guard period >= 1 else { throw PluginError("period must be at least 1", code: 22) }
        self.context = context
        guard let output = context.outputs.first else { throw PluginError("needs one output") }
        self.output = output
        try context.declareFields(["sma", "count"], for: output)
        context.log(.debug, "restart count \(context.restartCount)")
        context.log(.debug, "run id \(context.runID)")
    }

    func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            guard case .bar(let bar) = message.payload else { continue }
            var window = windows[message.instrument, default: []]
            window.append(bar.close)
            if window.count > period { window.removeFirst() }
            windows[message.instrument] = window
            var values = IndicatorValues()
            try values.append(window.count == period ? window.reduce(0, +) / Double(period) : .nan)
            try values.append(Double(window.count))
            try context.publish(.values(values), topic: output, instrument: message.instrument,
                                eventTime: message.eventTime)
        }
    }
}

/// Republishes every received message on its output (or on the topic named by
/// "target"), optionally swallowing publish errors.
final class EchoModel: ModelPlugin {
    static let name = "echo"
    static let version = "1.0.0"

    let context: PluginContext
    let target: Topic
    let swallow: Bool
    let repeatCount: Int

    init(context: PluginContext, config: PluginConfig) throws {
        self.context = context
        swallow = try config.bool("swallow", default: false)
        repeatCount = try config.int("repeat", default: 1)
        if let name = try config.string("target") {
            guard let topic = context.topic(named: name) else { throw PluginError("unknown topic \(name)") }
            target = topic
        } else {
            target = context.outputs[0]
        }
    }

    func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            for _ in 0..<repeatCount {
                do {
                    try context.publish(message.payload, topic: target, instrument: message.instrument,
                                        eventTime: message.eventTime, flags: message.flags)
                } catch where swallow {
                    context.log(.warning, "publish failed: \(error)")
                }
            }
        }
    }
}

/// Records every message it receives in ``TestStore`` under the config's "key".
final class RecorderExporter: ExporterPlugin {
    static let name = "recorder"
    static let version = "2.0.0"

    let key: String
    let context: PluginContext

    init(context: PluginContext, config: PluginConfig) throws {
        key = try config.requiredString("key")
        self.context = context
        TestStore.shared.keep(context, key: key)
    }

    deinit {
        TestStore.shared.increment(key + ".destroyed")
    }

    func onMessages(_ batch: MessageBatch) throws {
        for message in batch {
            TestStore.shared.record(message, key: key)
        }
        // The same messages rebuilt through the allocation-free field accessors.
        for index in batch.indices {
            var payload = batch[index].payload
            if let bar = batch.bar(at: index) { payload = .bar(bar) }
            if let trade = batch.trade(at: index) { payload = .trade(trade) }
            if let quote = batch.quote(at: index) { payload = .quote(quote) }
            if let values = batch.values(at: index) { payload = .values(values) }
            let fast = Message(topic: batch.topic(at: index), instrument: batch.instrument(at: index),
                               eventTime: batch.eventTime(at: index), payload: payload)
            TestStore.shared.record(fast, key: key + ".fast")
            let consistent = batch.withRawRecord(at: index) { raw in
                let type = raw.loadUnaligned(as: UInt16.self)
                let length = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                return raw.count == 48 + Int(length) && type == batch.messageType(at: index)
            }
            if !consistent { TestStore.shared.increment(key + ".mismatch") }
        }
        if let first = batch.first, first.payload == .bytes([0xEE]) {
            try context.publish(.bytes([1]), topic: Topic(id: 1), eventTime: 0)
        }
    }
}

struct CustomFailure: Error, CustomStringConvertible {
    var description: String { "custom failure" }
}

/// Fails where its config says: "create", "start", "messages", "flush", "stop", with "message".
final class FailingIndicator: IndicatorPlugin {
    static let name = "failing"
    static let version = "1.0.0"

    let failIn: String
    let message: String
    let context: PluginContext

    init(context: PluginContext, config: PluginConfig) throws {
        failIn = try config.requiredString("failIn")
        message = try config.string("message", default: "boom")
        self.context = context
        try fail("create")
        switch failIn {
        case "bad-fields":
            try context.declareFields(["bad name"], for: context.outputs[0])
        case "duplicate-fields":
            try context.declareFields(["a", "a"], for: context.outputs[0])
        case "publish-in-create":
            try context.publish(.bytes([1]), topic: context.outputs[0], eventTime: 0)
        default:
            break
        }
    }

    private func fail(_ place: String) throws {
        guard place == failIn else { return }
        if message == "custom" { throw CustomFailure() }
        throw PluginError(message, code: 42)
    }

    func start() throws {
        try fail("start")
        if failIn == "publish-in-start" {
            try context.publish(.bytes([1]), topic: context.outputs[0], eventTime: 0)
        }
    }
    func flush() throws { try fail("flush") }
    func stop() throws { try fail("stop") }

    func onMessages(_ batch: MessageBatch) throws {
        try fail("messages")
        switch failIn {
        case "too-many-values":
            let values = try IndicatorValues((0..<17).map(Double.init))
            try context.publish(.values(values), topic: context.outputs[0], eventTime: 0)
        case "raw-values":
            var bytes: [UInt8] = [17, 0, 0, 0, 0, 0, 0, 0]
            bytes += [UInt8](repeating: 0, count: 17 * 8)
            try context.publish(.other(type: 4, bytes: bytes), topic: context.outputs[0], eventTime: 0)
        case "too-large":
            try context.publish(.bytes([UInt8](repeating: 1, count: 65_537)), topic: context.outputs[0], eventTime: 0)
        case "late-fields":
            try context.declareFields(["x"], for: context.outputs[0])
        default:
            break
        }
    }
}

/// Has a name the host rejects.
final class BadlyNamedPlugin: ExporterPlugin {
    static let name = "Bad_Name"
    static let version = "1.0"
    init(context: PluginContext, config: PluginConfig) throws {}
    func onMessages(_ batch: MessageBatch) throws {}
}

/// A codec turning 24-byte `.bytes` records into trades; everything else is
/// republished whole with `PluginContext.publish(_ message:)`.
final class TradeCodec: CodecPlugin {
    static let name = "trade-codec"
    static let version = "1.0.0"

    let context: PluginContext

    init(context: PluginContext, config: PluginConfig) throws {
        self.context = context
    }

    func onMessages(_ batch: MessageBatch) throws {
        for var message in batch {
            message.topic = context.outputs[0]
            if case .bytes(let bytes) = message.payload, bytes.count == 16 {
                let price = bytes.withUnsafeBytes { $0.loadUnaligned(as: Double.self) }
                let size = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Double.self) }
                message.payload = .trade(Trade(price: price, size: size, side: .buy))
            }
            try context.publish(message)
        }
    }
}
