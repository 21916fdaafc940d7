// The `failover` source plugin: child sources in priority order, one published at a time.
import BourseBarFiles
import BourseSDK
import BourseSources
import CSVBarsPluginKit

/// The first-party sources a failover group can run as children, by plugin name.
///
/// Extension point: a source whose logic is a ``MarketFeed`` adds one entry
/// here. Third-party sources cannot be children (they run in their own processes).
public enum FailoverChildren {
    /// Makes a child's feed from its `config` object.
    public typealias Builder = (PluginConfig) throws -> MarketFeed

    /// The supported children.
    public static let builders: [String: Builder] = [
        "lean": { config in
            let options = try LeanSourceConfig(config).options
            do { return try LeanFeed(options: options) } catch { throw PluginError("lean: \(error)", code: 2) }
        },
        "synthetic": { config in
            let options = try SyntheticSourceConfig(config).options
            do { return try SyntheticFeed(options: options) } catch { throw PluginError("synthetic: \(error)", code: 2) }
        },
        "csv-bars": { config in
            let c = try CSVBarsConfig(config)
            do {
                let reader = try BarFileReader(path: c.path, options: c.options)
                return BarFileFeed(reader: reader, symbol: c.instrument, interval: c.intervalNanoseconds)
            } catch {
                throw PluginError("csv-bars: \(error)", code: 2)
            }
        },
        "file": { config in try CodecFileFeed(config: config) },
    ]
}

/// The validated configuration of a `failover` node.
public struct FailoverSourceConfig {
    /// Every key the plugin accepts.
    public static let allowedKeys: Set<String> = ["sources", "stall_timeout", "max_jump", "recovery", "buffer", "retry"]
    /// Keys of one `sources` entry.
    public static let childKeys: Set<String> = ["plugin", "config", "name"]

    /// One child: its name, plugin and configuration.
    public struct Child {
        /// The name used in logs (`name`, default `PLUGIN#N`, N from 1).
        public var name: String
        /// The plugin name (a key of ``FailoverChildren/builders``).
        public var plugin: String
        /// The child's own configuration.
        public var config: PluginConfig
    }

    /// The children in priority order.
    public var children: [Child]
    /// The switching policy.
    public var policy: FailoverPolicy

    /// Reads and checks the configuration (not the children's own configs); throws ``PluginError`` (code 2).
    public init(_ config: PluginConfig) throws {
        (children, policy) = try configuring("failover") {
            try config.rejectUnknownKeys(allowed: Self.allowedKeys)
            guard case .array(let entries)? = config.value("sources"), !entries.isEmpty else {
                throw PluginError("config key 'sources' must be a non-empty list of {plugin, config[, name]} "
                    + "(plugins: \(FailoverChildren.builders.keys.sorted().joined(separator: ", ")))")
            }
            var children: [Child] = []
            for (index, entry) in entries.enumerated() {
                guard case .object = entry else {
                    throw PluginError("sources[\(index)] must be an object {plugin, config[, name]}, got \(entry.typeDescription)")
                }
                let child = try PluginConfig(entry)
                do {
                    try child.rejectUnknownKeys(allowed: Self.childKeys)
                } catch let error as PluginError {
                    throw PluginError("sources[\(index)]: \(error.message)")
                }
                guard let plugin = try child.string("plugin") else { throw PluginError("sources[\(index)] has no 'plugin'") }
                guard FailoverChildren.builders[plugin] != nil else {
                    throw PluginError("sources[\(index)]: plugin \"\(plugin)\" cannot be a failover child (supported: "
                        + FailoverChildren.builders.keys.sorted().joined(separator: ", ") + ")")
                }
                let name = try child.string("name") ?? "\(plugin)#\(index + 1)"
                guard !children.contains(where: { $0.name == name }) else {
                    throw PluginError("sources[\(index)]: name \"\(name)\" is used twice")
                }
                let childConfig: PluginConfig
                do {
                    childConfig = try child.object("config") ?? PluginConfig()
                } catch let error as PluginError {
                    throw PluginError("sources[\(index)]: \(error.message)")
                }
                children.append(Child(name: name, plugin: plugin, config: childConfig))
            }
            var policy = FailoverPolicy()
            policy.stallTimeout = try duration(config, "stall_timeout", default: policy.stallTimeout)
            guard policy.stallTimeout > 0 else { throw PluginError("config key 'stall_timeout' must be longer than 0") }
            policy.retryInterval = try duration(config, "retry", default: policy.stallTimeout)
            if let jump = try config.double("max_jump") {
                guard jump > 0, jump.isFinite else { throw PluginError("config key 'max_jump' must be a number > 0, got \(jump)") }
                policy.maxJump = jump
            }
            policy.recovery = try config.int("recovery", default: policy.recovery)
            guard policy.recovery >= 1 else { throw PluginError("config key 'recovery' must be ≥ 1, got \(policy.recovery)") }
            policy.bufferLimit = try config.int("buffer", default: policy.bufferLimit)
            guard policy.bufferLimit >= 1 else { throw PluginError("config key 'buffer' must be ≥ 1, got \(policy.bufferLimit)") }
            return (children, policy)
        }
    }
}

