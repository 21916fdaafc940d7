#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePluginHost
import CBourseABI

/// Why a worker stopped serving: the instance restarts it or gives up.
struct WorkerFailure: Error, CustomStringConvertible {
    var description: String
}

/// A plugin instance running in a sandboxed worker process, supervised:
/// a worker that dies, hangs or writes garbage is killed, reported with
/// its cause, and restarted with exponential backoff; after
/// `maximumRestarts` the node is quarantined (every later call fails with
/// `quarantined`, and the runtime discards — counting — its messages).
final class SandboxedPluginInstance: PluginInstance {
    let info: PluginInfo
    let label: String
    private let configJSON: String
    let services: NodeServices
    let options: SandboxOptions
    private let makeChannel: () throws -> (FrameChannel, Int32, () -> Void)
    var worker: WorkerProcess?
    var channel: FrameChannel?
    private var closeChannel: (() -> Void)?
    var counterMap: [UInt32: UInt32] = [:]
    var started = false
    private(set) var restarts = 0
    /// See ``PluginInstance/workerRestarts``.
    var workerRestarts: Int { restarts }
    /// Delivered batches the worker acknowledged, over the node's life (for ``WorkerFaultInjection``).
    var acknowledgedDeliveries = 0
    private var quarantine: BourseError?
    /// Messages held for the worker when the node was quarantined (never handled).
    private(set) var undeliveredMessages = 0
    /// Batches delivered whose results have not come back yet (sent or not).
    let inFlight = InFlightBatches()
    var pending: [UnsafePointer<bourse_message>] = []
    /// Private copies of published records: the worker can rewrite shared
    /// memory at any time, so nothing is validated or used in place.
    var copies = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
    var copiesCapacity = 1 << 20
    var copiesUsed = 0

    init(info: PluginInfo, label: String, configJSON: String, services: NodeServices, options: SandboxOptions,
         makeChannel: @escaping () throws -> (FrameChannel, Int32, () -> Void)) throws {
        self.info = info
        self.label = label
        self.configJSON = configJSON
        self.services = services
        self.options = options
        self.makeChannel = makeChannel
        do {
            try launch()
        } catch let failure as WorkerFailure {
            throw BourseError(.pluginCreateFailed, "node '\(label)': plugin \(info.name) could not be created in its worker: \(failure)", input: label)
        }
    }

    deinit {
        destroy()
        copies.deallocate()
    }

    // MARK: PluginInstance

    func start() throws {
        try supervised("start", restartable: false) { try self.call(.start) }
        started = true
    }

