#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Yams

/// Parses graph files. Collects every problem it can find, each with its
/// line and column, instead of stopping at the first.
public enum GraphParser {
    static let topKeys = ["version", "name", "description", "plugin_path", "isolation", "nodes"]
    static let nodeKeys = ["id", "plugin", "kind", "config", "subscribes", "publishes", "queue_bytes", "batch_size", "on_error",
                           "isolation", "allow", "limits"]
    /// Permission names a node may grant (see docs/security.md).
    static let permissionNames = ["network", "threads", "exec-memory", "read-paths", "write-paths"]
    static let limitKeys = ["address_space_mb", "cpu_seconds", "open_files", "call_timeout_ms", "max_restarts"]

    /// Reads and parses the graph file at `path`.
    public static func parse(fileAt path: String) -> (GraphDefinition?, [Diagnostic]) {
        guard let text = readTextFile(path) else {
            let code = errno
            let reason = String(cString: strerror(code))
            return (nil, [Diagnostic(.error, BourseError(code == ENOENT ? .fileNotFound : .io, "cannot read graph file \(path): \(reason)", input: path))])
        }
        return parse(text: text, file: path)
    }

    /// Parses graph text; `file` names it in diagnostics and anchors relative paths.
    public static func parse(text: String, file: String) -> (GraphDefinition?, [Diagnostic]) {
        var variables: [String: String] = [:]
        if let environ = getenv_all() { variables = environ }
        variables["GRAPH_DIR"] = absolutePath(parentDirectory(of: file))
        var reader = YAMLReader(file: file, variables: variables)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return (nil, [yamlDiagnostic(error, file: file)])
        } catch {
            return (nil, [Diagnostic(.error, BourseError(.yamlSyntax, "\(error)", input: file), at: SourceLocation(file: file, line: 1, column: 1))])
        }
        guard let root else {
            reader.error(.missingKey, "the graph file is empty; it needs at least `nodes:`", at: nil)
            return (nil, reader.diagnostics)
        }
        guard let entries = reader.mapping(root, what: "the graph file", allowed: topKeys) else {
            return (nil, reader.diagnostics)
        }
        let directory = parentDirectory(of: file)
        var graph = GraphDefinition(file: file, directory: directory, name: nil, version: 1, pluginPath: [], nodes: [], isolation: .sandboxed)
        var sawNodes = false
        for (key, _, value) in entries {
            switch key {
            case "version":
                if let version = reader.int(value, what: "version", range: 1...1) { graph.version = version }
            case "name":
                graph.name = reader.string(value, what: "name")
            case "description":
                _ = reader.string(value, what: "description")
            case "plugin_path":
                graph.pluginPath = reader.stringList(value, what: "plugin_path").map { resolvePath($0.0, relativeTo: directory) }
            case "isolation":
                graph.isolation = parseIsolation(value, what: "isolation", reader: &reader) ?? .sandboxed
            case "nodes":
                sawNodes = true
                graph.nodes = parseNodes(value, reader: &reader)
            default:
                break
            }
        }
        if !sawNodes {
            reader.error(.missingKey, "the graph file has no `nodes:` list", at: root, input: "nodes")
        }
        return (graph, reader.diagnostics)
    }

    private static func parseNodes(_ node: Node, reader: inout YAMLReader) -> [NodeDefinition] {
        guard case .sequence(let sequence) = node else {
            reader.error(.invalidValue, "`nodes` must be a list of nodes (each starting with `- id:`)", at: node)
            return []
        }
        if sequence.isEmpty { reader.error(.invalidValue, "`nodes` is empty; a graph needs at least one node", at: node) }
        var nodes: [NodeDefinition] = []
        var seen: [String: SourceLocation] = [:]
        for (index, item) in sequence.enumerated() {
            guard let parsed = parseNode(item, index: index, reader: &reader) else { continue }
            if let first = seen[parsed.id] {
                reader.error(.duplicateNode, "duplicate node id '\(parsed.id)' (first defined at \(first))", at: item, input: parsed.id)
                continue
            }
            seen[parsed.id] = parsed.locations.node
            nodes.append(parsed)
        }
        return nodes
    }

    private static func parseNode(_ item: Node, index: Int, reader: inout YAMLReader) -> NodeDefinition? {
        let what = "node \(index + 1)"
        guard let entries = reader.mapping(item, what: what, allowed: nodeKeys) else { return nil }
        var id: String?
        var plugin: (String, SourceLocation)?
        var kind: PluginKind?
        var kindLocation: SourceLocation?
        var config = "{}"
        var configLocation: SourceLocation?
        var subscribes: [TopicPattern] = []
        var subscribeLocations: [SourceLocation] = []
        var publishes: [TopicName] = []
        var publishLocations: [SourceLocation] = []
        var queueBytes = NodeDefaults.queueBytes
        var batchSize = NodeDefaults.batchSize
        var onError = ErrorPolicy.stop
        var isolation: Isolation?
        var allow: [String] = []
        var limits = NodeLimits()
        for (key, _, value) in entries where key == "id" {
            if let text = reader.string(value, what: "\(what): id") {
                if text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    id = text
                } else {
                    reader.error(.invalidValue, "\(what): id '\(text)' may only contain letters, digits, '-' and '_'", at: value, input: text)
                }
            }
        }
        let name = id.map { "node '\($0)'" } ?? what
        for (key, _, value) in entries {
            switch key {
            case "plugin":
                if let text = reader.string(value, what: "\(name): plugin") { plugin = (text, reader.location(value)) }
            case "kind":
                if let text = reader.string(value, what: "\(name): kind") {
                    if let parsed = PluginKind(name: text) {
                        kind = parsed
                        kindLocation = reader.location(value)
                    } else {
                        reader.error(.invalidValue, "\(name): unknown kind '\(text)'; one of: \(PluginKind.allCases.map(\.description).joined(separator: ", "))", at: value, input: text)
                    }
                }
            case "config":
                if case .mapping = value {
                    config = YAMLToJSON.convert(value, reader: &reader)
                    configLocation = reader.location(value)
                } else if case .scalar(let s) = value, s.style == .plain, ["", "~", "null"].contains(s.string) {
                    config = "{}"
                } else {
                    reader.error(.invalidValue, "\(name): config must be a mapping", at: value)
                }
            case "subscribes":
                for (text, location) in reader.stringList(value, what: "\(name): subscribes") {
                    do {
                        subscribes.append(try TopicPattern(text))
                        subscribeLocations.append(location)
                    } catch let error as BourseError {
                        reader.diagnostics.append(Diagnostic(.error, error, at: location))
                    } catch {}
                }
            case "publishes":
                for (text, location) in reader.stringList(value, what: "\(name): publishes") {
                    do {
                        publishes.append(try TopicName(text))
                        publishLocations.append(location)
                    } catch let error as BourseError {
                        reader.diagnostics.append(Diagnostic(.error, BourseError(error.code, "\(name): \(error.message)", input: error.input), at: location))
                    } catch {}
                }
            case "queue_bytes":
                queueBytes = reader.int(value, what: "\(name): queue_bytes", range: NodeDefaults.minimumQueueBytes...(1 << 32)) ?? queueBytes
            case "batch_size":
                batchSize = reader.int(value, what: "\(name): batch_size", range: 1...65536) ?? batchSize
            case "isolation":
                isolation = parseIsolation(value, what: "\(name): isolation", reader: &reader)
            case "allow":
                // ${GRAPH_DIR} etc. expand here too: grants usually name paths.
                for (entry, location) in reader.stringList(value, what: "\(name): allow") {
                    let expanded = reader.expand(entry, at: value)
                    let kind = String(expanded.prefix { $0 != ":" })
                    guard GraphParser.permissionNames.contains(kind) else {
                        reader.diagnostics.append(Diagnostic(.error, BourseError(.invalidValue, "\(name): unknown permission '\(kind)' in allow; known: \(GraphParser.permissionNames.joined(separator: ", "))", input: expanded), at: location))
                        continue
                    }
                    if kind.hasSuffix("-paths"), !expanded.contains(":") || expanded.hasSuffix(":") {
                        reader.diagnostics.append(Diagnostic(.error, BourseError(.invalidValue, "\(name): \(kind) in allow needs directories: \(kind):DIR[:DIR...]", input: expanded), at: location))
                        continue
                    }
                    allow.append(expanded)
                }
            case "limits":
                limits = parseLimits(value, what: "\(name): limits", reader: &reader)
            case "on_error":
                if let text = reader.string(value, what: "\(name): on_error") {
                    if let policy = ErrorPolicy(rawValue: text) {
                        onError = policy
                    } else {
                        reader.error(.invalidValue, "\(name): on_error must be one of: \(ErrorPolicy.allCases.map(\.rawValue).joined(separator: ", "))", at: value, input: text)
                    }
                }
            default:
                break
            }
        }
        if id == nil, !entries.contains(where: { $0.key == "id" }) {
            reader.error(.missingKey, "\(what) has no `id`", at: item, input: "id")
        }
        if plugin == nil, !entries.contains(where: { $0.key == "plugin" }) {
            reader.error(.missingKey, "\(name) has no `plugin`", at: item, input: "plugin")
        }
        guard let id, let plugin else { return nil }
        return NodeDefinition(
            id: id, plugin: plugin.0, kind: kind, configJSON: config,
            subscribes: subscribes, publishes: publishes,
            queueBytes: queueBytes, batchSize: batchSize, onError: onError,
            locations: NodeLocations(node: reader.location(item), plugin: plugin.1, kind: kindLocation,
                                     config: configLocation, subscribes: subscribeLocations, publishes: publishLocations),
            presentKeys: Set(entries.map(\.key)), isolation: isolation, allow: allow, limits: limits)
    }

    static func parseIsolation(_ node: Node, what: String, reader: inout YAMLReader) -> Isolation? {
        guard let text = reader.string(node, what: what) else { return nil }
        guard let isolation = Isolation(rawValue: text) else {
            reader.error(.invalidValue, "\(what) must be one of: \(Isolation.allCases.map(\.rawValue).joined(separator: ", "))", at: node, input: text)
            return nil
        }
        return isolation
    }

    static func parseLimits(_ node: Node, what: String, reader: inout YAMLReader) -> NodeLimits {
        var limits = NodeLimits()
        guard let entries = reader.mapping(node, what: what, allowed: limitKeys) else { return limits }
        for (key, _, value) in entries {
            switch key {
            case "address_space_mb": limits.addressSpaceMiB = reader.int(value, what: "\(what).\(key)", range: 64...(1 << 20))
            case "cpu_seconds": limits.cpuSeconds = reader.int(value, what: "\(what).\(key)", range: 1...(1 << 31))
            case "open_files": limits.openFiles = reader.int(value, what: "\(what).\(key)", range: 8...65536)
            case "call_timeout_ms": limits.callTimeoutMilliseconds = reader.int(value, what: "\(what).\(key)", range: 10...86_400_000)
            case "max_restarts": limits.maximumRestarts = reader.int(value, what: "\(what).\(key)", range: 0...1000)
            default: break
            }
        }
        return limits
    }

    static func yamlDiagnostic(_ error: YamlError, file: String) -> Diagnostic {
        func diagnostic(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> Diagnostic {
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return Diagnostic(.error, BourseError(.yamlSyntax, message, input: file), at: SourceLocation(file: file, line: mark.line, column: mark.column))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return diagnostic(problem, mark, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(.error, BourseError(.yamlSyntax, "duplicate key(s) \(duplicates.joined(separator: ", ")) in a mapping", input: duplicates.first),
                              at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return Diagnostic(.error, BourseError(.yamlSyntax, "YAML error: \(error)", input: file), at: SourceLocation(file: file, line: 1, column: 1))
        }
    }
}

/// Reads a whole file as UTF-8 text, or nil (errno set) on failure.
public func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    if ferror(file) != 0 { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// The process environment as a dictionary.
func getenv_all() -> [String: String]? {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let eq = text.firstIndex(of: "=") {
            result[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        pointer += 1
    }
    return result
}


/// The directory part of a path ("." when none).
public func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let dir = String(path[..<slash])
    return dir.isEmpty ? "/" : dir
}

/// `path` if absolute, else `base/path`.
public func resolvePath(_ path: String, relativeTo base: String) -> String {
    if path.hasPrefix("/") { return path }
    if base == "." { return path }
    return base + "/" + path
}
