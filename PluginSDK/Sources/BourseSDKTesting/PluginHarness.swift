// PluginHarness: unit-test a plugin in-process, through its real C descriptor and thunks.

import BourseSDK
@_spi(Testing) import BourseSDK
internal import CBourseABI

/// Runs a plugin in-process without the Bourse host, for unit tests.
///
/// The harness goes through exactly the path the host uses: it calls
/// `exportPlugin` for the type, reads the C descriptor, and calls the C
/// functions of its `bourse_plugin_api` with an in-memory
/// `bourse_host_api`. It enforces the host's rules — publish only to the
/// node's outputs and only inside poll, on_messages, flush or stop on the
/// calling thread, valid payload layouts, field names declared from
/// `create` only — and throws ``PluginError`` when the plugin breaks one
/// (code ``hostRuleViolationCode``), even if the plugin caught the error
/// the host returned.
///
/// ```swift
/// let harness = try PluginHarness(SMA.self, config: #"{"period": 2}"#, outputs: ["sma"])
/// try harness.send(.bar(bar), topic: "bars", instrument: "SPY", eventTime: 1)
/// #expect(harness.published.count == 1)
/// ```
///
/// Not thread-safe: use one harness from one test at a time. Host callbacks
/// the plugin makes from other threads (log, counters) are safe.
public final class PluginHarness {
    /// The ``PluginError/code`` of errors reporting a broken host rule.
    public static let hostRuleViolationCode: Int32 = -1

    private let state: HarnessState
    private let descriptor: UnsafePointer<bourse_plugin_descriptor>
    private let api: bourse_plugin_api
    private let hostTable: UnsafeMutablePointer<bourse_host_api>
    private var instance: UnsafeMutableRawPointer?
    private var started = false
    private var stopped = false

    /// The plugin's kind, from its descriptor.
    public let kind: PluginKind
    /// The plugin's name, from its descriptor.
    public let name: String
    /// The plugin's version, from its descriptor.
    public let version: String
    /// The toolchain string of the descriptor.
    public let toolchain: String

    /// Exports `type`, checks its descriptor, and creates an instance.
    ///
    /// - Parameters:
    ///   - config: the node's configuration, a JSON object.
    ///   - outputs: the topics the node publishes to (`output_topic`).
    ///   - topics: other topics known to the graph, e.g. the inputs.
    ///   - restartCount: what the host's `restart_count` answers: 0 for a
    ///     first instance, N to act as the instance made after the node's
    ///     worker failed N times (to test that an exporter continues its files).
    ///   - runID: what the host's `run_id` answers (the same for the
    ///     instances of one run; another value acts as a later run).
    ///   - hostABIMinor: the ABI minor of the host to act as; an older host's
    ///     table ends where that version's did (1.0 and 1.1: no `restart_count`).
    /// - Throws: ``PluginError`` when the descriptor is invalid, a topic name
    ///   is invalid, or `create` fails (with the plugin's message and code).
    public convenience init<P: Plugin>(_ type: P.Type, config: String = "{}", outputs: [String] = ["out"],
                                       topics: [String] = [], restartCount: Int = 0, runID: UInt64 = 1,
                                       hostABIMinor: Int = Int(BourseABI.minor)) throws {
        guard let descriptor = exportAnyPlugin(type) else {
            throw PluginError("\(type) adopts none of SourcePlugin, IndicatorPlugin, ModelPlugin, CodecPlugin, ExporterPlugin")
        }
        try self.init(descriptor: descriptor, config: config, outputs: outputs, topics: topics, restartCount: restartCount,
                      runID: runID, hostABIMinor: hostABIMinor)
    }

