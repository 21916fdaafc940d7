import ArgumentParser
import BourseBench
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmarks (build with -c release for meaningful numbers).",
        subcommands: [BusBench.self, WorkerBench.self, RingBench.self, StoreBench.self, PluginBench.self])

    struct BusBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bus",
            abstract: "Measure the in-process bus: 1 publisher → 1 and → 4 subscribers.",
            discussion: """
            One publisher thread publishes batches of messages with fixed-size payloads \
            to one topic; each subscriber thread consumes in batches and reads every \
            message. The baseline is a plain (non-inlined) function call per message \
            doing the same read, in the same process. The best of --repetitions runs \
            is reported.
            """)

        @Option(help: "Messages published per run.")
        var messages: Int = 20_000_000
        @Option(name: .customLong("payload-bytes"), help: "Payload size per message.")
        var payloadBytes: Int = 64
        @Option(name: .customLong("batch"), help: "Messages per publish call.")
        var batch: Int = 256
        @Option(help: "Runs per configuration (best is reported).")
        var repetitions: Int = 3
        @Option(help: "Subscriber counts to measure, comma-separated.")
        var subscribers: String = "1,4"
        @Flag(help: "Print results as JSON.")
        var json = false

        func validate() throws {
            guard messages > 0, batch > 0, payloadBytes >= 0, payloadBytes <= 65536, repetitions > 0 else {
                throw ValidationError("--messages, --batch and --repetitions must be positive; --payload-bytes 0...65536")
            }
        }

        func run() throws {
            let counts = subscribers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 && $0 <= 64 }) else {
                throw ValidationError("--subscribers must list counts between 1 and 64, e.g. 1,4")
            }
            let bench = BusBenchmark(messages: messages, payloadBytes: payloadBytes, batchSize: batch, repetitions: repetitions)
            let results = try bench.run(subscriberCounts: counts)
            if printedBenchJSON(results, json: json) { return }
            print("in-process bus, \(messages) messages of \(payloadBytes)-byte payload, publish batches of \(batch), best of \(repetitions)")
            let rows = results.map { r in
                [r.name, String(format: "%.1f M/s", r.messagesPerSecond / 1e6), String(format: "%.1f M/s", r.deliveriesPerSecond / 1e6),
                 String(format: "%.1f ns", r.nanosecondsPerMessage), String(format: "%.3f s", r.seconds)]
            }
            print(formatTable(["configuration", "published", "delivered", "per message", "time"], rows, rightAligned: [1, 2, 3, 4]))
        }
    }

    struct RingBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ring",
            abstract: "Measure the shared-memory rings between processes: one-way throughput and round-trip latency.",
            discussion: """
            Each frame carries a message: a 48-byte bourse_message header plus \
            --payload-bytes of payload. One way: this process writes frames in batches \
            of --batch per commit, a consumer reads every frame, first in a forked child \
            process (running only the C loop of CBourseRing), then in a thread of this \
            process. Round trip: this process sends one frame and waits for its echo from \
            a child process, then from a thread; one hop is half a round trip, timed with \
            CLOCK_MONOTONIC. The best of --repetitions runs is reported.
            """)

        @Option(help: "Frames sent one way per run.")
        var messages: Int = 20_000_000
        @Option(name: .customLong("round-trips"), help: "Round trips per run (at least 100000 for stable percentiles).")
        var roundTrips: Int = 200_000
        @Option(name: .customLong("payload-bytes"), help: "Payload size per message, after the 48-byte header.")
        var payloadBytes: Int = 64
        @Option(name: .customLong("ring-bytes"), help: "Data bytes of each ring (rounded up to a power of two).")
        var ringBytes: Int = 256 << 10
        @Option(name: .customLong("batch"), help: "Frames per commit, one way.")
        var batch: Int = 64
        @Option(help: "Runs per configuration (best is reported).")
        var repetitions: Int = 3
        @Flag(help: "Print results as JSON.")
        var json = false

        func validate() throws {
            guard messages > 0, roundTrips > 0, batch > 0, repetitions > 0, payloadBytes >= 0, payloadBytes <= 65536 else {
                throw ValidationError("--messages, --round-trips, --batch and --repetitions must be positive; --payload-bytes 0...65536")
            }
            guard ringBytes >= 4096, ringBytes <= 1 << 30, 48 + payloadBytes <= ringBytes / 2 - 8 else {
                throw ValidationError("--ring-bytes must be 4096...1073741824 and hold two frames of 48 + --payload-bytes bytes")
            }
        }

        func run() throws {
            let bench = RingBenchmark(messages: messages, roundTrips: roundTrips, payloadBytes: payloadBytes,
                                      ringBytes: ringBytes, batchSize: batch, repetitions: repetitions)
            let results = try bench.run()
            if printedBenchJSON(results, json: json) { return }
            print("shared-memory rings, frames of 48 + \(payloadBytes) bytes, \(ringBytes >> 10) KiB rings, best of \(repetitions)")
            print("one way: \(messages) frames, commit every \(batch); round trip: \(roundTrips) round trips")
            func ns(_ value: Double?) -> String { value.map { String(format: "%.0f ns", $0) } ?? "" }
            func rate(_ value: Double) -> String {
                value >= 1e6 ? String(format: "%.1f M/s", value / 1e6) : String(format: "%.1f k/s", value / 1e3)
            }
            let rows = results.map { r in
                [r.name, rate(r.messagesPerSecond), String(format: "%.1f ns", r.nanosecondsPerMessage),
                 ns(r.hopP50Nanoseconds), ns(r.hopP99Nanoseconds), "\(r.sleeps + (r.peerSleeps ?? 0))", "\(r.wakes + (r.peerWakes ?? 0))",
                 String(format: "%.3f s", r.seconds)]
            }
            print(formatTable(["configuration", "rate", "per message", "hop p50", "hop p99", "sleeps", "wakes", "time"], rows,
                              rightAligned: [1, 2, 3, 4, 5, 6, 7]))
        }
    }
}

