// The in-memory "host" behind the harness: interned names, outputs, fields,
// counters, logs and published messages. The bourse_node* the plugin sees
// points to this object.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BourseSDK

/// A table of interned names with stable C strings; ids start at 1.
struct InternTable {
    private(set) var names: [String] = []
    private var ids: [String: UInt32] = [:]
    private(set) var cStrings: [UnsafeMutablePointer<CChar>] = []

    func id(of name: String) -> UInt32? { ids[name] }

    mutating func intern(_ name: String) -> UInt32 {
        if let id = ids[name] { return id }
        names.append(name)
        cStrings.append(makeCString(name))
        let id = UInt32(names.count)
        ids[name] = id
        return id
    }

    func name(of id: UInt32) -> String? {
        id >= 1 && Int(id) <= names.count ? names[Int(id) - 1] : nil
    }

    func cString(of id: UInt32) -> UnsafePointer<CChar>? {
        id >= 1 && Int(id) <= names.count ? UnsafePointer(cStrings[Int(id) - 1]) : nil
    }

    func freeAll() {
        cStrings.forEach { $0.deallocate() }
    }
}

/// A NUL-terminated heap copy of `text` (freed by its owner).
func makeCString(_ text: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(text.utf8CString)
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    copy.initialize(from: utf8, count: utf8.count)
    return copy
}

/// Everything the harness host knows. All access goes through `locked`, so the
/// host callbacks may come from any thread.
final class HarnessState: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    let kind: PluginKind
    let nodeID: UInt32 = 1
    /// What `restart_count` answers (set before `create`).
    var restartCount: UInt32 = 0
    /// What `run_id` answers.
    var runID: UInt64 = 1
    let nodeNameCString: UnsafeMutablePointer<CChar>
    var topics = InternTable()
    var instruments = InternTable()
    var outputs: [UInt32] = []
    var fields: [UInt32: [String]] = [:]
    var fieldCStrings: [UInt32: [UnsafeMutablePointer<CChar>]] = [:]
    /// Every C string ever handed out for fields; they stay valid until the harness goes away.
    var retiredCStrings: [UnsafeMutablePointer<CChar>] = []
    var counterIDs: [String: UInt32] = [:]
    var counterValues: [Int64] = []
    var logs: [(level: LogLevel, message: String)] = []
    var published: [Message] = []
    var publishCallCount = 0
    var sequences: [UInt32: UInt64] = [:]
    var violations: [String] = []
    var wallClock: Int64?

    /// Name of the plugin call in progress ("create", "start", ...), nil between calls.
    var currentCall: String?
    var callThread: pthread_t?

    init(kind: PluginKind, nodeName: String) {
        self.kind = kind
        nodeNameCString = makeCString(nodeName)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        topics.freeAll()
        instruments.freeAll()
        fieldCStrings.values.joined().forEach { $0.deallocate() }
        retiredCStrings.forEach { $0.deallocate() }
        nodeNameCString.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the state's mutex held.
    func locked<R>(_ body: (HarnessState) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(self)
    }

    /// Nil when `function` may be called now (inside one of the calls
    /// `allowedIn`, on that call's thread), else why not — the host's rule and wording.
    func refusal(_ function: String, allowedIn: Set<String>, where whereText: String) -> String? {
        let node = String(cString: nodeNameCString)
        guard let call = currentCall, allowedIn.contains(call) else {
            let context = currentCall.map { " (called in \($0))" } ?? ""
            return "\(function) called outside \(whereText) (node '\(node)')\(context)"
        }
        guard let callThread, pthread_equal(callThread, pthread_self()) != 0 else {
            return "\(function) called from another thread than the one the host is calling the plugin on (node '\(node)')"
        }
        return nil
    }

    func beginCall(_ name: String) {
        locked {
            $0.currentCall = name
            $0.callThread = pthread_self()
        }
    }

    func endCall() {
        locked {
            $0.currentCall = nil
            $0.callThread = nil
        }
    }

    /// Records a broken host rule; the harness throws it after the current call.
    func violate(_ message: String) {
        violations.append(message)
    }

    /// The recorded violations as one error (clearing them), or nil.
    func takeViolations() -> PluginError? {
        locked { state in
            guard !state.violations.isEmpty else { return nil }
            defer { state.violations.removeAll() }
            return PluginError("host rule violated: " + state.violations.joined(separator: "; "),
                               code: PluginHarness.hostRuleViolationCode)
        }
    }

    func topicDisplayName(_ id: UInt32) -> String {
        topics.name(of: id).map { "'\($0)'" } ?? "#\(id)"
    }

    func setFields(_ names: [String], for topic: UInt32) {
        if let old = fieldCStrings[topic] { retiredCStrings.append(contentsOf: old) }
        fields[topic] = names
        fieldCStrings[topic] = names.map(makeCString)
    }

    func nextSequence(for topic: UInt32) -> UInt64 {
        let next = (sequences[topic] ?? 0) + 1
        sequences[topic] = next
        return next
    }

    func now() -> Int64 {
        if let wallClock { return wallClock }
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
