import BourseCore

/// Checks a parsed graph's topology: who publishes and subscribes what,
/// whether each node's plugin kind allows it, and that there is no cycle.
public enum GraphChecker {
    /// Every problem in `graph`. `kinds` maps node ids to the kind of their
    /// (loaded) plugin; nodes missing from it are checked on topology only.
    public static func check(_ graph: GraphDefinition, kinds: [String: PluginKind]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func error(_ code: BourseError.Code, _ message: String, _ location: SourceLocation?, _ input: String?) {
            diagnostics.append(Diagnostic(.error, BourseError(code, message, input: input), at: location))
        }

        for node in graph.nodes {
            guard let kind = kinds[node.id] else { continue }
            if let wanted = node.kind, wanted != kind {
                error(.wrongKind, "node '\(node.id)': plugin '\(node.plugin)' is \(kind.withArticle), but the node says kind: \(wanted)", node.locations.kind, node.plugin)
            }
            if !kind.canSubscribe, !node.subscribes.isEmpty {
                error(.kindCannotSubscribe, "node '\(node.id)': \(kind.withArticle) cannot subscribe (it has `subscribes: \(node.subscribes.map(\.rawValue).joined(separator: ", "))`)", node.locations.subscribes.first, node.id)
            }
            if !kind.canPublish, !node.publishes.isEmpty {
                error(.kindCannotPublish, "node '\(node.id)': \(kind.withArticle) cannot publish (it has `publishes: \(node.publishes.map(\.rawValue).joined(separator: ", "))`)", node.locations.publishes.first, node.id)
            }
            if kind.canSubscribe, node.subscribes.isEmpty, !node.presentKeys.contains("subscribes") {
                error(.missingKey, "node '\(node.id)': \(kind.withArticle) needs `subscribes:` (it would never receive a message)", node.locations.node, "subscribes")
            }
            if kind == .source, node.publishes.isEmpty, !node.presentKeys.contains("publishes") {
                error(.missingKey, "node '\(node.id)': a source needs `publishes:` (where its messages go)", node.locations.node, "publishes")
            }
        }

        // One publisher per topic.
        var publisherOf: [TopicName: String] = [:]
        for node in graph.nodes {
            for (i, topic) in node.publishes.enumerated() {
                if let other = publisherOf[topic], other != node.id {
                    error(.duplicatePublisher, "topic '\(topic)' is published by both '\(other)' and '\(node.id)'; each topic has exactly one publisher", node.locations.publishes[i], topic.rawValue)
                } else if publisherOf[topic] == node.id {
                    error(.duplicatePublisher, "node '\(node.id)' lists topic '\(topic)' twice in `publishes`", node.locations.publishes[i], topic.rawValue)
                } else {
                    publisherOf[topic] = node.id
                }
            }
        }
        let allTopics = graph.nodes.flatMap(\.publishes)

        // Every subscription must match something; every topic should be read.
        for node in graph.nodes {
            for (i, pattern) in node.subscribes.enumerated() where !allTopics.contains(where: { pattern.matches($0) }) {
                let published = allTopics.map(\.rawValue).joined(separator: ", ")
                error(.unmatchedSubscription, "node '\(node.id)' subscribes to '\(pattern)', which no node publishes (published topics: \(published.isEmpty ? "none" : published))", node.locations.subscribes[i], pattern.rawValue)
            }
        }
        for node in graph.nodes {
            for (i, topic) in node.publishes.enumerated()
            where !graph.nodes.contains(where: { $0.subscribes.contains { $0.matches(topic) } }) {
                diagnostics.append(Diagnostic(.warning, BourseError(.unreadTopic, "topic '\(topic)' published by '\(node.id)' has no subscriber; its messages are dropped", input: topic.rawValue), at: node.locations.publishes[i]))
            }
        }

        for cycle in findCycles(graph) {
            let first = graph.nodes.first { $0.id == cycle[0] }
            error(.cycle, "cycle in the graph: \(cycle.joined(separator: " → ")) → \(cycle[0]); messages would circulate forever and back-pressure would deadlock", first?.locations.node, cycle.joined(separator: ","))
        }
        return diagnostics
    }

    /// Downstream node ids of each node (A → B when B subscribes to a topic A publishes).
    public static func edges(_ graph: GraphDefinition) -> [String: [String]] {
        var edges: [String: [String]] = [:]
        for producer in graph.nodes {
            edges[producer.id] = graph.nodes.filter { consumer in
                consumer.subscribes.contains { pattern in producer.publishes.contains { pattern.matches($0) } }
            }.map(\.id)
        }
        return edges
    }

    /// Node ids in an order where every node comes after all its upstreams;
    /// nil when there is a cycle.
    public static func topologicalOrder(_ graph: GraphDefinition) -> [String]? {
        let edges = edges(graph)
        var indegree = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, 0) })
        for targets in edges.values { for t in targets { indegree[t, default: 0] += 1 } }
        var ready = graph.nodes.map(\.id).filter { indegree[$0] == 0 }
        var order: [String] = []
        while !ready.isEmpty {
            let id = ready.removeFirst()
            order.append(id)
            for t in edges[id] ?? [] {
                indegree[t]! -= 1
                if indegree[t] == 0 { ready.append(t) }
            }
        }
        return order.count == graph.nodes.count ? order : nil
    }

    /// Each elementary cycle found by depth-first search, reported once.
    static func findCycles(_ graph: GraphDefinition) -> [[String]] {
        let edges = edges(graph)
        var state: [String: Int] = [:]  // 1 = on stack, 2 = done
        var stack: [String] = []
        var cycles: [[String]] = []
        var seen = Set<Set<String>>()
        func visit(_ id: String) {
            state[id] = 1
            stack.append(id)
            for next in edges[id] ?? [] {
                if state[next] == 1, let start = stack.firstIndex(of: next) {
                    let cycle = Array(stack[start...])
                    if seen.insert(Set(cycle)).inserted { cycles.append(cycle) }
                } else if state[next] == nil {
                    visit(next)
                }
            }
            stack.removeLast()
            state[id] = 2
        }
        for node in graph.nodes where state[node.id] == nil { visit(node.id) }
        return cycles
    }
}
