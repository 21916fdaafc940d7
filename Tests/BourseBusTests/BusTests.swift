import BourseBus
import BourseCore
import CBourseABI
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Builds messages in one contiguous buffer for tests.
final class MessageBuilder {
    private var storage: [UnsafeMutableRawPointer] = []
    private(set) var pointers: [UnsafePointer<bourse_message>] = []

    deinit { for s in storage { s.deallocate() } }

    func add(topic: UInt32, sequenceMarker: Int64, payloadBytes: Int = 16) {
        let size = (48 + payloadBytes + 7) & ~7
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let header = raw.assumingMemoryBound(to: bourse_message.self)
        header.pointee.type = UInt16(BOURSE_MSG_BYTES.rawValue)
        header.pointee.payload_len = UInt32(payloadBytes)
        header.pointee.topic_id = topic
        header.pointee.event_time_ns = sequenceMarker
        storage.append(raw)
        pointers.append(UnsafePointer(header))
    }

    func publish(_ publisher: Publisher) throws {
        try pointers.withUnsafeBufferPointer { try publisher.publish($0) }
    }
}

/// Drains a subscription into (topic, marker, sequence) triples.
func drain(_ subscription: Subscription) -> [(topic: UInt32, marker: Int64, sequence: UInt64)] {
    var seen: [(UInt32, Int64, UInt64)] = []
    while true {
        let result = subscription.queue.consume(maxMessages: 1000) { batch in
            for m in batch { seen.append((m!.pointee.topic_id, m!.pointee.event_time_ns, m!.pointee.sequence)) }
        }
        if result == .ended { break }
    }
    return seen.map { (topic: $0.0, marker: $0.1, sequence: $0.2) }
}

