#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePluginHost
import CBourseABI

/// The serving side of a worker process: receives commands from the host,
/// calls the plugin, sends results. Runs on the worker's main thread.
///
/// Delivered messages are copied out of the ring before the plugin sees
/// them (into a `DeliveryInbox`), so the ring can carry the host's replies
/// to requests the plugin triggers while it handles a batch, and the
/// frames of the next batches the host already sent.
final class WorkerServer {
    private let channel: FrameChannel
    private var services: WorkerServices?
    private var instance: PluginInstance?
    private let inbox = DeliveryInbox()
    /// Idle wait per receive; the worker sleeps on the futex meanwhile.
    private static let idleWait: Int64 = 3_600_000_000_000

    init(channel: FrameChannel) {
        self.channel = channel
    }

    /// Waits for the configuration, calls `beforeLoad` with the plugin's path
    /// (which enters the loader-stage sandbox), creates the instance (running
    /// the plugin's constructors and `create`), then calls `afterCreate`
    /// (which enters the strict sandbox) and reports the result. Returns
    /// false if there is no instance to serve: creating it failed, or the
    /// host only asked for the plugin's descriptor (`describe`).
    func configure(beforeLoad: (String) throws -> Void, afterCreate: () throws -> Void) throws -> Bool {
        guard let frame = try channel.receive(timeoutNanoseconds: 30_000_000_000) else {
            throw BourseError(.io, "no configuration from the host within 30 s")
        }
        if frame.kind == FrameKind.describe.rawValue {
            let path = String(decoding: frame.payload, as: UTF8.self)
            channel.release()
            do {
                try beforeLoad(path)
                let library = try PluginLibrary.load(path: path)
                try channel.send(.described, bytes: PluginInfoCodec.encode(library.info), timeoutNanoseconds: WorkerServices.sendTimeout)
                try finish(CallResult(status: Int32(BOURSE_OK.rawValue)))
            } catch let error as BourseError {
                try finish(CallResult(status: Int32(BOURSE_ERROR.rawValue), code: 1, message: error.message, errorCode: error.code.rawValue))
            }
            return false
        }
        guard frame.kind == FrameKind.configure.rawValue else {
            throw BourseError(.invalidMessage, "expected a configuration, got frame kind \(frame.kind)")
        }
        let configuration = try WorkerConfiguration(decoding: frame.payload)
        channel.release()
        let services = WorkerServices(configuration: configuration, channel: channel, inbox: inbox)
        self.services = services
        do {
            try beforeLoad(configuration.pluginPath)
            instance = try InProcessPluginHost().instantiate(
                path: configuration.pluginPath, label: configuration.nodeName, expectedKind: nil,
                configJSON: configuration.configJSON, services: services)
            try afterCreate()
            try finish(CallResult(status: Int32(BOURSE_OK.rawValue)))
            return true
        } catch let error as BourseError {
            try finish(CallResult(status: Int32(BOURSE_ERROR.rawValue), code: 1, message: error.message))
            return false
        }
    }

    /// Serves commands until `shutdown` (or the host goes away).
    func serve() throws {
        /// A frame read past a run of messages, handled next.
        var lookahead: ReceivedFrame?
        while true {
            // Batches that arrived while the plugin waited for a reply come first.
            if let batch = inbox.nextBatch() {
                defer { inbox.recycle(batch) }
                try run { instance in
                    try batch.withMessages { try instance.deliver($0) }
                    return Int32(BOURSE_OK.rawValue)
                }
                continue
            }
            let frame: ReceivedFrame
            if let next = lookahead {
                frame = next
                lookahead = nil
            } else {
                guard let next = try channel.receive(timeoutNanoseconds: WorkerServer.idleWait) else { continue }
                frame = next
            }
            guard let kind = FrameKind(rawValue: frame.kind) else {
                throw BourseError(.invalidMessage, "unknown frame kind \(frame.kind) from the host")
            }
            switch kind {
            case .message:
                // Space is given back once per batch, at `deliver` (the host
                // sizes a batch to fit the ring).
                lookahead = try inbox.stashMessages(first: frame.payload, from: channel)
            case .deliver:
                channel.release()
                inbox.closeBatch()
            case .poll:
                var d = WireDecoder(frame.payload)
                let max = Int(try d.u32())
                channel.release()
                try run { instance in
                    switch try instance.poll(maxMessages: max) {
                    case .produced: Int32(BOURSE_OK.rawValue)
                    case .idle: Int32(BOURSE_IDLE.rawValue)
                    case .endOfStream: Int32(BOURSE_END_OF_STREAM.rawValue)
                    }
                }
            case .start:
                channel.release()
                try run { try $0.start(); return Int32(BOURSE_OK.rawValue) }
            case .flush:
                channel.release()
                try run { try $0.flush(); return Int32(BOURSE_OK.rawValue) }
            case .stop:
                channel.release()
                try run { try $0.stop(); return Int32(BOURSE_OK.rawValue) }
            case .shutdown:
                channel.release()
                instance?.destroy()
                instance = nil
                try finish(CallResult(status: Int32(BOURSE_OK.rawValue)))
                return
            default:
                throw BourseError(.invalidMessage, "unexpected frame kind \(kind) from the host")
            }
        }
    }

    /// Calls the plugin, then sends counters and the result.
    private func run(_ body: (PluginInstance) throws -> Int32) throws {
        guard let instance else { throw BourseError(.pluginCallFailed, "no plugin instance") }
        let result: CallResult
        do {
            result = CallResult(status: try body(instance))
        } catch let error as BourseError {
            result = CallResult(status: Int32(BOURSE_ERROR.rawValue), code: 1, message: error.message)
        }
        try finish(result)
    }

    private func finish(_ result: CallResult) throws {
        try services?.reportCounters()
        try channel.send(.result, bytes: result.encoded(), timeoutNanoseconds: WorkerServices.sendTimeout)
        channel.flush()
    }
}
