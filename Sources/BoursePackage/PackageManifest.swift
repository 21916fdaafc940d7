import BourseCore
import BourseSandbox
import enum BourseSDK.JSONValue

/// A dependency of one plugin on another: a plugin name and a semver range
/// (`^1.2`, `~1.2.3`, `>=1, <2`, `1.4.0`), kept as text; the store's resolver
/// interprets the range.
public struct PackageDependency: Sendable, Equatable, Hashable {
    /// The plugin depended on (follows ``PluginName``).
    public var name: String
    /// The versions accepted, as written.
    public var range: String

    /// Creates a dependency.
    public init(name: String, range: String) {
        self.name = name
        self.range = range
    }
}

/// A kind of message a plugin reads or writes, optionally on a topic pattern.
public struct MessageFlow: Sendable, Equatable, Hashable {
    /// Message type name (`bar`, `quote`, `values`, ...).
    public var messageType: String
    /// Topic or topic pattern, when the plugin fixes one (most let the graph decide).
    public var topic: String?

    /// Creates a declaration.
    public init(messageType: String, topic: String? = nil) {
        self.messageType = messageType
        self.topic = topic
    }
}

/// The `manifest.json` of a plugin package: what the plugin is, what it was
/// built for, what it needs. See docs/package-format.md for every field.
public struct PackageManifest: Sendable, Equatable {
    /// The manifest format this code reads and writes.
    public static let currentFormat = 1
    /// The file name of the manifest inside a package.
    public static let fileName = "manifest.json"

    /// Manifest format version (`"format": 1`).
    public var format: Int
    /// Plugin name (follows ``PluginName``).
    public var name: String
    /// Plugin version.
    public var version: SemanticVersion
    /// Plugin kind.
    public var kind: PluginKind
    /// One line saying what the plugin does (from its descriptor).
    public var summary: String
    /// The plugin ABI version the library was built against.
    public var abi: ABIVersion
    /// Target triple the library was built for (`x86_64-unknown-linux-gnu`).
    public var target: String
    /// Toolchain that built it (`swift-6.3.1`, `gcc-12.2.0`, ...).
    public var toolchain: String
    /// Path of the plugin's `.so` inside the package (`lib/libbourse-NAME.so`).
    public var library: String
    /// Other plugins this one needs.
    public var dependencies: [PackageDependency]
    /// Permissions the plugin asks for, spelled as in graph `allow:` lists
    /// (`network`, `threads`, `exec-memory`, `read-paths`, `write-paths:/out`).
    public var permissions: [String]
    /// JSON Schema of the node `config:` the plugin accepts (free JSON), if given.
    public var configSchema: ManifestJSON?
    /// Messages the plugin subscribes to.
    public var consumes: [MessageFlow]
    /// Messages the plugin publishes.
    public var produces: [MessageFlow]
    /// Licence (an SPDX expression such as `MIT` or `Apache-2.0`).
    public var licence: String?
    /// Authors, as `Name <email>` or just a name.
    public var authors: [String]
    /// Project home page URL.
    public var homepage: String?

    /// Creates a manifest (format ``currentFormat``).
    public init(name: String, version: SemanticVersion, kind: PluginKind, summary: String = "",
                abi: ABIVersion = .host, target: String = HostPlatform.targetTriple, toolchain: String,
                library: String, dependencies: [PackageDependency] = [], permissions: [String] = [],
                configSchema: ManifestJSON? = nil, consumes: [MessageFlow] = [], produces: [MessageFlow] = [],
                licence: String? = nil, authors: [String] = [], homepage: String? = nil) {
        self.format = PackageManifest.currentFormat
        self.name = name
        self.version = version
        self.kind = kind
        self.summary = summary
        self.abi = abi
        self.target = target
        self.toolchain = toolchain
        self.library = library
        self.dependencies = dependencies
        self.permissions = permissions
        self.configSchema = configSchema
        self.consumes = consumes
        self.produces = produces
        self.licence = licence
        self.authors = authors
        self.homepage = homepage
    }

    /// The keys a format-1 manifest may contain.
    public static let knownKeys = ["format", "name", "version", "kind", "summary", "abi", "target", "toolchain", "library",
                                   "dependencies", "permissions", "config_schema", "consumes", "produces",
                                   "licence", "authors", "homepage"]

