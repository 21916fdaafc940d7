import BourseCore
import CBourseABI

/// The sending side of one node. Not thread-safe: one node publishes from
/// one thread at a time (the ABI's threading rule).
public final class Publisher: @unchecked Sendable {
    /// The publishing node's name.
    public let name: String
    /// The publishing node's id (stamped into `origin_node`).
    public let nodeID: UInt32
    /// Topics this publisher may publish to.
    public let topicIDs: [UInt32]

    unowned let bus: Bus
    /// Queues per topic id (index = topic id); filled by `Bus.seal()`.
    var routes: [[MessageQueue]]
    /// Every queue this publisher reaches.
    var downstream: [MessageQueue] = []
    // Per-topic tables indexed by topic id, as raw buffers: the hot loop
    // must not pay Swift array uniqueness and exclusivity checks per message.
    private let topicSlots: Int
    private let allowed: UnsafeMutablePointer<Bool>
    private let sequences: UnsafeMutablePointer<UInt64>
    private var stamps = UnsafeMutablePointer<MessageStamp>.allocate(capacity: 1)
    private var stampCapacity = 1
    private var indices: [Int32] = []
    private var closed = false
    /// Messages published so far.
    public private(set) var publishedCount = 0

    init(bus: Bus, name: String, nodeID: UInt32, topicIDs: [UInt32]) {
        self.bus = bus
        self.name = name
        self.nodeID = nodeID
        self.topicIDs = topicIDs
        topicSlots = Int(topicIDs.max() ?? 0) + 1
        routes = Array(repeating: [], count: topicSlots)
        allowed = .allocate(capacity: topicSlots)
        allowed.initialize(repeating: false, count: topicSlots)
        sequences = .allocate(capacity: topicSlots)
        sequences.initialize(repeating: 0, count: topicSlots)
        for id in topicIDs { allowed[Int(id)] = true }
    }

    deinit {
        allowed.deallocate()
        sequences.deallocate()
        stamps.deallocate()
    }

    /// Publishes a batch: checks each header (topic is one of ours, type and
    /// length valid), stamps sequence numbers, and copies the batch into
    /// every subscriber queue it reaches, blocking while one is full.
    /// Nothing is delivered if any message is invalid.
    public func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws {
        let count = messages.count
        if count == 0 { return }
        guard !closed else {
            throw BourseError(.queueClosed, "node '\(name)' published after its stream ended", input: name)
        }
        if stampCapacity < count {
            stamps.deallocate()
            stamps = .allocate(capacity: count)
            stampCapacity = count
        }
        let stamps = self.stamps
        let allowed = self.allowed
        let sequences = self.sequences
        let slots = topicSlots
        let origin = nodeID
        let now = Clock.wallNanoseconds()
        let firstTopic = messages[0].pointee.topic_id
        var singleTopic = true
        // Headers of a batch are usually identical in type and length:
        // validate each distinct (type, length) once. The sentinel is no
        // valid pair, so the first message is always checked.
        var checkedType: UInt16 = .max
        var checkedLength: UInt32 = .max
        var largestRecord = 0
        for i in 0..<count {
            let header = messages[i]
            let topic = header.pointee.topic_id
            guard Int(topic) < slots, allowed[Int(topic)] else {
                let topicName = bus.topics.name(of: topic).map { "'\($0)'" } ?? "id \(topic)"
                throw BourseError(.unknownTopic, "node '\(name)' published to topic \(topicName), which is not in its `publishes` list", input: topicName)
            }
            let type = header.pointee.type
            let length = header.pointee.payload_len
            if type != checkedType || length != checkedLength {
                if let problem = validateMessageHeader(type: type, payloadLength: length) {
                    throw BourseError(.invalidMessage, "node '\(name)' published an invalid message: \(problem)", input: name)
                }
                checkedType = type
                checkedLength = length
                largestRecord = max(largestRecord, (messageHeaderSize + Int(length) + 7) & ~7)
            }
            if type == valuesType, let problem = validateValuesPayload(header) {
                throw BourseError(.invalidMessage, "node '\(name)' published an invalid message: \(problem)", input: name)
            }
            if topic != firstTopic { singleTopic = false }
        }
        // Refuse, before stamping or copying anything, a message a queue can
        // never hold, so a batch is delivered whole or not at all.
        for queue in singleTopic ? routes[Int(firstTopic)] : downstream where largestRecord > queue.largestRecord {
            throw BourseError(.invalidMessage, "node '\(name)' published a \(largestRecord)-byte message; the queue of '\(queue.name)' holds at most \(queue.largestRecord) bytes per message: raise its queue_bytes", input: queue.name)
        }
        for i in 0..<count {
            let topic = Int(messages[i].pointee.topic_id)
            let sequence = sequences[topic] &+ 1
            sequences[topic] = sequence
            stamps[i] = MessageStamp(sequence: sequence, origin: origin, created: now)
        }
        let stampBuffer = UnsafeBufferPointer(start: stamps, count: count)
        if singleTopic {
            for queue in routes[Int(firstTopic)] {
                try queue.push(messages, stamps: stampBuffer)
            }
        } else {
            try publishMixed(messages, stamps: stampBuffer)
        }
        publishedCount += count
    }

    /// Routes a batch with several topics: each queue receives, in order,
    /// the subset of messages whose topic reaches it.
    private func publishMixed(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>,
                              stamps: UnsafeBufferPointer<MessageStamp>) throws {
        for queue in downstream {
            indices.removeAll(keepingCapacity: true)
            for i in 0..<messages.count where routes[Int(messages[i].pointee.topic_id)].contains(where: { $0 === queue }) {
                indices.append(Int32(i))
            }
            try indices.withUnsafeBufferPointer { try queue.push(messages, stamps: stamps, indices: $0) }
        }
    }

    /// Ends this publisher's stream: downstream queues end once drained.
    /// Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        for queue in downstream { queue.closeProducer() }
    }

    private let valuesType = UInt16(BOURSE_MSG_VALUES.rawValue)

    /// Subscriber names this publisher reaches, for diagnostics.
    public var downstreamNames: [String] { downstream.map(\.name) }
}
