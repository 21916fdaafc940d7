import ArgumentParser
import BourseCore
import BourseEvaluation
import BourseGraph
import BourseRuntime
import Foundation

/// `bourse eval`: score plugins on benchmarks.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score plugins on public benchmarks.",
        subcommands: [NAB.self])

    struct NAB: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nab",
            abstract: "Score an anomaly plugin on the Numenta Anomaly Benchmark (NAB v1.1).",
            discussion: """
            Runs the plugin over every NAB series through a real graph per series: \
            the csv-bars source reads the file (timestamp,value) as bars whose prices \
            are the value, on topic nab.values, instrument NAB → the plugin, which must \
            publish one score per point on nab.scores (values whose first field, or \
            the field 'anomaly_score', is the score; alerts' score and signals' value \
            also work) → csv-export. The plugin is told each series' probationary \
            length through the config key given by --probation-key.

            Scoring follows NAB: labelled windows, the scaled sigmoid, the \
            probationary period (first 15%, at most 750 points), one threshold per \
            profile chosen to maximise the total score over the corpus, and \
            normalisation so that the null detector scores 0 and the perfect one 100. \
            Prints the standard, reward_low_FP_rate and reward_low_FN_rate scores \
            beside NAB's published scoreboard.

            Plugins are found like `bourse run` finds them; build them with \
            -c release or this takes minutes. Example:
              bourse eval nab anomaly --plugin-path Plugins/.build/release --config '{"detector": "robust"}'
            """)

        @Argument(help: "The anomaly plugin: a name searched in the plugin path, or a path to a .so.")
        var plugin: String

        @Option(help: ArgumentHelp("The NAB directory (with data/, labels/combined_windows.json, config/profiles.json, results/final_results.json).", valueName: "dir"))
        var data: String = "../shared/data/nab"

        @Option(help: ArgumentHelp("The plugin's config as a JSON object.", valueName: "json"))
        var config: String = "{}"

        @Option(name: .customLong("probation-key"), help: ArgumentHelp("Config key that receives each series' probationary length (not sent if the config sets it); empty: send none.", valueName: "key"))
        var probationKey: String = "learning_period"

        @Option(name: .customLong("plugin-path"), help: ArgumentHelp("A directory to search for plugins named without a path (repeatable).", valueName: "dir"))
        var pluginPath: [String] = []

        @Option(help: ArgumentHelp("Run the graphs' nodes sandboxed (default) or in-process (only for trusted plugins).", valueName: "sandboxed|in-process"))
        var isolation: String?

        @Option(help: ArgumentHelp("Only the series whose name contains this text (repeatable); the scores are then not comparable with the scoreboard.", valueName: "text"))
        var only: [String] = []

        @Flag(help: "Print the results as JSON on stdout.")
        var json = false

        @Flag(name: .customLong("per-series"), help: "Also print each series' raw score and counts at the standard threshold.")
        var perSeries = false

        func run() throws {
            var options = NABGraphRunOptions(plugin: plugin)
            options.configJSON = config
            options.probationKey = probationKey.isEmpty ? nil : probationKey
            options.runtime.pluginPath = pluginPath
            options.runtime.logLevel = .error
            if let isolation {
                guard let parsed = Isolation(rawValue: isolation) else {
                    throw ValidationError("unknown --isolation '\(isolation)'; use sandboxed or in-process")
                }
                options.runtime.isolation = parsed
            }
            do {
                let corpus = try NABCorpus.load(directory: data, only: only)
                guard !corpus.series.isEmpty else {
                    throw BourseError(.invalidValue, "no NAB series matched --only \(only.joined(separator: ", "))", input: data)
                }
                let started = DispatchTime.now().uptimeNanoseconds
                let scores = try NABGraphRun(options: options).scores(corpus: corpus) { number, series in
                    if !json { printError("[\(number + 1)/\(corpus.series.count)] \(series.name)") }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                let results = NABBenchmark.evaluate(corpus: corpus, scores: scores)
                if json {
                    printJSON(NABReport(plugin: plugin, config: config, seriesCount: corpus.series.count,
                                        seconds: seconds, results: results, scoreboard: corpus.scoreboard))
                } else {
                    print(formatNABReport(plugin: plugin, config: config, corpus: corpus, results: results, seconds: seconds))
                    if !only.isEmpty {
                        print("note: \(corpus.series.count) of NAB's series only (--only): not comparable with the scoreboard")
                    }
                    if perSeries, let standard = results.first {
                        print("")
                        print(formatTable(["series", "raw", "TP", "FP", "windows"], standard.series.map { s in
                            [s.name, String(format: "%.2f", s.score.score), "\(s.score.truePositives)",
                             "\(s.score.falsePositives)",
                             "\(corpus.series.first { $0.name == s.name }?.windows.count ?? 0)"]
                        }, rightAligned: [1, 2, 3, 4]))
                    }
                }
            } catch let error as BourseError {
                printError("bourse: eval nab: \(error.description)")
                throw ExitCode(1)
            }
        }
    }
}

/// The JSON form of a NAB evaluation.
struct NABReport: Encodable {
    struct Profile: Encodable {
        var profile: String
        var score: Double
        var threshold: Double
        var rawScore: Double
        var nullScore: Double
        var perfectScore: Double
        var truePositives: Int
        var falsePositives: Int
    }

    var plugin: String
    var config: String
    var seriesCount: Int
    var seconds: Double
    var profiles: [Profile]
    var scoreboard: [String: [String: Double]]

    init(plugin: String, config: String, seriesCount: Int, seconds: Double, results: [NABProfileResult],
         scoreboard: NABScoreboard) {
        self.plugin = plugin
        self.config = config
        self.seriesCount = seriesCount
        self.seconds = seconds
        profiles = results.map {
            Profile(profile: $0.profile.name, score: $0.normalizedScore, threshold: $0.threshold, rawScore: $0.rawScore,
                    nullScore: $0.nullScore, perfectScore: $0.perfectScore, truePositives: $0.truePositives,
                    falsePositives: $0.falsePositives)
        }
        self.scoreboard = scoreboard
    }
}

/// The human-readable NAB report: this plugin's line among the published scoreboard, best first.
func formatNABReport(plugin: String, config: String, corpus: NABCorpus, results: [NABProfileResult],
                     seconds: Double) -> String {
    let names = results.map(\.profile.name)
    let label = config == "{}" ? plugin : "\(plugin) \(config)"
    var rows: [(name: String, scores: [Double], ours: Bool)] = [(label, results.map(\.normalizedScore), true)]
    for (detector, scores) in corpus.scoreboard {
        rows.append((detector, names.map { scores[$0] ?? .nan }, false))
    }
    rows.sort { ($0.scores.first ?? 0) > ($1.scores.first ?? 0) }
    let header = ["detector"] + names.map { $0 == "standard" ? "standard" : $0 == "reward_low_FP_rate" ? "low FP" : $0 == "reward_low_FN_rate" ? "low FN" : $0 }
    let table = formatTable(header, rows.map { row in
        [row.ours ? "▶ " + row.name : "  " + row.name] + row.scores.map { $0.isNaN ? "-" : String(format: "%.1f", $0) }
    }, rightAligned: Set(1...names.count))
    let thresholds = results.map { String(format: "%@ %.4f (TP %d, FP %d)", $0.profile.name, $0.threshold,
                                          $0.truePositives, $0.falsePositives) }
    return """
    NAB v1.1: \(corpus.series.count) series, \(corpus.windowCount) windows, scored in \(String(format: "%.1f", seconds))s
    \(table)
    thresholds: \(thresholds.joined(separator: "; "))
    """
}
