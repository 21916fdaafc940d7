// The `synthetic` source plugin: seeded GBM with GARCH volatility clustering.
import BourseBarFiles
import BourseCommon
import BourseSDK
import BourseSources

/// The validated configuration of a `synthetic` node.
public struct SyntheticSourceConfig {
    /// Every key the plugin accepts.
    public static let allowedKeys: Set<String> = [
        "instruments", "count", "seed", "interval", "start", "output", "start_price", "garch",
    ]

    /// The feed options.
    public var options: SyntheticOptions

    /// Reads and checks the configuration; throws ``PluginError`` (code 2) naming the key.
    public init(_ config: PluginConfig) throws {
        options = try configuring("synthetic") {
            try config.rejectUnknownKeys(allowed: Self.allowedKeys)
            var o = SyntheticOptions()
            switch config.value("instruments") {
            case nil, .null?: break
            case .number(let n)?:
                guard let k = Int(exactly: n), (1...10_000).contains(k) else {
                    throw PluginError("config key 'instruments' must be 1…10000 or a list of symbols, got \(n)")
                }
                o.symbols = (1...k).map { "SYN\($0)" }
            default:
                o.symbols = try symbolList(config, "instruments") ?? o.symbols
            }
            o.count = try config.int("count", default: o.count)
            guard o.count >= 0 else { throw PluginError("config key 'count' must be ≥ 0, got \(o.count)") }
            let seed = try config.int("seed", default: 42)
            guard seed >= 0 else { throw PluginError("config key 'seed' must be an integer ≥ 0, got \(seed)") }
            o.seed = UInt64(seed)
            o.interval = try duration(config, "interval", default: o.interval)
            guard o.interval > 0 else { throw PluginError("config key 'interval' must be longer than 0") }
            if let start = try config.string("start") {
                guard let t = TimeFormat.iso8601Nanoseconds(Substring(start)) else {
                    throw PluginError("config key 'start' must be a UTC time such as \"2024-01-01T00:00:00Z\", got \"\(start)\"")
                }
                o.start = t
            }
            o.output = try choice(config, "output", .bars, allowed: SyntheticOutput.allCases)
            o.startPrice = try config.double("start_price", default: o.startPrice)
            if let g = try config.object("garch") {
                try g.rejectUnknownKeys(allowed: ["omega", "alpha", "beta", "initial_variance"])
                o.garch = GARCHParameters(omega: try g.double("omega", default: o.garch.omega),
                                          alpha: try g.double("alpha", default: o.garch.alpha),
                                          beta: try g.double("beta", default: o.garch.beta),
                                          initialVariance: try g.double("initial_variance", default: o.garch.initialVariance))
            }
            if let problem = o.garch.problem { throw PluginError("config key 'garch': \(problem)") }
            guard o.startPrice > 0, o.startPrice.isFinite else {
                throw PluginError("config key 'start_price' must be a positive number, got \(o.startPrice)")
            }
            return o
        }
    }
}

/// Publishes seeded synthetic bars, trades or quotes for one or more
/// instruments: the same items for the same configuration on every run.
/// See docs/plugins.md#synthetic.
public final class SyntheticSource: SourcePlugin {
    /// "synthetic".
    public static let name = "synthetic"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Publishes seeded synthetic bars, trades or quotes (GBM with GARCH volatility clustering)"

    /// The validated configuration.
    public let config: SyntheticSourceConfig
    private let context: PluginContext
    private let feed: SyntheticFeed
    private let publisher: FeedPublisher
    private var ended = false

    /// Validates the configuration.
    public init(context: PluginContext, config: PluginConfig) throws {
        self.config = try SyntheticSourceConfig(config)
        self.context = context
        do {
            feed = try SyntheticFeed(options: self.config.options)
        } catch {
            throw PluginError("synthetic: \(error)", code: 2)
        }
        publisher = try FeedPublisher(context: context, plugin: "synthetic", symbols: feed.symbols, kinds: feed.kinds)
    }

    /// Publishes up to `maxMessages` items.
    public func poll(maxMessages: Int) throws -> PollResult {
        try pollFeed(feed, publisher: publisher, plugin: "synthetic", maxMessages: maxMessages, context: context, ended: &ended)
    }
}
