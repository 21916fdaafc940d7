import BourseCore
import CBourseABI

/// What a source's poll reported.
public enum PollStatus: Sendable, Equatable {
    /// It published (or tried to); poll again.
    case produced
    /// Nothing available now; poll again later.
    case idle
    /// Finished for good.
    case endOfStream
}

/// One running plugin instance (one graph node), however it is hosted.
///
/// The runtime only ever talks to this protocol. `InProcessPluginHost`
/// calls the plugin's functions directly; a sandboxed host runs the plugin
/// in a worker process and forwards the same calls. Calls on one instance
/// come from one thread at a time.
public protocol PluginInstance: AnyObject {
    /// The plugin's descriptor facts.
    var info: PluginInfo { get }
    /// Calls `start`.
    func start() throws
    /// Delivers one batch of messages (`on_messages`).
    func deliver(_ batch: UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws
    /// Asks a source for up to `maxMessages` messages (`poll`).
    func poll(maxMessages: Int) throws -> PollStatus
    /// Calls `flush`.
    func flush() throws
    /// Calls `stop`.
    func stop() throws
    /// Frees the instance; idempotent. No other call is allowed afterwards.
    func destroy()
    /// The process running the plugin when it is not this one (a sandboxed worker).
    var processID: Int32? { get }
    /// Waits until the plugin handled every batch delivered so far (a
    /// sandboxed instance keeps batches in flight; `flush`, `poll` and
    /// `stop` settle first). Throws the error of a batch that failed.
    func settle() throws
    /// Messages delivered (and counted in) that the plugin will never handle:
    /// those a quarantined sandboxed instance still held. 0 otherwise.
    var undeliveredMessages: Int { get }
    /// How many times the instance was created again in a new worker after
    /// its worker failed. 0 in process.
    var workerRestarts: Int { get }
}

extension PluginInstance {
    /// In-process instances run in this process.
    public var processID: Int32? { nil }

    /// In-process delivery is synchronous: nothing to wait for.
    public func settle() throws {}

    /// In-process delivery is synchronous: nothing is ever held.
    public var undeliveredMessages: Int { 0 }

    /// An in-process instance is never recreated.
    public var workerRestarts: Int { 0 }
}

/// Loads plugins and creates instances: the single interface behind which
/// in-process and sandboxed hosting live.
public protocol PluginHost: Sendable {
    /// Loads and validates the plugin at `path` (no instance).
    func inspect(path: String, label: String) throws -> PluginInfo
    /// Loads the plugin, checks it is of `expectedKind` (when given) and
    /// creates an instance with `configJSON` for the node `services`.
    func instantiate(path: String, label: String, expectedKind: PluginKind?,
                     configJSON: String, services: NodeServices) throws -> PluginInstance
}

/// Hosts plugins inside this process.
public struct InProcessPluginHost: PluginHost {
    /// Creates the host.
    public init() {}

    /// Loads and validates the plugin at `path`.
    public func inspect(path: String, label: String) throws -> PluginInfo {
        try PluginLibrary.load(path: path, label: label).info
    }

    /// Loads the plugin and creates an instance.
    public func instantiate(path: String, label: String, expectedKind: PluginKind?,
                            configJSON: String, services: NodeServices) throws -> PluginInstance {
        let library = try PluginLibrary.load(path: path, label: label)
        if let expectedKind, library.info.kind != expectedKind {
            throw BourseError(.wrongKind, "node '\(label)': plugin \(library.info.name) \(library.info.version) is \(library.info.kind.withArticle), but the node needs \(expectedKind.withArticle)", input: path)
        }
        return try InProcessPluginInstance(library: library, label: label, configJSON: configJSON, services: services)
    }
}

/// A plugin instance running in this process.
final class InProcessPluginInstance: PluginInstance {
    let info: PluginInfo
    private let library: PluginLibrary
    private let api: bourse_plugin_api
    private let node: HostNode
    private let label: String
    private var instance: UnsafeMutableRawPointer?
    private let error = UnsafeMutablePointer<bourse_error>.allocate(capacity: 1)

    init(library: PluginLibrary, label: String, configJSON: String, services: NodeServices) throws {
        self.library = library
        self.info = library.info
        self.api = library.api
        self.label = label
        self.node = HostNode(services: services)
        error.initialize(to: bourse_error())
        var created: UnsafeMutableRawPointer?
        let status = node.calling(.create) {
            configJSON.withCString { json in
                api.create!(library.descriptor, hostAPITable, node.opaque, json, strlen(json), &created, error)
            }
        }
        guard status == Int32(BOURSE_OK.rawValue) else {
            let reason = takeErrorMessage(default: "create failed without a reason")
            throw BourseError(.pluginCreateFailed, "node '\(label)': plugin \(info.name) refused its config: \(reason)", input: label)
        }
        guard let created else {
            throw BourseError(.pluginCreateFailed, "node '\(label)': plugin \(info.name) returned OK from create but no instance", input: label)
        }
        instance = created
    }

    deinit {
        destroy()
        error.deallocate()
    }

    /// The plugin's error text (and its code when it set one).
    private func takeErrorMessage(default text: String) -> String {
        let message = withUnsafeBytes(of: &error.pointee.message) { raw -> String in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
        let code = error.pointee.code
        let base = message.isEmpty ? text : message
        return code != 0 && code != 1 ? "\(base) (plugin error code \(code))" : base
    }

    private func call(_ name: String, phase: HostNode.Phase = .running,
                      _ body: (UnsafeMutableRawPointer, UnsafeMutablePointer<bourse_error>) -> Int32) throws -> Int32 {
        guard let instance else {
            throw BourseError(.pluginCallFailed, "node '\(label)': \(name) called after destroy", input: label)
        }
        error.pointee.code = 0
        error.pointee.message.0 = 0
        let status = node.calling(phase) { body(instance, error) }
        if status == Int32(BOURSE_ERROR.rawValue) {
            let reason = takeErrorMessage(default: "\(name) failed without a reason")
            throw BourseError(.pluginCallFailed, "node '\(label)' (\(info.name)): \(name): \(reason)", input: label)
        }
        return status
    }

    func start() throws { _ = try call("start", phase: .start) { api.start!($0, $1) } }
    func flush() throws { _ = try call("flush") { api.flush!($0, $1) } }
    func stop() throws { _ = try call("stop") { api.stop!($0, $1) } }

    func deliver(_ batch: UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws {
        guard batch.count > 0, let onMessages = api.on_messages else { return }
        _ = try call("on_messages") { instance, error in
            batch.withMemoryRebound(to: UnsafePointer<bourse_message>?.self) { pointers in
                onMessages(instance, pointers.baseAddress, pointers.count, error)
            }
        }
    }

    func poll(maxMessages: Int) throws -> PollStatus {
        guard let poll = api.poll else {
            throw BourseError(.pluginCallFailed, "node '\(label)': \(info.name) is not a source and cannot be polled", input: label)
        }
        let status = try call("poll") { poll($0, UInt32(clamping: maxMessages), $1) }
        switch status {
        case Int32(BOURSE_OK.rawValue): return .produced
        case Int32(BOURSE_IDLE.rawValue): return .idle
        case Int32(BOURSE_END_OF_STREAM.rawValue): return .endOfStream
        default:
            throw BourseError(.pluginCallFailed, "node '\(label)' (\(info.name)): poll returned unknown status \(status)", input: label)
        }
    }

    func destroy() {
        guard let instance else { return }
        self.instance = nil
        api.destroy!(instance)
    }
}
