#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import Foundation

/// Where versions that are not installed yet come from (a registry): the
/// versions it offers and a way to download and verify one.
public protocol PackageCatalog: AnyObject {
    /// Every version of `name` offered (yanked ones flagged), with dependencies.
    func candidates(for name: String) throws -> [ResolverCandidate]
    /// Downloads and verifies `name` `version` against `trustedKeys`.
    func fetch(name: String, version: SemanticVersion, trustedKeys: [PublicKey]) throws -> VerifiedPackage
}

/// The plugin store under `$BOURSE_HOME`: installed versions unpacked in
/// `store/NAME/VERSION`, state in SQLite, every change behind the
/// operation lock and recorded as a numbered revision.
///
/// Opening a store takes the lock and runs recovery: leftover staging
/// directories are removed, and store directories the state does not
/// reference (an install killed before its transaction committed) are
/// removed, so the store is exactly as before that install.
public final class PluginStore {
    /// The home directory layout.
    public let home: StoreHome
    /// The state database.
    public let state: StoreState
    /// What recovery did when the store was opened (for the user).
    public private(set) var recoveryNotes: [String] = []
    /// Registry used for versions not installed yet.
    public var catalog: PackageCatalog?
    let lock: OperationLock

    /// Opens the store at `home`, creating it if needed, waiting up to `lockTimeout` seconds for another operation.
    public init(home: StoreHome, lockTimeout: Double = 30) throws {
        self.home = home
        for dir in [home.root, home.storeDirectory, home.stagingDirectory] { try DurableFiles.makeDirectories(dir) }
        lock = try OperationLock(path: home.lockPath, timeoutSeconds: lockTimeout)
        state = try StoreState(path: home.databasePath)
        if let owner = lock.brokenOwner {
            let pid = OperationLock.ownerPID(in: owner).map { "pid \($0)" } ?? owner
            recoveryNotes.append("the previous store operation (\(pid)) was interrupted; recovering")
        }
        try recover()
    }

    /// Releases the operation lock.
    public func close() { lock.release() }

    // MARK: Recovery

    /// Removes staging leftovers and store directories the state does not reference.
    func recover() throws {
        for entry in DurableFiles.entries(home.stagingDirectory) {
            try DurableFiles.remove(home.stagingDirectory + "/" + entry)
            recoveryNotes.append("removed unfinished staging directory \(entry)")
        }
        let referenced = Set(try state.installedVersions().map { "\($0.name)/\($0.version)" })
        for name in DurableFiles.entries(home.storeDirectory) {
            let pluginDir = home.pluginDirectory(name)
            for version in DurableFiles.entries(pluginDir) where !referenced.contains("\(name)/\(version)") {
                try discard(pluginDir + "/" + version)
                recoveryNotes.append("removed \(name) \(version) from the store: its install never committed or its removal did not finish")
            }
            if DurableFiles.entries(pluginDir).isEmpty {
                try DurableFiles.remove(pluginDir)
                try DurableFiles.sync(home.storeDirectory)
            }
        }
    }

    /// Moves a directory out of the store (one atomic rename), then deletes it.
    func discard(_ path: String) throws {
        let trash = home.stagingDirectory + "/trash-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try DurableFiles.rename(path, trash)
        FaultInjection.step("rename \(path) out of the store")
        try DurableFiles.sync((path as NSString).deletingLastPathComponent)
        FaultInjection.step("fsync store directory")
        try DurableFiles.remove(trash)
    }

    // MARK: Reading

    /// Status of every plugin with installed versions (or of one).
    public func status(of name: String? = nil) throws -> [PluginStatus] {
        let versions = try state.installedVersions(of: name)
        let active = try state.activeVersions()
        let pins = try state.pins()
        var result: [PluginStatus] = []
        for (plugin, list) in Dictionary(grouping: versions, by: \.name).sorted(by: { $0.key < $1.key }) {
            result.append(PluginStatus(name: plugin, active: active[plugin], pinned: pins[plugin], installed: list.map(\.version),
                                       approvedPermissions: try state.approvedPermissions(plugin)))
        }
        return result
    }

    /// The status of `name`, or a `not-installed` error.
    public func requireInstalled(_ name: String) throws -> PluginStatus {
        guard let status = try status(of: name).first else {
            throw BourseError(.notInstalled, "plugin '\(name)' is not installed (run: bourse install \(name))", input: name)
        }
        return status
    }

    /// Trusted public keys, parsed.
    public func trustedPublicKeys() throws -> [PublicKey] {
        try state.trustedKeys().map { try PublicKey(fileText: $0.publicKey, source: "trusted key \($0.keyID)") }
    }

    /// The directory of an installed version.
    public func directory(_ name: String, _ version: String) -> String { home.versionDirectory(name, version) }
}

/// Permission names of manifest entries (`read-paths:/data` → `read-paths`).
func permissionNames(_ entries: [String]) -> [String] {
    Array(Set(entries.map { String($0.split(separator: ":", maxSplits: 1).first ?? Substring($0)) })).sorted()
}
