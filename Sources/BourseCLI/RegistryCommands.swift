#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BourseCore
import BoursePackage
import BourseRegistry
import BourseStore
import Foundation

/// Runs `body`; a `BourseError` is printed (as JSON too with `json`) and exits 1.
func reportingErrors(json: Bool = false, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as BourseError {
        if json { printJSON(["error": DiagnosticJSON(Diagnostic(.error, error))]) }
        printError("bourse: \(error)")
        throw ExitCode(1)
    }
}

/// `bourse registry …`: the registries plugins are installed from.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Manage the registries plugins are installed from, or serve one over HTTP.",
        discussion: """
        A registry is a directory or an http(s):// base URL holding a cargo-style \
        index (one JSON line per published version) and TUF-style signed metadata \
        (root.json, snapshot.json, timestamp.json). Adding a registry needs its \
        root.json, obtained out of band: it names the keys trusted to sign the \
        registry's metadata. Every later fetch checks signatures, expiry (freeze) and \
        metadata versions against the highest seen (rollback). See docs/registry.md.
        """,
        subcommands: [Add.self, ListRegistries.self, Remove.self, Serve.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a registry, trusting the keys in its root metadata.",
            discussion: """
            The root file must be signed by the keys it lists for the root role and not \
            be expired. Unless --offline is given, the registry is fetched once and \
            fully checked before it is added. Adding a name that exists replaces it.

            Example: bourse registry add local ./registry-index --root ./registry-index/root.json
            """)

        @OptionGroup var store: StoreOptions

        @Argument(help: ArgumentHelp("The registry's name (lower-case letters, digits, '-').", valueName: "name"))
        var name: String

        @Argument(help: ArgumentHelp("A registry directory or an http(s):// base URL.", valueName: "url-or-dir"))
        var location: String

        @Option(help: ArgumentHelp("The registry's root.json, obtained from a source you trust.", valueName: "file"))
        var root: String

        @Flag(help: "Add without fetching the registry now.")
        var offline = false

        func validate() throws {
            guard !name.isEmpty, name.count <= 64, name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) else {
                throw ValidationError("registry name '\(name)' must be 1-64 lower-case letters, digits or '-'")
            }
        }

        func run() throws {
            try reportingErrors(json: store.json) {
                let rootData = try RegistryRootFile.load(path: root)
                let location = location.hasPrefix("http://") || location.hasPrefix("https://") ? location : absolutePath(location)
                _ = try makeRegistrySource(location: location)
                let record = RegistryRecord(name: name, location: location, trustedRoot: rootData.bytes)
                var checked: VerifiedRegistry?
                if !offline {
                    let scratch = InMemoryRegistryStateStore()
                    try scratch.saveRegistry(record)
                    checked = try RegistryClient(record: record, state: scratch).refresh()
                }
                try store.withStore { opened in
                    try opened.state.saveRegistry(record)
                    if let checked {
                        try opened.state.recordMetadataVersion(checked.root.version, registry: name, role: .root)
                        try opened.state.recordMetadataVersion(checked.snapshot.version, registry: name, role: .snapshot)
                        try opened.state.recordMetadataVersion(checked.timestamp.version, registry: name, role: .timestamp)
                    }
                }
                if store.json {
                    printJSON(RegistryListing(record: record, root: rootData.metadata.signed, plugins: checked?.pluginNames.count))
                } else {
                    let plugins = checked.map { ", \($0.pluginNames.count) plugin(s)" } ?? ""
                    print("added registry \(name) at \(location) (root version \(rootData.metadata.signed.version), keys \(rootData.metadata.signed.keys.keys.sorted().joined(separator: ", "))\(plugins))")
                }
            }
        }
    }

    struct ListRegistries: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the configured registries with their trusted keys and metadata versions seen.")

        @OptionGroup var store: StoreOptions

        func run() throws {
            try store.withStore { opened in
                var listings: [RegistryListing] = []
                for record in try opened.state.registries() {
                    let root = try? SignedMetadata<RootMetadata>.parse(record.trustedRoot, source: record.name).signed
                    var listing = RegistryListing(record: record, root: root, plugins: nil)
                    listing.snapshotVersion = try opened.state.highestMetadataVersion(registry: record.name, role: .snapshot)
                    listing.timestampVersion = try opened.state.highestMetadataVersion(registry: record.name, role: .timestamp)
                    listings.append(listing)
                }
                if store.json { return printJSON(listings) }
                if listings.isEmpty { return print("no registries (add one: bourse registry add NAME URL|DIR --root ROOT.json)") }
                print(formatTable(["NAME", "LOCATION", "ROOT", "KEYS", "SNAPSHOT", "TIMESTAMP"], listings.map {
                    [$0.name, $0.location, $0.rootVersion.map(String.init) ?? "?", $0.keys.joined(separator: ","),
                     $0.snapshotVersion.map(String.init) ?? "-", $0.timestampVersion.map(String.init) ?? "-"]
                }))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a registry and forget the metadata versions seen from it.",
            discussion: "Installed plugins stay installed.")

        @OptionGroup var store: StoreOptions

        @Argument(help: ArgumentHelp("The registry's name.", valueName: "name"))
        var name: String

        func run() throws {
            try store.withStore { opened in
                guard try opened.state.removeRegistry(named: name) else {
                    _ = try opened.state.registry(named: name)  // throws registry-not-found with the known names
                    return
                }
                if store.json { printJSON(["removed": name]) } else { print("removed registry \(name)") }
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a registry directory over HTTP on 127.0.0.1 (read-only).",
            discussion: """
            GET and HEAD of files only; paths with '..', or that resolve outside DIR \
            through symbolic links, are refused (403). Prints the base URL, then serves \
            until interrupted. Clients still check everything against the signed \
            metadata: the server is not trusted.
            """)

        @Argument(help: ArgumentHelp("The registry directory.", valueName: "dir"), completion: .directory)
        var directory: String

        @Option(help: ArgumentHelp("The TCP port (0: any free port, printed).", valueName: "n"))
        var port: UInt16 = 8080

        func run() throws {
            // Stop on SIGINT/SIGTERM even when started with them blocked or ignored
            // (a parent's mask and ignored signals survive exec: seen under the test runner).
            var stopSignals = sigset_t()
            sigemptyset(&stopSignals)
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_DFL)
                sigaddset(&stopSignals, sig)
            }
            sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
            try reportingErrors {
                let server = try RegistryHTTPServer(directory: directory, port: port)
                server.start()
                print("serving \(absolutePath(directory)) at \(server.baseURL)")
                fflush(stdout)
                server.waitUntilStopped()
            }
        }
    }
}

