// The C entry points of bourse_plugin_api. No Swift error ever escapes them:
// a thrown error becomes BOURSE_ERROR with its message copied into bourse_error.

internal import CBourseABI

private let statusOK = Int32(BOURSE_OK.rawValue)
private let statusError = Int32(BOURSE_ERROR.rawValue)
private let statusIdle = Int32(BOURSE_IDLE.rawValue)
private let statusEnd = Int32(BOURSE_END_OF_STREAM.rawValue)

/// The two function tables every descriptor points to, built once and never freed.
enum PluginAPITables {
    /// For sources: `poll` set, `on_messages` NULL.
    static let source: UnsafePointer<bourse_plugin_api> = make(source: true)
    /// For every other kind: `on_messages` set, `poll` NULL.
    static let processing: UnsafePointer<bourse_plugin_api> = make(source: false)

    private static func make(source: Bool) -> UnsafePointer<bourse_plugin_api> {
        var api = bourse_plugin_api()
        api.struct_size = UInt32(MemoryLayout<bourse_plugin_api>.size)
        api.create = thunkCreate
        api.start = thunkStart
        api.on_messages = source ? nil : thunkOnMessages
        api.poll = source ? thunkPoll : nil
        api.flush = thunkFlush
        api.stop = thunkStop
        api.destroy = thunkDestroy
        let table = UnsafeMutablePointer<bourse_plugin_api>.allocate(capacity: 1)
        table.initialize(to: api)
        return UnsafePointer(table)
    }
}

/// Copies `error`'s message (cut to 1023 bytes on a UTF-8 scalar boundary,
/// NUL-terminated) and code into the host's `bourse_error`.
func report(_ error: Error, into destination: UnsafeMutablePointer<bourse_error>?) {
    guard let destination else { return }
    let pluginError = error as? PluginError ?? PluginError(String(describing: error))
    destination.pointee.code = pluginError.code
    let capacity = Int(BOURSE_ERROR_MESSAGE_CAPACITY)
    let offset = MemoryLayout<bourse_error>.offset(of: \bourse_error.message)!
    let message = UnsafeMutableRawPointer(destination) + offset
    var utf8 = Array(pluginError.message.utf8)
    if let zero = utf8.firstIndex(of: 0) { utf8.removeSubrange(zero...) }
    if utf8.count > capacity - 1 {
        // Cut before the scalar that would not fit whole: never inside a multi-byte sequence.
        var cut = capacity - 1
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        utf8.removeSubrange(cut...)
    }
    utf8.withUnsafeBytes { bytes in
        if let source = bytes.baseAddress { message.copyMemory(from: source, byteCount: bytes.count) }
    }
    message.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
}

private func instanceBox(_ instance: UnsafeMutableRawPointer?) -> InstanceBox? {
    instance.map { Unmanaged<InstanceBox>.fromOpaque($0).takeUnretainedValue() }
}

/// Runs one plugin call: marks the call, catches every error, publishes what
/// the plugin left pending, and reports the first failure.
private func runCall(_ instance: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<bourse_error>?,
                     phase: CallPhase = .running, _ body: (InstanceBox) throws -> Int32) -> Int32 {
    guard let box = instanceBox(instance) else {
        report(PluginError("called with a NULL instance"), into: error)
        return statusError
    }
    return runCall(box.context, phase, error) { try body(box) }
}

private func runCall(_ context: PluginContext, _ phase: CallPhase, _ error: UnsafeMutablePointer<bourse_error>?,
                     _ body: () throws -> Int32) -> Int32 {
    context.beginCall(phase)
    var status: Int32
    var failure: Error?
    do {
        status = try body()
    } catch let thrown {
        failure = thrown
        status = statusError
    }
    do {
        try context.endCall()
    } catch let thrown {
        if failure == nil {
            failure = thrown
            status = statusError
        }
    }
    if let failure { report(failure, into: error) }
    return status
}

