#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CBourseABI
import Synchronization

/// The object behind a `bourse_node *`: the node's services plus the C
/// strings handed to the plugin (kept alive until the instance is destroyed,
/// as the ABI promises).
final class HostNode: @unchecked Sendable {
    /// Which plugin function the host is inside, for the ABI's rules on
    /// where publish and declare_fields may be called.
    enum Phase: UInt8 {
        case none = 0, create, start, running
    }

    let services: NodeServices
    private let phase = Atomic<UInt8>(Phase.none.rawValue)
    /// The thread making the current call (pthread_t is an integer on Linux).
    private let callingThread = Atomic<UInt>(0)
    private let strings = Mutex([String: UnsafeMutablePointer<CChar>]())

    init(services: NodeServices) {
        self.services = services
    }

    deinit {
        strings.withLock { table in for pointer in table.values { free(pointer) } }
    }

    /// A stable C copy of `text`, freed with the node.
    func cString(_ text: String) -> UnsafePointer<CChar> {
        strings.withLock { table in
            if let existing = table[text] { return UnsafePointer(existing) }
            let copy = strdup(text)!
            table[text] = copy
            return UnsafePointer(copy)
        }
    }

    /// Runs a call into the plugin, recording its phase and thread.
    @inline(__always)
    func calling<T>(_ callPhase: Phase, _ body: () throws -> T) rethrows -> T {
        callingThread.store(UInt(pthread_self()), ordering: .relaxed)
        phase.store(callPhase.rawValue, ordering: .releasing)
        defer { phase.store(Phase.none.rawValue, ordering: .releasing) }
        return try body()
    }

    /// Nil when the calling thread may use a function allowed in `allowed`
    /// phases; else why not.
    func refusal(_ function: String, allowed: Set<Phase>, where whereText: String) -> String? {
        let current = Phase(rawValue: phase.load(ordering: .acquiring)) ?? .none
        guard allowed.contains(current) else {
            return "\(function) called outside \(whereText) (node '\(services.nodeName)')"
        }
        guard UInt(pthread_self()) == callingThread.load(ordering: .relaxed) else {
            return "\(function) called from another thread than the one the host is calling the plugin on (node '\(services.nodeName)')"
        }
        return nil
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ node: OpaquePointer?) -> HostNode? {
        guard let node else { return nil }
        return Unmanaged<HostNode>.fromOpaque(UnsafeRawPointer(node)).takeUnretainedValue()
    }
}

/// Copies `message` into a bourse_error, NUL-terminated, cut on a UTF-8 boundary.
func fill(_ error: UnsafeMutablePointer<bourse_error>?, code: Int32 = 1, _ message: String) {
    guard let error else { return }
    error.pointee.code = code
    withUnsafeMutableBytes(of: &error.pointee.message) { raw in
        var bytes = Array(message.utf8)
        let limit = raw.count - 1
        if bytes.count > limit {
            var cut = limit
            while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }
            bytes = Array(bytes[0..<cut])
        }
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
}

/// The C function table given to every plugin. Built once; never freed.
let hostAPITable: UnsafePointer<bourse_host_api> = {
    var api = bourse_host_api()
    api.struct_size = UInt32(MemoryLayout<bourse_host_api>.size)
    api.abi_major = UInt16(BOURSE_ABI_MAJOR)
    api.abi_minor = UInt16(BOURSE_ABI_MINOR)
    api.publish = { node, messages, count, errorOut in
        guard let host = HostNode.from(node) else { return Int32(BOURSE_ERROR.rawValue) }
        if let refusal = host.refusal("publish", allowed: [.running], where: "poll, on_messages, flush or stop") {
            fill(errorOut, refusal)
            return Int32(BOURSE_ERROR.rawValue)
        }
        guard let messages, count > 0 else { return Int32(BOURSE_OK.rawValue) }
        do {
            let buffer = UnsafeBufferPointer(start: UnsafeRawPointer(messages).assumingMemoryBound(to: UnsafePointer<bourse_message>.self), count: count)
            for message in buffer where Int(bitPattern: message) == 0 {
                throw BourseError(.invalidMessage, "publish got a NULL message pointer")
            }
            try host.services.publish(buffer)
            return Int32(BOURSE_OK.rawValue)
        } catch {
            fill(errorOut, "\(error)")
            return Int32(BOURSE_ERROR.rawValue)
        }
    }
    api.log = { node, level, message in
        guard let host = HostNode.from(node), let message else { return }
        host.services.log(level: level, message: String(cString: message))
    }
    api.now_ns = { _ in Clock.wallNanoseconds() }
    api.monotonic_ns = { _ in Clock.monotonicNanoseconds() }
    api.counter_id = { node, name in
        guard let host = HostNode.from(node), let name else { return 0 }
        return host.services.counterID(named: String(cString: name))
    }
    api.counter_add = { node, id, delta in
        HostNode.from(node)?.services.addToCounter(id, delta)
    }
    api.topic_id = { node, name in
        guard let host = HostNode.from(node), let name else { return 0 }
        return host.services.topicID(named: String(cString: name))
    }
    api.topic_name = { node, id in
        guard let host = HostNode.from(node), let name = host.services.topicName(of: id) else { return nil }
        return host.cString(name)
    }
    api.instrument_id = { node, symbol in
        guard let host = HostNode.from(node), let symbol else { return 0 }
        return host.services.instrumentID(named: String(cString: symbol))
    }
    api.instrument_name = { node, id in
        guard let host = HostNode.from(node), let name = host.services.instrumentName(of: id) else { return nil }
        return host.cString(name)
    }
    api.output_count = { node in
        UInt32(HostNode.from(node)?.services.outputTopics.count ?? 0)
    }
    api.output_topic = { node, index in
        guard let outputs = HostNode.from(node)?.services.outputTopics, Int(index) < outputs.count else { return 0 }
        return outputs[Int(index)]
    }
    api.declare_fields = { node, topic, names, count, errorOut in
        guard let host = HostNode.from(node) else { return Int32(BOURSE_ERROR.rawValue) }
        if let refusal = host.refusal("declare_fields", allowed: [.create], where: "create") {
            fill(errorOut, refusal)
            return Int32(BOURSE_ERROR.rawValue)
        }
        var list: [String] = []
        for i in 0..<Int(count) {
            guard let name = names?[i] else {
                fill(errorOut, "declare_fields: name \(i) is NULL")
                return Int32(BOURSE_ERROR.rawValue)
            }
            list.append(String(cString: name))
        }
        do {
            try host.services.declareFields(topicID: topic, names: list)
            return Int32(BOURSE_OK.rawValue)
        } catch {
            fill(errorOut, "\(error)")
            return Int32(BOURSE_ERROR.rawValue)
        }
    }
    api.field_count = { node, topic in
        UInt32(HostNode.from(node)?.services.fieldNames(of: topic).count ?? 0)
    }
    api.field_name = { node, topic, index in
        guard let host = HostNode.from(node) else { return nil }
        let names = host.services.fieldNames(of: topic)
        guard Int(index) < names.count else { return nil }
        return host.cString(names[Int(index)])
    }
    api.node_id = { node in HostNode.from(node)?.services.nodeID ?? 0 }
    api.node_name = { node in
        guard let host = HostNode.from(node) else { return nil }
        return host.cString(host.services.nodeName)
    }
    api.restart_count = { node in HostNode.from(node)?.services.restartCount ?? 0 }
    api.run_id = { node in HostNode.from(node)?.services.runID ?? 0 }
    let pointer = UnsafeMutablePointer<bourse_host_api>.allocate(capacity: 1)
    pointer.initialize(to: api)
    return UnsafePointer(pointer)
}()
