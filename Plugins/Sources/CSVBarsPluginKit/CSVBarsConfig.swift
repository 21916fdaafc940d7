// Turning the csv-bars node configuration into reader options.
import BourseBarFiles
import BourseCommon
import BourseSDK

/// The validated configuration of a `csv-bars` node.
public struct CSVBarsConfig {
    /// Every key the plugin accepts.
    public static let allowedKeys: Set<String> = [
        "path", "instrument", "format", "columns", "time_format", "timezone", "price_scale", "interval", "on_bad_row",
    ]

    /// The file to read (relative paths are relative to the host's working directory).
    public var path: String
    /// Symbol of the instrument the bars are about.
    public var instrument: String
    /// Bar length in nanoseconds (0 = unknown).
    public var intervalNanoseconds: Int64
    /// Reader options.
    public var options: BarFileOptions

    /// Reads and checks the configuration; throws ``PluginError`` (code 2) on any bad value.
    public init(_ config: PluginConfig) throws {
        try config.rejectUnknownKeys(allowed: Self.allowedKeys)
        path = try config.requiredString("path")
        instrument = try config.requiredString("instrument")
        guard !path.isEmpty else { throw PluginError("csv-bars: config key 'path' is empty", code: 2) }
        var options = try Self.readerOptions(config, plugin: "csv-bars", formatKey: "format")
        do {
            options.onBadRow = try BadRowPolicy(parsing: try config.string("on_bad_row", default: "skip"))
        } catch let error as BarFileError {
            throw PluginError("csv-bars: \(error.message)", code: 2)
        }
        do {
            intervalNanoseconds = try IntervalText.nanoseconds(try config.string("interval", default: "0"))
        } catch let error as DurationParseError {
            throw PluginError("csv-bars: \(error.message)", code: 2)
        }
        self.options = options
    }

    /// The bar reader options of a configuration: `<formatKey>` (auto, yahoo,
    /// lean, plain, columns), `columns`, `time_format`, `timezone` and
    /// `price_scale`, as `csv-bars` reads them; errors name `plugin` (code 2).
    public static func readerOptions(_ config: PluginConfig, plugin: String, formatKey: String) throws -> BarFileOptions {
        var options = BarFileOptions()
        do {
            let format = try config.string(formatKey, default: config.contains("columns") ? "columns" : "auto")
            switch format {
            case "auto": options.format = .auto
            case "yahoo": options.format = .yahoo
            case "lean": options.format = .lean
            case "plain": options.format = .plain
            case "columns":
                guard let columns = try config.object("columns") else {
                    throw PluginError("\(plugin): \(formatKey) \"columns\" needs a 'columns' object, "
                        + "e.g. {\"time\": 0, \"open\": 1, \"high\": 2, \"low\": 3, \"close\": 4, \"volume\": 5}", code: 2)
                }
                options.format = .columns(try Self.mapping(columns, plugin: plugin))
            default:
                throw PluginError("\(plugin): config key '\(formatKey)' must be auto, yahoo, lean, plain or columns, got \"\(format)\"",
                                  code: 2)
            }
            if config.contains("columns"), format != "columns" {
                throw PluginError("\(plugin): 'columns' is only used with \(formatKey) \"columns\" (got \(formatKey) \"\(format)\")", code: 2)
            }
            if let text = try config.string("time_format") { options.timeFormat = try TimeFormat(parsing: text) }
            options.timeZone = try config.string("timezone")
            switch config.value("price_scale") {
            case nil, .null?: break
            case .number(let n)?: options.priceScale = try PriceScale(parsing: String(n))
            case .string(let s)?: options.priceScale = try PriceScale(parsing: s)
            case let other?:
                throw PluginError("\(plugin): config key 'price_scale' must be \"auto\" or a number, got \(other.typeDescription)",
                                  code: 2)
            }
        } catch let error as BarFileError {
            throw PluginError("\(plugin): \(error.message)", code: 2)
        }
        return options
    }

    /// The column mapping from a `columns` object (indices or header names).
    static func mapping(_ columns: PluginConfig, plugin: String) throws -> ColumnMapping {
        var entries: [String: ColumnRef] = [:]
        for (key, value) in columns.members {
            switch value {
            case .number(let n):
                guard let index = Int(exactly: n), index >= 0 else {
                    throw PluginError("\(plugin): columns.\(key) must be a column index ≥ 0 or a header name, got \(n)", code: 2)
                }
                entries[key] = .index(index)
            case .string(let name):
                entries[key] = .name(name)
            default:
                throw PluginError("\(plugin): columns.\(key) must be a column index or a header name, got \(value.typeDescription)",
                                  code: 2)
            }
        }
        return try ColumnMapping(entries: entries)
    }
}
