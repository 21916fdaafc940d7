import BourseCore
import BourseGraph
import BourseTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Kinds of the fixture plugins by name, standing in for loading them.
func fixtureKinds(_ graph: GraphDefinition) -> [String: PluginKind] {
    var kinds: [String: PluginKind] = [:]
    for node in graph.nodes {
        switch node.plugin {
        case "fixture-source": kinds[node.id] = .source
        case "fixture-indicator": kinds[node.id] = .indicator
        case "fixture-sink": kinds[node.id] = .exporter
        default: break
        }
    }
    return kinds
}

/// Parses and checks a fixture graph; returns all diagnostics.
func validate(_ name: String) -> (GraphDefinition?, [Diagnostic]) {
    let path = TestPaths.fixtures + "/graphs/" + name
    let (graph, parseDiagnostics) = GraphParser.parse(fileAt: path)
    guard let graph else { return (nil, parseDiagnostics) }
    return (graph, parseDiagnostics + GraphChecker.check(graph, kinds: fixtureKinds(graph)))
}

func errors(_ diagnostics: [Diagnostic]) -> [Diagnostic] { diagnostics.filter { $0.severity == .error } }

@Suite("Graph validation")
struct GraphValidationTests {
    @Test("a valid pipeline parses with every key")
    func validPipeline() throws {
        let (graph, diagnostics) = validate("valid/pipeline.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let nodes = try #require(graph?.nodes)
        #expect(nodes.map(\.id) == ["source", "closes", "sink"])
        #expect(nodes[0].kind == .source)
        #expect(nodes[0].configJSON == #"{"count":1000,"instrument":"SPY"}"#)
        #expect(nodes[0].publishes.map(\.rawValue) == ["bars.SPY.1m"])
        #expect(nodes[2].subscribes.map(\.rawValue) == ["ind.>", "bars.>"])
        #expect(graph?.name == "fixture pipeline")
        #expect(GraphChecker.topologicalOrder(graph!) == ["source", "closes", "sink"])
    }

    @Test("a topic nobody reads is a warning, not an error")
    func unreadTopic() {
        let (_, diagnostics) = validate("valid/unread-topic.yaml")
        #expect(errors(diagnostics).isEmpty)
        let warning = diagnostics.first { $0.error.code == .unreadTopic }
        #expect(warning?.severity == .warning)
        #expect(warning?.error.input == "bars.QQQ.1m")
        #expect(warning?.location?.line == 8)
    }

    @Test("each class of error is reported with its code and position", arguments: [
        ("yaml-syntax.yaml", BourseError.Code.yamlSyntax, 5),
        ("unknown-key.yaml", .unknownKey, 7),
        ("missing-key.yaml", .missingKey, 2),
        ("duplicate-node.yaml", .duplicateNode, 5),
        ("invalid-topic.yaml", .invalidTopic, 4),
        ("wildcard-publish.yaml", .wildcardPublish, 4),
        ("unmatched-subscription.yaml", .unmatchedSubscription, 7),
        ("cycle.yaml", .cycle, 5),
        ("source-subscribes.yaml", .kindCannotSubscribe, 7),
        ("exporter-publishes.yaml", .kindCannotPublish, 8),
        ("duplicate-publisher.yaml", .duplicatePublisher, 7),
    ])
    func errorClass(file: String, code: BourseError.Code, line: Int) {
        let (_, diagnostics) = validate("invalid/" + file)
        let match = errors(diagnostics).first { $0.error.code == code }
        #expect(match != nil, "expected \(code) in \(diagnostics)")
        #expect(match?.location?.line == line, "\(String(describing: match))")
        #expect(match?.location?.file.hasSuffix(file) == true)
    }

    @Test("YAML syntax errors carry line and column")
    func yamlPosition() {
        let (_, diagnostics) = validate("invalid/yaml-syntax.yaml")
        let error = diagnostics.first
        #expect(error?.error.code == .yamlSyntax)
        #expect((error?.location?.column ?? 0) > 0)
        #expect(error?.description.contains("yaml-syntax.yaml:5:") == true)
    }

    @Test("the unknown-key error lists the allowed keys")
    func unknownKeyHelp() {
        let (_, diagnostics) = validate("invalid/unknown-key.yaml")
        let error = errors(diagnostics).first { $0.error.code == .unknownKey }
        #expect(error?.error.input == "subscribe")
        #expect(error?.error.message.contains("subscribes") == true)
    }

    @Test("the cycle is spelled out")
    func cyclePath() {
        let (_, diagnostics) = validate("invalid/cycle.yaml")
        let error = errors(diagnostics).first { $0.error.code == .cycle }
        #expect(error?.error.message.contains("a → b → a") == true)
    }

    @Test("every problem is listed, not just the first")
    func allProblemsListed() {
        let (_, diagnostics) = validate("invalid/many-errors.yaml")
        let codes = Set(errors(diagnostics).map(\.error.code))
        #expect(codes.isSuperset(of: [.unknownKey, .wildcardPublish, .invalidValue, .duplicateNode]), "\(codes)")
        #expect(errors(diagnostics).count >= 5)
    }

    @Test("config YAML becomes JSON with YAML 1.2 core types")
    func configConversion() {
        let text = """
        nodes:
          - id: n
            plugin: p
            config:
              int: 42
              neg: -7
              float: 2.5
              sci: 1e3
              yes: true
              nothing: null
              quoted: "42"
              plain: hello world
              list: [1, two]
              nested: {a: 'x"y'}
        """
        let (graph, diagnostics) = GraphParser.parse(text: text, file: "inline.yaml")
        #expect(diagnostics.isEmpty)
        #expect(graph?.nodes.first?.configJSON == #"{"int":42,"neg":-7,"float":2.5,"sci":1000.0,"yes":true,"nothing":null,"quoted":"42","plain":"hello world","list":[1,"two"],"nested":{"a":"x\"y"}}"#)
    }

    @Test("empty and non-mapping files are explained")
    func emptyFiles() {
        let (_, empty) = GraphParser.parse(text: "", file: "e.yaml")
        #expect(empty.first?.error.code == .missingKey)
        let (_, list) = GraphParser.parse(text: "- a\n- b\n", file: "l.yaml")
        #expect(list.first?.error.code == .invalidValue)
        let (_, missing) = GraphParser.parse(fileAt: "/nonexistent/graph.yaml")
        #expect(missing.first?.error.code == .fileNotFound)
    }
}

@Suite("Config variables")
struct ConfigVariableTests {
    @Test("${GRAPH_DIR}, environment variables, defaults and $$ expand in config strings")
    func expansion() {
        let text = """
        nodes:
          - id: n
            plugin: p
            config:
              path: ${GRAPH_DIR}/data.csv
              home: "${HOME}"
              fallback: ${BOURSE_SURELY_UNSET_VARIABLE:-plan-b}
              money: $$5
              plain: no variables here
        """
        let (graph, diagnostics) = GraphParser.parse(text: text, file: "/srv/graphs/g.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let home = ProcessInfoHome.value
        #expect(graph?.nodes.first?.configJSON == #"{"path":"/srv/graphs/data.csv","home":"\#(home)","fallback":"plan-b","money":"$5","plain":"no variables here"}"#)
    }

    @Test("an unknown variable is an error at its position")
    func unknownVariable() {
        let text = "nodes:\n  - id: n\n    plugin: p\n    config: {path: '${NOPE_NOT_SET_ANYWHERE}/x'}\n"
        let (_, diagnostics) = GraphParser.parse(text: text, file: "g.yaml")
        #expect(diagnostics.first?.error.code == .invalidValue)
        #expect(diagnostics.first?.error.input == "NOPE_NOT_SET_ANYWHERE")
        #expect(diagnostics.first?.location?.line == 4)
    }
}

enum ProcessInfoHome {
    static var value: String {
        guard let home = getenv("HOME") else { return "" }
        return String(cString: home)
    }
}

@Suite("YAML scalar resolution")
struct ScalarResolutionTests {
    func config(_ yamlValue: String) -> String? {
        let (graph, diagnostics) = GraphParser.parse(text: "nodes:\n  - id: n\n    plugin: p\n    config:\n      v: \(yamlValue)\n", file: "g.yaml")
        guard diagnostics.isEmpty else { return nil }
        return graph?.nodes.first?.configJSON
    }