extension Bench {
    struct WorkerBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Measure a plugin in a sandboxed worker next to the same plugin in process.",
            discussion: """
            Needs two C plugins built from Tests/Fixtures/plugins/fixture_plugin.c: an echo \
            indicator and a sink exporter, e.g.
              cc -O2 -shared -fPIC -I PluginSDK/Sources/CBourseABI/include -DFIXTURE_KIND=BOURSE_KIND_INDICATOR \
                 '-DFIXTURE_NAME="fixture-indicator"' -o /tmp/echo.so Tests/Fixtures/plugins/fixture_plugin.c
            (and the same with BOURSE_KIND_EXPORTER / fixture-sink). Reports one-way and \
            round-trip messages/s with batches of 256; for a ping-pong of one message, each \
            hop's latency (host → plugin: the host's deliver call to the plugin reading the \
            clock in on_messages; plugin → host: from there to the host handling the echo) \
            and the whole ping-pong (p50/p99); worker start-to-ready (spawn, load, create, start) and idle worker \
            resident memory.
            """)

        @Option(help: "The echo indicator plugin (.so).")
        var echo: String
        @Option(help: "The sink exporter plugin (.so).")
        var sink: String
        @Option(name: .customLong("memory-plugin"), help: "Another plugin whose idle worker memory to report (repeatable).")
        var memoryPlugins: [String] = []
        @Option(help: "Messages per throughput run.")
        var messages: Int = 2_000_000
        @Option(name: .customLong("payload-bytes"), help: "Payload size per message (at most 256 for the echo).")
        var payloadBytes: Int = 64
        @Option(help: "Messages per delivered batch (a graph node's batch_size).")
        var batch: Int = 256
        @Flag(help: "Print results as JSON.")
        var json = false

        /// "p50 / p99 µs".
        private func microseconds(_ p50: Double, _ p99: Double) -> String {
            String(format: "%.2f / %.2f µs", p50 / 1e3, p99 / 1e3)
        }

        func validate() throws {
            guard batch > 0, batch <= 65536, messages > 0, payloadBytes >= 0, payloadBytes <= 256 else {
                throw ValidationError("--batch 1...65536, --messages > 0, --payload-bytes 0...256")
            }
        }

        func run() throws {
            let results = try WorkerBenchmark(echoPlugin: echo, sinkPlugin: sink, memoryPlugins: memoryPlugins,
                                              messages: messages, payloadBytes: payloadBytes, batchSize: batch).run()
            if printedBenchJSON(results, json: json) { return }
            print("plugin in a sandboxed worker vs in process: \(messages) messages of \(payloadBytes)-byte payload, batches of \(batch)")
            let rows = results.figures.map { f in
                [f.hosting, String(format: "%.2f M/s", f.oneWayPerSecond / 1e6), String(format: "%.2f M/s", f.roundTripPerSecond / 1e6),
                 microseconds(f.hopToPluginP50Nanoseconds, f.hopToPluginP99Nanoseconds),
                 microseconds(f.hopToHostP50Nanoseconds, f.hopToHostP99Nanoseconds),
                 microseconds(f.pingP50Nanoseconds, f.pingP99Nanoseconds),
                 f.startToReadyNanoseconds > 0 ? String(format: "%.1f ms", f.startToReadyNanoseconds / 1e6) : "-"]
            }
            print(formatTable(["hosting", "one way", "round trip", "hop → plugin p50/p99", "hop → host p50/p99", "ping-pong p50/p99", "start to ready"],
                              rows, rightAligned: [1, 2, 3, 4, 5, 6]))
            for m in results.memory {
                print(String(format: "idle worker resident memory: %.1f MiB", Double(m.residentBytes) / 1048576) + "  (\(m.plugin))")
            }
        }
    }
}
