#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseIsolation
import BoursePluginHost
import CBourseABI

/// Pushes synthetic bar messages through one instance of a processing
/// plugin (typically an indicator such as `indicator-set`) and reports bars
/// per second, hosted in this process and/or in a sandboxed worker.
///
/// The bars are a seeded geometric Brownian motion with GARCH-like
/// volatility clustering (open = previous close, high/low around them,
/// positive volume), one instrument, one-minute event times, generated
/// before the clock starts. Time runs from the first delivered batch until
/// the instance settled and flushed (every bar handled, every value handed
/// to the host).
public struct PluginBenchmark {
    /// The plugin shared library.
    public var plugin: String
    /// The plugin's config (JSON object).
    public var configJSON: String
    /// Topic names the node publishes (default: two topics, over which `indicator-set`
    /// packs the 20 outputs of its default set, 10 values per message).
    public var outputs: [String]
    /// Bars per run.
    public var bars: Int
    /// Messages per delivered batch.
    public var batchSize: Int
    /// Runs per hosting mode (the best is reported).
    public var repetitions: Int
    /// Seed of the synthetic bars.
    public var seed: UInt64

    /// The four category topics `indicator-set` splits a large set into (4 messages per bar for its default set).
    public static let categoryOutputs = ["bench.trend", "bench.momentum", "bench.volatility", "bench.volume"]
    /// Two topics not named after categories: `indicator-set` packs its default set's 20
    /// outputs over them in order (2 messages per bar, the fastest layout the 16-value
    /// messages allow).
    public static let packedOutputs = ["bench.values.1", "bench.values.2"]

    /// Creates a configuration.
    public init(plugin: String, configJSON: String = "{}", outputs: [String] = PluginBenchmark.packedOutputs,
                bars: Int = 1_000_000, batchSize: Int = 256, repetitions: Int = 3, seed: UInt64 = 42) {
        self.plugin = plugin
        self.configJSON = configJSON
        self.outputs = outputs
        self.bars = bars
        self.batchSize = batchSize
        self.repetitions = repetitions
        self.seed = seed
    }

    /// Where the plugin runs.
    public enum Hosting: String, CaseIterable, Codable, Sendable {
        /// Loaded into this process (`isolation: in-process`).
        case inProcess = "in-process"
        /// In a sandboxed `bourse-worker` process (the default isolation).
        case sandboxed
    }

    /// The figures of one hosting mode.
    public struct Figures: Codable, Sendable {
        /// "in-process" or "sandboxed".
        public var hosting: String
        /// Bars delivered per run.
        public var bars: Int
        /// Bars per second (best run).
        public var barsPerSecond: Double
        /// Nanoseconds per bar (best run).
        public var nanosecondsPerBar: Double
        /// Messages the plugin published in the best run.
        public var messagesPublished: Int
        /// Seconds of the best run.
        public var seconds: Double
        /// CPU seconds of the delivering thread in the best run: in process,
        /// all the plugin's work; sandboxed, only the host side.
        public var hostThreadCPUSeconds: Double
        /// Sandboxed: CPU seconds of the worker process in the best run
        /// (user + system, read when it has been reaped); 0 in process.
        public var workerCPUSeconds: Double
        /// Bars per CPU second of everything that handled them: the delivering
        /// thread plus, sandboxed, the worker process. Unlike ``barsPerSecond``,
        /// barely affected by other processes sharing the cores.
        public var barsPerCPUSecond: Double { Double(bars) / (hostThreadCPUSeconds + workerCPUSeconds) }
    }

    /// Runs the benchmark for each hosting mode in `hostings`.
    public func run(_ hostings: [Hosting]) throws -> [Figures] {
        let block = try BarBlock(count: bars, seed: seed)
        defer { block.free() }
        var results: [Figures] = []
        for hosting in hostings {
            let host: PluginHost = hosting == .inProcess
                ? InProcessPluginHost()
                : SandboxedPluginHost(options: SandboxOptions(workerExecutable: SandboxedPluginHost.defaultWorkerExecutable()))
            var best: (seconds: Double, cpu: Double, worker: Double, published: Int)?
            for _ in 0..<repetitions {
                let services = PluginBenchServices(outputs: outputs)
                let childrenCPUBefore = childrenCPUNanoseconds()
                let instance = try host.instantiate(path: plugin, label: "bench", expectedKind: nil,
                                                    configJSON: configJSON, services: services)
                var destroyed = false
                defer { if !destroyed { instance.destroy() } }
                try instance.start()
                let begin = Clock.monotonicNanoseconds(), beginCPU = threadCPUNanoseconds()
                try block.deliver(to: instance, batchSize: batchSize)
                try instance.settle()
                try instance.flush()
                let seconds = Double(Clock.monotonicNanoseconds() - begin) / 1e9
                let cpu = Double(threadCPUNanoseconds() - beginCPU) / 1e9
                try instance.stop()
                instance.destroy()
                destroyed = true
                // The worker's whole life (start-up included, a few ms) once it has been reaped.
                let worker = hosting == .sandboxed ? Double(childrenCPUNanoseconds() - childrenCPUBefore) / 1e9 : 0
                if best == nil || seconds < best!.seconds { best = (seconds, cpu, worker, services.published) }
            }
            guard let best else { continue }
            results.append(Figures(hosting: hosting.rawValue, bars: bars, barsPerSecond: Double(bars) / best.seconds,
                                   nanosecondsPerBar: best.seconds * 1e9 / Double(bars),
                                   messagesPublished: best.published, seconds: best.seconds, hostThreadCPUSeconds: best.cpu,
                                   workerCPUSeconds: best.worker))
        }
        return results
    }
}

