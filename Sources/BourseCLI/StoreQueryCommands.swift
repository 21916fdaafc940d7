import ArgumentParser
import BourseCore
import BourseStore
import Foundation

/// `YYYY-MM-DD HH:MM:SS` UTC of a Unix time.
func formatUnixTime(_ seconds: Int) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List installed plugins: active version, pin, other installed versions.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            let all = try s.status()
            if store.json { printJSON(all); return }
            if all.isEmpty { print("no plugins installed (\(s.home.root))"); return }
            let rows = all.map { p in
                [p.name, p.active ?? "-", p.pinned ?? "", p.installed.joined(separator: ", "),
                 p.approvedPermissions.isEmpty ? "none" : p.approvedPermissions.joined(separator: ",")]
            }
            print(formatTable(["plugin", "active", "pinned", "installed", "approved"], rows))
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an installed plugin: versions, signer, dependencies, permissions, files.")

    @Argument(help: "The plugin.")
    var name: String

    @OptionGroup var store: StoreOptions

    struct Report: Codable {
        var status: PluginStatus
        var versions: [InstalledVersion]
        var directory: String?
        var library: String?
    }

    func run() throws {
        try store.withStore { s in
            let status = try s.requireInstalled(name)
            let versions = try s.state.installedVersions(of: name)
            let active = versions.first { $0.version == status.active }
            let directory = status.active.map { s.directory(name, $0) }
            let report = Report(status: status, versions: versions, directory: directory,
                                library: active.flatMap { v in directory.map { $0 + "/" + v.library } })
            if store.json { printJSON(report); return }
            print("name:        \(name)")
            print("active:      \(status.active ?? "none")\(status.pinned.map { " (pinned to \($0))" } ?? "")")
            if let active {
                print("kind:        \(active.kind)")
                print("summary:     \(active.summary)")
                print("signed by:   \(active.signerKeyID)")
                print("source:      \(active.source)")
                print("installed:   \(formatUnixTime(active.installedAt)) UTC")
                print("depends on:  \(active.dependencies.isEmpty ? "nothing" : active.dependencies.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: ", "))")
                print("permissions: \(active.permissions.isEmpty ? "none" : active.permissions.joined(separator: ", "))")
                print("library:     \(report.library ?? "")")
            }
            print("approved:    \(status.approvedPermissions.isEmpty ? "none" : status.approvedPermissions.joined(separator: ", "))")
            print("versions:    \(status.installed.joined(separator: ", "))")
        }
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show numbered revisions: who changed which plugin, when, from which version to which.")

    @Argument(help: "Only this plugin's revisions.")
    var name: String?

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            let revisions = try s.state.revisions(of: name)
            if store.json { printJSON(revisions); return }
            if revisions.isEmpty { print("no revisions"); return }
            let rows = revisions.map { r in
                [String(r.number), formatUnixTime(r.at), "\(r.user) (pid \(r.pid))", r.name, r.operation, r.from ?? "-", r.to ?? "-", r.note]
            }
            print(formatTable(["rev", "when (UTC)", "who", "plugin", "operation", "from", "to", "note"], rows, rightAligned: [0]))
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-hash every installed file against its signed checksums and report drift.",
        discussion: "Reports files missing, modified or not in the package, and missing version directories. Exit status 1 when anything drifted.")

    @OptionGroup var store: StoreOptions

    struct Report: Codable {
        var ok: Bool
        var checkedFiles: Int
        var drift: [StoreDrift]
    }

    func run() throws {
        var drifted = false
        try store.withStore { s in
            let (checked, drift) = try s.verify()
            drifted = !drift.isEmpty
            if store.json {
                printJSON(Report(ok: drift.isEmpty, checkedFiles: checked, drift: drift))
            } else {
                for d in drift {
                    printError("drift: \(d.name) \(d.version)\(d.path.isEmpty ? "" : " \(d.path)"): \(d.problem)")
                }
                print(drift.isEmpty ? "ok: \(checked) files match their signed checksums" : "\(drift.count) problem(s) in \(s.home.storeDirectory)")
            }
        }
        if drifted { throw ExitCode(1) }
    }
}

/// `bourse keys trust|untrust|list` (added to the `keys` command group).
struct KeysTrust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Trust a public key file: packages it signed can be installed.")

    @Argument(help: "A public key file (bourse-public-key-v1, e.g. made by bourse keys generate as FILE.pub).", completion: .file())
    var file: String

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            let key = try s.trustKey(fileAt: file)
            if store.json { printJSON(key); return }
            print("trusted ed25519 key \(key.keyID) from \(key.label)")
        }
    }
}

struct KeysUntrust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untrust",
        abstract: "Stop trusting a key (installed plugins stay; new packages it signed are refused).")

    @Argument(help: "The key id (see bourse keys list).")
    var id: String

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            try s.untrustKey(id)
            if store.json { printJSON(["untrusted": id]); return }
            print("no longer trusting key \(id)")
        }
    }
}

struct KeysList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List trusted keys.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            let keys = try s.state.trustedKeys()
            if store.json { printJSON(keys); return }
            if keys.isEmpty { print("no trusted keys (add one: bourse keys trust FILE.pub)"); return }
            print(formatTable(["key id", "added (UTC)", "from"], keys.map { [$0.keyID, formatUnixTime($0.addedAt), $0.label] }))
        }
    }
}
