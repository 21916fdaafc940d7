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
/// them, so the ring can carry the host's replies to requests the plugin
/// triggers while it handles a batch.
final class WorkerServer {
    private let channel: FrameChannel
    private var services: WorkerServices?
    private var instance: PluginInstance?
    private var arena = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 8)
    private var arenaCapacity = 1 << 16
    private var arenaUsed = 0
    private var offsets: [Int] = []
    private var pointers: [UnsafePointer<bourse_message>?] = []
    /// Idle wait per receive; the worker sleeps on the futex meanwhile.
    private static let idleWait: Int64 = 3_600_000_000_000

    init(channel: FrameChannel) {
        self.channel = channel
    }

    deinit { arena.deallocate() }

    /// Waits for the configuration, creates the instance (running the
    /// plugin's constructors and `create`), then calls `afterCreate` (which
    /// enters the strict sandbox) and reports the result. Returns false if
    /// there is no instance to serve: creating it failed, or the host only
    /// asked for the plugin's descriptor (`describe`).
    func configure(afterCreate: () throws -> Void) throws -> Bool {
        guard let frame = try channel.receive(timeoutNanoseconds: 30_000_000_000) else {
            throw BourseError(.io, "no configuration from the host within 30 s")
        }
        if frame.kind == FrameKind.describe.rawValue {
            let path = String(decoding: frame.payload, as: UTF8.self)
            channel.release()
            do {
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
        let services = WorkerServices(configuration: configuration, channel: channel)
        self.services = services
        do {
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
        while true {
            guard let frame = try channel.receive(timeoutNanoseconds: WorkerServer.idleWait) else { continue }
            guard let kind = FrameKind(rawValue: frame.kind) else {
                throw BourseError(.invalidMessage, "unknown frame kind \(frame.kind) from the host")
            }
            switch kind {
            case .message:
                // Space is given back once per batch, at `deliver` (the host
                // sizes a batch to fit the ring).
                stash(frame.payload)
            case .deliver:
                channel.release()
                try run { instance in
                    try withBatch { batch in try instance.deliver(batch) }
                    return Int32(BOURSE_OK.rawValue)
                }
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

    /// Copies one delivered message record into the arena.
    private func stash(_ record: UnsafeRawBufferPointer) {
        let size = (record.count + 7) & ~7
        if arenaUsed + size > arenaCapacity {
            var capacity = arenaCapacity
            while arenaUsed + size > capacity { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: arena, byteCount: arenaUsed)
            arena.deallocate()
            arena = grown
            arenaCapacity = capacity
        }
        (arena + arenaUsed).copyMemory(from: record.baseAddress!, byteCount: record.count)
        offsets.append(arenaUsed)
        arenaUsed += size
    }

    /// Hands the stashed messages to `body` as one batch, then forgets them.
    private func withBatch(_ body: (UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws -> Void) rethrows {
        defer {
            arenaUsed = 0
            offsets.removeAll(keepingCapacity: true)
        }
        guard !offsets.isEmpty else { return }
        pointers.removeAll(keepingCapacity: true)
        for offset in offsets {
            pointers.append(UnsafePointer((arena + offset).assumingMemoryBound(to: bourse_message.self)))
        }
        try pointers.withUnsafeBufferPointer { try body($0) }
    }
}
