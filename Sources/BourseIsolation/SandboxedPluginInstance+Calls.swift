#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePluginHost
import CBourseABI

/// Calls into the worker: sending frames, serving the worker while a
/// result is awaited, and taking in what the plugin published.
extension SandboxedPluginInstance {
    /// Sends every batch not sent yet, each as its message frames and a
    /// `deliver` frame, keeping at most `InFlightBatches.maximumSent`
    /// batches and half the ring in flight (so a send never waits for
    /// space while the worker waits for the host): waits for the oldest
    /// results to make room.
    func sendDeliveries() throws {
        guard let channel else { throw WorkerFailure(description: "no worker") }
        while let next = inFlight.nextUnsent {
            while inFlight.sentCount > 0,
                  inFlight.sentCount >= InFlightBatches.maximumSent || inFlight.sentBytes + next.frameBytes > channel.batchBudget {
                try awaitDeliveryResult()
            }
            do {
                try channel.sendMessages(next, timeoutNanoseconds: options.callTimeoutNanoseconds)
            } catch let error as BourseError {
                throw WorkerFailure(description: worker?.hasEnded == true ? worker!.endingDescription : error.message)
            }
            try send(.deliver, UnsafeRawBufferPointer(start: nil, count: 0))
            channel.flush()
            inFlight.markNextSent(at: Clock.monotonicNanoseconds())
        }
    }

    /// Sends what is left and waits for every result.
    func awaitDeliveries() throws {
        try sendDeliveries()
        while inFlight.sentCount > 0 { try awaitDeliveryResult() }
    }

    /// Waits for the result of the oldest batch sent; throws the plugin's
    /// error if its `on_messages` failed (the batch counts as delivered).
    private func awaitDeliveryResult() throws {
        let deadline = inFlight.oldestSentAt + options.callTimeoutNanoseconds
        let status = try awaitResult(of: .deliver, deadline: deadline, limit: options.callTimeoutNanoseconds) {
            self.inFlight.acknowledgeOldest(at: Clock.monotonicNanoseconds())
            self.acknowledgedDeliveries += 1
            if WorkerFaultInjection.shouldKill(node: self.label, acknowledged: self.acknowledgedDeliveries, restarts: self.restarts),
               let worker = self.worker {
                _ = kill(worker.pid, SIGKILL)
            }
        }
        _ = status
    }

    func send(_ kind: FrameKind, _ payload: UnsafeRawBufferPointer) throws {
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
    func call(_ kind: FrameKind, payload: [UInt8] = [], timeout: Int64? = nil) throws -> Int32 {
        guard let channel else { throw WorkerFailure(description: "no worker") }
        try payload.withUnsafeBytes { try send(kind, $0) }
        channel.flush()
        let limit = timeout ?? options.callTimeoutNanoseconds
        return try awaitResult(of: kind, deadline: Clock.monotonicNanoseconds() + limit, limit: limit) {}
    }

    /// Serves the worker (its published messages, logs, counters and
    /// requests) until the result of the call `kind` arrives; runs
    /// `received` as soon as it does, before a plugin error is thrown.
    private func awaitResult(of kind: FrameKind, deadline: Int64, limit: Int64, onResult: () -> Void) throws -> Int32 {
        guard let channel, let worker else { throw WorkerFailure(description: "no worker") }
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
                onResult()
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
