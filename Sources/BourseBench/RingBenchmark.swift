#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseTransport
import CBourseABI
import CBourseRing

/// Measures the shared-memory rings of BourseTransport with message-sized
/// frames (a 48-byte `bourse_message` header + payload per frame):
///
/// - one way: this process writes with `FrameWriter` (batch commits) and a
///   consumer reads every frame, in a forked child process and in a thread;
/// - round trip: this process sends one frame and waits for its echo, in a
///   child process and in a thread; one hop is half a round trip.
///
/// The child runs only the C loops of CBourseRing (`bourse_ring_fork_*`),
/// as code after fork() in a multi-threaded process must.
public struct RingBenchmark: Sendable {
    /// Frames sent one way per run.
    public var messages: Int
    /// Round trips per run.
    public var roundTrips: Int
    /// Payload bytes after the 48-byte message header.
    public var payloadBytes: Int
    /// Data bytes of each ring.
    public var ringBytes: Int
    /// Frames per commit in the one-way runs.
    public var batchSize: Int
    /// Runs per configuration; the best is reported.
    public var repetitions: Int

    /// Creates a benchmark configuration.
    public init(messages: Int = 20_000_000, roundTrips: Int = 200_000, payloadBytes: Int = 64,
                ringBytes: Int = 256 << 10, batchSize: Int = 64, repetitions: Int = 3) {
        self.messages = messages
        self.roundTrips = roundTrips
        self.payloadBytes = payloadBytes
        self.ringBytes = ringBytes
        self.batchSize = batchSize
        self.repetitions = repetitions
    }

    /// One measured configuration.
    public struct Result: Sendable, Codable {
        /// What was measured.
        public var name: String
        /// "one-way" or "round-trip".
        public var mode: String
        /// Where the peer ran: "process" or "thread".
        public var peer: String
        /// Frames sent one way, or round trips made.
        public var messages: Int
        /// Best run, seconds.
        public var seconds: Double
        /// Frames (one way) or round trips per second.
        public var messagesPerSecond: Double
        /// Nanoseconds per frame or per round trip.
        public var nanosecondsPerMessage: Double
        /// Round trips: median one-hop latency (half a round trip), ns.
        public var hopP50Nanoseconds: Double?
        /// Round trips: 99th percentile one-hop latency, ns.
        public var hopP99Nanoseconds: Double?
        /// Futex sleeps of this process's ends in the best run.
        public var sleeps: UInt64
        /// Futex wakes issued by this process's ends in the best run.
        public var wakes: UInt64
        /// One way: the consumer's futex sleeps and wakes.
        public var peerSleeps: UInt64?
        /// One way: futex wakes issued by the consumer.
        public var peerWakes: UInt64?
    }

    /// Bytes of one frame's payload: message header + payload.
    var frameBytes: Int { messageHeaderSize + payloadBytes }

    /// Runs the four configurations.
    public func run() throws -> [Result] {
        var results: [Result] = []
        for peer in ["process", "thread"] {
            results.append(try best { try oneWay(peer: peer) })
        }
        for peer in ["process", "thread"] {
            results.append(try best { try roundTrip(peer: peer) })
        }
        return results
    }

    private func best(_ body: () throws -> Result) throws -> Result {
        var best: Result?
        for _ in 0..<max(1, repetitions) {
            let r = try body()
            if best == nil || r.seconds < best!.seconds { best = r }
        }
        return best!
    }

    /// A message record (header + payload) to copy into each frame.
    private func makeTemplate() -> UnsafeMutableRawPointer {
        let template = UnsafeMutableRawPointer.allocate(byteCount: frameBytes, alignment: 8)
        template.initializeMemory(as: UInt8.self, repeating: 0, count: frameBytes)
        let header = template.assumingMemoryBound(to: bourse_message.self)
        header.pointee.type = UInt16(BOURSE_MSG_BYTES.rawValue)
        header.pointee.payload_len = UInt32(payloadBytes)
        header.pointee.topic_id = 1
        header.pointee.instrument_id = 1
        for b in 0..<payloadBytes { (template + messageHeaderSize + b).storeBytes(of: UInt8(truncatingIfNeeded: b), as: UInt8.self) }
        return template
    }

    /// Starts the peer: a forked child running C only, or a thread.
    private func startPeer(_ peer: String, fork: () -> pid_t, thread body: @escaping () -> Void) throws -> () throws -> Void {
        if peer == "process" {
            let pid = fork()
            guard pid > 0 else { throw BourseError(.io, "fork failed: \(String(cString: strerror(errno)))") }
            return {
                let exit = try ChildProcess.wait(pid)
                guard exit == .exited(0) else { throw BourseError(.io, "benchmark child ended with \(exit)") }
            }
        }
        let thread = startThread(body)
        return { pthread_join(thread, nil) }
    }

