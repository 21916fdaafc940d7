#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseIsolation
import BoursePluginHost
import CBourseABI

/// Measures a plugin in a sandboxed worker against the same plugin in
/// process: one-way and round-trip throughput, ping-pong latency of one
/// message, worker start-to-ready time and an idle worker's resident memory.
public struct WorkerBenchmark {
    /// An indicator that echoes bytes messages (Tests/Fixtures/plugins/fixture_plugin.c built as an indicator).
    public var echoPlugin: String
    /// An exporter that consumes everything (the same file built as an exporter).
    public var sinkPlugin: String
    /// Other plugins whose idle worker memory to report (e.g. a Swift plugin).
    public var memoryPlugins: [String]
    /// Messages per throughput run.
    public var messages: Int
    /// Payload bytes per message.
    public var payloadBytes: Int
    /// Messages per delivered batch.
    public var batchSize: Int
    /// Ping-pong round trips for the latency percentiles.
    public var pings: Int

    /// Creates a configuration.
    public init(echoPlugin: String, sinkPlugin: String, memoryPlugins: [String] = [], messages: Int = 2_000_000,
                payloadBytes: Int = 64, batchSize: Int = 256, pings: Int = 20_000) {
        self.echoPlugin = echoPlugin
        self.sinkPlugin = sinkPlugin
        self.memoryPlugins = memoryPlugins
        self.messages = messages
        self.payloadBytes = payloadBytes
        self.batchSize = batchSize
        self.pings = pings
    }

    /// One hosting mode's figures.
    public struct Figures: Codable, Sendable {
        /// "sandboxed" or "in-process".
        public var hosting: String
        /// Messages per second host → plugin.
        public var oneWayPerSecond: Double
        /// Messages per second host → plugin → host.
        public var roundTripPerSecond: Double
        /// One message there and back (deliver + its echo + result), p50, ns.
        public var pingP50Nanoseconds: Double
        /// The same, p99, ns.
        public var pingP99Nanoseconds: Double
        /// One hop host → plugin: from the host's deliver call to the plugin's
        /// `on_messages` reading the clock, p50, ns (the echo stamps its receive time).
        public var hopToPluginP50Nanoseconds: Double
        /// The same, p99, ns.
        public var hopToPluginP99Nanoseconds: Double
        /// One hop plugin → host: from the plugin's receive stamp to the host
        /// handling the echoed message (its `publish`), p50, ns.
        public var hopToHostP50Nanoseconds: Double
        /// The same, p99, ns.
        public var hopToHostP99Nanoseconds: Double
        /// Worker spawn + load + create + start, median over 20, ns (0 in-process).
        public var startToReadyNanoseconds: Double
    }

    /// Resident memory of an idle worker.
    public struct Memory: Codable, Sendable {
        /// Plugin file.
        public var plugin: String
        /// VmRSS of the idle worker after create + start, bytes.
        public var residentBytes: Int
    }

    /// All results.
    public struct Results: Codable, Sendable {
        /// Sandboxed and in-process figures.
        public var figures: [Figures]
        /// Idle worker memory per plugin.
        public var memory: [Memory]
    }

    /// Runs everything.
    public func run() throws -> Results {
        let sandbox = SandboxedPluginHost(options: SandboxOptions(workerExecutable: SandboxedPluginHost.defaultWorkerExecutable()))
        var figures: [Figures] = []
        for (name, host) in [("sandboxed", sandbox as PluginHost), ("in-process", InProcessPluginHost())] {
            figures.append(try measure(name, host))
        }
        var memory: [Memory] = []
        for plugin in [echoPlugin] + memoryPlugins {
            let services = BenchServices()
            let instance = try sandbox.instantiate(path: plugin, label: "memory", expectedKind: nil, configJSON: "{}", services: services)
            try instance.start()
            var pause = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            nanosleep(&pause, nil)
            memory.append(Memory(plugin: plugin, residentBytes: residentBytes(of: instance.processID ?? getpid())))
            try instance.stop()
            instance.destroy()
        }
        return Results(figures: figures, memory: memory)
    }

