import ArgumentParser
import BourseCore
import BourseSandbox
import BourseStore
import Foundation

/// Options every store command takes.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Bourse home (default: $BOURSE_HOME, else ~/.bourse).", valueName: "dir"))
    var home: String?

    @Option(name: .customLong("lock-timeout"), help: ArgumentHelp("Seconds to wait while another store operation runs.", valueName: "seconds"))
    var lockTimeout: Double = 30

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    /// Opens the store (taking the lock and running recovery), printing what recovery did on stderr.
    func open() throws -> PluginStore {
        let store = try PluginStore(home: StoreHome.resolve(explicit: home), lockTimeout: lockTimeout)
        for note in store.recoveryNotes { printError("bourse: \(note)") }
        return store
    }

    /// Runs `body` on the opened store; a `BourseError` is printed (and as JSON with --json) and exits 1.
    func withStore(_ body: (PluginStore) throws -> Void) throws {
        do {
            let store = try open()
            defer { store.close() }
            try body(store)
        } catch let error as BourseError {
            if json { printJSON(["error": DiagnosticJSON(Diagnostic(.error, error))]) }
            printError("bourse: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `--allow network,read-paths`: permission names, comma-separated, repeatable.
func parseAllowList(_ values: [String]) throws -> [String] {
    let known = PluginPermissions.knownNames
    let names = values.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    for name in names where !known.contains(String(name.split(separator: ":").first ?? "")) {
        throw ValidationError("--allow: unknown permission '\(name)'; use one of: \(known.joined(separator: ", "))")
    }
    return names
}

/// Prints the changes an operation made.
func printChanges(_ changes: [StoreChange], json: Bool, nothing: String) {
    for warning in changes.compactMap(\.warning) { printError("bourse: warning: \(warning)") }
    if json { printJSON(changes); return }
    if changes.isEmpty { print(nothing); return }
    for c in changes {
        let arrow = "\(c.from ?? "none") → \(c.to ?? "none")"
        let approved = c.approvedPermissions.map { "; approved: \($0.joined(separator: ", "))" } ?? ""
        print("\(c.name): \(c.operation) \(arrow) (revision \(c.revision))\(approved)")
    }
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install a plugin from a package file or by name from a registry.",
        discussion: """
        PACKAGE is a .bpkg file, checked against the trusted keys (bourse keys trust), \
        or NAME[@RANGE] (^1.2, ~1.2.3, ">=1, <2", =1.2.3, *), resolved to the highest \
        compatible version among installed versions and the registries' (pins are \
        honoured; yanked versions are never chosen by a range, only by an exact =VERSION, \
        with a warning). Missing dependencies are installed too.

        The permissions a plugin asks for are shown and must be approved with \
        --allow (e.g. --allow network,read-paths); approvals are remembered per plugin, \
        and an upgrade asking for more needs --allow again.

        Crash-safe: files are unpacked in $BOURSE_HOME/staging, fsynced, renamed into \
        $BOURSE_HOME/store/NAME/VERSION, then one SQLite transaction switches the \
        active version and records a revision. Installing another version of an \
        installed plugin from a file is an upgrade (or downgrade); installing the \
        active version again does nothing, unless `bourse verify` finds its files \
        drifted: then they are unpacked again (a `repair` revision).
        """)

    @Argument(help: ArgumentHelp("A .bpkg file, or NAME[@RANGE].", valueName: "package"))
    var package: String

    @Option(help: ArgumentHelp("Permissions to approve, comma-separated (network, threads, read-paths, write-paths, exec-memory).", valueName: "list"))
    var allow: [String] = []

    @OptionGroup var store: StoreOptions

    func run() throws {
        let allowed = try parseAllowList(allow)
        try store.withStore { s in
            let isFile = package.hasSuffix(".bpkg") || package.contains("/")
            if !isFile { s.catalog = try RegistryCatalog.configured(state: s.state, home: s.home) }
            let changes = isFile ? try s.install(packageAt: package, allow: allowed)
                                 : try s.install(try PluginRequirement(parsing: package), allow: allowed)
            printChanges(changes, json: store.json, nothing: "\(package): already installed and active; nothing to do")
        }
    }
}

struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upgrade a plugin (or every unpinned plugin) to the highest available version.",
        discussion: """
        Candidates are the installed versions and the registries' (yanked ones are \
        skipped, except by --to VERSION, with a warning). Constraints of the other \
        installed plugins are kept: a version that would break a dependent is not \
        chosen, and a conflict is explained as a chain. \
        --to VERSION upgrades (or downgrades) to exactly that version. A version asking \
        for permissions not approved before needs --allow.
        """)

    @Argument(help: "The plugin to upgrade (default: every unpinned plugin).")
    var name: String?

    @Option(help: ArgumentHelp("Exactly this version.", valueName: "version"))
    var to: String?

    @Option(help: ArgumentHelp("Permissions to approve, comma-separated.", valueName: "list"))
    var allow: [String] = []

    @OptionGroup var store: StoreOptions

    func run() throws {
        let allowed = try parseAllowList(allow)
        var version: SemanticVersion?
        if let to {
            guard let parsed = SemanticVersion(to) else { throw ValidationError("--to: '\(to)' is not a version (expected e.g. 1.2.3)") }
            version = parsed
        }
        try store.withStore { s in
            s.catalog = try RegistryCatalog.configured(state: s.state, home: s.home)
            let changes = try s.upgrade(name, to: version, allow: allowed)
            printChanges(changes, json: store.json, nothing: "\(name ?? "every plugin"): already at the highest available version")
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the previous version of a plugin active again (itself a new revision).",
        discussion: """
        Without --to, undoes the revision that made the current version active. With \
        --to REVISION, makes active the version that revision installed (see \
        bourse history NAME). The version must still be in the store (gc keeps the \
        versions recent revisions can reach).
        """)

    @Argument(help: "The plugin.")
    var name: String

    @Option(help: ArgumentHelp("The revision whose version to restore.", valueName: "revision"))
    var to: Int?

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            printChanges([try s.rollback(name, toRevision: to)], json: store.json, nothing: "")
        }
    }
}

