// The in-memory bourse_host_api: @convention(c) callbacks over HarnessState.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BourseSDK
internal import CBourseABI

private let statusOK = Int32(BOURSE_OK.rawValue)
private let statusError = Int32(BOURSE_ERROR.rawValue)

/// Builds the host table the harness passes to `create`; freed by the harness.
func makeHarnessHostTable() -> UnsafeMutablePointer<bourse_host_api> {
    var table = bourse_host_api()
    table.struct_size = UInt32(MemoryLayout<bourse_host_api>.size)
    table.abi_major = UInt16(BOURSE_ABI_MAJOR)
    table.abi_minor = UInt16(BOURSE_ABI_MINOR)
    table.publish = hostPublish
    table.log = hostLog
    table.now_ns = hostNow
    table.monotonic_ns = hostMonotonic
    table.counter_id = hostCounterID
    table.counter_add = hostCounterAdd
    table.topic_id = hostTopicID
    table.topic_name = hostTopicName
    table.instrument_id = hostInstrumentID
    table.instrument_name = hostInstrumentName
    table.output_count = hostOutputCount
    table.output_topic = hostOutputTopic
    table.declare_fields = hostDeclareFields
    table.field_count = hostFieldCount
    table.field_name = hostFieldName
    table.node_id = hostNodeID
    table.node_name = hostNodeName
    table.restart_count = hostRestartCount
    table.run_id = hostRunID
    let pointer = UnsafeMutablePointer<bourse_host_api>.allocate(capacity: 1)
    pointer.initialize(to: table)
    return pointer
}

/// The `bourse_node *` of a harness state.
func nodePointer(_ state: HarnessState) -> OpaquePointer {
    OpaquePointer(Unmanaged.passUnretained(state).toOpaque())
}

private func state(_ node: OpaquePointer?) -> HarnessState {
    Unmanaged<HarnessState>.fromOpaque(UnsafeRawPointer(node!)).takeUnretainedValue()
}

/// Writes `message` (cut to fit, NUL-terminated) into a `bourse_error`.
func setError(_ error: UnsafeMutablePointer<bourse_error>?, _ message: String, code: Int32 = 1) {
    guard let error else { return }
    error.pointee.code = code
    let capacity = Int(BOURSE_ERROR_MESSAGE_CAPACITY)
    var utf8 = Array(message.utf8)
    if utf8.count > capacity - 1 {
        var cut = capacity - 1
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        utf8.removeSubrange(cut...)
    }
    withUnsafeMutableBytes(of: &error.pointee.message) { bytes in
        for (index, byte) in utf8.enumerated() { bytes[index] = byte }
        bytes[utf8.count] = 0
    }
}

