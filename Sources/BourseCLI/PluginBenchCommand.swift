import ArgumentParser
import BourseBench
import Foundation

extension Bench {
    struct PluginBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plugin",
            abstract: "Measure bars/s through one instance of a processing plugin (e.g. indicator-set).",
            discussion: """
            Generates --bars synthetic one-minute bars (seeded GBM with volatility \
            clustering, one instrument) before timing, then delivers them in batches of \
            --batch to one instance of the plugin and times until every bar is handled \
            and every published value is back in the host. The node publishes the topics \
            of --publishes (default bench.values.1, bench.values.2: indicator-set packs the \
            20 outputs of its default 15-indicator set over them, 2 values messages per \
            bar; bench.trend,bench.momentum,bench.volatility,bench.volume splits them by \
            category instead, 4 messages per bar). The best of --repetitions runs per \
            hosting mode is reported. Example (release builds):
              swift build -c release && (cd Plugins && swift build -c release)
              .build/release/bourse bench plugin --plugin Plugins/.build/release/libbourse-indicator-set.so
            """)

        @Option(help: "The plugin shared library (.so).")
        var plugin: String
        @Option(help: "Bars per run.")
        var bars: Int = 1_000_000
        @Option(help: "Where the plugin runs: in-process, sandboxed or both.")
        var isolation: String = "both"
        @Option(help: "The plugin's config as a JSON object.")
        var config: String = "{}"
        @Option(help: "Topics the node publishes, comma-separated.")
        var publishes: String = PluginBenchmark.packedOutputs.joined(separator: ",")
        @Option(name: .customLong("batch"), help: "Bars per delivered batch (a graph node's batch_size).")
        var batch: Int = 256
        @Option(help: "Runs per hosting mode (best is reported).")
        var repetitions: Int = 3
        @Option(help: "Seed of the synthetic bars.")
        var seed: UInt64 = 42
        @Flag(help: "Print results as JSON.")
        var json = false

        func validate() throws {
            guard bars > 0, bars <= 100_000_000 else { throw ValidationError("--bars must be in 1...100000000, got \(bars)") }
            guard batch > 0, batch <= 65536 else { throw ValidationError("--batch must be in 1...65536, got \(batch)") }
            guard repetitions > 0 else { throw ValidationError("--repetitions must be positive, got \(repetitions)") }
            guard ["in-process", "sandboxed", "both"].contains(isolation) else {
                throw ValidationError("--isolation must be in-process, sandboxed or both, got '\(isolation)'")
            }
            guard FileManager.default.fileExists(atPath: plugin) else {
                throw ValidationError("--plugin: no such file '\(plugin)'")
            }
            guard config.trimmingCharacters(in: .whitespaces).hasPrefix("{") else {
                throw ValidationError("--config must be a JSON object, e.g. '{\"indicators\": [\"sma:20\"]}', got '\(config)'")
            }
            guard !outputTopics.isEmpty else { throw ValidationError("--publishes must list at least one topic") }
        }

        var outputTopics: [String] {
            publishes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            let hostings: [PluginBenchmark.Hosting] = isolation == "both" ? [.inProcess, .sandboxed]
                : [PluginBenchmark.Hosting(rawValue: isolation)!]
            let bench = PluginBenchmark(plugin: plugin, configJSON: config, outputs: outputTopics, bars: bars,
                                        batchSize: batch, repetitions: repetitions, seed: seed)
            let results = try bench.run(hostings)
            if printedBenchJSON(results, json: json) { return }
            print("plugin \(plugin): \(bars) synthetic bars, batches of \(batch), best of \(repetitions)")
            let rows = results.map { f in
                [f.hosting, String(format: "%.2f M bars/s", f.barsPerSecond / 1e6), String(format: "%.1f ns", f.nanosecondsPerBar),
                 String(format: "%.2f M bars/s", Double(f.bars) / f.hostThreadCPUSeconds / 1e6),
                 String(format: "%.2f M bars/s", f.barsPerCPUSecond / 1e6),
                 "\(f.messagesPublished)", String(format: "%.3f s", f.seconds)]
            }
            print(formatTable(["hosting", "rate", "per bar", "per host-thread CPU s", "per CPU s", "messages out", "time"],
                              rows, rightAligned: [1, 2, 3, 4, 5, 6]))
            print("(per host-thread CPU s: bars per CPU second of the delivering thread; in process that is all the plugin's work,")
            print(" sandboxed only the host side. per CPU s: the same with the sandboxed worker's CPU time added. Both differ")
            print(" from the rate when other processes share the cores.)")
        }
    }
}