    /// Copies the batch, sends it and returns without waiting for the
    /// plugin: up to `maximumBatchesInFlight` batches are in flight, so
    /// the host fills the ring while the worker handles earlier batches.
    /// A plugin error from an earlier batch is thrown by a later call.
    func deliver(_ batch: UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws {
        guard batch.count > 0 else { return }
        if let quarantine { throw quarantine }
        guard let channel else { throw BourseError(.pluginCallFailed, "node '\(label)': no worker", input: label) }
        var chunk = inFlight.newBatch()
        for message in batch {
            let record = UnsafeRawBufferPointer(start: UnsafeRawPointer(message!), count: messageRecordSize(message!))
            if !chunk.isEmpty, chunk.frameBytes + record.count + 16 > channel.batchBudget {
                inFlight.enqueue(chunk)
                chunk = inFlight.newBatch()
            }
            chunk.append(record)
        }
        inFlight.enqueue(chunk)
        try supervised("on_messages", restartable: true) { try self.sendDeliveries() }
    }

    /// Waits until the plugin handled every batch sent so far.
    func settle() throws {
        guard inFlight.hasAny else { return }
        try supervised("on_messages", restartable: true) { try self.awaitDeliveries() }
    }

    func poll(maxMessages: Int) throws -> PollStatus {
        try settle()
        var status = PollStatus.idle
        try supervised("poll", restartable: true) {
            var e = WireEncoder()
            e.u32(UInt32(clamping: maxMessages))
            switch try self.call(.poll, payload: e.bytes) {
            case Int32(BOURSE_IDLE.rawValue): status = .idle
            case Int32(BOURSE_END_OF_STREAM.rawValue): status = .endOfStream
            default: status = .produced
            }
        }
        return status
    }

    func flush() throws {
        try settle()
        try supervised("flush", restartable: false) { try self.call(.flush) }
    }

    func stop() throws {
        try settle()
        try supervised("stop", restartable: false) { try self.call(.stop) }
    }

    func destroy() {
        guard let worker else { return }
        if !worker.hasEnded, channel != nil {
            _ = try? call(.shutdown, timeout: 2_000_000_000)
            if !worker.waitForExit(timeoutNanoseconds: 2_000_000_000) { worker.kill() }
        }
        worker.kill()
        self.worker = nil
        channel = nil
        closeChannel?()
        closeChannel = nil
    }

    /// The worker's pid, or nil when none runs.
    var processID: Int32? { worker?.pid }

    // MARK: Supervision

    /// Runs `body`; on a worker failure kills the worker, logs the cause and,
    /// if `restartable` and the budget allows, restarts it after a backoff
    /// and runs `body` again (batches in flight are delivered again to the
    /// new worker: at-least-once).
    private func supervised(_ what: String, restartable: Bool, _ body: () throws -> Void) throws {
        if let quarantine { throw quarantine }
        while true {
            do {
                try body()
                return
            } catch let failure as WorkerFailure {
                worker?.kill()
                let cause = "node '\(label)' (\(info.name)): worker failed in \(what): \(failure)"
                guard restartable, restarts < options.maximumRestarts else {
                    let lost = inFlight.messageCount > 0 ? "; \(inFlight.messageCount) message(s) in flight not delivered" : ""
                    let reason = restartable ? "\(cause); quarantined after \(restarts) restart(s)\(lost)" : cause
                    let error = BourseError(restartable ? .quarantined : .pluginCallFailed, reason, input: label)
                    if restartable { quarantineHolding(error) }
                    throw error
                }
                restarts += 1
                let delay = min(options.restartBackoffNanoseconds << Int64(restarts - 1), 10_000_000_000)
                let replay = inFlight.hasAny
                    ? "; redelivering \(inFlight.messageCount) message(s) in \(inFlight.batchCount) batch(es) not yet answered (at least once: "
                        + "the plugin may see some of them twice)"
                    : ""
                services.log(level: Int32(BOURSE_LOG_WARNING.rawValue),
                             message: "\(cause); restart \(restarts) of \(options.maximumRestarts) in \(delay / 1_000_000) ms\(replay)")
                var pause = timespec(tv_sec: Int(delay / 1_000_000_000), tv_nsec: Int(delay % 1_000_000_000))
                nanosleep(&pause, nil)
                // A new worker knows nothing: every batch held goes to it again,
                // whatever happens below.
                inFlight.markAllUnsent()
                do {
                    try launch()
                    if started { try call(.start) }
                } catch {
                    let error = BourseError(.quarantined, "node '\(label)' (\(info.name)): restart failed: \(error); quarantined", input: label)
                    worker?.kill()
                    quarantineHolding(error)
                    throw error
                }
            }
        }
    }

    /// Quarantines the node: every later call throws `error`; the messages
    /// still held are never handled (`undeliveredMessages`).
    private func quarantineHolding(_ error: BourseError) {
        quarantine = error
        undeliveredMessages = inFlight.messageCount
    }

    /// Starts a worker and creates the instance in it.
    private func launch() throws {
        closeChannel?()
        let (channel, fd, close) = try wrap { try self.makeChannel() }
        self.channel = channel
        closeChannel = close
        counterMap.removeAll()
        worker = try wrap {
            try WorkerProcess.spawn(executable: options.workerExecutable, arguments: options.workerArguments, sharedFD: fd)
        }
        let configuration = WorkerConfiguration(
            pluginPath: info.path, nodeID: services.nodeID, nodeName: label, configJSON: configJSON,
            outputs: services.outputTopics, topics: knownTopics(), fields: knownFields(), permissions: options.permissions,
            restartCount: UInt32(restarts))
        let status = try call(.configure, payload: configuration.encoded(), timeout: options.startTimeoutNanoseconds)
        guard status == Int32(BOURSE_OK.rawValue) else { throw WorkerFailure(description: "create failed") }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as BourseError { throw WorkerFailure(description: error.message) }
    }

    private func knownTopics() -> [(id: UInt32, name: String)] {
        var topics: [(id: UInt32, name: String)] = []
        var id: UInt32 = 1
        while let name = services.topicName(of: id) {
            topics.append((id, name))
            id += 1
        }
        return topics
    }

    private func knownFields() -> [(topic: UInt32, names: [String])] {
        knownTopics().compactMap { topic in
            let names = services.fieldNames(of: topic.id)
            return names.isEmpty ? nil : (topic.id, names)
        }
    }
}
