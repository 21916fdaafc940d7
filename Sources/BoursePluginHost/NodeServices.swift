import BourseCore
import CBourseABI

/// What the host side of a graph node offers a plugin instance: the bus,
/// names, counters and logs. The runtime implements it; the plugin host
/// turns it into the C `bourse_host_api` table. A sandboxed worker will
/// implement it over shared memory, so nothing here may assume the plugin
/// runs in this process.
public protocol NodeServices: AnyObject {
    /// Id of the node in its graph.
    var nodeID: UInt32 { get }
    /// Name of the node as written in the graph file.
    var nodeName: String { get }
    /// Topic ids of the node's `publishes`, in order.
    var outputTopics: [UInt32] { get }

    /// Publishes a batch (copies it before returning; may block).
    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws
    /// Writes a log line attributed to the node.
    func log(level: Int32, message: String)
    /// Id of a named counter of the node, created on first use.
    func counterID(named name: String) -> UInt32
    /// Adds to a counter.
    func addToCounter(_ id: UInt32, _ delta: Int64)
    /// Id of a topic known to the graph, or 0.
    func topicID(named name: String) -> UInt32
    /// Name of a topic id.
    func topicName(of id: UInt32) -> String?
    /// Interns an instrument symbol (0 when invalid).
    func instrumentID(named symbol: String) -> UInt32
    /// Symbol of an instrument id.
    func instrumentName(of id: UInt32) -> String?
    /// Records the value field names of one of the node's output topics.
    func declareFields(topicID: UInt32, names: [String]) throws
    /// Value field names declared for a topic.
    func fieldNames(of topicID: UInt32) -> [String]
    /// How many times the node's worker was restarted before this instance
    /// was created (`restart_count`, ABI 1.2).
    var restartCount: UInt32 { get }
    /// The run's id (`run_id`, ABI 1.2): ``HostRun/id`` of the host process.
    var runID: UInt64 { get }
}

extension NodeServices {
    /// 0: an instance hosted in process is never recreated.
    public var restartCount: UInt32 { 0 }
    /// This process's ``HostRun/id``.
    public var runID: UInt64 { HostRun.id }
}

/// The run of this host process.
public enum HostRun {
    /// A random, non-zero number drawn once per host process (`run_id`, ABI
    /// 1.2): the same for every node and every restarted worker of the run.
    public static let id: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return UInt64.random(in: 1...UInt64.max, using: &generator)
    }()
}
