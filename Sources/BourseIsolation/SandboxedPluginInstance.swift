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
    private let label: String
    private let configJSON: String
    private let services: NodeServices
    private let options: SandboxOptions
    private let makeChannel: () throws -> (FrameChannel, Int32, () -> Void)
    private var worker: WorkerProcess?
    private var channel: FrameChannel?
    private var closeChannel: (() -> Void)?
    private var counterMap: [UInt32: UInt32] = [:]
    private var started = false
    private var restarts = 0
    private var quarantine: BourseError?
    private var pending: [UnsafePointer<bourse_message>] = []
    /// Private copies of published records: the worker can rewrite shared
    /// memory at any time, so nothing is validated or used in place.
    private var copies = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
    private var copiesCapacity = 1 << 20
    private var copiesUsed = 0

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

    func deliver(_ batch: UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws {
        guard batch.count > 0 else { return }
        try supervised("on_messages", restartable: true) { try self.sendBatch(batch) }
    }

    func poll(maxMessages: Int) throws -> PollStatus {
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

    func flush() throws { try supervised("flush", restartable: false) { try self.call(.flush) } }
    func stop() throws { try supervised("stop", restartable: false) { try self.call(.stop) } }

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
    /// and runs `body` again (the batch is delivered again: at-least-once).
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
                    let reason = restartable ? "\(cause); quarantined after \(restarts) restart(s)" : cause
                    let error = BourseError(restartable ? .quarantined : .pluginCallFailed, reason, input: label)
                    if restartable { quarantine = error }
                    throw error
                }
                restarts += 1
                let delay = min(options.restartBackoffNanoseconds << Int64(restarts - 1), 10_000_000_000)
                services.log(level: Int32(BOURSE_LOG_WARNING.rawValue),
                             message: "\(cause); restart \(restarts) of \(options.maximumRestarts) in \(delay / 1_000_000) ms")
                var pause = timespec(tv_sec: Int(delay / 1_000_000_000), tv_nsec: Int(delay % 1_000_000_000))
                nanosleep(&pause, nil)
                do {
                    try launch()
                    if started { try call(.start) }
                } catch let again as WorkerFailure {
                    let error = BourseError(.quarantined, "node '\(label)' (\(info.name)): restart failed: \(again); quarantined", input: label)
                    quarantine = error
                    throw error
                }
            }
        }
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
            outputs: services.outputTopics, topics: knownTopics(), fields: knownFields(), permissions: options.permissions)
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

    // MARK: Calls

    /// Sends a batch in chunks that fit the ring, one `deliver` per chunk.
    private func sendBatch(_ batch: UnsafeBufferPointer<UnsafePointer<bourse_message>?>) throws {
        guard let channel else { throw WorkerFailure(description: "no worker") }
        var used = 0
        for message in batch {
            let record = UnsafeRawPointer(message!)
            let size = messageHeaderSize + Int(message!.pointee.payload_len)
            if used > 0, used + size + 16 > channel.batchBudget {
                try call(.deliver)
                used = 0
            }
            try send(.message, UnsafeRawBufferPointer(start: record, count: size))
            used += (size + 15) & ~7
        }
        try call(.deliver)
    }

    private func send(_ kind: FrameKind, _ payload: UnsafeRawBufferPointer) throws {
        guard let channel else { throw WorkerFailure(description: "no worker") }
        do {
            try channel.send(kind, payload, timeoutNanoseconds: options.callTimeoutNanoseconds)
        } catch let error as BourseError {
            throw WorkerFailure(description: worker?.hasEnded == true ? worker!.endingDescription : error.message)
        }
    }

    /// Sends a command and serves the worker until its result arrives.
    /// Throws `WorkerFailure` when the worker dies, hangs past the timeout
    /// or writes an invalid frame; `BourseError` when the plugin's call failed.
    @discardableResult
    private func call(_ kind: FrameKind, payload: [UInt8] = [], timeout: Int64? = nil) throws -> Int32 {
        guard let channel, let worker else { throw WorkerFailure(description: "no worker") }
        try payload.withUnsafeBytes { try send(kind, $0) }
        channel.flush()
        let limit = timeout ?? options.callTimeoutNanoseconds
        let deadline = Clock.monotonicNanoseconds() + limit
        while true {
            let frame: ReceivedFrame?
            do {
                frame = try channel.receive(timeoutNanoseconds: 20_000_000)
            } catch let error as BourseError {
                throw WorkerFailure(description: "the worker corrupted its ring: \(error.message)")
            }
            guard let frame else {
                try publishPending()
                if worker.hasEnded { throw WorkerFailure(description: worker.endingDescription) }
                if Clock.monotonicNanoseconds() > deadline {
                    throw WorkerFailure(description: "hung: \(kind) did not return within \(limit / 1_000_000) ms")
                }
                continue
            }
            guard let received = FrameKind(rawValue: frame.kind), received.rawValue >= 100 else {
                throw WorkerFailure(description: "the worker sent an invalid frame kind \(frame.kind)")
            }
            if received == .published {
                try acceptPublished(frame.payload)
                continue
            }
            try publishPending()
            switch received {
            case .result:
                let result = try decoding { try CallResult(decoding: frame.payload) }
                channel.release()
                if result.status == Int32(BOURSE_ERROR.rawValue) {
                    let code = result.code != 0 && result.code != 1 ? " (plugin error code \(result.code))" : ""
                    throw BourseError(kind == .configure ? .pluginCreateFailed : .pluginCallFailed,
                                      "node '\(label)' (\(info.name)): \(kind == .configure ? "create" : "\(kind)"): \(result.message)\(code)", input: label)
                }
                return result.status
            case .log:
                var d = WireDecoder(frame.payload)
                let (level, text) = try decoding { (try d.i32(), try d.string()) }
                services.log(level: level, message: text)
            case .counters:
                for update in try decoding({ try CounterUpdate.decode(frame.payload) }) {
                    if !update.name.isEmpty { counterMap[update.id] = services.counterID(named: update.name) }
                    if let id = counterMap[update.id] { services.addToCounter(id, update.delta) }
                }
            case .request:
                let request = try decoding { try WorkerRequest(decoding: frame.payload) }
                channel.release()
                try answer(request).encoded().withUnsafeBytes { try send(.reply, $0) }
                channel.flush()
                continue
            default:
                throw WorkerFailure(description: "the worker sent an invalid frame kind \(frame.kind)")
            }
            channel.release()
        }
    }

    private func decoding<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as BourseError {
            throw WorkerFailure(description: "the worker sent a malformed frame: \(error.message)")
        }
    }

    private func answer(_ request: WorkerRequest) -> RequestReply {
        let reply: RequestReply
        switch request {
        case .instrumentID(let symbol): reply = RequestReply(value: services.instrumentID(named: symbol))
        case .instrumentName(let id): reply = RequestReply(text: services.instrumentName(of: id) ?? "")
        case .declareFields(let topic, let names):
            do {
                try services.declareFields(topicID: topic, names: names)
                reply = RequestReply()
            } catch let error as BourseError {
                reply = RequestReply(text: error.message)
            } catch {
                reply = RequestReply(text: "\(error)")
            }
        }
        return reply
    }

    /// Copies a published record out of shared memory, then checks its
    /// framing on the copy; the bus checks the rest.
    private func acceptPublished(_ payload: UnsafeRawBufferPointer) throws {
        guard payload.count >= messageHeaderSize, payload.count <= messageHeaderSize + Int(BOURSE_MAX_PAYLOAD),
              let base = payload.baseAddress else {
            throw WorkerFailure(description: "the worker published a message frame of \(payload.count) bytes")
        }
        let size = (payload.count + 7) & ~7
        if copiesUsed + size > copiesCapacity {
            try publishPending()
            if size > copiesCapacity {
                copies.deallocate()
                copiesCapacity = size
                copies = .allocate(byteCount: size, alignment: 8)
            }
        }
        let copy = copies + copiesUsed
        copy.copyMemory(from: base, byteCount: payload.count)
        let message = copy.assumingMemoryBound(to: bourse_message.self)
        guard messageHeaderSize + Int(message.pointee.payload_len) == payload.count else {
            throw WorkerFailure(description: "the worker published a message whose payload_len \(message.pointee.payload_len) does not match its frame of \(payload.count) bytes")
        }
        copiesUsed += size
        pending.append(UnsafePointer(message))
        if pending.count >= 256 { try publishPending() }
    }

    /// Publishes the messages received so far, then frees their ring space.
    private func publishPending() throws {
        guard let channel else { return }
        if !pending.isEmpty {
            defer {
                pending.removeAll(keepingCapacity: true)
                copiesUsed = 0
            }
            do {
                try pending.withUnsafeBufferPointer { try services.publish($0) }
            } catch let error as BourseError where error.code == .queueClosed {
                throw error
            } catch let error as BourseError {
                // A worker is untrusted: an invalid message is a worker failure.
                throw WorkerFailure(description: "the worker published an invalid message: \(error.message)")
            }
        }
        channel.release()
    }
}
