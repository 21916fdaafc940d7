import BourseCore
import enum BourseSDK.JSONValue

/// The optional `bourse-package.json` of a plugin's source directory: what
/// `bourse plugin pack` cannot read from the plugin's descriptor.
///
/// ```json
/// {
///   "licence": "MIT",
///   "authors": ["Ada <ada@example.com>"],
///   "homepage": "https://example.com/rsi",
///   "dependencies": [{"name": "codec-json", "range": "^2"}],
///   "config_schema": {"type": "object"},
///   "consumes": [{"type": "bar"}],
///   "produces": [{"type": "values"}],
///   "docs": ["README.md", "docs", "examples"]
/// }
/// ```
public struct PackageAuthorMetadata: Sendable, Equatable {
    /// The file name looked for in the source directory.
    public static let fileName = "bourse-package.json"

    /// Licence (SPDX expression).
    public var licence: String?
    /// Authors.
    public var authors: [String] = []
    /// Home page.
    public var homepage: String?
    /// Dependencies on other plugins.
    public var dependencies: [PackageDependency] = []
    /// JSON Schema of the node config.
    public var configSchema: ManifestJSON?
    /// Messages consumed.
    public var consumes: [MessageFlow] = []
    /// Messages produced.
    public var produces: [MessageFlow] = []
    /// Files and directories (relative to the source directory) copied into
    /// the package under the same paths; nil means README.md, docs/ and
    /// examples/ when they exist.
    public var docs: [String]?

    /// Empty metadata.
    public init() {}

    /// Parses the file's bytes; errors are `BourseError(.invalidManifest)`
    /// naming `file` with line and column for JSON syntax.
    public static func parse(_ bytes: [UInt8], file: String) throws -> PackageAuthorMetadata {
        let root = try JSONObjectReader(try parseStrictJSON(bytes, file: file), file: file, path: "")
        try root.rejectUnknownKeys(["licence", "authors", "homepage", "dependencies", "config_schema", "consumes", "produces", "docs"])
        var metadata = PackageAuthorMetadata()
        metadata.licence = try root.optionalString("licence")
        metadata.authors = try root.strings("authors")
        metadata.homepage = try root.optionalString("homepage")
        metadata.dependencies = try root.dependencies("dependencies")
        metadata.configSchema = root.value("config_schema").flatMap { $0 == .null ? nil : $0 }
        metadata.consumes = try root.messageFlows("consumes")
        metadata.produces = try root.messageFlows("produces")
        if root.value("docs") != nil { metadata.docs = try root.strings("docs") }
        return metadata
    }

    /// Applies the metadata to a manifest built from a plugin's descriptor.
    public func apply(to manifest: inout PackageManifest) {
        manifest.licence = licence
        manifest.authors = authors
        manifest.homepage = homepage
        manifest.dependencies = dependencies
        manifest.configSchema = configSchema
        manifest.consumes = consumes
        manifest.produces = produces
    }

    /// Every regular file under the given paths below `directory` (a file
    /// path gives itself, a directory everything below it), as package files.
    public static func collectDocumentation(_ paths: [String], in directory: String) throws -> [PackageFileContent] {
        var files: [PackageFileContent] = []
        for path in paths {
            if let problem = PackagePath.problem(path) {
                throw BourseError(.invalidValue, "\(fileName): docs entry '\(path)': \(problem)", input: path)
            }
            let full = directory + "/" + path
            if FileIOProbe.isDirectory(full) {
                files += try PackageWriter.collectFiles(in: full).map {
                    PackageFileContent(path: path + "/" + $0.path, contents: $0.contents, executable: $0.executable)
                }
            } else {
                files += try PackageWriter.collectFiles(inFile: full, as: path)
            }
        }
        return files
    }
}