@Suite("Bus")
struct BusTests {
    @Test("routes by exact, '*' and '>' patterns; non-matching subscribers get nothing")
    func routing() throws {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "src", nodeID: 1, topics: [TopicName("bars.SPY.1d"), TopicName("bars.QQQ.1m")])
        let exact = bus.addSubscription(name: "exact", patterns: [try TopicPattern("bars.SPY.1d")], queueBytes: 65536)
        let star = bus.addSubscription(name: "star", patterns: [try TopicPattern("bars.*.1m")], queueBytes: 65536)
        let tail = bus.addSubscription(name: "tail", patterns: [try TopicPattern("bars.>")], queueBytes: 65536)
        let none = bus.addSubscription(name: "none", patterns: [try TopicPattern("quotes.>")], queueBytes: 65536)
        bus.seal()
        let spy = bus.topics.lookup("bars.SPY.1d")!
        let qqq = bus.topics.lookup("bars.QQQ.1m")!
        let batch = MessageBuilder()
        batch.add(topic: spy, sequenceMarker: 1)
        batch.add(topic: qqq, sequenceMarker: 2)
        batch.add(topic: spy, sequenceMarker: 3)
        try batch.publish(publisher)
        publisher.close()
        #expect(drain(exact).map(\.marker) == [1, 3])
        #expect(drain(star).map(\.marker) == [2])
        #expect(drain(tail).map(\.marker) == [1, 2, 3])
        #expect(drain(none).isEmpty)
        #expect(star.matchedTopics.map(\.rawValue) == ["bars.QQQ.1m"])
    }

    @Test("a message matching several patterns of one subscriber arrives once")
    func deliveredOnce() throws {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "src", nodeID: 1, topics: [TopicName("a.b")])
        let sub = bus.addSubscription(name: "s", patterns: [try TopicPattern("a.b"), try TopicPattern("a.*"), try TopicPattern(">")], queueBytes: 65536)
        bus.seal()
        let batch = MessageBuilder()
        batch.add(topic: bus.topics.lookup("a.b")!, sequenceMarker: 7)
        try batch.publish(publisher)
        publisher.close()
        #expect(drain(sub).map(\.marker) == [7])
    }

    @Test("per-topic order and sequence numbers hold through a full, wrapping queue with a concurrent consumer")
    func orderingUnderBackPressure() throws {
        let bus = Bus()
        let topics = try (0..<3).map { try TopicName("t.\($0)") }
        let publisher = try bus.addPublisher(name: "src", nodeID: 9, topics: topics)
        let sub = bus.addSubscription(name: "slow", patterns: [try TopicPattern("t.*")], queueBytes: 4096)
        bus.seal()
        let ids = topics.map { bus.topics.lookup($0.rawValue)! }
        let total = 20_000
        final class Box: @unchecked Sendable { var seen: [(topic: UInt32, marker: Int64, sequence: UInt64)] = [] }
        let box = Box()
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ConsumerContext { box.seen = drain(sub) }).toOpaque()
        pthread_create(&thread, nil, { raw in
            Unmanaged<ConsumerContext>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        var k = 0
        while k < total {
            let batch = MessageBuilder()
            for _ in 0..<50 {
                // Varying sizes make records wrap at different offsets.
                batch.add(topic: ids[k % 3], sequenceMarker: Int64(k), payloadBytes: 8 + (k % 5) * 40)
                k += 1
            }
            try batch.publish(publisher)
        }
        publisher.close()
        pthread_join(thread, nil)
        #expect(box.seen.count == total)
        #expect(box.seen.map(\.marker) == (0..<Int64(total)).map { $0 })
        for id in ids {
            let sequences = box.seen.filter { $0.topic == id }.map(\.sequence)
            #expect(sequences == (1...UInt64(sequences.count)).map { $0 })
        }
        #expect(sub.queue.fullWaits > 0, "the 4 KiB queue should have filled at least once")
    }

    @Test("two publishers filling one small queue from two threads lose nothing and keep their order")
    func twoPublishersUnderBackPressure() throws {
        let bus = Bus()
        let publishers = try (0..<2).map { i in try bus.addPublisher(name: "src\(i)", nodeID: UInt32(i + 1), topics: [TopicName("t.\(i)")]) }
        let sub = bus.addSubscription(name: "slow", patterns: [try TopicPattern("t.*")], queueBytes: 4096)
        bus.seal()
        let ids = (0..<2).map { bus.topics.lookup("t.\($0)")! }
        let perPublisher = 20_000
        final class Box: @unchecked Sendable { var seen: [(topic: UInt32, marker: Int64, sequence: UInt64)] = [] }
        let box = Box()
        func spawn(_ body: @escaping () -> Void) -> pthread_t {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(ConsumerContext(body)).toOpaque()
            pthread_create(&thread, nil, { raw in
                Unmanaged<ConsumerContext>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, context)
            return thread
        }
        let consumer = spawn { box.seen = drain(sub) }
        let producers = (0..<2).map { p in
            spawn {
                var k = 0
                while k < perPublisher {
                    let batch = MessageBuilder()
                    for _ in 0..<50 {
                        batch.add(topic: ids[p], sequenceMarker: Int64(k), payloadBytes: 8 + (k % 7) * 24)
                        k += 1
                    }
                    try! batch.publish(publishers[p])
                }
                publishers[p].close()
            }
        }
        for thread in producers { pthread_join(thread, nil) }
        pthread_join(consumer, nil)
        #expect(box.seen.count == 2 * perPublisher)
        for id in ids {
            let mine = box.seen.filter { $0.topic == id }
            #expect(mine.map(\.marker) == (0..<Int64(perPublisher)).map { $0 })
            #expect(mine.map(\.sequence) == (1...UInt64(perPublisher)).map { $0 })
        }
    }

    @Test("one publisher fans out to four subscribers, each getting everything")
    func fanOut() throws {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "src", nodeID: 1, topics: [TopicName("x")])
        let subs = (0..<4).map { i in bus.addSubscription(name: "s\(i)", patterns: [try! TopicPattern("x")], queueBytes: 1 << 20) }
        bus.seal()
        let batch = MessageBuilder()
        for i in 0..<100 { batch.add(topic: bus.topics.lookup("x")!, sequenceMarker: Int64(i)) }
        try batch.publish(publisher)
        publisher.close()
        for sub in subs { #expect(drain(sub).map(\.marker) == (0..<100).map { Int64($0) }) }
    }

    @Test("publishing to a topic outside the publisher's list is refused and nothing is delivered")
    func undeclaredTopic() throws {
        let bus = Bus()
        let a = try bus.addPublisher(name: "a", nodeID: 1, topics: [TopicName("a")])
        _ = try bus.addPublisher(name: "b", nodeID: 2, topics: [TopicName("b")])
        let sub = bus.addSubscription(name: "s", patterns: [try TopicPattern(">")], queueBytes: 65536)
        bus.seal()
        let batch = MessageBuilder()
        batch.add(topic: bus.topics.lookup("a")!, sequenceMarker: 1)
        batch.add(topic: bus.topics.lookup("b")!, sequenceMarker: 2)
        #expect(throws: BourseError.self) { try batch.publish(a) }
        sub.queue.abort()
        #expect(sub.queue.usedBytes == 0)
    }

    @Test("two publishers of one topic are refused")
    func duplicatePublisher() throws {
        let bus = Bus()
        _ = try bus.addPublisher(name: "a", nodeID: 1, topics: [TopicName("x")])
        #expect(throws: BourseError.self) { _ = try bus.addPublisher(name: "b", nodeID: 2, topics: [TopicName("x")]) }
    }

    @Test("a queue ends only after every producer closed")
    func endsAfterAllProducers() throws {
        let bus = Bus()
        let a = try bus.addPublisher(name: "a", nodeID: 1, topics: [TopicName("a")])
        let b = try bus.addPublisher(name: "b", nodeID: 2, topics: [TopicName("b")])
        let sub = bus.addSubscription(name: "s", patterns: [try TopicPattern("*")], queueBytes: 65536)
        bus.seal()
        a.close()
        #expect(sub.queue.consume(maxMessages: 10, timeoutNanoseconds: 1_000_000) { _ in } == .timedOut)
        b.close()
        #expect(sub.queue.consume(maxMessages: 10) { _ in } == .ended)
    }

    @Test("a message larger than the queue is an error, not a hang")
    func oversized() throws {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "a", nodeID: 1, topics: [TopicName("a")])
        _ = bus.addSubscription(name: "tiny", patterns: [try TopicPattern("a")], queueBytes: 4096)
        bus.seal()
        let batch = MessageBuilder()
        batch.add(topic: bus.topics.lookup("a")!, sequenceMarker: 1, payloadBytes: 8000)
        #expect(throws: BourseError.self) { try batch.publish(publisher) }
    }
}

