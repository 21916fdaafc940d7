#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import Foundation

extension PluginStore {
    /// Installs a package file (verified against the trusted keys), and from
    /// the registry any dependency not installed yet. Installing a newer or
    /// older version of an installed plugin is an upgrade or downgrade.
    public func install(packageAt path: String, allow: [String]) throws -> [StoreChange] {
        let package = try PackageArchive.read(at: path, trustedKeys: try trustedPublicKeys())
        let m = package.manifest
        let deps = try parsedDependencies(Dictionary(m.dependencies.map { ($0.name, $0.range) }, uniquingKeysWith: { a, _ in a }),
                                          of: "\(m.name) \(m.version)")
        let fixed = ResolverCandidate(name: m.name, version: m.version, dependencies: deps, installed: false)
        if let pinned = try state.pins()[m.name], pinned != m.version.description {
            throw BourseError(.resolutionConflict, "\(m.name) is pinned to \(pinned); unpin it first (bourse pin \(m.name) --remove)", input: m.name)
        }
        if try state.activeVersion(m.name) == m.version.description {
            // Already active: nothing to do, unless its files drifted (then unpack them again).
            return try verify(m.name, m.version.description).drift.isEmpty ? [] : [try repair(package)]
        }
        let changes = try plan([ResolverRequirement(name: m.name, range: VersionRange(exactly: m.version), requester: "install")],
                               targets: [m.name], fixed: [fixed], packages: [m.name: package])
        // An installed version is only switched to, unless its files drifted: then it is unpacked again.
        let keepInstalled = try state.installedVersion(m.name, m.version.description) != nil
            && verify(m.name, m.version.description).drift.isEmpty
        return try apply(changes.map { change in
            var c = change
            if c.name == m.name && keepInstalled { c.package = nil }
            return c
        }, allow: allow)
    }

    /// Installs the highest version of `requirement` (installed or from the registry) and its dependencies.
    public func install(_ requirement: PluginRequirement, allow: [String]) throws -> [StoreChange] {
        if let active = try state.activeVersion(requirement.name), let v = SemanticVersion(active), requirement.range.contains(v) {
            return []
        }
        let changes = try plan([ResolverRequirement(name: requirement.name, range: requirement.range, requester: "install")],
                               targets: [requirement.name])
        return try apply(changes, allow: allow)
    }

    /// Upgrades `name` (or every unpinned plugin) to the highest version available, or to `version`.
    public func upgrade(_ name: String?, to version: SemanticVersion?, allow: [String]) throws -> [StoreChange] {
        let pins = try state.pins()
        var names: [String]
        if let name {
            _ = try requireInstalled(name)
            if let pinned = pins[name] {
                throw BourseError(.resolutionConflict, "\(name) is pinned to \(pinned); unpin it first (bourse pin \(name) --remove)", input: name)
            }
            names = [name]
        } else {
            guard version == nil else { throw BourseError(.usage, "--to needs a plugin name (bourse upgrade NAME --to VERSION)") }
            names = try state.activeVersions().keys.sorted().filter { pins[$0] == nil }
        }
        let range = version.map { VersionRange(exactly: $0) } ?? .any
        let requirements = names.map { ResolverRequirement(name: $0, range: range, requester: "upgrade") }
        let changes = try plan(requirements, targets: Set(names), operation: nil)
        if let name, version == nil, !changes.contains(where: { $0.name == name }) {
            // Nothing moved: if a higher version exists, say what holds it back.
            let offered = try gatherCandidates(startingAt: [name], fixed: []).filter { $0.name == name && (!$0.yanked || $0.active) }
            if let best = offered.map(\.version).max(), let active = try state.activeVersion(name).flatMap(SemanticVersion.init), best > active {
                _ = try plan([ResolverRequirement(name: name, range: VersionRange(exactly: best), requester: "upgrade")], targets: [name])
            }
        }
        return try apply(changes, allow: allow)
    }

    /// Makes the version active before the current one (or the one revision
    /// `revision` made active) active again, as a new revision.
    public func rollback(_ name: String, toRevision revision: Int?) throws -> StoreChange {
        let status = try requireInstalled(name)
        let history = try state.revisions(of: name)
        let target: String
        let note: String
        if let revision {
            guard let chosen = history.first(where: { $0.number == revision }) else {
                let numbers = history.map { String($0.number) }.joined(separator: ", ")
                throw BourseError(.invalidValue, "revision \(revision) did not change \(name) (its revisions: \(numbers))", input: String(revision))
            }
            guard let to = chosen.to else {
                throw BourseError(.invalidValue, "revision \(revision) uninstalled \(name); roll back to a revision that installed a version", input: String(revision))
            }
            target = to
            note = "to revision \(revision)"
        } else {
            let current = try state.database.query("SELECT revision FROM active_versions WHERE name = ?", [.text(name)]).first?.int(0)
            guard let current, let made = history.first(where: { $0.number == current }), let from = made.from else {
                throw BourseError(.invalidValue, "\(name) has no earlier version to roll back to (see: bourse history \(name))", input: name)
            }
            target = from
            note = "undo revision \(current)"
        }
        guard status.installed.contains(target), let version = SemanticVersion(target) else {
            throw BourseError(.notInstalled, "\(name) \(target) is no longer in the store (removed by gc); install it again", input: "\(name)@\(target)")
        }
        if let pinned = status.pinned, pinned != target {
            throw BourseError(.resolutionConflict, "\(name) is pinned to \(pinned); unpin it first (bourse pin \(name) --remove)", input: name)
        }
        guard status.active != target else {
            throw BourseError(.invalidValue, "\(name) \(target) is already the active version", input: name)
        }
        let record = try state.installedVersion(name, target)
        let fixed = [ResolverCandidate(name: name, version: version, dependencies: try parsedDependencies(record?.dependencies ?? [:], of: "\(name) \(target)"),
                                       installed: true)]
        let changes = try plan([ResolverRequirement(name: name, range: VersionRange(exactly: version), requester: "rollback")],
                               targets: [name], fixed: fixed, operation: "rollback")
        guard changes.count == 1, changes[0].name == name else {
            let others = changes.filter { $0.name != name }.map { "\($0.name) \($0.version)" }.joined(separator: ", ")
            throw BourseError(.resolutionConflict, "rolling \(name) back to \(target) would also change \(others); do it explicitly", input: name)
        }
        return try apply(changes, allow: [], note: note)[0]
    }
}
