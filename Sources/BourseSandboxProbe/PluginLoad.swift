// Loading a plugin the way the worker will: dlopen + entry + create (loader
// stage), then poll / on_messages under the strict stage. The host API is a
// stub: one output topic, publish counts and drops messages, log goes to stderr.
#if canImport(Glibc)
import Glibc
#endif
import CBourseABI

/// Messages the stub host accepted from `publish`.
nonisolated(unsafe) var publishedMessages = 0
/// Stable C strings for the stub's name lookups.
nonisolated(unsafe) let stubTopicName = strdup("probe.out")!
nonisolated(unsafe) let stubInstrumentName = strdup("PROBE")!
nonisolated(unsafe) let stubNodeName = strdup("probe")!

func monotonicNanoseconds(_ clock: clockid_t) -> Int64 {
    var now = timespec()
    clock_gettime(clock, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// A host API table where every function answers something plausible.
func makeStubHostAPI() -> bourse_host_api {
    var host = bourse_host_api()
    host.struct_size = UInt32(MemoryLayout<bourse_host_api>.size)
    host.abi_major = UInt16(BOURSE_ABI_MAJOR)
    host.abi_minor = UInt16(BOURSE_ABI_MINOR)
    host.publish = { _, _, count, _ in publishedMessages += count; return Int32(BOURSE_OK.rawValue) }
    host.log = { _, level, message in
        if let message { fputs("plugin log[\(level)]: \(String(cString: message))\n", stderr) }
    }
    host.now_ns = { _ in monotonicNanoseconds(CLOCK_REALTIME) }
    host.monotonic_ns = { _ in monotonicNanoseconds(CLOCK_MONOTONIC) }
    host.counter_id = { _, _ in 1 }
    host.counter_add = { _, _, _ in }
    host.topic_id = { _, _ in 1 }
    host.topic_name = { _, id in id == 1 ? UnsafePointer(stubTopicName) : nil }
    host.instrument_id = { _, _ in 1 }
    host.instrument_name = { _, id in id == 1 ? UnsafePointer(stubInstrumentName) : nil }
    host.output_count = { _ in 1 }
    host.output_topic = { _, index in index == 0 ? 1 : 0 }
    host.declare_fields = { _, _, _, _, _ in Int32(BOURSE_OK.rawValue) }
    host.field_count = { _, _ in 0 }
    host.field_name = { _, _, _ in nil }
    host.node_id = { _ in 1 }
    host.node_name = { _ in UnsafePointer(stubNodeName) }
    host.restart_count = { _ in 0 }
    host.run_id = { _ in 1 }
    return host
}

/// A loaded plugin and, when created, its instance.
final class LoadedPlugin {
    let descriptor: UnsafePointer<bourse_plugin_descriptor>
    var host = makeStubHostAPI()
    var instance: UnsafeMutableRawPointer?
    let node = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

    private init(descriptor: UnsafePointer<bourse_plugin_descriptor>) { self.descriptor = descriptor }

    /// dlopen + entry: constructors run here. Returns nil (after printing the reason) on failure.
    static func load(_ path: String) -> LoadedPlugin? {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown"
            print("dlopen failed: \(reason)")
            return nil
        }
        guard let symbol = dlsym(handle, BOURSE_PLUGIN_ENTRY_SYMBOL) else {
            print("dlopen: no entry symbol")
            return nil
        }
        let entry = unsafeBitCast(symbol, to: bourse_plugin_entry_fn.self)
        guard let descriptor = entry() else {
            print("dlopen: the entry function returned NULL")
            return nil
        }
        return LoadedPlugin(descriptor: descriptor)
    }

    var name: String { descriptor.pointee.name.map { String(cString: $0) } ?? "?" }
    var version: String { descriptor.pointee.version.map { String(cString: $0) } ?? "?" }

    /// Calls create with `config`; prints the plugin's error and returns false on failure.
    func create(config: String) -> Bool {
        guard let api = descriptor.pointee.api, let create = api.pointee.create else { return false }
        var error = bourse_error()
        var bytes = Array(config.utf8CString)
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            withUnsafePointer(to: &host) { hostPointer in
                create(descriptor, hostPointer, OpaquePointer(node), buffer.baseAddress, buffer.count - 1, &instance, &error)
            }
        }
        if status != Int32(BOURSE_OK.rawValue) {
            print("create failed: \(message(of: &error))")
            return false
        }
        return true
    }

    /// start + up to `times` polls (sources) or `times` deliveries of one bar
    /// (other kinds). Returns a status line.
    func exercise(times: Int) -> String {
        guard let instance, let api = descriptor.pointee.api?.pointee else { return "not created" }
        var error = bourse_error()
        if let start = api.start, start(instance, &error) != Int32(BOURSE_OK.rawValue) {
            return "start failed: \(message(of: &error))"
        }
        for _ in 0..<times {
            if let poll = api.poll {
                let status = poll(instance, 256, &error)
                if status == Int32(BOURSE_ERROR.rawValue) { return "poll failed: \(message(of: &error))" }
                if status == Int32(BOURSE_END_OF_STREAM.rawValue) { break }
            } else if let onMessages = api.on_messages {
                let status = withBarMessage { message in
                    var pointer: UnsafePointer<bourse_message>? = message
                    return onMessages(instance, &pointer, 1, &error)
                }
                if status != Int32(BOURSE_OK.rawValue) { return "on_messages failed: \(message(of: &error))" }
            }
        }
        return "published \(publishedMessages)"
    }

    private func message(of error: inout bourse_error) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private func withBarMessage(_ body: (UnsafePointer<bourse_message>) -> Int32) -> Int32 {
        let size = MemoryLayout<bourse_message>.size + MemoryLayout<bourse_bar>.size
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let message = raw.bindMemory(to: bourse_message.self, capacity: 1)
        message.pointee.type = UInt16(BOURSE_MSG_BAR.rawValue)
        message.pointee.payload_len = UInt32(MemoryLayout<bourse_bar>.size)
        message.pointee.topic_id = 1
        message.pointee.instrument_id = 1
        message.pointee.event_time_ns = monotonicNanoseconds(CLOCK_REALTIME)
        let bar = (raw + MemoryLayout<bourse_message>.size).bindMemory(to: bourse_bar.self, capacity: 1)
        bar.pointee = bourse_bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 100, interval_ns: 86_400_000_000_000)
        return body(message)
    }
}
