// The plugin's view of the host: names, ids, logging, counters, clocks and publishing.

internal import CBourseABI

/// The host services available to one plugin instance (one graph node).
///
/// The SDK creates the context and passes it to
/// ``Plugin/init(context:config:)``; keep it for the life of the instance.
/// ``publish(_:topic:instrument:eventTime:flags:)`` may only be called from
/// inside `poll`, `onMessages`, `flush` or `stop`, and
/// ``declareFields(_:for:)`` only from `init`, each on the thread of that
/// call. Everything else may be called from any thread while the instance
/// exists.
public final class PluginContext {
    let host: bourse_host_api
    let node: OpaquePointer?
    @usableFromInline let outgoing = OutgoingBuffer()
    /// Which kind of host call is in progress (publish is allowed only while `.running`).
    /// Kept behind a pointer: reading it on the publish path costs no dynamic exclusivity check.
    @usableFromInline var phase: CallPhase {
        @inlinable get { phaseStorage.pointee }
        set { phaseStorage.pointee = newValue }
    }
    /// Storage of ``phase``.
    @usableFromInline let phaseStorage = UnsafeMutablePointer<CallPhase>.allocate(capacity: 1)
    /// ``outputs`` in unmanaged memory, for the publish path's topic check (no reference counting).
    @usableFromInline let outputIDs: UnsafeMutableBufferPointer<UInt32>

    /// Name of this node as written in the graph file.
    public let nodeName: String
    /// Id of this node inside the graph (the host puts it in `originNode`).
    public let nodeID: UInt32
    /// The topics this node publishes to (the graph's `publishes`), in order.
    public let outputs: [Topic]
    /// How many times this node's instance was created again during this run
    /// after its sandboxed worker failed (0 for the first instance, and with
    /// a host older than ABI 1.2). The failed instance's unfinished batches
    /// are delivered again; an exporter writing files continues (appends to)
    /// what it wrote instead of starting over.
    public let restartCount: Int
    /// A random number drawn once per run of the host: the same for every
    /// node and every restarted instance (0 with a host older than ABI 1.2).
    /// With ``restartCount``, tells files written earlier in this run (to
    /// continue) from files left by an earlier run (to start over).
    public let runID: UInt64

    /// Wraps the host table; the caller has checked that every 1.0 function is present.
    init(host: bourse_host_api, node: OpaquePointer?) {
        self.host = host
        self.node = node
        nodeName = host.node_name(node).map { String(cString: $0) } ?? ""
        nodeID = host.node_id(node)
        restartCount = host.restart_count.map { Int($0(node)) } ?? 0
        runID = host.run_id.map { $0(node) } ?? 0
        let outputCount = host.output_count(node)
        var outputs: [Topic] = []
        outputs.reserveCapacity(Int(outputCount))
        for index in 0..<outputCount {
            let id = host.output_topic(node, index)
            if id != 0 { outputs.append(Topic(id: id)) }
        }
        self.outputs = outputs
        outputIDs = .allocate(capacity: outputs.count)
        _ = outputIDs.initialize(from: outputs.map(\.id))
        phaseStorage.initialize(to: .none)
    }

    deinit {
        phaseStorage.deallocate()
        outputIDs.deallocate()
    }

    /// True when `topic` is one of ``outputs``.
    @inlinable func isOutput(_ topic: Topic) -> Bool {
        for id in outputIDs where id == topic.id { return true }
        return false
    }

    // MARK: Names and ids

    /// The topic with this name, or nil when no node of the graph publishes it.
    public func topic(named name: String) -> Topic? {
        let id = name.withCString { host.topic_id(node, $0) }
        return id == 0 ? nil : Topic(id: id)
    }

    /// The name of a topic, or nil when the host does not know the id.
    public func name(of topic: Topic) -> String? {
        host.topic_name(node, topic.id).map { String(cString: $0) }
    }

    /// The instrument for a symbol, interned on first use. Throws
    /// ``PluginError`` when the host rejects the symbol.
    public func instrument(named symbol: String) throws -> Instrument {
        let id = symbol.withCString { host.instrument_id(node, $0) }
        guard id != 0 else { throw PluginError("invalid instrument symbol \"\(symbol)\"") }
        return Instrument(id: id)
    }

