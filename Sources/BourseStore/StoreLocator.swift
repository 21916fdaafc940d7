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
        return home.versionDirectory(chosen.name, chosen.version) + "/" + chosen.library
    }
}
