#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseRegistry
import Foundation

/// Versions offered by the configured registries, as a ``PackageCatalog``:
/// each registry's signed metadata is refreshed (and checked for rollback,
/// freeze and untrusted keys) on first use; archives are checked against the
/// index's `cksum`, then read and verified like any package file.
public final class RegistryCatalog: PackageCatalog {
    private let clients: [RegistryClient]
    private var verified: [Int: VerifiedRegistry] = [:]
    private let downloadDirectory: String
    /// Which registry offered each `name version` returned by ``candidates(for:)``.
    private var offeredBy: [String: Int] = [:]

    /// A catalog over `clients`, downloading into `downloadDirectory` (the store's staging directory).
    public init(clients: [RegistryClient], downloadDirectory: String) {
        self.clients = clients
        self.downloadDirectory = downloadDirectory
    }

    /// A catalog of every registry configured in `state`, or nil when there is none.
    public static func configured(state: StoreState, home: StoreHome) throws -> RegistryCatalog? {
        let records = try state.registries()
        guard !records.isEmpty else { return nil }
        return RegistryCatalog(clients: try records.map { try RegistryClient(record: $0, state: state) }, downloadDirectory: home.stagingDirectory)
    }

    private func registry(_ index: Int) throws -> VerifiedRegistry {
        if let done = verified[index] { return done }
        let fresh = try clients[index].refresh()
        verified[index] = fresh
        return fresh
    }

    /// Every version of `name` in every registry (first registry wins on duplicates).
    public func candidates(for name: String) throws -> [ResolverCandidate] {
        var result: [ResolverCandidate] = []
        var seen: Set<SemanticVersion> = []
        for index in clients.indices {
            let registry = try registry(index)
            guard registry.pluginNames.contains(name) else { continue }
            for entry in try registry.indexFile(for: name).entries {
                guard let version = entry.version, seen.insert(version).inserted else { continue }
                var deps: [String: VersionRange] = [:]
                for dep in entry.deps { deps[dep.name] = try VersionRange(parsing: dep.req) }
                result.append(ResolverCandidate(name: name, version: version, dependencies: deps, yanked: entry.yanked))
                offeredBy["\(name) \(version)"] = index
            }
        }
        return result
    }

    /// Downloads `name` `version`, checks its cksum, then reads and verifies the package.
    public func fetch(name: String, version: SemanticVersion, trustedKeys: [PublicKey]) throws -> VerifiedPackage {
        if offeredBy["\(name) \(version)"] == nil { _ = try candidates(for: name) }
        guard let index = offeredBy["\(name) \(version)"] else {
            throw BourseError(.versionNotFound, "no configured registry offers \(name) \(version)", input: "\(name)@\(version)")
        }
        let registry = try registry(index)
        let entry = try registry.entry(name, version: version)
        let path = downloadDirectory + "/download-\(getpid())-\(name)-\(version).bpkg"
        try registry.downloadArchive(for: entry, to: path)
        defer { unlink(path) }
        let package = try PackageArchive.read(at: path, trustedKeys: trustedKeys)
        guard package.manifest.name == name, package.manifest.version == version else {
            throw BourseError(.registryTampered, "registry '\(registry.name)' served \(package.manifest.name) \(package.manifest.version) for \(name) \(version)", input: entry.dl)
        }
        return package
    }
}