/// A configured registry, as `registry list --json` prints it.
struct RegistryListing: Codable {
    var name: String
    var location: String
    var rootVersion: Int?
    var rootExpires: String?
    var keys: [String]
    var plugins: Int?
    var snapshotVersion: Int?
    var timestampVersion: Int?

    init(record: RegistryRecord, root: RootMetadata?, plugins: Int?) {
        name = record.name
        location = record.location
        rootVersion = root?.version
        rootExpires = root?.expires
        keys = root.map { $0.keys.keys.sorted() } ?? []
        self.plugins = plugins
    }
}

/// A root.json given on the command line: parsed and checked (self-signed, not expired).
struct RegistryRootFile {
    var bytes: Data
    var metadata: SignedMetadata<RootMetadata>

    static func load(path: String) throws -> RegistryRootFile {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw BourseError(.fileNotFound, "cannot read root metadata file \(path)", input: path)
        }
        let metadata = try SignedMetadata<RootMetadata>.parse(bytes, source: path)
        try RegistryTrust.checkSelfSigned(metadata, source: path)
        return RegistryRootFile(bytes: bytes, metadata: metadata)
    }
}

/// `bourse search TERM`: plugins in the configured registries.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the configured registries for plugins whose name contains TERM.",
        discussion: "Shows the latest version that is not yanked. Each registry's signed metadata is checked first (rollback, freeze, untrusted keys, tampered index files).")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Part of a plugin name (case-insensitive); empty lists everything.", valueName: "term"))
    var term: String = ""

    @Option(help: ArgumentHelp("Search only this registry.", valueName: "name"))
    var registry: String?

    struct Hit: Codable {
        var name: String
        var version: String
        var kind: String
        var abi: String
        var permissions: [String]
        var registry: String
    }

    func run() throws {
        var hits: [Hit] = []
        var failed = false
        try store.withStore { opened in
            let records = try registry.map { [try opened.state.registry(named: $0)] } ?? opened.state.registries()
            if records.isEmpty { throw BourseError(.registryNotFound, "no registries configured (bourse registry add NAME URL|DIR --root ROOT.json)") }
            for record in records {
                do {
                    let verified = try RegistryClient(record: record, state: opened.state).refresh()
                    hits += try verified.search(term).map {
                        Hit(name: $0.name, version: $0.vers, kind: $0.kind, abi: $0.abi, permissions: $0.permissions, registry: record.name)
                    }
                } catch let error as BourseError {
                    printError("bourse: registry \(record.name): \(error)")
                    failed = true
                }
            }
        }
        if store.json {
            printJSON(hits)
        } else if hits.isEmpty {
            if !failed { print("no plugin matching '\(term)'") }
        } else {
            print(formatTable(["NAME", "VERSION", "KIND", "ABI", "PERMISSIONS", "REGISTRY"], hits.map {
                [$0.name, $0.version, $0.kind, $0.abi, $0.permissions.isEmpty ? "-" : $0.permissions.joined(separator: ","), $0.registry]
            }))
        }
        if failed { throw ExitCode(1) }
    }
}