    private func oneWay(peer: String) throws -> Result {
        let channel = try Channel.create(name: "bench-ring", hostToWorkerCapacity: ringBytes, workerToHostCapacity: Ring.minimumCapacity)
        let results = try SharedRegion.create(name: "bench-results", size: 4096)
        let ring = channel.layout.hostToWorker
        let ringBase = channel.region.base + ring.lowerBound
        let resultWords = results.base.bindMemory(to: UInt64.self, capacity: 4)
        let count = messages
        let template = makeTemplate()
        defer { template.deallocate() }
        let start = Clock.monotonicNanoseconds()
        let finish = try startPeer(peer, fork: {
            bourse_ring_fork_consume(ringBase, ring.count, UInt64(count), resultWords)
        }, thread: {
            _ = bourse_ring_consume_loop(ringBase, ring.count, UInt64(count), resultWords)
        })
        let writer = channel.writer
        let length = frameBytes
        let batch = batchSize
        var sent = 0
        while sent < count {
            guard let frame = try writer.reserve(length, type: 1) else {
                _ = try writer.waitForSpace(length, timeoutNanoseconds: 1_000_000_000)
                continue
            }
            let base = frame.baseAddress!
            base.copyMemory(from: template, byteCount: length)
            base.storeBytes(of: UInt64(sent), toByteOffset: 32, as: UInt64.self)  // bourse_message.sequence
            sent += 1
            if sent % batch == 0 { writer.commit() }
        }
        writer.close()
        try finish()
        let seconds = Double(Clock.monotonicNanoseconds() - start) / 1e9
        guard resultWords[0] == UInt64(count) else {
            throw BourseError(.invalidMessage, "benchmark consumer read \(resultWords[0]) of \(count) frames")
        }
        return Result(name: "one way → \(peer)", mode: "one-way", peer: peer, messages: count, seconds: seconds,
                      messagesPerSecond: Double(count) / seconds, nanosecondsPerMessage: seconds * 1e9 / Double(count),
                      sleeps: writer.statistics.sleeps, wakes: writer.statistics.wakes,
                      peerSleeps: resultWords[2], peerWakes: resultWords[3])
    }

    private func roundTrip(peer: String) throws -> Result {
        let channel = try Channel.create(name: "bench-ring", hostToWorkerCapacity: ringBytes, workerToHostCapacity: ringBytes)
        let out = channel.layout.hostToWorker
        let back = channel.layout.workerToHost
        let outBase = channel.region.base + out.lowerBound
        let backBase = channel.region.base + back.lowerBound
        let count = roundTrips
        let template = makeTemplate()
        defer { template.deallocate() }
        let samples = UnsafeMutablePointer<Int64>.allocate(capacity: count)
        defer { samples.deallocate() }
        let finish = try startPeer(peer, fork: {
            bourse_ring_fork_echo(outBase, out.count, backBase, back.count, UInt64(count))
        }, thread: {
            _ = bourse_ring_echo_loop(outBase, out.count, backBase, back.count, UInt64(count))
        })
        let writer = channel.writer
        let reader = channel.reader
        let length = frameBytes
        var timeouts = 0
        let start = Clock.monotonicNanoseconds()
        for i in 0..<count {
            let sentAt = Clock.monotonicNanoseconds()
            guard let frame = try writer.reserve(length, type: 1) else {
                throw BourseError(.invalidMessage, "ring full with no frame in flight")
            }
            frame.baseAddress!.copyMemory(from: template, byteCount: length)
            frame.baseAddress!.storeBytes(of: UInt64(i), toByteOffset: 32, as: UInt64.self)
            writer.commit()
            while true {
                if let echo = try reader.next() {
                    guard echo.payload.count == length, echo.payload.load(fromByteOffset: 32, as: UInt64.self) == UInt64(i) else {
                        throw BourseError(.invalidMessage, "benchmark echo \(i) came back wrong")
                    }
                    break
                }
                if try reader.waitForData(timeoutNanoseconds: 1_000_000_000) == .timedOut { timeouts += 1 }
                if timeouts > 10 { throw BourseError(.interrupted, "benchmark peer stopped answering") }
            }
            reader.release()
            samples[i] = Clock.monotonicNanoseconds() - sentAt
        }
        let seconds = Double(Clock.monotonicNanoseconds() - start) / 1e9
        writer.close()
        try finish()
        var sorted = UnsafeMutableBufferPointer(start: samples, count: count)
        sorted.sort()
        func hop(_ q: Double) -> Double { Double(sorted[min(count - 1, Int(Double(count) * q))]) / 2 }
        let stats = (writer.statistics, reader.statistics)
        return Result(name: "round trip ↔ \(peer)", mode: "round-trip", peer: peer, messages: count, seconds: seconds,
                      messagesPerSecond: Double(count) / seconds, nanosecondsPerMessage: seconds * 1e9 / Double(count),
                      hopP50Nanoseconds: hop(0.5), hopP99Nanoseconds: hop(0.99),
                      sleeps: stats.0.sleeps + stats.1.sleeps, wakes: stats.0.wakes + stats.1.wakes,
                      peerSleeps: nil, peerWakes: nil)
    }
}

private final class RingThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private func startThread(_ body: @escaping () -> Void) -> pthread_t {
    let box = Unmanaged.passRetained(RingThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<RingThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed")
    return thread
}
