import BourseCore
import BoursePluginHost
import CBourseABI

/// The host services as a worker sees them: answers what it can from the
/// configuration it received, forwards the rest over the channel. Used only
/// on the worker's single serving thread.
final class WorkerServices: NodeServices {
    let nodeID: UInt32
    let nodeName: String
    let outputTopics: [UInt32]
    let restartCount: UInt32
    let runID: UInt64
    private let channel: FrameChannel
    private let inbox: DeliveryInbox
    private var topicIDs: [String: UInt32] = [:]
    private var topicNames: [UInt32: String] = [:]
    private var fields: [UInt32: [String]] = [:]
    private var instrumentIDs: [String: UInt32] = [:]
    private var instrumentNames: [UInt32: String] = [:]
    private var counterIDs: [String: UInt32] = [:]
    private var counters: [(name: String, pending: Int64, reported: Bool)] = []
    /// How long a send may wait for ring space before giving up.
    static let sendTimeout: Int64 = 60_000_000_000

    init(configuration: WorkerConfiguration, channel: FrameChannel, inbox: DeliveryInbox) {
        self.inbox = inbox
        nodeID = configuration.nodeID
        nodeName = configuration.nodeName
        outputTopics = configuration.outputs
        restartCount = configuration.restartCount
        runID = configuration.runID
        self.channel = channel
        for (id, name) in configuration.topics {
            topicIDs[name] = id
            topicNames[id] = name
        }
        for (topic, names) in configuration.fields { fields[topic] = names }
    }

    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws {
        // Checked again by the host; checked here so the plugin gets the
        // error from its own publish call.
        for message in messages {
            let header = message.pointee
            guard outputTopics.contains(header.topic_id) else {
                let name = topicNames[header.topic_id].map { "'\($0)'" } ?? "id \(header.topic_id)"
                throw BourseError(.unknownTopic, "node '\(nodeName)' published to topic \(name), which is not in its `publishes` list", input: name)
            }
            if let problem = validateMessageHeader(type: header.type, payloadLength: header.payload_len) {
                throw BourseError(.invalidMessage, "node '\(nodeName)' published an invalid message: \(problem)", input: nodeName)
            }
            let size = messageHeaderSize + Int(header.payload_len)
            try channel.send(.published, UnsafeRawBufferPointer(start: UnsafeRawPointer(message), count: size),
                             timeoutNanoseconds: WorkerServices.sendTimeout)
        }
    }

    func log(level: Int32, message: String) {
        var e = WireEncoder()
        e.i32(level)
        e.string(String(message.utf8.prefix(8192)) ?? message)
        try? channel.send(.log, bytes: e.bytes, timeoutNanoseconds: WorkerServices.sendTimeout)
    }

    func counterID(named name: String) -> UInt32 {
        guard !name.isEmpty, name.utf8.count <= 64 else { return 0 }
        if let id = counterIDs[name] { return id }
        counters.append((name, 0, false))
        let id = UInt32(counters.count)
        counterIDs[name] = id
        return id
    }

    func addToCounter(_ id: UInt32, _ delta: Int64) {
        guard id > 0, Int(id) <= counters.count else { return }
        counters[Int(id) - 1].pending &+= delta
    }

    /// Sends the counters that changed since the last report.
    func reportCounters() throws {
        var updates: [CounterUpdate] = []
        for index in counters.indices where counters[index].pending != 0 || !counters[index].reported {
            updates.append(CounterUpdate(id: UInt32(index + 1), name: counters[index].reported ? "" : counters[index].name,
                                         delta: counters[index].pending))
            counters[index].pending = 0
            counters[index].reported = true
        }
        if !updates.isEmpty {
            try channel.send(.counters, bytes: CounterUpdate.encode(updates), timeoutNanoseconds: WorkerServices.sendTimeout)
        }
    }

    func topicID(named name: String) -> UInt32 { topicIDs[name] ?? 0 }
    func topicName(of id: UInt32) -> String? { topicNames[id] }

    func instrumentID(named symbol: String) -> UInt32 {
        if let id = instrumentIDs[symbol] { return id }
        guard let reply = try? ask(.instrumentID(symbol)), reply.value != 0 else { return 0 }
        instrumentIDs[symbol] = reply.value
        instrumentNames[reply.value] = symbol
        return reply.value
    }

    func instrumentName(of id: UInt32) -> String? {
        if let name = instrumentNames[id] { return name }
        guard let reply = try? ask(.instrumentName(id)), !reply.text.isEmpty else { return nil }
        instrumentNames[id] = reply.text
        instrumentIDs[reply.text] = id
        return reply.text
    }

    func declareFields(topicID: UInt32, names: [String]) throws {
        let reply = try ask(.declareFields(topic: topicID, names: names))
        guard reply.text.isEmpty else { throw BourseError(.invalidValue, reply.text, input: nodeName) }
        fields[topicID] = names
    }

    func fieldNames(of topicID: UInt32) -> [String] { fields[topicID] ?? [] }

    /// Sends a request and waits for the host's reply (the host answers
    /// while it waits for a result). Frames of batches the host sent
    /// meanwhile are stashed in the inbox, to be served afterwards.
    private func ask(_ request: WorkerRequest) throws -> RequestReply {
        try channel.send(.request, bytes: request.encoded(), timeoutNanoseconds: WorkerServices.sendTimeout)
        channel.flush()
        while true {
            guard let frame = try channel.receive(timeoutNanoseconds: WorkerServices.sendTimeout) else {
                throw BourseError(.io, "no reply from the host within 60 s")
            }
            switch FrameKind(rawValue: frame.kind) {
            case .reply:
                let reply = try RequestReply(decoding: frame.payload)
                channel.release()
                return reply
            case .message:
                inbox.stash(frame.payload)
            case .deliver:
                channel.release()
                inbox.closeBatch()
            default:
                throw BourseError(.invalidMessage, "expected a reply from the host, got frame kind \(frame.kind)")
            }
        }
    }
}