struct Uninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove every version of a plugin from the store.",
        discussion: "Refused while another installed plugin depends on it, unless --force. Recorded as a revision; approvals and pins of the plugin are forgotten.")

    @Argument(help: "The plugin.")
    var name: String

    @Flag(help: "Uninstall even if other installed plugins depend on it.")
    var force = false

    @OptionGroup var store: StoreOptions

    func run() throws {
        try store.withStore { s in
            printChanges([try s.uninstall(name, force: force)], json: store.json, nothing: "")
        }
    }
}

struct Pin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pin a plugin to an installed version (or remove its pin).",
        discussion: "A pinned plugin is never moved by upgrade, install or resolution; the version becomes active if it is not. A conflict with a pin is reported as such.")

    @Argument(help: "The plugin.")
    var name: String

    @Argument(help: "The version to pin (installed).")
    var version: String?

    @Flag(help: "Remove the pin.")
    var remove = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if remove == (version != nil) { throw ValidationError("give either a VERSION or --remove") }
    }

    func run() throws {
        try store.withStore { s in
            let change = try s.pin(name, remove ? nil : version)
            if store.json { printJSON(["name": name, "pinned": remove ? "" : version!, "revision": change.map { String($0.revision) } ?? ""]); return }
            if let change { printChanges([change], json: false, nothing: "") }
            print(remove ? "\(name): unpinned" : "\(name): pinned to \(version!)")
        }
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove installed versions no rollback can reach.",
        discussion: "Keeps each plugin's active and pinned versions and every version its last --keep-revisions revisions made or left active; removes the rest from the store.")

    @Option(name: .customLong("keep-revisions"), help: "Recent revisions per plugin whose versions stay reachable.")
    var keepRevisions: Int = 5

    @OptionGroup var store: StoreOptions

    func run() throws {
        guard keepRevisions >= 0 else { throw ValidationError("--keep-revisions must be 0 or more") }
        try store.withStore { s in
            let removed = try s.collectGarbage(keepRevisions: keepRevisions)
            if store.json { printJSON(["removed": removed]); return }
            print(removed.isEmpty ? "nothing to remove" : removed.map { "removed \($0)" }.joined(separator: "\n"))
        }
    }
}
