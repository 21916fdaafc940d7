#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import Crypto
import Foundation

/// One problem `verify` found.
public struct StoreDrift: Codable, Sendable, Equatable {
    /// Plugin.
    public var name: String
    /// Version.
    public var version: String
    /// File inside the version directory ("" for the directory itself).
    public var path: String
    /// `missing`, `modified`, `unexpected`, `missing-directory`.
    public var problem: String
}

extension PluginStore {
    /// Removes every version of `name`, refusing while another active plugin depends on it unless `force`.
    public func uninstall(_ name: String, force: Bool) throws -> StoreChange {
        let status = try requireInstalled(name)
        var dependents: [String] = []
        for (other, version) in try state.activeVersions().sorted(by: { $0.key < $1.key }) where other != name {
            if let range = try state.installedVersion(other, version)?.dependencies[name] {
                dependents.append("\(other) \(version) depends on \(name)@\(range)")
            }
        }
        if !dependents.isEmpty && !force {
            throw BourseError(.dependedOn, "cannot uninstall \(name): \(dependents.joined(separator: "; ")) (uninstall those first, or use --force)", input: name)
        }
        let change: StoreChange = try state.database.transaction {
            FaultInjection.step("SQL begin")
            let number = try state.recordRevision(name, operation: "uninstall", from: status.active, to: nil, note: force && !dependents.isEmpty ? "forced" : "")
            for version in status.installed { try state.deleteVersion(name, version) }
            try state.forget(name)
            return StoreChange(name: name, operation: "uninstall", from: status.active, to: nil, revision: number, unpacked: false)
        }
        FaultInjection.step("SQL commit")
        for version in status.installed { try discard(home.versionDirectory(name, version)) }
        try DurableFiles.remove(home.pluginDirectory(name))
        return change
    }

    /// Pins `name` to an installed `version` (making it active if it is not), or removes the pin when `version` is nil.
    public func pin(_ name: String, _ version: String?) throws -> StoreChange? {
        let status = try requireInstalled(name)
        guard let version else {
            try state.database.transaction { try state.setPin(name, nil) }
            return nil
        }
        guard status.installed.contains(version), let semantic = SemanticVersion(version) else {
            throw BourseError(.notInstalled, "\(name) \(version) is not installed (installed: \(status.installed.joined(separator: ", ")))", input: "\(name)@\(version)")
        }
        var change: StoreChange?
        if status.active != version {
            let record = try state.installedVersion(name, version)
            let fixed = [ResolverCandidate(name: name, version: semantic, dependencies: try parsedDependencies(record?.dependencies ?? [:], of: "\(name) \(version)"),
                                           installed: true)]
            let planned = try plan([ResolverRequirement(name: name, range: VersionRange(exactly: semantic), requester: "pin")],
                                   targets: [name], fixed: fixed, operation: "pin")
            change = try apply(planned.filter { $0.name == name }, allow: []).first
        }
        try state.database.transaction { try state.setPin(name, version) }
        return change
    }

    /// Removes versions no rollback can reach: not active, not pinned, and not made active by one of the
    /// plugin's last `keepRevisions` revisions. Returns the `NAME VERSION`s removed.
    public func collectGarbage(keepRevisions: Int) throws -> [String] {
        let active = try state.activeVersions()
        let pins = try state.pins()
        var removed: [(String, String)] = []
        for status in try status() {
            let recent = try state.revisions(of: status.name).suffix(max(0, keepRevisions))
            let reachable = Set(recent.flatMap { [$0.to, $0.from].compactMap { $0 } })
            for version in status.installed where version != active[status.name] && version != pins[status.name] && !reachable.contains(version) {
                removed.append((status.name, version))
            }
        }
        guard !removed.isEmpty else { return [] }
        try state.database.transaction {
            FaultInjection.step("SQL begin")
            for (name, version) in removed { try state.deleteVersion(name, version) }
        }
        FaultInjection.step("SQL commit")
        for (name, version) in removed { try discard(home.versionDirectory(name, version)) }
        return removed.map { "\($0.0) \($0.1)" }
    }

