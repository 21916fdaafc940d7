import ArgumentParser
import BourseBench
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmarks (build with -c release for meaningful numbers).",
        subcommands: [BusBench.self])

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
            if json {
                printJSON(results)
                return
            }
            #if DEBUG
            printError("warning: this is a debug build; build with `swift build -c release` for real figures")
            #endif
            print("in-process bus, \(messages) messages of \(payloadBytes)-byte payload, publish batches of \(batch), best of \(repetitions)")
            let rows = results.map { r in
                [r.name, String(format: "%.1f M/s", r.messagesPerSecond / 1e6), String(format: "%.1f M/s", r.deliveriesPerSecond / 1e6),
                 String(format: "%.1f ns", r.nanosecondsPerMessage), String(format: "%.3f s", r.seconds)]
            }
            print(formatTable(["configuration", "published", "delivered", "per message", "time"], rows, rightAligned: [1, 2, 3, 4]))
        }
    }
}
