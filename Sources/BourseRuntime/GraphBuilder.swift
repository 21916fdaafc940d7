import BourseBus
import BourseCore
import BourseGraph
import BourseIsolation
import BoursePluginHost

/// Options for building and running a graph.
public struct RuntimeOptions: Sendable {
    /// Extra plugin directories (`--plugin-path`), searched after the graph's own.
    public var pluginPath: [String] = []
    /// Log level for plugin and runtime logs.
    public var logLevel: LogLevel = .info
    /// Overrides every node's isolation (nil: as the graph says).
    public var isolation: Isolation?
    /// The `bourse-worker` executable (nil: next to this executable, or `$BOURSE_WORKER`).
    public var workerExecutable: String?
    /// The plugin store for `plugin: NAME@RANGE` nodes (nil: none).
    public var installedPlugins: (any InstalledPluginLocator)?

    /// The host that runs `node`'s plugin, granting `permissions` (effective, descriptor syntax).
    func host(for node: NodeDefinition, in graph: GraphDefinition, permissions: String) -> PluginHost {
        switch isolation ?? node.isolation ?? graph.isolation {
        case .inProcess:
            return InProcessPluginHost()
        case .sandboxed:
            var sandbox = SandboxOptions(workerExecutable: workerExecutable ?? SandboxedPluginHost.defaultWorkerExecutable())
            sandbox.permissions = permissions
            let limits = node.limits
            if let mib = limits.addressSpaceMiB { sandbox.addressSpaceBytes = mib << 20 }
            if let seconds = limits.cpuSeconds { sandbox.cpuSeconds = seconds }
            if let files = limits.openFiles { sandbox.openFiles = files }
            if let ms = limits.callTimeoutMilliseconds { sandbox.callTimeoutNanoseconds = Int64(ms) * 1_000_000 }
            if let restarts = limits.maximumRestarts { sandbox.maximumRestarts = restarts }
            return SandboxedPluginHost(options: sandbox)
        }
    }

    /// Default options.
    public init() {}
}

/// A graph whose plugins are loaded and instantiated and whose bus is wired,
/// ready to run.
public final class BuiltGraph: @unchecked Sendable {
    /// The graph as parsed.
    public let definition: GraphDefinition
    /// The bus connecting the nodes.
    public let bus: Bus
    /// Warnings found while building.
    public let warnings: [Diagnostic]
    let nodes: [RuntimeNode]
    let order: [String]
    let logSink: LogSink

    init(definition: GraphDefinition, bus: Bus, nodes: [RuntimeNode], order: [String], warnings: [Diagnostic], logSink: LogSink) {
        self.definition = definition
        self.bus = bus
        self.nodes = nodes
        self.order = order
        self.warnings = warnings
        self.logSink = logSink
    }

    /// Destroys every plugin instance. Idempotent.
    public func destroy() {
        for node in nodes {
            node.instance?.destroy()
            node.instance = nil
        }
    }

    /// Node ids with their plugin facts, in topological order.
    public var plugins: [(node: String, info: PluginInfo)] {
        order.compactMap { id in nodes.first { $0.definition.id == id }.map { (id, $0.info) } }
    }
}

/// Turns a graph file into a `BuiltGraph`, checking everything first.
public enum GraphBuilder {
    /// Parses, checks and builds the graph at `path`. On any error returns
    /// nil and every diagnostic found (errors and warnings); nothing runs.
    public static func build(fileAt path: String, options: RuntimeOptions) -> (BuiltGraph?, [Diagnostic]) {
        let (parsed, parseDiagnostics) = GraphParser.parse(fileAt: path)
        guard let graph = parsed else { return (nil, parseDiagnostics) }
        return build(graph, options: options, diagnostics: parseDiagnostics)
    }