final class ConsumerContext {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

@Suite("Bus message checks")
struct BusMessageCheckTests {
    func oneMessage(type: UInt16, payload: [UInt8], topic: String = "a") throws -> (Publisher, Subscription, [UnsafePointer<bourse_message>], UnsafeMutableRawPointer) {
        let bus = Bus()
        let publisher = try bus.addPublisher(name: "p", nodeID: 1, topics: [TopicName(topic)])
        let sub = bus.addSubscription(name: "s", patterns: [try TopicPattern(">")], queueBytes: 65536)
        bus.seal()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 48 + payload.count + 8, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 48 + payload.count + 8)
        let header = raw.assumingMemoryBound(to: bourse_message.self)
        header.pointee.type = type
        header.pointee.payload_len = UInt32(payload.count)
        header.pointee.topic_id = bus.topics.lookup(topic)!
        (raw + 48).copyMemory(from: payload, byteCount: payload.count)
        return (publisher, sub, [UnsafePointer(header)], raw)
    }

    @Test("type 0 (the queue's padding type) is refused even with an empty payload")
    func typeZero() throws {
        let (publisher, _, list, raw) = try oneMessage(type: 0, payload: [])
        defer { raw.deallocate() }
        #expect(throws: BourseError.self) { try list.withUnsafeBufferPointer { try publisher.publish($0) } }
    }

    @Test("a values message must hold the count it claims, at most 16")
    func valuesCount() throws {
        func values(count: UInt32, payloadBytes: Int) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: payloadBytes)
            withUnsafeBytes(of: count.littleEndian) { for k in 0..<4 { bytes[k] = $0[k] } }
            return bytes
        }
        for (count, size, ok) in [(UInt32(2), 24, true), (3, 24, false), (17, 8 + 17 * 8, false), (0, 8, true)] {
            let (publisher, _, list, raw) = try oneMessage(type: 4, payload: values(count: count, payloadBytes: size))
            defer { raw.deallocate() }
            if ok {
                try list.withUnsafeBufferPointer { try publisher.publish($0) }
            } else {
                #expect(throws: BourseError.self, "count \(count) in \(size) bytes") { try list.withUnsafeBufferPointer { try publisher.publish($0) } }
            }
        }
    }
}
