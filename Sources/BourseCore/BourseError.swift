/// A structured error: a stable code, a human-readable message, and the input
/// that caused it (a file path, a node id, a topic, a config key...).
///
/// Every failure Bourse reports to a user is one of these, never a bare string.
public struct BourseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable, machine-readable error codes. Raw values appear in `--json` output.
    public enum Code: String, Sendable, CaseIterable {
        // Loading plugins
        case fileNotFound = "file-not-found"
        case notELF = "not-elf"
        case wrongArchitecture = "wrong-architecture"
        case notSharedObject = "not-shared-object"
        case truncatedFile = "truncated-file"
        case loadFailed = "load-failed"
        case entrySymbolMissing = "entry-symbol-missing"
        case invalidDescriptor = "invalid-descriptor"
        case missingFunction = "missing-function"
        case abiMismatch = "abi-mismatch"
        case wrongKind = "wrong-kind"
        case pluginCreateFailed = "plugin-create-failed"
        case pluginCallFailed = "plugin-call-failed"
        case quarantined = "quarantined"
        case permissionNotGranted = "permission-not-granted"
        // Topics and messages
        case invalidTopic = "invalid-topic"
        case wildcardPublish = "wildcard-publish"
        case unknownTopic = "unknown-topic"
        case invalidMessage = "invalid-message"
        case queueClosed = "queue-closed"
        // Graph files
        case yamlSyntax = "yaml-syntax"
        case unknownKey = "unknown-key"
        case missingKey = "missing-key"
        case invalidValue = "invalid-value"
        case duplicateNode = "duplicate-node"
        case unmatchedSubscription = "unmatched-subscription"
        case unreadTopic = "unread-topic"
        case cycle = "cycle"
        case kindCannotPublish = "kind-cannot-publish"
        case kindCannotSubscribe = "kind-cannot-subscribe"
        case duplicatePublisher = "duplicate-publisher"
        case pluginNotFound = "plugin-not-found"
        // Packages (.bpkg) and signing keys
        case packageRejected = "package-rejected"
        case invalidManifest = "invalid-manifest"
        case invalidKey = "invalid-key"
        // Plugin store and version resolution
        case invalidVersionRange = "invalid-version-range"
        case stateDatabase = "state-database"
        case storeLocked = "store-locked"
        case notInstalled = "not-installed"
        case resolutionConflict = "resolution-conflict"
        case permissionNotApproved = "permission-not-approved"
        case dependedOn = "depended-on"
        case storeDrift = "store-drift"
        // Registries
        case registryNotFound = "registry-not-found"
        case registryUnreachable = "registry-unreachable"
        case registryFileMissing = "registry-file-missing"
        case registryIndexInvalid = "registry-index-invalid"
        case registryTampered = "registry-tampered"
        case metadataRollback = "metadata-rollback"
        case metadataExpired = "metadata-expired"
        case metadataUntrusted = "metadata-untrusted"
        case versionNotFound = "version-not-found"
        case versionExists = "version-exists"
        // Everything else
        case io = "io"
        case usage = "usage"
        case interrupted = "interrupted"
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// What went wrong, for a human. Names the plugin, node or file involved.
    public var message: String
    /// The offending input (path, node id, topic, key, value), if there is one.
    public var input: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, input: String? = nil) {
        self.code = code
        self.message = message
        self.input = input
    }

    /// `message`, followed by the offending input when it is not already in the message.
    public var description: String {
        guard let input, !input.isEmpty, !message.contains(input) else { return message }
        return "\(message) [\(input)]"
    }
}

/// A problem found while checking something, with a severity; errors stop a
/// run, warnings are printed and the run goes on.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable { case error, warning }

    /// Error or warning.
    public var severity: Severity
    /// The problem itself.
    public var error: BourseError
    /// Where it is, if it is in a file: path, 1-based line and column.
    public var location: SourceLocation?

    /// Creates a diagnostic.
    public init(_ severity: Severity, _ error: BourseError, at location: SourceLocation? = nil) {
        self.severity = severity
        self.error = error
        self.location = location
    }

    /// `file:line:column: severity: message` in the style of compilers.
    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity.rawValue): \(error.description)"
    }
}

/// A position in a text file (1-based line and column).
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file, as the user named it.
    public var file: String
    /// Line, from 1.
    public var line: Int
    /// Column, from 1.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }
}
