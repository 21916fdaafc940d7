/// What a run did, per node. Printed after `bourse run`, as a table or JSON.
public struct RunSummary: Sendable, Codable {
    /// Graph name or file.
    public var graph: String
    /// Whole run, ns.
    public var wallNanoseconds: Int64
    /// Whether a stop was requested (signal or a failing node).
    public var interrupted: Bool
    /// Per node, in topological order.
    public var nodes: [NodeSummary]

    /// True when no node failed.
    public var succeeded: Bool { nodes.allSatisfy { $0.failure == nil } }
    /// Ids of the nodes supervision quarantined.
    public var quarantinedNodes: [String] { nodes.filter(\.quarantined).map(\.id) }
}

/// One node's line in a `RunSummary`.
public struct NodeSummary: Sendable, Codable {
    /// Node id.
    public var id: String
    /// Plugin name.
    public var plugin: String
    /// Plugin version.
    public var version: String
    /// Plugin kind.
    public var kind: String
    /// Counts and times.
    public var statistics: NodeStatistics
    /// The plugin's own counters.
    public var counters: [String: Int64]
    /// Why the node failed, if it did.
    public var failure: String?
    /// Whether supervision gave up on the node's worker.
    public var quarantined: Bool
}
