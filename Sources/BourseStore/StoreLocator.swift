#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Resolves `plugin: NAME@RANGE` graph nodes through the store, read-only
/// (no operation lock: a graph can start while an install runs; it sees the
/// state of the last committed transaction).
public struct StoreLocator: InstalledPluginLocator {
    /// The home whose store is searched.
    public let home: StoreHome

    /// A locator for `home`.
    public init(home: StoreHome) {
        self.home = home
    }

    /// The library of the active version when in range, else of the most recently active
    /// installed version in range, else of the highest installed version in range.
    public func libraryPath(for requirement: PluginRequirement) throws -> String {
        let fix = "run: bourse install \(requirement)"
        guard access(home.databasePath, F_OK) == 0 else {
            throw BourseError(.notInstalled, "plugin \(requirement) is not installed (no plugin store at \(home.root)); \(fix)", input: requirement.description)
        }
        let state = try StoreState(path: home.databasePath)
        let versions = try state.installedVersions(of: requirement.name)
        guard !versions.isEmpty else {
            throw BourseError(.notInstalled, "plugin \(requirement.name) is not installed; \(fix)", input: requirement.description)
        }
        let active = try state.activeVersion(requirement.name)
        let inRange = versions.filter { $0.semanticVersion.map(requirement.range.contains) ?? false }
        // The active version when in range; else the one most recently active that is
        // (so a version rolled back from is not picked again); else the highest.
        let recent = try state.revisions(of: requirement.name).reversed().compactMap(\.to)
        let chosen = inRange.first { $0.version == active }
            ?? recent.lazy.compactMap { version in inRange.first { $0.version == version } }.first
            ?? inRange.max { ($0.semanticVersion!) < ($1.semanticVersion!) }
        guard let chosen else {
            let installed = versions.map { $0.version + ($0.version == active ? " (active)" : "") }.joined(separator: ", ")
            throw BourseError(.resolutionConflict,
                              "graph needs \(requirement); installed \(requirement.name) versions are \(installed); \(fix)",
                              input: requirement.description)
        }
        try checkDependencies(of: chosen, for: requirement, state: state)
        return home.versionDirectory(chosen.name, chosen.version) + "/" + chosen.library
    }

    /// Checks that the active versions satisfy what `chosen` declares it needs (and what those need in turn),
    /// with the resolver's chain wording: "graph needs rsi@^1; rsi 1.0.0 needs codec-json@^2; but
    /// codec-json is not installed (run: bourse install codec-json@^2)", or "…; but the active codec-json
    /// is 3.0.0 (run: bourse install rsi@^1 to make versions that fit together active)".
    func checkDependencies(of chosen: InstalledVersion, for requirement: PluginRequirement, state: StoreState) throws {
        guard !chosen.dependencies.isEmpty, let version = chosen.semanticVersion else { return }
        var candidates = [ResolverCandidate(name: chosen.name, version: version,
                                            dependencies: try dependencyRanges(chosen.dependencies, of: "\(chosen.name) \(version)"), installed: true)]
        for (name, active) in try state.activeVersions() where name != chosen.name {
            guard let installed = try state.installedVersion(name, active), let activeVersion = installed.semanticVersion else { continue }
            candidates.append(ResolverCandidate(name: name, version: activeVersion,
                                                dependencies: try dependencyRanges(installed.dependencies, of: "\(name) \(active)"), installed: true))
        }
        let resolver = DependencyResolver(candidates: candidates, candidateSource: .activeVersions)
        do {
            _ = try resolver.resolve([ResolverRequirement(name: requirement.name, range: requirement.range, requester: "graph")])
        } catch let error as BourseError where error.code == .resolutionConflict && !error.message.contains("(run: ") {
            // An active version out of range: installing the node's requirement makes a set of versions that fit together active.
            throw BourseError(.resolutionConflict, "\(error.message) (run: bourse install \(requirement) to make versions that fit together active)",
                              input: requirement.description)
        }
    }
}