    /// The symbol of an instrument, or nil for ``Instrument/none`` or an unknown id.
    public func symbol(of instrument: Instrument) -> String? {
        guard instrument.id != 0 else { return nil }
        return host.instrument_name(node, instrument.id).map { String(cString: $0) }
    }

    // MARK: Value fields

    /// Declares the names of the values this node publishes on `topic` in
    /// ``Payload/values(_:)`` messages. Only allowed in
    /// ``Plugin/init(context:config:)`` (downstream nodes read the names in
    /// their own init). At most 16 distinct names, each 1...63 bytes of
    /// `[A-Za-z0-9_.-]`; throws ``PluginError`` with the host's reason otherwise.
    public func declareFields(_ names: [String], for topic: Topic) throws {
        guard names.count <= IndicatorValues.capacity else {
            throw PluginError("too many fields for topic \(name(of: topic) ?? topic.description): \(names.count), at most \(IndicatorValues.capacity)")
        }
        let cStrings = names.map { name -> UnsafeMutablePointer<CChar> in
            let utf8 = Array(name.utf8CString)
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            copy.initialize(from: utf8, count: utf8.count)
            return copy
        }
        defer { cStrings.forEach { $0.deallocate() } }
        var error = bourse_error()
        let status = cStrings.map { UnsafePointer<CChar>?(UnsafePointer($0)) }.withUnsafeBufferPointer { array in
            host.declare_fields(node, topic.id, array.baseAddress, UInt32(names.count), &error)
        }
        if status != Int32(BOURSE_OK.rawValue) {
            throw PluginError(hostError: error, fallback: "declare_fields failed")
        }
    }

    /// The value field names declared for `topic` (by this or another node), in order.
    public func fields(of topic: Topic) -> [String] {
        let count = host.field_count(node, topic.id)
        return (0..<count).compactMap { index in
            host.field_name(node, topic.id, index).map { String(cString: $0) }
        }
    }

    // MARK: Logging, counters, clocks

    /// Writes a log line attributed to this node.
    public func log(_ level: LogLevel, _ message: String) {
        message.withCString { host.log(node, level.rawValue, $0) }
    }

    /// A named counter of this node, created on first use. Names the host
    /// rejects give a counter whose ``Counter/add(_:)`` does nothing.
    public func counter(_ name: String) -> Counter {
        let id = name.withCString { host.counter_id(node, $0) }
        return Counter(add: host.counter_add, node: node, id: id)
    }

    /// Wall-clock time in nanoseconds since the Unix epoch (UTC), from the host.
    public var wallClockNanoseconds: Int64 { host.now_ns(node) }

    /// Monotonic time in nanoseconds, for measuring durations.
    public var monotonicNanoseconds: Int64 { host.monotonic_ns(node) }

    // MARK: Publishing

    /// Publishes a message on one of this node's ``outputs``.
    ///
    /// The message is encoded into a buffer the SDK owns and handed to the
    /// host in batches: when 256 messages are pending, and when the current
    /// call from the host returns. Only allowed inside `poll`, `onMessages`,
    /// `flush` and `stop` (not in `init` or `start`: no consumer runs yet).
    /// Throws ``PluginError`` when called elsewhere, when `topic` is not one
    /// of ``outputs``, when the payload is larger than 65536 bytes, or when
    /// the host rejects a batch (bad length, graph stopping).
    @inlinable
    public func publish(_ payload: Payload, topic: Topic, instrument: Instrument = .none, eventTime: Int64,
                        flags: UInt16 = 0) throws {
        try append(payload, topic: topic, instrument: instrument, eventTime: eventTime, createdTime: 0, flags: flags)
    }

    /// Publishes a copy of `message` (for example one received and
    /// transformed). Its topic, instrument, times, flags and payload are
    /// used; `sequence` and `originNode` are assigned by the host.
    public func publish(_ message: Message) throws {
        try append(message.payload, topic: message.topic, instrument: message.instrument,
                   eventTime: message.eventTime, createdTime: message.createdTime, flags: message.flags)
    }

