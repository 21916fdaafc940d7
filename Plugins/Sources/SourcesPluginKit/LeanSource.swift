// The `lean` source plugin: QuantConnect Lean data folders.
import BourseBarFiles
import BourseSDK
import BourseSources

/// The validated configuration of a `lean` node.
public struct LeanSourceConfig {
    /// Every key the plugin accepts.
    public static let allowedKeys: Set<String> = [
        "root", "symbols", "symbol", "security", "market", "resolution", "tick_type", "from", "to", "adjust",
        "timezone", "on_bad_row", "bad_prints", "spike_factor", "include_suspicious",
    ]

    /// The feed options.
    public var options: LeanFeedOptions

    /// Reads and checks the configuration; throws ``PluginError`` (code 2) naming the key.
    public init(_ config: PluginConfig) throws {
        options = try configuring("lean") {
            try config.rejectUnknownKeys(allowed: Self.allowedKeys)
            let root = try config.requiredString("root")
            guard !root.isEmpty else { throw PluginError("config key 'root' is empty") }
            if config.contains("symbol") && config.contains("symbols") {
                throw PluginError("give either 'symbol' or 'symbols', not both")
            }
            guard let symbols = try symbolList(config, "symbols") ?? symbolList(config, "symbol") else {
                throw PluginError("config key 'symbols' (a list) or 'symbol' is required")
            }
            var o = LeanFeedOptions(root: root, symbols: symbols)
            o.security = try choice(config, "security", .equity, allowed: LeanSecurityType.allCases)
            o.market = try config.string("market")
            o.resolution = try choice(config, "resolution", .daily, allowed: LeanResolution.allCases)
            switch try config.string("tick_type", default: "trade") {
            case "trade": o.tickTypes = [.trade]
            case "quote": o.tickTypes = [.quote]
            case "both": o.tickTypes = [.trade, .quote]
            case let other: throw PluginError("config key 'tick_type' must be trade, quote or both, got \"\(other)\"")
            }
            for key in ["from", "to"] {
                guard let text = try Self.dateText(config, key) else { continue }
                guard let date = LeanDataSet.dateNumber(text) else {
                    throw PluginError("config key '\(key)' must be a date YYYY-MM-DD or YYYYMMDD, got \"\(text)\"")
                }
                if key == "from" { o.from = date } else { o.to = date }
            }
            o.adjust = try choice(config, "adjust", .raw, allowed: LeanAdjustment.allCases)
            o.timeZone = try config.string("timezone")
            o.onBadRow = try BadRowPolicy(parsing: try config.string("on_bad_row", default: "skip"))
            o.badPrints = try choice(config, "bad_prints", .skip, allowed: BadPrintPolicy.allCases)
            o.spikeFactor = try config.double("spike_factor", default: 1.7)
            guard o.spikeFactor > 1, o.spikeFactor.isFinite else {
                throw PluginError("config key 'spike_factor' must be a number > 1, got \(o.spikeFactor)")
            }
            o.includeSuspicious = try config.bool("include_suspicious", default: false)
            return o
        }
    }

    private static func dateText(_ config: PluginConfig, _ key: String) throws -> String? {
        if case .number(let n)? = config.value(key), let i = Int(exactly: n) { return String(i) }
        return try config.string(key)
    }
}

/// Publishes QuantConnect Lean data: daily/hour/minute/second bars and
/// ticks, trades and quotes, for several symbols in one node, in event-time
/// order. See docs/plugins.md#lean for the keys, topics and every error.
///
/// Counters: `items_published`, `skipped_<rule>` (bad rows, bad prints, suspicious ticks).
public final class LeanSource: SourcePlugin {
    /// "lean".
    public static let name = "lean"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Publishes QuantConnect Lean bars, trades and quotes (zip files, deci-cents, exchange time zones)"
    /// Reads the Lean data folder; the graph node grants where (`allow: [read-paths:DIR]`).
    public static let permissions: [Permission] = [.readPaths([])]

    /// The validated configuration.
    public let config: LeanSourceConfig
    private let context: PluginContext
    private let feed: LeanFeed
    private let publisher: FeedPublisher
    private var ended = false

    /// Validates the configuration and finds every file (a missing one fails graph validation).
    public init(context: PluginContext, config: PluginConfig) throws {
        self.config = try LeanSourceConfig(config)
        self.context = context
        do {
            feed = try LeanFeed(options: self.config.options)
        } catch {
            throw PluginError("lean: \(error.description)", code: error.code.rawValue)
        }
        publisher = try FeedPublisher(context: context, plugin: "lean", symbols: feed.symbols, kinds: feed.kinds)
        let o = self.config.options
        for set in feed.fileSets {
            context.log(.info, "lean: \(set.symbol) \(set.tickType.rawValue) \(o.resolution.rawValue): \(set.files.count) file(s), "
                + "\(o.security.rawValue) prices ÷ \(Int(o.security.priceScale)), times in \(o.timeZone ?? o.security.defaultTimeZone)"
                + (o.adjust == .raw ? "" : ", \(o.adjust.rawValue)-adjusted"))
        }
    }

    /// Publishes up to `maxMessages` items.
    public func poll(maxMessages: Int) throws -> PollResult {
        try pollFeed(feed, publisher: publisher, plugin: "lean", maxMessages: maxMessages, context: context, ended: &ended)
    }

    /// Closes the files.
    public func stop() throws { feed.close() }
}