/// Publishes the data of the highest-priority healthy child source, switching
/// on errors, stalls and invalid data and back on recovery, with no
/// duplicate or missing item across a switch (see ``FailoverGroup``).
/// See docs/plugins.md#failover.
///
/// Counters: `items_published`, `switches`, `switches_<reason>` (error,
/// stall, invalid, ended, recovered), `duplicates_dropped`, `invalid_items`,
/// `source_errors`, `stalls`, `gaps`, and `skipped_<rule>` for the children's
/// bad rows.
public final class FailoverSource: SourcePlugin {
    /// "failover".
    public static let name = "failover"
    /// The plugin version.
    public static let version = "0.1.0"
    /// One-line description.
    public static let summary = "Runs source plugins in priority order and fails over on errors, stalls and bad data"
    /// Children read files; the graph node grants where (`allow: [read-paths:DIR]`).
    public static let permissions: [Permission] = [.readPaths([])]

    /// The validated configuration.
    public let config: FailoverSourceConfig
    private let context: PluginContext
    private let group: FailoverGroup
    private let publisher: FeedPublisher
    private var reported = FailoverStats()
    private var ended = false

    /// Validates the configuration and creates every child.
    public init(context: PluginContext, config: PluginConfig) throws {
        self.config = try FailoverSourceConfig(config)
        self.context = context
        var children: [(name: String, feed: MarketFeed)] = []
        for child in self.config.children {
            do {
                children.append((child.name, try FailoverChildren.builders[child.plugin]!(child.config)))
            } catch let error as PluginError {
                children.forEach { $0.feed.close() }
                throw PluginError("failover: source \(child.name): \(error.message)", code: error.code)
            }
        }
        group = FailoverGroup(children: children, policy: self.config.policy, clock: { context.monotonicNanoseconds })
        var symbols: [String] = [], kinds: [String] = []
        for child in children {
            symbols += child.feed.symbols.filter { !symbols.contains($0) }
            kinds += child.feed.kinds.filter { !kinds.contains($0) }
        }
        publisher = try FeedPublisher(context: context, plugin: "failover", symbols: symbols, kinds: kinds)
        context.log(.info, "failover: sources in priority order: " + children.map(\.name).joined(separator: ", "))
    }

    /// Polls the group, logs switches, publishes.
    public func poll(maxMessages: Int) throws -> PollResult {
        guard !ended else { return .endOfStream }
        let step = group.poll(maxItems: max(maxMessages, 1))
        for s in step.switches {
            context.log(.warning, "failover: switched \(s)")
        }
        // The group's own findings have their counters (invalid_items, gaps); the children's bad rows get skipped_<rule>.
        let own: Set<String> = ["invalid", "gap"]
        publisher.report(step.problems.filter { own.contains($0.rule) }, counting: false)
        publisher.report(step.problems.filter { !own.contains($0.rule) })
        try publisher.publish(step.items)
        reportCounters()
        switch step.status {
        case .ended:
            ended = true
            let s = group.stats
            context.log(.info, "failover: published \(s.published) items, \(s.switches) switches"
                + (s.switchesByReason.isEmpty ? "" : " (" + s.switchesByReason.sorted { $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
                + ", \(s.duplicatesDropped) duplicates dropped, \(s.invalidItems) invalid items, \(s.gaps) gaps")
            return step.items.isEmpty ? .endOfStream : .produced
        case .idle:
            return step.items.isEmpty ? .idle : .produced
        case .more:
            return .produced
        }
    }

    /// Closes every child.
    public func stop() throws { group.close() }

    private func reportCounters() {
        let s = group.stats
        func add(_ name: String, _ now: Int, _ before: Int) {
            if now > before { context.counter(name).add(Int64(now - before)) }
        }
        add("switches", s.switches, reported.switches)
        for (reason, n) in s.switchesByReason { add("switches_\(reason)", n, reported.switchesByReason[reason] ?? 0) }
        add("duplicates_dropped", s.duplicatesDropped, reported.duplicatesDropped)
        add("invalid_items", s.invalidItems, reported.invalidItems)
        add("source_errors", s.errors, reported.errors)
        add("stalls", s.stalls, reported.stalls)
        add("gaps", s.gaps, reported.gaps)
        reported = s
    }
}