private func hostIsUsable(_ host: UnsafePointer<bourse_host_api>?) throws -> bourse_host_api {
    guard let host else { throw PluginError("create called with a NULL host table") }
    guard host.pointee.abi_major == BourseABI.major else {
        throw PluginError("host ABI \(host.pointee.abi_major).\(host.pointee.abi_minor) is incompatible with plugin ABI \(BourseABI.major).\(BourseABI.minor)")
    }
    // An ABI 1.0/1.1 host's table ends before `restart_count`: copy only
    // what the host has; later functions stay NULL.
    let hostSize = Int(UnsafeRawPointer(host).load(as: UInt32.self))
    let minimum = MemoryLayout<bourse_host_api>.offset(of: \bourse_host_api.restart_count)!
    guard hostSize >= minimum else {
        throw PluginError("host table too small: \(hostSize) bytes, need \(minimum)")
    }
    // Copy whole 8-byte function pointers only: a table size that ends inside
    // one (a malformed host) leaves that function NULL.
    var table = bourse_host_api()
    withUnsafeMutableBytes(of: &table) { copy in
        let whole = min(hostSize, copy.count) / 8 * 8
        copy.copyMemory(from: UnsafeRawBufferPointer(start: host, count: whole))
    }
    let present: [Bool] = [
        table.publish != nil, table.log != nil, table.now_ns != nil, table.monotonic_ns != nil,
        table.counter_id != nil, table.counter_add != nil, table.topic_id != nil, table.topic_name != nil,
        table.instrument_id != nil, table.instrument_name != nil, table.output_count != nil,
        table.output_topic != nil, table.declare_fields != nil, table.field_count != nil,
        table.field_name != nil, table.node_id != nil, table.node_name != nil,
    ]
    guard !present.contains(false) else { throw PluginError("host table has NULL functions") }
    return table
}

private func thunkCreate(
    _ descriptor: UnsafePointer<bourse_plugin_descriptor>?, _ host: UnsafePointer<bourse_host_api>?,
    _ node: OpaquePointer?, _ configJSON: UnsafePointer<CChar>?, _ configLength: Int,
    _ outInstance: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ error: UnsafeMutablePointer<bourse_error>?
) -> Int32 {
    let factory: PluginFactory
    let context: PluginContext
    let config: PluginConfig
    do {
        guard let data = descriptor?.pointee.plugin_data else {
            throw PluginError("create called with a descriptor that was not made by exportPlugin")
        }
        guard let outInstance else { throw PluginError("create called with a NULL out_instance") }
        outInstance.pointee = nil
        factory = Unmanaged<PluginFactory>.fromOpaque(data).takeUnretainedValue()
        context = PluginContext(host: try hostIsUsable(host), node: node)
        if let configJSON, configLength > 0 {
            let bytes = UnsafeRawBufferPointer(start: configJSON, count: configLength)
            config = try PluginConfig(jsonBytes: bytes)
        } else {
            config = PluginConfig()
        }
    } catch let thrown {
        report(thrown, into: error)
        return statusError
    }
    var made: InstanceBox?
    let status = runCall(context, .create, error) {
        made = try factory.make(context, config)
        return statusOK
    }
    guard status == statusOK, let made else { return statusError }
    outInstance?.pointee = Unmanaged.passRetained(made).toOpaque()
    return statusOK
}

private func thunkStart(_ instance: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    runCall(instance, error, phase: .start) { box in
        try box.start()
        return statusOK
    }
}

private func thunkOnMessages(
    _ instance: UnsafeMutableRawPointer?, _ messages: UnsafePointer<UnsafePointer<bourse_message>?>?,
    _ count: Int, _ error: UnsafeMutablePointer<bourse_error>?
) -> Int32 {
    runCall(instance, error) { box in
        guard let messages, count > 0 else { return statusOK }
        try box.onMessages(MessageBatch(records: messages, count: count))
        return statusOK
    }
}

private func thunkPoll(_ instance: UnsafeMutableRawPointer?, _ maxMessages: UInt32,
                       _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    runCall(instance, error) { box in
        switch try box.poll(maxMessages: Int(maxMessages)) {
        case .produced: return statusOK
        case .idle: return statusIdle
        case .endOfStream: return statusEnd
        }
    }
}

private func thunkFlush(_ instance: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    runCall(instance, error) { box in
        try box.flush()
        return statusOK
    }
}

private func thunkStop(_ instance: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    runCall(instance, error) { box in
        try box.stop()
        return statusOK
    }
}

private func thunkDestroy(_ instance: UnsafeMutableRawPointer?) {
    guard let instance else { return }
    Unmanaged<InstanceBox>.fromOpaque(instance).release()
}