    private func measure(_ name: String, _ host: PluginHost) throws -> Figures {
        let messages = MessageBlock(count: batchSize, payloadBytes: payloadBytes)
        defer { messages.free() }
        // Start-to-ready.
        var starts: [Int64] = []
        for _ in 0..<(name == "sandboxed" ? 20 : 1) {
            let begin = Clock.monotonicNanoseconds()
            let instance = try host.instantiate(path: sinkPlugin, label: "sink", expectedKind: nil, configJSON: "{}", services: BenchServices())
            try instance.start()
            starts.append(Clock.monotonicNanoseconds() - begin)
            instance.destroy()
        }
        // One way.
        let sink = try host.instantiate(path: sinkPlugin, label: "sink", expectedKind: nil, configJSON: "{}", services: BenchServices())
        try sink.start()
        let oneWay = try timed {
            try messages.deliver(to: sink, total: self.messages)
            try sink.settle()
        }
        sink.destroy()
        // Round trip and ping-pong.
        let echoServices = BenchServices()
        let echo = try host.instantiate(path: echoPlugin, label: "echo", expectedKind: nil, configJSON: "{}", services: echoServices)
        try echo.start()
        let roundTrip = try timed {
            try messages.deliver(to: echo, total: self.messages)
            try echo.settle()
        }
        guard echoServices.published == self.messages else {
            throw BourseError(.invalidMessage, "echo returned \(echoServices.published) of \(self.messages) messages")
        }
        echo.destroy()
        // Ping-pong: an echo that stamps when it receives each message.
        let pingServices = BenchServices()
        let pinger = try host.instantiate(path: echoPlugin, label: "echo", expectedKind: nil, configJSON: #"{"stamp":true}"#, services: pingServices)
        try pinger.start()
        var samples: [Int64] = [], toPlugin: [Int64] = [], toHost: [Int64] = []
        samples.reserveCapacity(pings)
        let single = MessageBlock(count: 1, payloadBytes: max(payloadBytes, 8))
        defer { single.free() }
        for _ in 0..<pings {
            let begin = Clock.monotonicNanoseconds()
            try single.deliver(to: pinger, total: 1)
            try pinger.settle()
            samples.append(Clock.monotonicNanoseconds() - begin)
            guard let echoed = pingServices.lastEcho else {
                throw BourseError(.invalidMessage, "echo plugin \(echoPlugin) did not echo the ping", input: echoPlugin)
            }
            toPlugin.append(echoed.stamp - begin)
            toHost.append(echoed.arrival - echoed.stamp)
            pingServices.lastEcho = nil
        }
        pinger.destroy()
        starts.sort()
        let (p50, p99) = percentiles(samples), (toPluginP50, toPluginP99) = percentiles(toPlugin), (toHostP50, toHostP99) = percentiles(toHost)
        return Figures(hosting: name, oneWayPerSecond: Double(self.messages) / oneWay, roundTripPerSecond: Double(self.messages) / roundTrip,
                       pingP50Nanoseconds: p50, pingP99Nanoseconds: p99,
                       hopToPluginP50Nanoseconds: toPluginP50, hopToPluginP99Nanoseconds: toPluginP99,
                       hopToHostP50Nanoseconds: toHostP50, hopToHostP99Nanoseconds: toHostP99,
                       startToReadyNanoseconds: name == "sandboxed" ? Double(starts[starts.count / 2]) : 0)
    }

    /// p50 and p99 of `samples` (ns).
    private func percentiles(_ samples: [Int64]) -> (Double, Double) {
        let sorted = samples.sorted()
        return (Double(sorted[sorted.count / 2]), Double(sorted[sorted.count * 99 / 100]))
    }

    private func timed(_ body: () throws -> Void) rethrows -> Double {
        let begin = Clock.monotonicNanoseconds()
        try body()
        return Double(Clock.monotonicNanoseconds() - begin) / 1e9
    }
}

/// VmRSS of a process, bytes.
func residentBytes(of pid: Int32) -> Int {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(cString: line)
        if text.hasPrefix("VmRSS:") {
            let digits = text.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
    }
    return 0
}

/// A batch of bytes messages on topic 1, instrument 1.
struct MessageBlock {
    let storage: UnsafeMutableRawPointer
    let pointers: UnsafeMutablePointer<UnsafePointer<bourse_message>?>
    let count: Int

    init(count: Int, payloadBytes: Int) {
        let record = (messageHeaderSize + payloadBytes + 7) & ~7
        storage = .allocate(byteCount: record * count, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 7, count: record * count)
        pointers = .allocate(capacity: count)
        for i in 0..<count {
            let header = (storage + i * record).assumingMemoryBound(to: bourse_message.self)
            header.pointee = bourse_message()
            header.pointee.type = UInt16(BOURSE_MSG_BYTES.rawValue)
            header.pointee.payload_len = UInt32(payloadBytes)
            header.pointee.topic_id = 1
            header.pointee.instrument_id = 1
            header.pointee.event_time_ns = Int64(i)
            pointers[i] = UnsafePointer(header)
        }
        self.count = count
    }

    func deliver(to instance: PluginInstance, total: Int) throws {
        var sent = 0
        while sent < total {
            let n = min(count, total - sent)
            try instance.deliver(UnsafeBufferPointer(start: pointers, count: n))
            sent += n
        }
    }

    func free() {
        storage.deallocate()
        pointers.deallocate()
    }
}

/// Host services for one benchmark node: topic 1 in, topic 2 out; counts what comes back.
final class BenchServices: NodeServices {
    let nodeID: UInt32 = 1
    let nodeName = "bench"
    let outputTopics: [UInt32] = [2]
    private(set) var published = 0
    /// The last echoed message's receive stamp (its first 8 payload bytes, written by
    /// the echo plugin with `"stamp": true`) and when the host handled it, ns.
    var lastEcho: (stamp: Int64, arrival: Int64)?

    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws {
        published += messages.count
        if let last = messages.last, last.pointee.payload_len >= 8 {
            let stamp = UnsafeRawPointer(last).loadUnaligned(fromByteOffset: messageHeaderSize, as: Int64.self)
            lastEcho = (stamp, Clock.monotonicNanoseconds())
        }
    }
    func log(level: Int32, message: String) {}
    func counterID(named name: String) -> UInt32 { 1 }
    func addToCounter(_ id: UInt32, _ delta: Int64) {}
    func topicID(named name: String) -> UInt32 { ["bench.in": 1, "bench.out": 2][name] ?? 0 }
    func topicName(of id: UInt32) -> String? { [1: "bench.in", 2: "bench.out"][id] }
    func instrumentID(named symbol: String) -> UInt32 { 1 }
    func instrumentName(of id: UInt32) -> String? { id == 1 ? "BENCH" : nil }
    func declareFields(topicID: UInt32, names: [String]) throws {}
    func fieldNames(of topicID: UInt32) -> [String] { [] }
}