    @inlinable func append(_ payload: Payload, topic: Topic, instrument: Instrument, eventTime: Int64,
                        createdTime: Int64, flags: UInt16) throws {
        guard phase == .running, outputs.contains(topic) else { throw publishRefused(topic) }
        let length = PayloadCodec.length(of: payload)
        guard length <= BourseABI.maxPayload else { throw PluginError.payloadTooLarge(length) }
        let size = RecordLayout.recordSize(payloadLength: length)
        if outgoing.needsFlush(before: size) {
            try flushOutgoing()
        }
        let record = outgoing.append(size: size)
        RecordLayout.writeHeader(
            to: record, type: payload.messageType, flags: flags, payloadLength: length, topic: topic.id,
            instrument: instrument.id, eventTime: eventTime, createdTime: createdTime)
        PayloadCodec.write(payload, to: record + BourseABI.headerSize)
        RecordLayout.zeroPadding(record, payloadLength: length)
        if outgoing.isFull {
            try flushOutgoing()
        }
    }

    @usableFromInline func publishRefused(_ topic: Topic) -> PluginError {
        switch phase {
        case .none:
            return PluginError("publish is only allowed during a call from the host: poll, onMessages, flush or stop")
        case .create, .start:
            return PluginError("publish is not allowed in \(phase == .create ? "init" : "start"): no consumer runs yet; publish from poll, onMessages, flush or stop")
        case .running:
            break
        }
        let names = outputs.map { name(of: $0) ?? $0.description }.joined(separator: ", ")
        let shown = name(of: topic).map { "'\($0)'" } ?? topic.description
        return PluginError("cannot publish on topic \(shown): it is not an output of this node (outputs: \(names.isEmpty ? "none" : names))")
    }

    /// Hands every pending message to `host->publish`.
    @usableFromInline func flushOutgoing() throws {
        guard outgoing.count > 0 else { return }
        var error = bourse_error()
        let status = outgoing.drain { pointers, count in
            host.publish(node, pointers, count, &error)
        }
        if status != Int32(BOURSE_OK.rawValue) {
            throw PluginError(hostError: error, fallback: "the host rejected published messages")
        }
    }

    /// Marks the start of a call from the host.
    func beginCall(_ phase: CallPhase) {
        self.phase = phase
    }

    /// Marks the end of a call from the host: publishes what is pending.
    func endCall() throws {
        defer { phase = .none }
        try flushOutgoing()
    }
}

/// The kinds of host call, for the ABI's rules on where publish and declare_fields may be used.
@usableFromInline enum CallPhase: UInt8 {
    /// Between calls.
    case none
    /// Inside `create` (the plugin's `init`): declare_fields allowed, publish not.
    case create
    /// Inside `start`: neither publish nor declare_fields.
    case start
    /// Inside poll, on_messages, flush or stop: publish allowed.
    case running
}

/// A named counter of a node, obtained from ``PluginContext/counter(_:)``.
///
/// Cheap to copy and to use from any thread while the instance exists.
public struct Counter {
    let addFunction: @convention(c) (OpaquePointer?, UInt32, Int64) -> Void
    let node: OpaquePointer?
    /// The host's id of the counter; 0 when the host rejected the name.
    public let id: UInt32

    init(add: @escaping @convention(c) (OpaquePointer?, UInt32, Int64) -> Void, node: OpaquePointer?, id: UInt32) {
        self.addFunction = add
        self.node = node
        self.id = id
    }

    /// Adds `delta` (default 1) to the counter.
    public func add(_ delta: Int64 = 1) {
        guard id != 0 else { return }
        addFunction(node, id, delta)
    }
}

extension PluginError {
    /// The error a host reported in a `bourse_error`.
    init(hostError error: bourse_error, fallback: String) {
        var error = error
        let text = withUnsafeBytes(of: &error.message) { bytes -> String in
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        self.init(text.isEmpty ? fallback : text, code: error.code == 0 ? 1 : error.code)
    }
}