    @Test("YAML 1.2 core types", arguments: [
        ("12", #"{"v":12}"#), ("+5", #"{"v":5}"#), ("-3", #"{"v":-3}"#), ("0x1e", #"{"v":30}"#), ("0x10", #"{"v":16}"#),
        ("0o17", #"{"v":15}"#), ("1.5", #"{"v":1.5}"#), (".5", #"{"v":0.5}"#), ("1e3", #"{"v":1000.0}"#),
        (".inf", #"{"v":".inf"}"#), ("1_000", #"{"v":"1_000"}"#), ("0x1g", #"{"v":"0x1g"}"#), ("'12'", #"{"v":"12"}"#),
        ("${BOURSE_UNSET_FOR_TEST:-20}", #"{"v":20}"#), ("\"${BOURSE_UNSET_FOR_TEST:-20}\"", #"{"v":"20"}"#),
    ])
    func resolution(yaml: String, json: String) {
        #expect(config(yaml) == json)
    }

    @Test("empty strings are refused where a name is needed")
    func emptyStrings() {
        let (_, diagnostics) = GraphParser.parse(text: "nodes:\n  - id: \"\"\n    plugin: ''\n", file: "g.yaml")
        #expect(diagnostics.filter { $0.error.code == .invalidValue }.count == 2, "\(diagnostics)")
    }
}

@Suite("Graph edge cases")
struct GraphEdgeCaseTests {
    @Test("an empty subscribes or publishes list is an error, not a silent no-op")
    func emptyLists() {
        let (_, diagnostics) = GraphParser.parse(text: "nodes:\n  - id: n\n    plugin: p\n    subscribes: []\n    publishes: []\n", file: "g.yaml")
        #expect(diagnostics.filter { $0.error.code == .invalidValue }.count == 2, "\(diagnostics)")
    }

    @Test("0x and 0o literals take digits only")
    func signedRadix() {
        let (graph, _) = GraphParser.parse(text: "nodes:\n  - id: n\n    plugin: p\n    config:\n      a: 0x-5\n      b: 0o+7\n", file: "g.yaml")
        #expect(graph?.nodes.first?.configJSON == #"{"a":"0x-5","b":"0o+7"}"#)
    }
}

@Suite("Grants")
struct GrantValidationTests {
    @Test("allow entries are checked: unknown names and path permissions without directories are errors")
    func allowEntries() {
        let text = "nodes:\n  - id: n\n    plugin: p\n    allow: [network, netwrok, write-paths, 'read-paths:${GRAPH_DIR}/data']\n"
        let (graph, diagnostics) = GraphParser.parse(text: text, file: "/srv/g.yaml")
        let messages = diagnostics.map(\.error.message)
        #expect(diagnostics.count == 2, "\(messages)")
        #expect(messages.contains { $0.contains("unknown permission 'netwrok'") })
        #expect(messages.contains { $0.contains("write-paths in allow needs directories") })
        #expect(graph?.nodes.first?.allow == ["network", "read-paths:/srv/data"])
    }
}
