// Reading the NAB corpus: the series, their labelled windows and the published scoreboard.
import BourseCore
import Foundation

/// One NAB data file with its labelled windows.
public struct NABSeries: Sendable {
    /// Path relative to the corpus's `data` directory, e.g. `realKnownCause/nyc_taxi.csv`.
    public var name: String
    /// Timestamps in seconds since 1970 (the files' times, read as UTC).
    public var timestamps: [Int64]
    /// The values.
    public var values: [Double]
    /// Labelled anomaly windows, sorted, as point indices.
    public var windows: [NABWindow]

    /// Creates a series.
    public init(name: String, timestamps: [Int64], values: [Double], windows: [NABWindow]) {
        self.name = name
        self.timestamps = timestamps
        self.values = values
        self.windows = windows
    }
}

/// A published detector's normalised scores per profile name.
public typealias NABScoreboard = [String: [String: Double]]

/// The NAB corpus as laid out in the NAB repository: `data/<category>/<file>.csv`
/// (`timestamp,value`), `labels/combined_windows.json`, optionally
/// `config/profiles.json` and `results/final_results.json`.
public struct NABCorpus: Sendable {
    /// The corpus directory.
    public var directory: String
    /// Every series listed in the windows file, sorted by name.
    public var series: [NABSeries]
    /// The profiles (from `config/profiles.json`, else NAB's three built-in ones).
    public var profiles: [NABProfile]
    /// The published scoreboard (`results/final_results.json`), empty when absent.
    public var scoreboard: NABScoreboard

    /// Total number of labelled windows.
    public var windowCount: Int { series.reduce(0) { $0 + $1.windows.count } }

    /// Loads the corpus under `directory`; `only` keeps the series whose name contains one of the strings.
    public static func load(directory: String, only: [String] = []) throws -> NABCorpus {
        let windowsPath = directory + "/labels/combined_windows.json"
        guard let windowsData = FileManager.default.contents(atPath: windowsPath) else {
            throw BourseError(.fileNotFound, "NAB labels not found: expected \(windowsPath) (is --data the NAB directory?)",
                              input: windowsPath)
        }
        guard let labels = try? JSONSerialization.jsonObject(with: windowsData) as? [String: [[String]]] else {
            throw BourseError(.invalidValue, "NAB labels are not an object of [[start, end]] lists: \(windowsPath)",
                              input: windowsPath)
        }
        var series: [NABSeries] = []
        for name in labels.keys.sorted() where only.isEmpty || only.contains(where: { name.contains($0) }) {
            let path = directory + "/data/" + name
            let (timestamps, values) = try readSeries(path)
            var index: [Int64: Int] = [:]
            for (i, t) in timestamps.enumerated() where index[t] == nil { index[t] = i }
            var windows: [NABWindow] = []
            for pair in labels[name] ?? [] {
                guard pair.count == 2, let start = parseNABTimestamp(pair[0]), let end = parseNABTimestamp(pair[1]),
                      let first = index[start], let last = index[end], first <= last else {
                    throw BourseError(.invalidValue, "NAB window \(pair) of \(name) does not match two timestamps of the file",
                                      input: windowsPath)
                }
                windows.append(NABWindow(start: first, end: last))
            }
            windows.sort { $0.start < $1.start }
            series.append(NABSeries(name: name, timestamps: timestamps, values: values, windows: windows))
        }
        return NABCorpus(directory: directory, series: series, profiles: try loadProfiles(directory),
                         scoreboard: loadScoreboard(directory))
    }

    /// Reads a `timestamp,value` file with a header line.
    static func readSeries(_ path: String) throws -> ([Int64], [Double]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BourseError(.fileNotFound, "NAB data file not found: \(path)", input: path)
        }
        let text = String(decoding: data, as: UTF8.self)
        var timestamps: [Int64] = []
        var values: [Double] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where number > 0 {
            let fields = line.split(separator: ",")
            guard fields.count >= 2, let time = parseNABTimestamp(String(fields[0])),
                  let value = Double(fields[1].trimmingCharacters(in: .whitespaces)) else {
                throw BourseError(.invalidValue, "line \(number + 1) of \(path) is not 'timestamp,value': \(line)", input: path)
            }
            timestamps.append(time)
            values.append(value)
        }
        return (timestamps, values)
    }

    static func loadProfiles(_ directory: String) throws -> [NABProfile] {
        let path = directory + "/config/profiles.json"
        guard let data = FileManager.default.contents(atPath: path) else { return NABProfile.all }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: [String: Double]]] else {
            throw BourseError(.invalidValue, "NAB profiles are not {name: {CostMatrix: {...}}}: \(path)", input: path)
        }
        let order = NABProfile.all.map(\.name)
        return object.keys.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
            .compactMap { name in
                guard let matrix = object[name]?["CostMatrix"], let tp = matrix["tpWeight"], let fp = matrix["fpWeight"],
                      let fn = matrix["fnWeight"] else { return nil }
                return NABProfile(name: name, costs: NABCostMatrix(truePositive: tp, falsePositive: fp, falseNegative: fn))
            }
    }

    static func loadScoreboard(_ directory: String) -> NABScoreboard {
        let path = directory + "/results/final_results.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Double]] else { return [:] }
        return object
    }
}

/// Seconds since 1970 of a NAB timestamp `YYYY-MM-DD HH:MM:SS[.ffffff]` read as UTC; nil if malformed.
public func parseNABTimestamp(_ text: String) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
          bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
          bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
    func number(_ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        for i in range {
            let b = bytes[i]
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int64(b - 48)
        }
        return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
          let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day)
    else { return nil }
    // Days from civil (Howard Hinnant's algorithm).
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    return days * 86_400 + hour * 3600 + minute * 60 + second
}
