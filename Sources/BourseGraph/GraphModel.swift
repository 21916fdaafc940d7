import BourseCore

/// A graph file, parsed: nodes with their plugins, configs and topics.
public struct GraphDefinition: Sendable {
    /// The file it came from, as named by the user.
    public var file: String
    /// Directory of the file; relative paths in the file resolve against it.
    public var directory: String
    /// Optional display name.
    public var name: String?
    /// Format version (1).
    public var version: Int
    /// Directories searched for plugins named without a path, resolved.
    public var pluginPath: [String]
    /// Nodes in file order.
    public var nodes: [NodeDefinition]
    /// How nodes run unless they say otherwise (default: sandboxed).
    public var isolation: Isolation
}

/// Where a node's plugin runs.
public enum Isolation: String, Sendable, CaseIterable {
    /// In its own worker process under seccomp and resource limits (default).
    case sandboxed
    /// Inside the bourse process: fastest, but a plugin can read and crash
    /// everything. Only for plugins you trust completely.
    case inProcess = "in-process"
}

/// Resource limits and supervision settings of a sandboxed node; nil means
/// the default.
public struct NodeLimits: Sendable, Equatable {
    /// Address space, MiB.
    public var addressSpaceMiB: Int?
    /// CPU time, seconds.
    public var cpuSeconds: Int?
    /// Open files.
    public var openFiles: Int?
    /// Longest a single call into the plugin may take before it counts as hung, ms.
    public var callTimeoutMilliseconds: Int?
    /// Restarts before the node is quarantined.
    public var maximumRestarts: Int?

    /// No limits set (defaults apply).
    public init() {}
}

/// What a node does when its plugin returns an error from a call.
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop the whole graph gracefully and exit non-zero (default).
    case stop
    /// Count the error, log it and go on with the next batch.
    case `continue`
}

/// One node of a graph.
public struct NodeDefinition: Sendable {
    /// Unique id within the graph.
    public var id: String
    /// The plugin as written: a name (searched in the plugin path) or a path to a `.so`.
    public var plugin: String
    /// Kind the node requires of its plugin, if the file says.
    public var kind: PluginKind?
    /// Plugin config as a JSON object text.
    public var configJSON: String
    /// Subscription patterns.
    public var subscribes: [TopicPattern]
    /// Topics the node publishes to (concrete, no wildcards).
    public var publishes: [TopicName]
    /// Size of the node's inbound queue in bytes.
    public var queueBytes: Int
    /// Most messages handed to the plugin in one call (and asked of a source per poll).
    public var batchSize: Int
    /// Reaction to plugin errors.
    public var onError: ErrorPolicy
    /// Where each part is in the file, for diagnostics.
    public var locations: NodeLocations
    /// Keys written for this node (even when their value was rejected).
    public var presentKeys: Set<String>
    /// Where the plugin runs; nil = the graph's setting.
    public var isolation: Isolation?
    /// Permissions granted to the plugin (descriptor syntax entries).
    public var allow: [String]
    /// Limits for the sandboxed worker.
    public var limits: NodeLimits
}

/// Positions of a node's parts in its file.
public struct NodeLocations: Sendable {
    /// The node entry.
    public var node: SourceLocation
    /// The `plugin` value.
    public var plugin: SourceLocation
    /// The `kind` value.
    public var kind: SourceLocation?
    /// The `config` value.
    public var config: SourceLocation?
    /// Each subscription pattern.
    public var subscribes: [SourceLocation]
    /// Each published topic.
    public var publishes: [SourceLocation]
}

/// Defaults for node settings.
public enum NodeDefaults {
    /// Default inbound queue size: 4 MiB.
    public static let queueBytes = 4 << 20
    /// Smallest allowed queue.
    public static let minimumQueueBytes = 4096
    /// Default batch size.
    public static let batchSize = 256
}
