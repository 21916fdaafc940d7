import BourseCore

/// A version a resolver may choose for a plugin.
public struct ResolverCandidate: Sendable, Equatable {
    /// Plugin name.
    public var name: String
    /// Its version.
    public var version: SemanticVersion
    /// Its dependencies: plugin name → range.
    public var dependencies: [String: VersionRange]
    /// Withdrawn from its registry: never chosen by a range unless it is the active version (it may
    /// stay); an exact requirement (`=1.2.0`) may still choose it, as in Cargo.
    public var yanked: Bool
    /// Already unpacked in the store.
    public var installed: Bool
    /// The active version of its plugin.
    public var active: Bool

    /// Creates a candidate.
    public init(name: String, version: SemanticVersion, dependencies: [String: VersionRange] = [:], yanked: Bool = false,
                installed: Bool = false, active: Bool = false) {
        self.name = name
        self.version = version
        self.dependencies = dependencies
        self.yanked = yanked
        self.installed = installed
        self.active = active
    }
}

/// A need for a plugin in a range, and why it is needed: the chain of
/// requirements that led to it, e.g. `["graph needs rsi@^2", "rsi 2.1.0 needs codec-json@^3"]`.
public struct ResolverRequirement: Sendable, Equatable {
    /// The plugin needed.
    public var name: String
    /// The versions accepted.
    public var range: VersionRange
    /// Why, outermost first; the last link names this requirement.
    public var chain: [String]

    /// A requirement from `requester` (e.g. "graph", "installed ema 1.0.0", "you").
    public init(name: String, range: VersionRange, requester: String) {
        self.name = name
        self.range = range
        self.chain = ["\(requester) needs \(PluginRequirement(name: name, range: range).description)"]
    }

    /// A requirement with an explicit chain of reasons.
    public init(name: String, range: VersionRange, chain: [String]) {
        self.name = name
        self.range = range
        self.chain = chain
    }
}

/// Picks one version per plugin so that every requirement holds: the highest
/// compatible versions, pins honoured, yanked versions never chosen by a range
/// (the active one may stay; an exact `=X` requirement may choose one), by depth-first
/// search with backtracking. A failure is a
/// `resolution-conflict` error explaining the chain, e.g. "graph needs
/// rsi@^2; rsi 2.1.0 needs codec-json@^3; installed codec-json 2.4.0 is pinned".
public struct DependencyResolver: Sendable {
    /// Every candidate version known, per plugin.
    public var candidates: [String: [ResolverCandidate]]
    /// Pinned plugins: name → the only version allowed.
    public var pins: [String: SemanticVersion]
    /// Versions to keep when they satisfy every requirement (e.g. active ones), tried before higher ones.
    public var preferred: [String: SemanticVersion]
    /// What the candidates are, which decides how a missing or unmatched plugin is explained.
    public var candidateSource: CandidateSource

    /// Where a resolver's candidates come from.
    public enum CandidateSource: Sendable {
        /// Installed versions and the registries' (install, upgrade): a missing dependency suggests `bourse install`.
        case storeAndRegistries
        /// Only the active version of each plugin (checking a graph node's dependencies): a missing plugin
        /// suggests `bourse install NAME@RANGE`, an unmet requirement names the active version.
        case activeVersions
    }

    /// Creates a resolver.
    public init(candidates: [ResolverCandidate], pins: [String: SemanticVersion] = [:], preferred: [String: SemanticVersion] = [:],
                candidateSource: CandidateSource = .storeAndRegistries) {
        self.candidates = Dictionary(grouping: candidates, by: \.name)
        self.pins = pins
        self.preferred = preferred
        self.candidateSource = candidateSource
    }

    /// Chooses a version for every plugin reachable from `requirements`.
    public func resolve(_ requirements: [ResolverRequirement]) throws -> [String: ResolverCandidate] {
        var search = Search(resolver: self)
        if let chosen = search.solve(pending: requirements, chosen: [:], constraints: [:]) { return chosen }
        let explanation = search.firstFailure ?? "no combination of versions satisfies every requirement"
        throw BourseError(.resolutionConflict, explanation, input: requirements.first.map { PluginRequirement(name: $0.name, range: $0.range).description })
    }

