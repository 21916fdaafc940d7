// Running an anomaly plugin over NAB series through real graphs.
import BourseCore
import BourseGraph
import BourseRuntime
import Foundation

/// How ``NABGraphRun`` builds each series' graph.
public struct NABGraphRunOptions: Sendable {
    /// The anomaly plugin: a name searched in the plugin path, or a path to a `.so`.
    public var plugin: String
    /// The model node's config as a JSON object text.
    public var configJSON = "{}"
    /// The config key that receives the series' probationary length (NAB tells
    /// detectors this); nil to send nothing. Never overrides a key in `configJSON`.
    public var probationKey: String? = "learning_period"
    /// The source plugin reading `timestamp,value` files (as bars whose prices are the value).
    public var sourcePlugin = "csv-bars"
    /// The exporter plugin writing the model's output as CSV.
    public var exporterPlugin = "csv-export"
    /// Plugin search path, isolation and logging of the runs.
    public var runtime = RuntimeOptions()

    /// Options for `plugin`.
    public init(plugin: String) {
        self.plugin = plugin
    }
}

/// Runs one graph per NAB series — the `csv-bars` source reading the file →
/// the anomaly plugin → `csv-export` — and reads the model's scores back.
///
/// The model node subscribes to `nab.values` (bars whose open, high, low and
/// close are the series value, instrument `NAB`) and publishes on
/// `nab.scores`. The score of a point is the first value of the message for
/// its timestamp: the `anomaly_score` field when declared, else the
/// values message's first field, an alert's `score` or a signal's `value`.
/// Points the model published nothing for score 0.
public struct NABGraphRun {
    /// The options.
    public let options: NABGraphRunOptions

    /// A runner with `options`.
    public init(options: NABGraphRunOptions) {
        self.options = options
    }

    /// Scores of every series of `corpus`, by series name; `progress` is called after each series.
    public func scores(corpus: NABCorpus, progress: (Int, NABSeries) -> Void = { _, _ in }) throws -> [String: [Double]] {
        let baseConfig = try parseConfig(options.configJSON)
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        var result: [String: [Double]] = [:]
        for (number, series) in corpus.series.enumerated() {
            let directory = work + "/\(number)"
            try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
            var config = baseConfig
            if let key = options.probationKey, config[key] == nil {
                config[key] = nabProbationaryLength(count: series.values.count)
            }
            let graphPath = directory + "/graph.yaml"
            let dataFile = absolutePath(corpus.directory + "/data/" + series.name)
            try graphYAML(dataFile: dataFile, config: config, outputDirectory: directory + "/out")
                .write(toFile: graphPath, atomically: true, encoding: .utf8)
            try run(graphPath: graphPath, series: series)
            result[series.name] = try readScores(directory + "/out/nab.scores.csv", series: series)
            progress(number, series)
        }
        return result
    }

    func parseConfig(_ text: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw BourseError(.invalidValue, "the model config must be a JSON object, e.g. {\"detector\": \"robust\"}",
                              input: text)
        }
        return object
    }

    func graphYAML(dataFile: String, config: [String: Any], outputDirectory: String) throws -> String {
        let configData = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let configText = String(decoding: configData, as: UTF8.self)
        let dataDirectory = (dataFile as NSString).deletingLastPathComponent
        return """
        version: 1
        name: nab evaluation
        nodes:
          - id: series
            plugin: \(jsonQuoted(options.sourcePlugin))
            config: {"path": \(jsonQuoted(dataFile)), "instrument": "NAB", "on_bad_row": "skip", "time_format": "iso8601", "timezone": "UTC", "columns": {"time": 0, "open": 1, "high": 1, "low": 1, "close": 1}}
            allow: [\(jsonQuoted("read-paths:" + dataDirectory))]
            publishes: nab.values
          - id: model
            plugin: \(jsonQuoted(options.plugin))
            config: \(configText)
            subscribes: nab.values
            publishes: nab.scores
          - id: export
            plugin: \(jsonQuoted(options.exporterPlugin))
            config: {"format": "csv", "path": \(jsonQuoted(outputDirectory + "/{topic}.csv"))}
            subscribes: nab.scores
            allow: [\(jsonQuoted("write-paths:" + outputDirectory))]

        """
    }

    func run(graphPath: String, series: NABSeries) throws {
        let (built, diagnostics) = GraphBuilder.build(fileAt: graphPath, options: options.runtime)
        guard let built else {
            let errors = diagnostics.filter { $0.severity == .error }.map { $0.error.description }
            throw BourseError(.invalidValue, "the NAB graph for \(series.name) did not build: "
                              + errors.joined(separator: "; "), input: options.plugin)
        }
        defer { built.destroy() }
        let summary = GraphRunner(graph: built).run()
        if let failed = summary.nodes.first(where: { $0.failure != nil }) {
            throw BourseError(.pluginCallFailed, "node '\(failed.id)' (\(failed.plugin)) failed on \(series.name): "
                              + (failed.failure ?? ""), input: series.name)
        }
    }

    /// Reads the exported scores, one per series point (0 where nothing was published).
    func readScores(_ path: String, series: NABSeries) throws -> [Double] {
        var scores = [Double](repeating: 0, count: series.values.count)
        guard let data = FileManager.default.contents(atPath: path) else { return scores }
        var index: [Int64: Int] = [:]
        for (i, t) in series.timestamps.enumerated() where index[t] == nil { index[t] = i }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",").map(String.init) else { return scores }
        let column = ["anomaly_score", "score", "value"].compactMap { header.firstIndex(of: $0) }.first ?? 3
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count > column, let time = parseNABTimestamp(String(cells[0])), let i = index[time],
                  let value = Double(cells[column]), value.isFinite else { continue }
            scores[i] = value
        }
        return scores
    }

    func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/bourse-nab-XXXXXX").utf8CString)
        guard let pointer = mkdtemp(&template) else {
            throw BourseError(.io, "cannot create a temporary directory in \(NSTemporaryDirectory())")
        }
        return String(cString: pointer)
    }
}
