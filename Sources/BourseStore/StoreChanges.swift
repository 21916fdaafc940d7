#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import Foundation

/// One change of an active version made by an operation.
public struct StoreChange: Codable, Sendable, Equatable {
    /// Plugin name.
    public var name: String
    /// `install`, `upgrade`, `downgrade`, `rollback`, `pin`, `uninstall`.
    public var operation: String
    /// Active version before.
    public var from: String?
    /// Active version after.
    public var to: String?
    /// The revision recorded.
    public var revision: Int
    /// Whether files were unpacked into the store for it.
    public var unpacked: Bool
    /// Something the admin should know, e.g. that the version is yanked from its registry.
    public var warning: String? = nil
    /// The permissions the version made active asks for (names, e.g. `read-paths`), every one approved; nil when none.
    public var approvedPermissions: [String]? = nil
}

/// Parses the dependency ranges `owner` (e.g. "rsi 1.0.0") declares; a bad one is an `invalid-version-range` error naming it.
func dependencyRanges(_ deps: [String: String], of owner: String) throws -> [String: VersionRange] {
    var result: [String: VersionRange] = [:]
    for (name, text) in deps {
        do { result[name] = try VersionRange(parsing: text) } catch let e as BourseError {
            throw BourseError(.invalidVersionRange, "\(owner) declares dependency \(name)@\(text): \(e.message)", input: text)
        }
    }
    return result
}

/// A version to make active, with the package when it must be unpacked first.
struct PlannedChange {
    var name: String
    var version: SemanticVersion
    var package: VerifiedPackage?
    var source: String
    var operation: String?
    /// Made active although yanked from its registry (an exact `=X` asked for it).
    var yanked = false
}

extension PluginStore {
    /// Requirements that the currently active plugins (except `excluding`) put on others.
    func activeConstraints(excluding: Set<String>) throws -> [ResolverRequirement] {
        var requirements: [ResolverRequirement] = []
        for (name, version) in try state.activeVersions().sorted(by: { $0.key < $1.key }) where !excluding.contains(name) {
            guard let installed = try state.installedVersion(name, version) else { continue }
            for (dep, range) in try parsedDependencies(installed.dependencies, of: "\(name) \(version)").sorted(by: { $0.key < $1.key }) {
                requirements.append(ResolverRequirement(name: dep, range: range, chain: ["installed \(name) \(version) needs \(PluginRequirement(name: dep, range: range))"]))
            }
        }
        return requirements
    }

    func parsedDependencies(_ deps: [String: String], of owner: String) throws -> [String: VersionRange] {
        try dependencyRanges(deps, of: owner)
    }

    /// Candidates for every plugin reachable from `names`: installed versions plus the catalog's,
    /// except for plugins in `fixed`, which have exactly the candidates given.
    func gatherCandidates(startingAt names: [String], fixed: [ResolverCandidate]) throws -> [ResolverCandidate] {
        let fixedNames = Set(fixed.map(\.name))
        var result = fixed
        var seen = fixedNames
        var queue = names + fixed.flatMap { $0.dependencies.keys }
        while let name = queue.popLast() {
            guard seen.insert(name).inserted else { continue }
            var byVersion: [SemanticVersion: ResolverCandidate] = [:]
            let offers = try catalog?.candidates(for: name) ?? []
            let yanked = Set(offers.filter(\.yanked).map(\.version))  // installed versions keep their registry's yanked flag
            let active = try state.activeVersion(name).flatMap(SemanticVersion.init)
            for installed in try state.installedVersions(of: name) {
                guard let v = installed.semanticVersion else { continue }
                byVersion[v] = ResolverCandidate(name: name, version: v, dependencies: try parsedDependencies(installed.dependencies, of: "\(name) \(v)"),
                                                 yanked: yanked.contains(v), installed: true, active: v == active)
            }
            for offered in offers where byVersion[offered.version] == nil {
                byVersion[offered.version] = offered
            }
            for candidate in byVersion.values {
                result.append(candidate)
                queue += candidate.dependencies.keys
            }
        }
        return result
    }

    /// Resolves `requirements` (plus what active plugins require) and returns the changes to make.
    func plan(_ requirements: [ResolverRequirement], targets: Set<String>, fixed: [ResolverCandidate] = [],
              packages: [String: VerifiedPackage] = [:], operation: String? = nil) throws -> [PlannedChange] {
        let constraints = try activeConstraints(excluding: targets)
        let candidates = try gatherCandidates(startingAt: requirements.map(\.name) + constraints.map(\.name), fixed: fixed)
        var pins: [String: SemanticVersion] = [:]
        for (name, version) in try state.pins() { pins[name] = SemanticVersion(version) }
        var preferred: [String: SemanticVersion] = [:]
        for (name, version) in try state.activeVersions() where !targets.contains(name) { preferred[name] = SemanticVersion(version) }
        let resolver = DependencyResolver(candidates: candidates, pins: pins, preferred: preferred)
        let chosen = try resolver.resolve(requirements + constraints)
        let active = try state.activeVersions()
        var changes: [PlannedChange] = []
        for (name, candidate) in chosen.sorted(by: { $0.key < $1.key }) where active[name] != candidate.version.description {
            let package = packages[name].flatMap { $0.manifest.version == candidate.version ? $0 : nil }
            changes.append(PlannedChange(name: name, version: candidate.version, package: package,
                                         source: package.map { absolutePath($0.archivePath) } ?? "", operation: targets.contains(name) ? operation : nil,
                                         yanked: candidate.yanked && !candidate.active))
        }
        return changes
    }