/// CPU time (user + system) of this process's reaped children, ns.
func childrenCPUNanoseconds() -> Int64 {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000_000
        + (Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)) * 1_000
}

/// CPU time of the calling thread, ns.
func threadCPUNanoseconds() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
}

/// Synthetic bar messages (topic 1, instrument 1), laid out as records once.
struct BarBlock {
    let storage: UnsafeMutableRawPointer
    let pointers: UnsafeMutablePointer<UnsafePointer<bourse_message>?>
    let count: Int

    /// Generates `count` bars: GBM with volatility clustering, seeded.
    init(count: Int, seed: UInt64) throws {
        guard count > 0 else { throw BourseError(.invalidValue, "the benchmark needs at least one bar", input: "--bars") }
        let record = (MemoryLayout<bourse_message>.size + MemoryLayout<bourse_bar>.size + 7) & ~7
        storage = .allocate(byteCount: record * count, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: record * count)
        pointers = .allocate(capacity: count)
        var random = SplitMix64(seed: seed)
        var price = 100.0, variance = 1e-6
        for i in 0..<count {
            let shock = random.normal()
            variance = 2e-8 + 0.05 * variance * shock * shock + 0.93 * variance   // GARCH(1,1)-like clustering
            let step = variance.squareRoot() * shock
            let open = price
            price *= (step - variance / 2).exp()
            let spread = abs(random.normal()) * variance.squareRoot() * price
            let header = (storage + i * record).assumingMemoryBound(to: bourse_message.self)
            header.pointee = bourse_message()
            header.pointee.type = UInt16(BOURSE_MSG_BAR.rawValue)
            header.pointee.payload_len = UInt32(MemoryLayout<bourse_bar>.size)
            header.pointee.topic_id = 1
            header.pointee.instrument_id = 1
            header.pointee.event_time_ns = 1_704_067_200_000_000_000 + Int64(i) * 60_000_000_000
            let bar = (storage + i * record + MemoryLayout<bourse_message>.size).bindMemory(to: bourse_bar.self, capacity: 1)
            bar.pointee = bourse_bar(open: open, high: max(open, price) + spread, low: min(open, price) - spread,
                                     close: price, volume: Double(100 + random.next() % 10_000), interval_ns: 60_000_000_000)
            pointers[i] = UnsafePointer(header)
        }
        self.count = count
    }

    /// Delivers every bar in batches of `batchSize`.
    func deliver(to instance: PluginInstance, batchSize: Int) throws {
        var sent = 0
        while sent < count {
            let n = min(batchSize, count - sent)
            try instance.deliver(UnsafeBufferPointer(start: pointers + sent, count: n))
            sent += n
        }
    }

    func free() {
        storage.deallocate()
        pointers.deallocate()
    }
}

/// A small seeded generator (SplitMix64) with normal deviates.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}

extension Double {
    fileprivate func exp() -> Double { Glibc.exp(self) }
}

/// Host services for the benchmark node: topic 1 in, the configured outputs from 2 on; counts what comes back.
final class PluginBenchServices: NodeServices {
    let nodeID: UInt32 = 1
    let nodeName = "bench"
    let outputTopics: [UInt32]
    private let names: [String]
    private(set) var published = 0
    private var fields: [UInt32: [String]] = [:]

    init(outputs: [String]) {
        names = ["bench.bars"] + outputs
        outputTopics = outputs.indices.map { UInt32($0 + 2) }
    }

    func publish(_ messages: UnsafeBufferPointer<UnsafePointer<bourse_message>>) throws { published += messages.count }
    func log(level: Int32, message: String) {}
    func counterID(named name: String) -> UInt32 { 1 }
    func addToCounter(_ id: UInt32, _ delta: Int64) {}
    func topicID(named name: String) -> UInt32 { names.firstIndex(of: name).map { UInt32($0 + 1) } ?? 0 }
    func topicName(of id: UInt32) -> String? { id >= 1 && Int(id) <= names.count ? names[Int(id) - 1] : nil }
    func instrumentID(named symbol: String) -> UInt32 { 1 }
    func instrumentName(of id: UInt32) -> String? { id == 1 ? "BENCH" : nil }
    func declareFields(topicID: UInt32, names: [String]) throws { fields[topicID] = names }
    func fieldNames(of topicID: UInt32) -> [String] { fields[topicID] ?? [] }
}