    /// Candidates for `name` in the order tried: the preferred one first when acceptable, then highest first.
    func ordered(_ name: String) -> [ResolverCandidate] {
        var list = (candidates[name] ?? []).sorted { $0.version > $1.version }
        if let keep = preferred[name], let i = list.firstIndex(where: { $0.version == keep }) {
            list.insert(list.remove(at: i), at: 0)
        }
        return list
    }

    private struct Search {
        let resolver: DependencyResolver
        var firstFailure: String?
        var steps = 0

        mutating func fail(_ text: String) {
            if firstFailure == nil { firstFailure = text }
        }

        mutating func solve(pending: [ResolverRequirement], chosen: [String: ResolverCandidate],
                            constraints: [String: [ResolverRequirement]]) -> [String: ResolverCandidate]? {
            steps += 1
            guard steps < 100_000 else {
                fail("resolution gave up after 100000 steps")
                return nil
            }
            guard let requirement = pending.first else { return chosen }
            let rest = Array(pending.dropFirst())
            let name = requirement.name
            let why = requirement.chain.joined(separator: "; ")
            if let current = chosen[name] {
                if requirement.range.contains(current.version) {
                    return solve(pending: rest, chosen: chosen, constraints: constraints)
                }
                let other = constraints[name]?.first { $0.range.contains(current.version) }
                let because = other.map { " chosen because " + $0.chain.joined(separator: "; ") } ?? ""
                fail("\(why); but \(name) \(current.version) was\(because)")
                return nil
            }
            var constraintsHere = constraints
            constraintsHere[name, default: []].append(requirement)
            let all = constraintsHere[name]!
            let list = resolver.ordered(name)
            let install = "run: bourse install \(PluginRequirement(name: name, range: requirement.range))"
            if resolver.candidateSource == .activeVersions {
                guard let active = list.first else {
                    fail("\(why); but \(name) is not installed (\(install))")
                    return nil
                }
                guard all.allSatisfy({ $0.range.contains(active.version) }) else {
                    fail("\(why); but the active \(name) is \(active.version)")
                    return nil
                }
            }
            if list.isEmpty {
                let fix = requirement.chain.count > 1
                    ? install
                    : "install a package file, or add a registry that has it: bourse registry add"
                fail("\(why); but no version of \(name) is installed or offered by a registry (\(fix))")
                return nil
            }
            if let pin = resolver.pins[name], !requirement.range.contains(pin) {
                let installed = list.contains { $0.version == pin && $0.installed } ? "installed " : ""
                fail("\(why); but \(installed)\(name) \(pin) is pinned")
                return nil
            }
            var tried = false
            for candidate in list {
                if let pin = resolver.pins[name], candidate.version != pin { continue }
                guard all.allSatisfy({ $0.range.contains(candidate.version) }) else { continue }
                // A yanked version: it may stay active, but only an exact requirement (=X) moves onto it, as in Cargo.
                if candidate.yanked && !candidate.active && !all.contains(where: { $0.range.isExact }) { continue }
                tried = true
                var next = chosen
                next[name] = candidate
                let link = "\(name) \(candidate.version)"
                let deps = candidate.dependencies.sorted { $0.key < $1.key }.map {
                    ResolverRequirement(name: $0.key, range: $0.value, chain: requirement.chain + ["\(link) needs \(PluginRequirement(name: $0.key, range: $0.value))"])
                }
                if let solved = solve(pending: rest + deps, chosen: next, constraints: constraintsHere) { return solved }
            }
            if !tried {
                let matching = list.filter { requirement.range.contains($0.version) }
                if matching.isEmpty {
                    let available = list.map { "\($0.version)\($0.yanked ? " (yanked)" : "")" }.joined(separator: ", ")
                    fail("\(why); but no version of \(name) matches \(requirement.range) (available: \(available))")
                } else if matching.allSatisfy({ $0.yanked && !$0.active }) {
                    fail("\(why); but every matching version of \(name) is yanked (\(matching.map { $0.version.description }.joined(separator: ", ")))")
                } else if let other = all.dropLast().first(where: { c in !matching.contains { c.range.contains($0.version) } }) {
                    fail("\(why); but \(other.chain.joined(separator: "; ")), and no version of \(name) satisfies both")
                } else {
                    fail("\(why); but no version of \(name) satisfies every requirement on it")
                }
            }
            return nil
        }
    }
}
