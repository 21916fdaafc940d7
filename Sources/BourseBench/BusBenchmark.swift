#if canImport(Glibc)
import Glibc
#endif
import BourseBus
import BourseCore
import CBourseABI
import Synchronization

/// Measures the in-process bus: one publisher thread, N subscriber threads,
/// fixed-size payloads, batches as a source would publish them, next to a
/// plain function call per message in the same process.
public struct BusBenchmark: Sendable {
    /// Messages published per run.
    public var messages: Int
    /// Payload bytes per message.
    public var payloadBytes: Int
    /// Messages per publish call.
    public var batchSize: Int
    /// Queue size per subscriber, bytes.
    public var queueBytes: Int
    /// Most messages a subscriber takes per consume.
    public var consumeBatch: Int
    /// Runs per configuration; the best (highest rate) is reported.
    public var repetitions: Int

    /// Creates a benchmark configuration.
    public init(messages: Int = 20_000_000, payloadBytes: Int = 64, batchSize: Int = 256,
                queueBytes: Int = 4 << 20, consumeBatch: Int = 1024, repetitions: Int = 3) {
        self.messages = messages
        self.payloadBytes = payloadBytes
        self.batchSize = batchSize
        self.queueBytes = queueBytes
        self.consumeBatch = consumeBatch
        self.repetitions = repetitions
    }

    /// One measured configuration.
    public struct Result: Sendable, Codable {
        /// What was measured.
        public var name: String
        /// Subscribers (0 for the function-call baseline).
        public var subscribers: Int
        /// Messages published (or calls made).
        public var messages: Int
        /// Best run, seconds.
        public var seconds: Double
        /// Published messages per second.
        public var messagesPerSecond: Double
        /// Deliveries per second, summed over subscribers.
        public var deliveriesPerSecond: Double
        /// Nanoseconds per published message.
        public var nanosecondsPerMessage: Double
    }

    /// Runs the function-call baseline, then the bus with each subscriber count.
    public func run(subscriberCounts: [Int] = [1, 4]) throws -> [Result] {
        var results = [baseline()]
        for n in subscriberCounts {
            var best: Result?
            for _ in 0..<max(1, repetitions) {
                let r = try runBus(subscribers: n)
                if best == nil || r.seconds < best!.seconds { best = r }
            }
            results.append(best!)
        }
        return results
    }

    private func makeBatch(topicID: UInt32) -> (UnsafeMutableRawPointer, [UnsafePointer<bourse_message>]) {
        let record = (messageHeaderSize + payloadBytes + 7) & ~7
        let storage = UnsafeMutableRawPointer.allocate(byteCount: record * batchSize, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: record * batchSize)
        var pointers: [UnsafePointer<bourse_message>] = []
        for i in 0..<batchSize {
            let header = (storage + i * record).assumingMemoryBound(to: bourse_message.self)
            header.pointee.type = UInt16(BOURSE_MSG_BYTES.rawValue)
            header.pointee.payload_len = UInt32(payloadBytes)
            header.pointee.topic_id = topicID
            header.pointee.instrument_id = 1
            header.pointee.event_time_ns = Int64(i)
            let payload = (storage + i * record + messageHeaderSize).assumingMemoryBound(to: UInt8.self)
            for b in 0..<payloadBytes { payload[b] = UInt8(truncatingIfNeeded: i &+ b) }
            pointers.append(UnsafePointer(header))
        }
        return (storage, pointers)
    }

    /// A plain, non-inlined function call per message over the same batch.
    func baseline() -> Result {
        let (storage, pointers) = makeBatch(topicID: 1)
        defer { storage.deallocate() }
        var best = Double.infinity
        var sink: UInt64 = 0
        for _ in 0..<max(1, repetitions) {
            let start = Clock.monotonicNanoseconds()
            var sent = 0
            while sent < messages {
                for p in pointers { sink &+= handleMessage(p) }
                sent += pointers.count
            }
            best = min(best, Double(Clock.monotonicNanoseconds() - start) / 1e9)
        }
        blackHole(sink)
        return Result(name: "function call per message", subscribers: 0, messages: messages, seconds: best,
                      messagesPerSecond: Double(messages) / best, deliveriesPerSecond: Double(messages) / best,
                      nanosecondsPerMessage: best * 1e9 / Double(messages))
    }

    private func runBus(subscribers: Int) throws -> Result {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "bench-publisher", nodeID: 1, topics: [try TopicName("bench.data")])
        var subs: [Subscription] = []
        for i in 0..<subscribers {
            subs.append(bus.addSubscription(name: "bench-subscriber-\(i)", patterns: [try TopicPattern("bench.>")], queueBytes: queueBytes))
        }
        bus.seal()
        let (storage, pointers) = makeBatch(topicID: bus.topics.lookup("bench.data")!)
        defer { storage.deallocate() }
        let received = Atomic<Int>(0)
        let consumeBatch = self.consumeBatch
        var threads: [pthread_t] = []
        for sub in subs {
            let box = Unmanaged.passRetained(ConsumerBox {
                var count = 0
                var sink: UInt64 = 0
                while true {
                    let result = sub.queue.consume(maxMessages: consumeBatch) { batch in
                        for p in batch { sink &+= handleMessage(p!) }
                        count += batch.count
                    }
                    if result == .ended { break }
                }
                blackHole(sink)
                received.add(count, ordering: .relaxed)
            }).toOpaque()
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                Unmanaged<ConsumerBox>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
            threads.append(thread)
        }
        let start = Clock.monotonicNanoseconds()
        var sent = 0
        try pointers.withUnsafeBufferPointer { batch in
            while sent < messages {
                try publisher.publish(batch)
                sent += batch.count
            }
        }
        publisher.close()
        for t in threads { pthread_join(t, nil) }
        let seconds = Double(Clock.monotonicNanoseconds() - start) / 1e9
        let delivered = received.load(ordering: .relaxed)
        guard delivered == sent * subscribers else {
            throw BourseError(.invalidMessage, "benchmark lost messages: sent \(sent) × \(subscribers), received \(delivered)")
        }
        return Result(name: "bus 1 → \(subscribers)", subscribers: subscribers, messages: sent, seconds: seconds,
                      messagesPerSecond: Double(sent) / seconds, deliveriesPerSecond: Double(delivered) / seconds,
                      nanosecondsPerMessage: seconds * 1e9 / Double(sent))
    }
}

private final class ConsumerBox {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// The per-message work in every configuration: read the header and the
/// first and last payload bytes.
@inline(never)
func handleMessage(_ message: UnsafePointer<bourse_message>) -> UInt64 {
    let payload = UnsafeRawPointer(message + 1).assumingMemoryBound(to: UInt8.self)
    let length = Int(message.pointee.payload_len)
    return UInt64(message.pointee.event_time_ns) &+ UInt64(payload[0]) &+ (length > 0 ? UInt64(payload[length - 1]) : 0)
}

@inline(never)
func blackHole(_ value: UInt64) {
    if value == 0x5EED_5EED_5EED_5EED { print("") }
}
