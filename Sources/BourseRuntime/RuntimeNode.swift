import BourseBus
import BourseCore
import BourseGraph
import BoursePluginHost
import CBourseABI
import Synchronization

/// Value field names declared per topic, shared by all nodes of a graph.
final class FieldRegistry: Sendable {
    private let fields = Mutex([UInt32: [String]]())

    func set(_ names: [String], for topic: UInt32) { fields.withLock { $0[topic] = names } }
    func names(for topic: UInt32) -> [String] { fields.withLock { $0[topic] ?? [] } }
}

/// Statistics of one node during a run. Written by the node's thread;
/// read after it has been joined.
public struct NodeStatistics: Sendable, Codable {
    /// Messages delivered to the plugin.
    public var messagesIn = 0
    /// Messages the plugin published.
    public var messagesOut = 0
    /// Batches delivered (or polls made).
    public var calls = 0
    /// Plugin calls that returned an error.
    public var errors = 0
    /// Messages received after the node failed and that it discarded.
    public var discarded = 0
    /// Time spent inside plugin calls, ns.
    public var busyNanoseconds: Int64 = 0
    /// The most recent error's text (also under `on_error: continue`).
    public var lastError: String?
    /// Thread CPU time, ns.
    public var cpuNanoseconds: Int64 = 0
    /// From thread start to thread end, ns.
    public var wallNanoseconds: Int64 = 0
    /// Times the node's worker failed and was restarted (sandboxed nodes).
    public var restarts = 0
}

/// A node of a running graph: its plugin instance, its place on the bus,
/// and the host services it offers the plugin.
final class RuntimeNode: NodeServices, @unchecked Sendable {
    let definition: NodeDefinition
    let info: PluginInfo
    let path: String
    let nodeID: UInt32
    var nodeName: String { definition.id }
    let outputTopics: [UInt32]
    let publisher: Publisher?
    let subscription: Subscription?
    var instance: PluginInstance?
    var statistics = NodeStatistics()
    /// The first fatal error, if the node failed.
    var failure: BourseError?
    /// Set when the node's worker kept failing and supervision gave up on it.
    var quarantined = false

    private let bus: Bus
    private let fields: FieldRegistry
    private let logSink: LogSink
    private let counters = Mutex((ids: [String: UInt32](), names: [String](), values: [Int64]()))

    init(definition: NodeDefinition, info: PluginInfo, path: String, nodeID: UInt32, bus: Bus,
         publisher: Publisher?, subscription: Subscription?, fields: FieldRegistry, logSink: LogSink) {
        self.definition = definition
        self.info = info
        self.path = path
        self.nodeID = nodeID
        self.bus = bus
        self.publisher = publisher
        self.subscription = subscription
        self.fields = fields
        self.logSink = logSink
        self.outputTopics = definition.publishes.map { bus.topics.intern($0.rawValue) }
    }

    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws {
        guard let publisher else {
            throw BourseError(.kindCannotPublish, "node '\(nodeName)' has no `publishes` topics, so it cannot publish", input: nodeName)
        }
        try publisher.publish(messages)
        statistics.messagesOut += messages.count
    }

    func log(level: Int32, message: String) {
        logSink.log(LogLevel(rawValue: level) ?? .info, nodeName, message)
    }

    func counterID(named name: String) -> UInt32 {
        guard !name.isEmpty, name.utf8.count <= 64 else { return 0 }
        return counters.withLock { c in
            if let id = c.ids[name] { return id }
            c.names.append(name)
            c.values.append(0)
            let id = UInt32(c.names.count)
            c.ids[name] = id
            return id
        }
    }

    func addToCounter(_ id: UInt32, _ delta: Int64) {
        counters.withLock { c in
            guard id > 0, Int(id) <= c.values.count else { return }
            c.values[Int(id) - 1] &+= delta
        }
    }

    /// The plugin's counters, in creation order.
    var counterValues: [(name: String, value: Int64)] {
        counters.withLock { c in Array(zip(c.names, c.values)).map { (name: $0.0, value: $0.1) } }
    }

    func topicID(named name: String) -> UInt32 { bus.topics.lookup(name) ?? 0 }
    func topicName(of id: UInt32) -> String? { bus.topics.name(of: id) }

    func instrumentID(named symbol: String) -> UInt32 {
        guard !symbol.isEmpty, symbol.utf8.count <= 64,
              symbol.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else { return 0 }
        return bus.instruments.intern(symbol)
    }

    func instrumentName(of id: UInt32) -> String? { bus.instruments.name(of: id) }

    func declareFields(topicID: UInt32, names: [String]) throws {
        guard outputTopics.contains(topicID) else {
            let topic = bus.topics.name(of: topicID) ?? "id \(topicID)"
            throw BourseError(.unknownTopic, "node '\(nodeName)' declared fields for topic '\(topic)', which is not one of its outputs", input: topic)
        }
        guard names.count <= Int(BOURSE_MAX_VALUES) else {
            throw BourseError(.invalidValue, "node '\(nodeName)' declared \(names.count) fields; at most \(BOURSE_MAX_VALUES) are allowed", input: nodeName)
        }
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw BourseError(.invalidValue, "node '\(nodeName)' declared field '\(duplicate)' twice", input: duplicate)
        }
        for name in names where !isValidFieldName(name) {
            throw BourseError(.invalidValue, "node '\(nodeName)': field name '\(name)' must be 1-63 characters of A-Z, a-z, 0-9, '_', '.', '-'", input: name)
        }
        fields.set(names, for: topicID)
    }

    func fieldNames(of topicID: UInt32) -> [String] { fields.names(for: topicID) }
}

/// Field names: 1-63 bytes of `[A-Za-z0-9_.-]`.
func isValidFieldName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    return !bytes.isEmpty && bytes.count <= 63 && bytes.allSatisfy { b in
        (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 95 || b == 46 || b == 45
    }
}