    /// Checks and builds a parsed graph.
    public static func build(_ graph: GraphDefinition, options: RuntimeOptions, diagnostics initial: [Diagnostic] = []) -> (BuiltGraph?, [Diagnostic]) {
        var diagnostics = initial
        let resolver = PluginResolver.standard(graphPath: graph.pluginPath, extra: options.pluginPath, installed: options.installedPlugins)

        // 1. Resolve and load every plugin (no instances yet).
        var paths: [String: String] = [:]
        var infos: [String: PluginInfo] = [:]
        var hosts: [String: PluginHost] = [:]
        for node in graph.nodes {
            do {
                let path = try resolver.resolve(node.plugin, graphDirectory: graph.directory)
                let inspector = options.host(for: node, in: graph, permissions: "")
                let info = try inspector.inspect(path: path, label: node.id)
                let decision = PermissionGrant.decide(requested: info.permissions, allowed: node.allow)
                if !decision.missing.isEmpty {
                    throw BourseError(.permissionNotGranted, "node '\(node.id)': plugin \(info.name) asks for \(decision.missing.joined(separator: ", ")); grant it with `allow: [\(decision.missing.joined(separator: ", "))]` on the node if you trust it", input: decision.missing.joined(separator: ","))
                }
                for directory in PermissionGrant.writeDirectories(decision.effective) { try createDirectories(directory) }
                let host = options.host(for: node, in: graph, permissions: decision.effective)
                paths[node.id] = path
                infos[node.id] = info
                hosts[node.id] = host
            } catch let error as BourseError {
                diagnostics.append(Diagnostic(.error, error, at: node.locations.plugin))
            } catch {
                diagnostics.append(Diagnostic(.error, BourseError(.loadFailed, "node '\(node.id)': \(error)", input: node.plugin), at: node.locations.plugin))
            }
        }

        // 2. Topology and kinds.
        diagnostics += GraphChecker.check(graph, kinds: infos.mapValues(\.kind))
        guard !diagnostics.contains(where: { $0.severity == .error }),
              let order = GraphChecker.topologicalOrder(graph) else {
            return (nil, diagnostics)
        }

        // 3. Wire the bus.
        let bus = Bus()
        let fields = FieldRegistry()
        let logSink = LogSink(minimumLevel: options.logLevel)
        var nodes: [RuntimeNode] = []
        for (index, node) in graph.nodes.enumerated() {
            let nodeID = UInt32(index + 1)
            do {
                let publisher = node.publishes.isEmpty ? nil
                    : try bus.addPublisher(name: node.id, nodeID: nodeID, topics: node.publishes)
                let subscription = node.subscribes.isEmpty ? nil
                    : bus.addSubscription(name: node.id, patterns: node.subscribes, queueBytes: node.queueBytes)
                nodes.append(RuntimeNode(definition: node, info: infos[node.id]!, path: paths[node.id]!, nodeID: nodeID, bus: bus,
                                         publisher: publisher, subscription: subscription, fields: fields, logSink: logSink))
            } catch let error as BourseError {
                diagnostics.append(Diagnostic(.error, error, at: node.locations.node))
            } catch {}
        }
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
        bus.seal()

        // 4. Create instances upstream first, so a node's create can see the
        //    fields its upstream declared.
        let byID = Dictionary(uniqueKeysWithValues: nodes.map { ($0.definition.id, $0) })
        for id in order {
            let node = byID[id]!
            do {
                node.instance = try hosts[id]!.instantiate(
                    path: node.path, label: id, expectedKind: node.definition.kind,
                    configJSON: node.definition.configJSON, services: node)
            } catch let error as BourseError {
                diagnostics.append(Diagnostic(.error, error, at: node.definition.locations.config ?? node.definition.locations.node))
            } catch {}
        }
        let built = BuiltGraph(definition: graph, bus: bus, nodes: order.map { byID[$0]! }, order: order,
                               warnings: diagnostics.filter { $0.severity == .warning }, logSink: logSink)
        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            built.destroy()
            return (nil, diagnostics)
        }
        return (built, diagnostics)
    }
}