    /// Runs any plugin from its `bourse_plugin_descriptor` — for example a C
    /// plugin linked into the test target, by passing the result of its
    /// `bourse_plugin_entry_v1()`. Same checks and parameters as the generic initializer.
    public init(descriptor raw: UnsafeRawPointer, config: String = "{}", outputs: [String] = ["out"],
                topics: [String] = [], restartCount: Int = 0, runID: UInt64 = 1,
                hostABIMinor: Int = Int(BourseABI.minor)) throws {
        for topic in outputs + topics where !HarnessRules.isValidTopic(topic) {
            throw PluginError("invalid topic name \"\(topic)\"")
        }
        let descriptor = raw.assumingMemoryBound(to: bourse_plugin_descriptor.self)
        let checked = try PluginHarness.check(descriptor)
        self.descriptor = descriptor
        api = checked.api
        kind = checked.kind
        name = checked.name
        version = checked.version
        toolchain = checked.toolchain
        state = HarnessState(kind: checked.kind, nodeName: checked.name)
        hostTable = makeHarnessHostTable()
        if hostABIMinor < 2 {
            hostTable.pointee.abi_minor = UInt16(max(0, hostABIMinor))
            hostTable.pointee.struct_size = UInt32(MemoryLayout<bourse_host_api>.offset(of: \bourse_host_api.restart_count)!)
        }
        state.locked { state in
            state.restartCount = UInt32(clamping: restartCount)
            state.runID = runID
            state.outputs = outputs.map { state.topics.intern($0) }
            topics.forEach { _ = state.topics.intern($0) }
        }

        var created: UnsafeMutableRawPointer?
        let node = nodePointer(state)
        do {
            var config = config
            _ = try call("create") { error in
                config.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        api.create(descriptor, hostTable, node, chars.baseAddress, chars.count, &created, error)
                    }
                }
            }
        } catch {
            if let created { api.destroy(created) }
            throw error
        }
        guard let created else {
            throw PluginError("create returned BOURSE_OK but stored no instance")
        }
        instance = created
    }

    deinit {
        // Not a "call": publishing from destroy is refused like outside any call.
        if let instance { api.destroy(instance) }
        hostTable.deallocate()
    }

    // MARK: Names

    /// The topic with this name, interned (made known to the graph) if needed.
    public func topic(_ name: String) -> Topic {
        Topic(id: state.locked { $0.topics.intern(name) })
    }

    /// The instrument with this symbol, interned if needed; "" gives ``Instrument/none``.
    public func instrument(_ symbol: String) -> Instrument {
        symbol.isEmpty ? .none : Instrument(id: state.locked { $0.instruments.intern(symbol) })
    }

    /// The name of a topic id, if known.
    public func name(of topic: Topic) -> String? {
        state.locked { $0.topics.name(of: topic.id) }
    }

    /// The symbol of an instrument id, if known.
    public func symbol(of instrument: Instrument) -> String? {
        state.locked { $0.instruments.name(of: instrument.id) }
    }

    // MARK: Lifecycle

    /// Calls `start`. Sending or polling starts the plugin automatically when needed.
    public func start() throws {
        guard !started else { throw PluginError("harness: start called twice") }
        try ensureUsable()
        started = true
        try callChecked("start") { api.start(instance, $0) }
    }

    /// Calls `flush`.
    public func flush() throws {
        try ensureRunning()
        try callChecked("flush") { api.flush(instance, $0) }
    }

    /// Performs what the host does at the end: a final `flush`, then `stop`.
    public func stop() throws {
        try ensureRunning()
        stopped = true
        try callChecked("flush") { api.flush(instance, $0) }
        try callChecked("stop") { api.stop(instance, $0) }
    }

    // MARK: Delivering and polling

    /// Delivers `messages` to `on_messages` as one batch. Messages whose
    /// `sequence` is 0 get the topic's next sequence number, and a 0
    /// `createdTime` gets the harness clock.
    public func send(_ messages: [Message]) throws {
        guard let onMessages = api.on_messages else {
            throw PluginError("harness: \(name) is a source and does not receive messages")
        }
        try ensureRunning()
        guard !messages.isEmpty else { return }
        var prepared = messages
        var total = 0
        state.locked { state in
            for index in prepared.indices {
                if prepared[index].sequence == 0 {
                    prepared[index].sequence = state.nextSequence(for: prepared[index].topic.id)
                }
                if prepared[index].createdTime == 0 { prepared[index].createdTime = state.now() }
            }
        }
        for message in prepared {
            guard message.topic.id != 0 else { throw PluginError("harness: cannot send a message with topic id 0") }
            guard message.payload.encodedLength <= BourseABI.maxPayload else {
                throw PluginError("harness: payload of \(message.payload.encodedLength) bytes exceeds the maximum")
            }
            total += message.encodedSize
        }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
        let pointers = UnsafeMutablePointer<UnsafePointer<bourse_message>?>.allocate(capacity: prepared.count)
        defer {
            storage.deallocate()
            pointers.deallocate()
        }
        var offset = 0
        for (index, message) in prepared.enumerated() {
            let record = UnsafeMutableRawBufferPointer(rebasing: storage[offset...])
            pointers[index] = UnsafePointer(record.baseAddress!.assumingMemoryBound(to: bourse_message.self))
            offset += try message.encode(into: record)
        }
        try callChecked("on_messages") { onMessages(instance, pointers, prepared.count, $0) }
    }

    /// Delivers one message built from a payload, a topic name and a symbol ("" for none).
    public func send(_ payload: Payload, topic: String, instrument: String = "", eventTime: Int64) throws {
        try send([Message(topic: self.topic(topic), instrument: self.instrument(instrument),
                          eventTime: eventTime, payload: payload)])
    }

    /// Calls `poll` once (sources only).
    public func poll(maxMessages: Int = 256) throws -> PollResult {
        guard let poll = api.poll else {
            throw PluginError("harness: \(name) is not a source and cannot be polled")
        }
        try ensureRunning()
        let status = try call("poll") { poll(instance, UInt32(clamping: max(0, maxMessages)), $0) }
        switch status {
        case Int32(BOURSE_OK.rawValue): return .produced
        case Int32(BOURSE_IDLE.rawValue): return .idle
        case Int32(BOURSE_END_OF_STREAM.rawValue): return .endOfStream
        default:
            throw PluginError("host rule violated: poll returned unknown status \(status)",
                              code: PluginHarness.hostRuleViolationCode)
        }
    }

    /// Polls until the source reports end of stream; throws when it has not
    /// after `maxPolls` polls.
    public func pollUntilEnd(maxPolls: Int = 1_000_000) throws {
        for _ in 0..<max(0, maxPolls) where try poll() == .endOfStream {
            return
        }
        throw PluginError("harness: \(name) did not reach end of stream within \(maxPolls) polls")
    }

    // MARK: Observations

    /// Everything the plugin published, in order, with `sequence` assigned
    /// per topic from 1, `originNode` set to the node id (1) and
    /// `createdTime` filled when the plugin left it 0.
    public private(set) var published: [Message] {
        get { state.locked { $0.published } }
        set { state.locked { $0.published = newValue } }
    }

    /// The messages published on one topic.
    public func published(on topic: String) -> [Message] {
        let id = state.locked { $0.topics.id(of: topic) }
        return published.filter { $0.topic.id == id }
    }

    /// Forgets the messages published so far.
    public func removeAllPublished() {
        published.removeAll()
    }

    /// How many times the plugin called `host->publish` (each call carries a batch).
    public var publishCallCount: Int { state.locked { $0.publishCallCount } }

    /// The log lines the plugin wrote, in order.
    public private(set) var logs: [(level: LogLevel, message: String)] {
        get { state.locked { $0.logs } }
        set { state.locked { $0.logs = newValue } }
    }

    /// The value of a counter (0 if the plugin never created it).
    public func counter(_ name: String) -> Int64 {
        state.locked { state in state.counterIDs[name].map { state.counterValues[Int($0) - 1] } ?? 0 }
    }

    /// The value fields declared for a topic.
    public func fields(of topic: String) -> [String] {
        state.locked { state in state.topics.id(of: topic).flatMap { state.fields[$0] } ?? [] }
    }

    /// Declares fields for a topic another node publishes (e.g. an input), so
    /// the plugin can read them with ``PluginContext/fields(of:)``.
    public func setFields(_ names: [String], for topic: String) {
        let id = self.topic(topic).id
        state.locked { $0.setFields(names, for: id) }
    }

    /// A fixed wall clock for `now_ns` and for filling `createdTime`; nil (the default) uses the real clock.
    public var wallClockNanoseconds: Int64? {
        get { state.locked { $0.wallClock } }
        set { state.locked { $0.wallClock = newValue } }
    }

    // MARK: Calls

    private func ensureUsable() throws {
        guard !stopped else { throw PluginError("harness: the plugin was already stopped") }
    }

    private func ensureRunning() throws {
        try ensureUsable()
        if !started { try start() }
    }

    private func callChecked(_ what: String, _ body: (UnsafeMutablePointer<bourse_error>) -> Int32) throws {
        let status = try call(what, body)
        guard status == Int32(BOURSE_OK.rawValue) else {
            throw PluginError("host rule violated: \(what) returned status \(status)",
                              code: PluginHarness.hostRuleViolationCode)
        }
    }

    /// Makes one call into the plugin; throws a recorded violation first,
    /// then the plugin's own error when it returned BOURSE_ERROR.
    private func call(_ what: String, _ body: (UnsafeMutablePointer<bourse_error>) -> Int32) throws -> Int32 {
        var error = bourse_error()
        state.beginCall(what)
        let status = body(&error)
        state.endCall()
        if let violation = state.takeViolations() { throw violation }
        if status == Int32(BOURSE_ERROR.rawValue) {
            let message = errorMessage(&error)
            throw PluginError(message.isEmpty ? "\(what) failed without a message" : message,
                              code: error.code == 0 ? 1 : error.code)
        }
        return status
    }

    private struct CheckedDescriptor {
        var api: bourse_plugin_api
        var kind: PluginKind
        var name: String
        var version: String
        var toolchain: String
    }

    /// Checks a descriptor the way the host does before loading a plugin.
    private static func check(_ descriptor: UnsafePointer<bourse_plugin_descriptor>) throws -> CheckedDescriptor {
        // Field by field, like the host: a 1.0 descriptor may end right after `api` (56 bytes).
        let d = descriptor
        guard d.pointee.abi_major == UInt16(BOURSE_ABI_MAJOR), d.pointee.abi_minor <= UInt16(BOURSE_ABI_MINOR) else {
            throw PluginError("built for plugin ABI \(d.pointee.abi_major).\(d.pointee.abi_minor), this host supports ABI \(BOURSE_ABI_MAJOR).0 to \(BOURSE_ABI_MAJOR).\(BOURSE_ABI_MINOR)")
        }
        let apiEnd = MemoryLayout<bourse_plugin_descriptor>.offset(of: \bourse_plugin_descriptor.api)! + 8
        guard Int(d.pointee.struct_size) >= apiEnd else {
            throw PluginError("descriptor struct_size \(d.pointee.struct_size) is below \(apiEnd)")
        }
        guard let kind = PluginKind(rawValue: d.pointee.kind) else {
            throw PluginError("descriptor kind \(d.pointee.kind) is not 1...5")
        }
        guard let namePointer = d.pointee.name, let versionPointer = d.pointee.version else {
            throw PluginError("descriptor name and version must not be NULL")
        }
        let name = String(cString: namePointer)
        let version = String(cString: versionPointer)
        guard HarnessRules.isValidPluginName(name) else {
            throw PluginError("plugin name \"\(name)\" is invalid: use 1...64 characters of [a-z0-9-]")
        }
        guard HarnessRules.isValidSemver(version) else {
            throw PluginError("plugin version \"\(version)\" is not a semantic version like 1.2.0")
        }
        guard let apiPointer = d.pointee.api else { throw PluginError("descriptor api is NULL") }
        guard Int(apiPointer.pointee.struct_size) >= MemoryLayout<bourse_plugin_api>.size else {
            throw PluginError("function table struct_size \(apiPointer.pointee.struct_size) is below \(MemoryLayout<bourse_plugin_api>.size)")
        }
        let api = apiPointer.pointee
        let missing = [
            ("create", api.create == nil), ("start", api.start == nil), ("flush", api.flush == nil),
            ("stop", api.stop == nil), ("destroy", api.destroy == nil),
            ("poll", kind == .source && api.poll == nil), ("on_messages", kind != .source && api.on_messages == nil),
        ].filter(\.1).map(\.0)
        guard missing.isEmpty else {
            throw PluginError("NULL function in its table: \(missing.joined(separator: ", "))")
        }
        return CheckedDescriptor(api: api, kind: kind, name: name, version: version,
                                 toolchain: d.pointee.toolchain.map { String(cString: $0) } ?? "unknown")
    }
}