    /// Re-hashes every installed file against the signed checksums recorded at install.
    public func verify() throws -> (checkedFiles: Int, drift: [StoreDrift]) {
        var drift: [StoreDrift] = []
        var checked = 0
        let integrity = try state.database.query("PRAGMA integrity_check").first?.text(0) ?? "?"
        if integrity != "ok" {
            drift.append(StoreDrift(name: "", version: "", path: home.databasePath, problem: "database integrity check: \(integrity)"))
        }
        for installed in try state.installedVersions() {
            let result = try verify(installed.name, installed.version)
            checked += result.checkedFiles
            drift += result.drift
        }
        return (checked, drift)
    }

    /// Re-hashes the files of one installed version.
    func verify(_ name: String, _ version: String) throws -> (checkedFiles: Int, drift: [StoreDrift]) {
        let dir = home.versionDirectory(name, version)
        guard DurableFiles.exists(dir) else {
            return (0, [StoreDrift(name: name, version: version, path: "", problem: "missing-directory")])
        }
        var drift: [StoreDrift] = []
        var checked = 0
        let expected = try state.files(name, version)
        let onDisk = Set(try DurableFiles.regularFiles(under: dir))
        for (path, digest) in expected.sorted(by: { $0.key < $1.key }) {
            guard onDisk.contains(path) else {
                drift.append(StoreDrift(name: name, version: version, path: path, problem: "missing"))
                continue
            }
            checked += 1
            if try Self.sha256(ofFile: dir + "/" + path) != digest {
                drift.append(StoreDrift(name: name, version: version, path: path, problem: "modified"))
            }
        }
        let unsigned: Set<String> = [PackageChecksums.fileName, PackageSignature.fileName]
        for path in onDisk.sorted() where expected[path] == nil && !unsigned.contains(path) {
            drift.append(StoreDrift(name: name, version: version, path: path, problem: "unexpected"))
        }
        return (checked, drift)
    }

    /// Unpacks `package` again over its drifted installed version and records a `repair` revision.
    func repair(_ package: VerifiedPackage) throws -> StoreChange {
        let name = package.manifest.name, version = package.manifest.version.description
        guard try state.files(name, version) == package.checksums else {
            throw BourseError(.storeDrift, "\(package.archivePath) is not the package \(name) \(version) was installed from (its checksums differ)", input: package.archivePath)
        }
        try unpack(package)
        let number: Int = try state.database.transaction {
            FaultInjection.step("SQL begin")
            return try state.recordRevision(name, operation: "repair", from: version, to: version, note: "re-unpacked from \(absolutePath(package.archivePath))")
        }
        FaultInjection.step("SQL commit")
        return StoreChange(name: name, operation: "repair", from: version, to: version, revision: number, unpacked: true)
    }

    /// Lower-case hex SHA-256 of a file (not following a final symlink).
    static func sha256(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return "unreadable" }
        defer { Glibc.close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw BourseError(.io, "cannot read: \(String(cString: strerror(errno)))", input: path) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Keys

    /// Trusts the public key in `file`.
    public func trustKey(fileAt file: String) throws -> TrustedKey {
        let key = try PublicKey.load(path: file)
        let record = TrustedKey(keyID: key.keyID, publicKey: key.fileText, label: absolutePath(file), addedAt: Int(time(nil)))
        try state.trust(record)
        return record
    }

    /// Stops trusting key `keyID`.
    public func untrustKey(_ keyID: String) throws {
        guard try state.untrust(keyID) else {
            let known = try state.trustedKeys().map(\.keyID)
            throw BourseError(.invalidKey, "key \(keyID) is not trusted (trusted: \(known.isEmpty ? "none" : known.joined(separator: ", ")))", input: keyID)
        }
    }
}