    /// Fetches what is not installed, checks permissions, unpacks, then switches every active version in one transaction.
    func apply(_ planned: [PlannedChange], allow: [String], note: String = "") throws -> [StoreChange] {
        var changes = planned
        let trusted = try trustedPublicKeys()
        for i in changes.indices where changes[i].package == nil {
            if try state.installedVersion(changes[i].name, changes[i].version.description) != nil { continue }
            guard let catalog else {
                throw BourseError(.notInstalled, "\(changes[i].name) \(changes[i].version) is needed but not installed and no registry is configured", input: changes[i].name)
            }
            changes[i].package = try catalog.fetch(name: changes[i].name, version: changes[i].version, trustedKeys: trusted)
            changes[i].source = "registry"
        }
        let installedNames = Set(try state.installedVersions().map(\.name))
        for change in changes where !installedNames.contains(change.name) {
            if let clash = installedNames.first(where: { PluginName.collide($0, change.name) }) {
                throw BourseError(.resolutionConflict, "plugin name '\(change.name)' collides with installed plugin '\(clash)' (names are compared ignoring case, '-' and '_')", input: change.name)
            }
        }
        try checkPermissions(changes, allow: allow)
        let active = try state.activeVersions()
        var unpacked: [String: String] = [:] // name → manifest text
        for change in changes {
            guard let package = change.package else { continue }
            try unpack(package)
            unpacked[change.name] = String(decoding: package.contents(of: PackageManifest.fileName) ?? [], as: UTF8.self)
        }
        let allowedNames = Set(permissionNames(allow))
        let result: [StoreChange] = try state.database.transaction {
            FaultInjection.step("SQL begin")
            var result: [StoreChange] = []
            for change in changes {
                let version = change.version.description
                if let package = change.package, let manifest = unpacked[change.name], try state.installedVersion(change.name, version) == nil {
                    let m = package.manifest
                    let record = InstalledVersion(name: m.name, version: version, kind: m.kind.description, signerKeyID: package.signerKeyID ?? "",
                                                  source: change.source, installedAt: Int(time(nil)),
                                                  dependencies: Dictionary(m.dependencies.map { ($0.name, $0.range) }, uniquingKeysWith: { a, _ in a }),
                                                  permissions: m.permissions, library: m.library, summary: m.summary)
                    try state.insertVersion(record, manifest: manifest, files: package.checksums)
                }
                let requested = permissionNames(try requestedPermissions(change))
                try state.approve(change.name, requested.filter { allowedNames.contains($0) })
                let from = active[change.name]
                let operation = change.operation ?? Self.operationName(from: from, to: change.version)
                let number = try state.recordRevision(change.name, operation: operation, from: from, to: version, note: note)
                let warning = change.yanked
                    ? "\(change.name) \(version) is yanked from its registry; installed only because an exact version (=\(version)) asked for it"
                    : nil
                result.append(StoreChange(name: change.name, operation: operation, from: from, to: version, revision: number,
                                          unpacked: change.package != nil, warning: warning,
                                          approvedPermissions: requested.isEmpty ? nil : requested))
            }
            return result
        }
        FaultInjection.step("SQL commit")
        return result
    }

    static func operationName(from: String?, to: SemanticVersion) -> String {
        guard let from, let old = SemanticVersion(from) else { return "install" }
        return to < old ? "downgrade" : "upgrade"
    }

    func requestedPermissions(_ change: PlannedChange) throws -> [String] {
        if let package = change.package { return package.manifest.permissions }
        return try state.installedVersion(change.name, change.version.description)?.permissions ?? []
    }

    /// Every permission asked for must be approved already or listed in `allow`.
    func checkPermissions(_ changes: [PlannedChange], allow: [String]) throws {
        let allowed = Set(permissionNames(allow))
        var problems: [String] = []
        var missingAll: Set<String> = []
        for change in changes {
            let requested = permissionNames(try requestedPermissions(change))
            let approved = Set(try state.approvedPermissions(change.name)).union(allowed)
            let missing = requested.filter { !approved.contains($0) }
            if !missing.isEmpty {
                let entries = try requestedPermissions(change).filter { missing.contains(permissionNames([$0])[0]) }
                problems.append("\(change.name) \(change.version) asks for \(entries.joined(separator: ", "))")
                missingAll.formUnion(missing)
            }
        }
        guard problems.isEmpty else {
            throw BourseError(.permissionNotApproved,
                              "permissions not approved: \(problems.joined(separator: "; ")); review them and re-run with --allow \(missingAll.sorted().joined(separator: ","))",
                              input: changes.first?.name)
        }
    }

    /// Stages, fsyncs and renames a package into `store/NAME/VERSION`.
    func unpack(_ package: VerifiedPackage) throws {
        let name = package.manifest.name, version = package.manifest.version.description
        let target = home.versionDirectory(name, version)
        if DurableFiles.exists(target) { try discard(target) }
        let staging = home.stagingDirectory + "/\(name)-\(version)-\(getpid())"
        // A kill point after each staged file is written and fsynced, and after each staged directory's fsync.
        try package.extract(into: staging) { FaultInjection.step("write and fsync staged \($0)") }
        let pluginDir = home.pluginDirectory(name)
        if !DurableFiles.exists(pluginDir) {
            try DurableFiles.makeDirectories(pluginDir)
            try DurableFiles.sync(home.storeDirectory)
            FaultInjection.step("create \(pluginDir)")
        }
        try DurableFiles.rename(staging, target)
        FaultInjection.step("rename staging into \(target)")
        try DurableFiles.sync(pluginDir)
        FaultInjection.step("fsync \(pluginDir)")
    }
}