/// Reads the message a plugin left in a `bourse_error`.
func errorMessage(_ error: inout bourse_error) -> String {
    withUnsafeBytes(of: &error.message) { bytes in
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

private func hostPublish(_ node: OpaquePointer?, _ messages: UnsafePointer<UnsafePointer<bourse_message>?>?,
                         _ count: Int, _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    let harness = state(node)
    return harness.locked { state in
        func reject(_ reason: String) -> Int32 {
            state.violate(reason)
            setError(error, reason)
            return statusError
        }
        let node = String(cString: state.nodeNameCString)
        if let refusal = state.refusal("publish", allowedIn: ["poll", "on_messages", "flush", "stop"],
                                       where: "poll, on_messages, flush or stop") {
            return reject(refusal)
        }
        guard count > 0, let messages else { return statusOK }
        guard state.kind != .exporter else { return reject("node '\(node)' is an exporter: exporters never publish") }
        guard !state.outputs.isEmpty else {
            return reject("node '\(node)' has no `publishes` topics, so it cannot publish")
        }
        var accepted: [Message] = []
        for index in 0..<count {
            guard let header = messages[index] else { return reject("publish got a NULL message pointer") }
            let message = header.pointee
            let length = Int(message.payload_len)
            guard state.outputs.contains(message.topic_id) else {
                return reject("node '\(node)' published to topic \(state.topicDisplayName(message.topic_id)), which is not in its `publishes` list")
            }
            guard length <= Int(BOURSE_MAX_PAYLOAD) else {
                return reject("publish: message \(index): payload of \(length) bytes exceeds the maximum of \(BOURSE_MAX_PAYLOAD)")
            }
            guard message.instrument_id == 0 || state.instruments.name(of: message.instrument_id) != nil else {
                return reject("publish: message \(index) has unknown instrument id \(message.instrument_id)")
            }
            guard message.reserved == 0 else { return reject("publish: message \(index) has reserved != 0") }
            let record = UnsafeRawPointer(header)
            let payload = UnsafeRawBufferPointer(start: record + 48, count: length)
            if let problem = HarnessRules.payloadProblem(type: message.type, payload: payload) {
                return reject("publish: message \(index): \(problem)")
            }
            guard var decoded = try? Message(decoding: UnsafeRawBufferPointer(start: record, count: 48 + length)) else {
                return reject("publish: message \(index) could not be decoded")
            }
            decoded.sequence = 0
            decoded.originNode = state.nodeID
            if decoded.createdTime == 0 { decoded.createdTime = state.now() }
            accepted.append(decoded)
        }
        for var message in accepted {
            message.sequence = state.nextSequence(for: message.topic.id)
            state.published.append(message)
        }
        state.publishCallCount += 1
        return statusOK
    }
}

private func hostLog(_ node: OpaquePointer?, _ level: Int32, _ message: UnsafePointer<CChar>?) {
    let text = message.map { String(cString: $0) } ?? ""
    state(node).locked { state in
        // Like the host: an unknown level is logged as info.
        state.logs.append((level: LogLevel(rawValue: level) ?? .info, message: text))
    }
}

private func hostNow(_ node: OpaquePointer?) -> Int64 {
    state(node).locked { $0.now() }
}

private func hostMonotonic(_ node: OpaquePointer?) -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

private func hostCounterID(_ node: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> UInt32 {
    let text = name.map { String(cString: $0) } ?? ""
    return state(node).locked { state in
        guard HarnessRules.isValidCounterName(text) else {
            // The host silently returns 0; report it so the mistake is seen.
            state.violate("counter name \"\(text)\" is invalid (1...64 bytes)")
            return 0
        }
        if let id = state.counterIDs[text] { return id }
        state.counterValues.append(0)
        let id = UInt32(state.counterValues.count)
        state.counterIDs[text] = id
        return id
    }
}

private func hostCounterAdd(_ node: OpaquePointer?, _ id: UInt32, _ delta: Int64) {
    state(node).locked { state in
        guard id != 0 else { return }  // the id of a rejected name: ignored, as by the host
        guard Int(id) <= state.counterValues.count else {
            state.violate("counter_add with unknown counter id \(id)")
            return
        }
        state.counterValues[Int(id) - 1] &+= delta
    }
}

private func hostTopicID(_ node: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> UInt32 {
    guard let name else { return 0 }
    let text = String(cString: name)
    return state(node).locked { $0.topics.id(of: text) ?? 0 }
}

private func hostTopicName(_ node: OpaquePointer?, _ id: UInt32) -> UnsafePointer<CChar>? {
    state(node).locked { $0.topics.cString(of: id) }
}

private func hostInstrumentID(_ node: OpaquePointer?, _ symbol: UnsafePointer<CChar>?) -> UInt32 {
    guard let symbol else { return 0 }
    let text = String(cString: symbol)
    guard HarnessRules.isValidSymbol(text) else { return 0 }
    return state(node).locked { $0.instruments.intern(text) }
}

private func hostInstrumentName(_ node: OpaquePointer?, _ id: UInt32) -> UnsafePointer<CChar>? {
    state(node).locked { $0.instruments.cString(of: id) }
}

private func hostOutputCount(_ node: OpaquePointer?) -> UInt32 {
    state(node).locked { UInt32($0.outputs.count) }
}

private func hostOutputTopic(_ node: OpaquePointer?, _ index: UInt32) -> UInt32 {
    state(node).locked { Int(index) < $0.outputs.count ? $0.outputs[Int(index)] : 0 }
}

private func hostDeclareFields(_ node: OpaquePointer?, _ topic: UInt32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                               _ count: UInt32, _ error: UnsafeMutablePointer<bourse_error>?) -> Int32 {
    state(node).locked { state in
        func reject(_ reason: String) -> Int32 {
            state.violate(reason)
            setError(error, reason)
            return statusError
        }
        if let refusal = state.refusal("declare_fields", allowedIn: ["create"], where: "create") {
            return reject(refusal)
        }
        guard state.outputs.contains(topic) else {
            return reject("declare_fields: topic \(state.topicDisplayName(topic)) is not an output of this node")
        }
        guard count == 0 || names != nil else { return reject("declare_fields: names is NULL") }
        guard count <= UInt32(BOURSE_MAX_VALUES) else {
            return reject("declare_fields: \(count) fields, at most \(BOURSE_MAX_VALUES) allowed")
        }
        var list: [String] = []
        for index in 0..<Int(count) {
            guard let cName = names?[index] else { return reject("declare_fields: field \(index) is NULL") }
            let name = String(cString: cName)
            guard HarnessRules.isValidFieldName(name) else {
                return reject("declare_fields: field name \"\(name)\" is invalid (1...63 bytes of [A-Za-z0-9_.-])")
            }
            guard !list.contains(name) else { return reject("declare_fields: field name \"\(name)\" is declared twice") }
            list.append(name)
        }
        state.setFields(list, for: topic)
        return statusOK
    }
}

private func hostFieldCount(_ node: OpaquePointer?, _ topic: UInt32) -> UInt32 {
    state(node).locked { UInt32($0.fields[topic]?.count ?? 0) }
}

private func hostFieldName(_ node: OpaquePointer?, _ topic: UInt32, _ index: UInt32) -> UnsafePointer<CChar>? {
    state(node).locked { state in
        guard let names = state.fieldCStrings[topic], Int(index) < names.count else { return nil }
        return UnsafePointer(names[Int(index)])
    }
}

private func hostNodeID(_ node: OpaquePointer?) -> UInt32 {
    state(node).nodeID
}

private func hostRunID(_ node: OpaquePointer?) -> UInt64 {
    state(node).locked { $0.runID }
}

private func hostRestartCount(_ node: OpaquePointer?) -> UInt32 {
    state(node).locked { $0.restartCount }
}

private func hostNodeName(_ node: OpaquePointer?) -> UnsafePointer<CChar>? {
    UnsafePointer(state(node).nodeNameCString)
}