    /// Parses and checks manifest JSON. Throws `BourseError(.invalidManifest)`:
    /// syntax errors as `FILE:LINE:COLUMN: reason`, other problems naming the key.
    /// A `format` other than ``currentFormat`` is refused before anything else is read.
    public static func parse(_ bytes: [UInt8], file: String = PackageManifest.fileName) throws -> PackageManifest {
        let document = try parseStrictJSON(bytes, file: file)
        let root = try JSONObjectReader(document, file: file, path: "")
        let format = try root.integer("format")
        guard format == currentFormat else {
            throw BourseError(.invalidManifest, "\(file): unknown manifest format \(format) (this bourse reads format \(currentFormat))", input: file)
        }
        try root.rejectUnknownKeys(knownKeys)
        let name = try root.string("name")
        if let problem = PluginName.problem(name) { throw root.invalid("name", "is not a valid plugin name: \(problem)") }
        let versionText = try root.string("version")
        guard let version = SemanticVersion(versionText) else { throw root.invalid("version", "is not a semantic version: '\(versionText)'") }
        let kindText = try root.string("kind")
        guard let kind = PluginKind(name: kindText) else {
            throw root.invalid("kind", "must be one of \(PluginKind.allCases.map(\.description).joined(separator: ", ")), found '\(kindText)'")
        }
        guard let abiValue = root.value("abi") else { throw root.invalid("abi", "is missing") }
        let abiReader = try JSONObjectReader(abiValue, file: file, path: "abi")
        try abiReader.rejectUnknownKeys(["major", "minor"])
        let (major, minor) = (try abiReader.integer("major"), try abiReader.integer("minor"))
        guard let abiMajor = UInt16(exactly: major), let abiMinor = UInt16(exactly: minor) else {
            throw root.invalid("abi", "major and minor must be between 0 and 65535")
        }
        let library = try root.string("library")
        if let problem = PackagePath.problem(library) { throw root.invalid("library", "is not a valid package path: \(problem)") }
        let dependencies = try root.dependencies("dependencies")
        let permissions = try root.strings("permissions")
        do {
            _ = try PluginPermissions.parse(permissions.joined(separator: ","))
        } catch let error as BourseError {
            throw root.invalid("permissions", "are not valid: \(error.message)")
        }
        let configSchema = root.value("config_schema").flatMap { $0 == .null ? nil : $0 }
        var manifest = PackageManifest(
            name: name, version: version, kind: kind, summary: try root.optionalString("summary") ?? "",
            abi: ABIVersion(major: abiMajor, minor: abiMinor), target: try root.string("target"),
            toolchain: try root.string("toolchain"), library: library, dependencies: dependencies,
            permissions: permissions, configSchema: configSchema, consumes: try root.messageFlows("consumes"), produces: try root.messageFlows("produces"),
            licence: try root.optionalString("licence"), authors: try root.strings("authors"), homepage: try root.optionalString("homepage"))
        manifest.format = format
        return manifest
    }

    /// The manifest as a JSON value, keys in the documented order; optional
    /// fields that are unset are left out.
    public var json: ManifestJSON {
        var members: [(key: String, value: JSONValue)] = [
            ("format", .number(Double(format))),
            ("name", .string(name)),
            ("version", .string(version.description)),
            ("kind", .string(kind.description)),
            ("summary", .string(summary)),
            ("abi", .object([("major", .number(Double(abi.major))), ("minor", .number(Double(abi.minor)))])),
            ("target", .string(target)),
            ("toolchain", .string(toolchain)),
            ("library", .string(library)),
            ("dependencies", .array(dependencies.map { .object([("name", .string($0.name)), ("range", .string($0.range))]) })),
            ("permissions", .array(permissions.map(JSONValue.string))),
        ]
        if let configSchema { members.append(("config_schema", configSchema)) }
        func flows(_ list: [MessageFlow]) -> JSONValue {
            .array(list.map { flow in
                var object: [(key: String, value: JSONValue)] = [("type", .string(flow.messageType))]
                if let topic = flow.topic { object.append(("topic", .string(topic))) }
                return .object(object)
            })
        }
        members.append(("consumes", flows(consumes)))
        members.append(("produces", flows(produces)))
        if let licence { members.append(("licence", .string(licence))) }
        members.append(("authors", .array(authors.map(JSONValue.string))))
        if let homepage { members.append(("homepage", .string(homepage))) }
        return .object(members)
    }

    /// The bytes of `manifest.json`: indented JSON and a final newline.
    public var encoded: [UInt8] { Array(json.prettyText.utf8) }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...end]
    }
}
