// The protocols a plugin type adopts: one common base and one per kind.

/// The common base of every plugin.
///
/// The host creates one instance per graph node with
/// ``init(context:config:)``, then calls ``start()``, then repeatedly
/// delivers messages (or polls a source), then ``flush()`` and ``stop()``,
/// and finally releases the instance. All calls on one instance come from one
/// thread at a time; different instances may run on different threads.
///
/// Do not adopt `Plugin` directly: adopt exactly one of ``SourcePlugin``,
/// ``IndicatorPlugin``, ``ModelPlugin``, ``CodecPlugin`` or
/// ``ExporterPlugin``, and export the type with `exportPlugin(_:)`.
public protocol Plugin: AnyObject {
    /// The plugin's name: 1...64 bytes of lower-case `[a-z0-9-]`.
    static var name: String { get }
    /// The plugin's semantic version, e.g. "1.2.0".
    static var version: String { get }
    /// One line describing the plugin for humans; defaults to "".
    static var summary: String { get }
    /// What the plugin needs beyond computing on messages when sandboxed
    /// (network, threads, files, JIT); defaults to nothing. The graph must
    /// grant each one. See docs/security.md.
    static var permissions: [Permission] { get }

    /// Creates the instance for one graph node.
    ///
    /// Read and validate the configuration here, look up topics and
    /// instruments, and declare value fields
    /// (``PluginContext/declareFields(_:for:)``, only allowed here). Do not
    /// publish here. Throw to refuse the configuration; the host then
    /// reports the error and never calls the instance. Keep `context`: it
    /// is valid for the whole life of the instance.
    init(context: PluginContext, config: PluginConfig) throws

    /// Called once before the first poll or batch, before any consumer runs:
    /// open connections, start threads; do not publish here. Defaults to doing nothing.
    func start() throws
    /// Publishes pending outputs or writes out buffered data. Defaults to doing nothing.
    func flush() throws
    /// Called once after the last poll or batch and a final flush. Defaults to doing nothing.
    func stop() throws
}

extension Plugin {
    /// No description.
    public static var summary: String { "" }
    /// No permissions.
    public static var permissions: [Permission] { [] }
    /// Does nothing.
    public func start() throws {}
    /// Does nothing.
    public func flush() throws {}
    /// Does nothing.
    public func stop() throws {}
}

/// A plugin that produces messages (market data feeds, file readers, ...).
///
/// The host calls ``poll(maxMessages:)`` repeatedly; publish with
/// ``PluginContext/publish(_:topic:instrument:eventTime:flags:)``.
public protocol SourcePlugin: Plugin {
    /// Publishes up to `maxMessages` messages (more is allowed but delays
    /// shutdown) and says whether more may come.
    ///
    /// Never block for long: return ``PollResult/idle`` when nothing is
    /// available and the host will ask again later.
    func poll(maxMessages: Int) throws -> PollResult
}

/// A plugin that receives batches of messages from the topics it subscribes to.
public protocol ProcessingPlugin: Plugin {
    /// Handles one batch of messages, in per-topic order.
    ///
    /// `batch` is only valid during this call: keep ``Message`` values taken
    /// from it (they are copies), never the batch itself.
    func onMessages(_ batch: MessageBatch) throws
}

/// A processing plugin that publishes computed values (`BOURSE_KIND_INDICATOR`).
public protocol IndicatorPlugin: ProcessingPlugin {}

/// A processing plugin that publishes signals, predictions or alerts (`BOURSE_KIND_MODEL`).
public protocol ModelPlugin: ProcessingPlugin {}

/// A processing plugin that converts between bytes and typed messages (`BOURSE_KIND_CODEC`).
public protocol CodecPlugin: ProcessingPlugin {}

/// A processing plugin that writes messages out of the graph and never publishes (`BOURSE_KIND_EXPORTER`).
public protocol ExporterPlugin: ProcessingPlugin {}
