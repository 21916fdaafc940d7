import ArgumentParser
import BourseCore
import BourseIsolation
import BoursePackage
import BoursePluginHost
import Foundation

extension Plugin {
    /// `bourse plugin new`: a ready out-of-tree plugin package.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new plugin package (SwiftPM) that builds and passes its own test.",
            discussion: """
            Writes DIR (default ./NAME): Package.swift depending on the Bourse plugin SDK by \
            path, the plugin source, a test using the in-process PluginHarness, exports.map \
            (only bourse_plugin_entry_v1 is exported), bourse-package.json (licence, authors, \
            dependencies, docs) and a README. Then: `swift test`, `bourse plugin pack DIR --key KEY`.
            Kinds with a template: indicator.
            """)

        @Argument(help: "Plugin name: lower-case ASCII letters, digits and '-', at most 64 characters.")
        var name: String

        @Option(help: ArgumentHelp("Plugin kind (source, indicator, model, codec, exporter).", valueName: "kind"))
        var kind: String = "indicator"

        @Option(help: ArgumentHelp("Directory to create (default: ./NAME). Must not exist or be empty.", valueName: "dir"))
        var dir: String?

        @Option(help: ArgumentHelp("The PluginSDK package directory (default: found next to this bourse's source tree, or $BOURSE_SDK).", valueName: "dir"))
        var sdk: String?

        func run() throws {
            try reportingErrors {
                try PluginName.validate(name)
                guard let pluginKind = PluginKind(name: kind) else {
                    throw BourseError(.usage, "--kind \(kind): unknown kind (expected one of \(PluginKind.allCases.map(\.description).joined(separator: ", ")))", input: kind)
                }
                let sdkPath = try sdk.map(absolutePath) ?? PluginSDKLocation.find()
                guard FileManager.default.fileExists(atPath: sdkPath + "/Package.swift") else {
                    throw BourseError(.fileNotFound, "--sdk \(sdkPath): no Package.swift there (expected the Bourse PluginSDK package)", input: sdkPath)
                }
                guard let files = PluginTemplate.files(name: name, kind: pluginKind, sdkPath: sdkPath) else {
                    throw BourseError(.usage, "--kind \(kind): no template for \(pluginKind.withArticle) plugin yet (available: indicator)", input: kind)
                }
                let target = absolutePath(dir ?? name)
                if let existing = try? FileManager.default.contentsOfDirectory(atPath: target), !existing.isEmpty {
                    throw BourseError(.io, "\(target) already exists and is not empty; choose another --dir", input: target)
                }
                for (path, text) in files.sorted(by: { $0.key < $1.key }) {
                    let full = target + "/" + path
                    try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try text.write(toFile: full, atomically: true, encoding: .utf8)
                }
                print("created \(pluginKind) plugin '\(name)' in \(target)")
                print("next: cd \(target) && swift test && bourse plugin pack . --key KEYFILE")
            }
        }
    }

    /// `bourse plugin pack`: build, check and package a plugin.
    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a plugin package in release mode and write a .bpkg.",
            discussion: """
            Runs `swift build -c release` in DIR, finds the product libbourse-*.so, checks it \
            exports only bourse_plugin_entry_v1 and has a SONAME, reads its descriptor (name, \
            version, kind, ABI, toolchain, permissions) in a sandboxed worker, merges \
            DIR/bourse-package.json (licence, authors, homepage, dependencies, config schema, \
            consumed/produced messages, docs) and writes manifest.json, checksums and, with \
            --key, a signature. See docs/package-format.md.
            """)

        @Argument(help: "The plugin's package directory.", completion: .directory)
        var directory: String

        @Option(help: ArgumentHelp("Output file (default: DIR/NAME-VERSION.bpkg).", valueName: "file"))
        var out: String?

        @Option(help: ArgumentHelp("Private key file to sign with (from `bourse keys generate`). Without it the package is unsigned and cannot be installed until signed.", valueName: "file"))
        var key: String?

        @Option(help: ArgumentHelp("Use this .so instead of building (skips `swift build`).", valueName: "file"))
        var library: String?

        func run() throws {
            try reportingErrors {
                let source = absolutePath(directory)
                let signingKey = try key.map { try SigningKeyFile.load(path: $0) }
                let libraryPath = try library.map(absolutePath) ?? PackBuild.buildRelease(in: source)
                let manifest = try PackBuild.manifest(library: libraryPath, source: source)
                var files = [PackageFileContent(path: manifest.library, contents: try PackBuild.bytes(of: libraryPath), executable: true)]
                let metadata = try PackBuild.authorMetadata(in: source)
                let docs = metadata?.docs ?? ["README.md", "docs", "examples"].filter { FileManager.default.fileExists(atPath: source + "/" + $0) }
                files += try PackageAuthorMetadata.collectDocumentation(docs, in: source)
                let output = absolutePath(out ?? "\(source)/\(manifest.name)-\(manifest.version).\(PackageArchive.fileExtension)")
                let digest = try PackageWriter.write(manifest: manifest, files: files, signingKey: signingKey, to: output)
                print("packed \(manifest.name) \(manifest.version) (\(manifest.kind), ABI \(manifest.abi), \(manifest.target))")
                print("  library:     \(manifest.library)")
                print("  permissions: \(manifest.permissions.isEmpty ? "none" : manifest.permissions.joined(separator: ","))")
                print("  files:       \(files.count + 1) + checksums\(signingKey == nil ? "" : " + signature")")
                print("  signed by:   \(signingKey.map { $0.keyID } ?? "nobody (run `bourse plugin sign \(output) --key KEY`)")")
                print("  sha256:      \(digest)")
                print("wrote \(output)")
            }
        }
    }

    /// `bourse plugin sign`: (re-)sign a package.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a .bpkg (replacing any signature); the signature covers manifest.json and checksums.",
            discussion: "The package must pass every other check first (structure, checksums, manifest, architecture). Prints the signer's key id; admins trust its .pub with `bourse keys trust`.")

        @Argument(help: "The package to sign.", completion: .file(extensions: ["bpkg"]))
        var package: String

        @Option(help: ArgumentHelp("Private key file (from `bourse keys generate`).", valueName: "file"))
        var key: String

        @Option(help: ArgumentHelp("Write the signed package here instead of replacing PACKAGE.", valueName: "file"))
        var out: String?

        func run() throws {
            try reportingErrors {
                let signingKey = try SigningKeyFile.load(path: key)
                let signed = try PackageWriter.sign(packageAt: package, key: signingKey, output: out)
                print("signed \(signed.manifest.name) \(signed.manifest.version) with key \(signingKey.keyID)")
                print("  sha256: \(signed.archiveSHA256)")
                print("wrote \(out ?? package)")
            }
        }
    }
}

/// Steps of `bourse plugin pack`.
enum PackBuild {
    static func bytes(of path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BourseError(.fileNotFound, "cannot read \(path)", input: path)
        }
        return [UInt8](data)
    }

    /// Runs `swift build -c release` in `directory` and returns the one `libbourse-*.so` product.
    static func buildRelease(in directory: String) throws -> String {
        guard FileManager.default.fileExists(atPath: directory + "/Package.swift") else {
            throw BourseError(.fileNotFound, "\(directory) has no Package.swift (pass a plugin package directory, or --library FILE)", input: directory)
        }
        let build = try runSwift(["build", "-c", "release"], in: directory)
        guard build.status == 0 else {
            throw BourseError(.io, "swift build -c release failed in \(directory):\n\(build.output.suffix(4000))", input: directory)
        }
        let binPath = try runSwift(["build", "-c", "release", "--show-bin-path"], in: directory)
        let bin = binPath.output.split(separator: "\n").last.map(String.init) ?? ""
        let libraries = ((try? FileManager.default.contentsOfDirectory(atPath: bin)) ?? [])
            .filter { $0.hasPrefix("libbourse-") && $0.hasSuffix(".so") }.sorted()
        guard libraries.count == 1 else {
            throw BourseError(.fileNotFound, libraries.isEmpty
                ? "no libbourse-*.so product in \(bin) (the product must be a dynamic library named bourse-NAME)"
                : "several plugin libraries in \(bin): \(libraries.joined(separator: ", ")); pass --library FILE", input: bin)
        }
        return bin + "/" + libraries[0]
    }

    private static func runSwift(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch {
            throw BourseError(.io, "cannot run swift: \(error)", input: "swift")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Checks the library's exports and SONAME, reads its descriptor in a sandboxed worker, and builds the manifest.
    static func manifest(library: String, source: String) throws -> PackageManifest {
        let label = (library as NSString).lastPathComponent
        let dynamic = try ELFInspector.dynamicInfo(path: library, plugin: label)
        guard dynamic.exportedSymbols == ["bourse_plugin_entry_v1"] else {
            let extra = dynamic.exportedSymbols.filter { $0 != "bourse_plugin_entry_v1" }
            let listed = extra.prefix(10).joined(separator: ", ") + (extra.count > 10 ? ", … (\(extra.count) in all)" : "")
            throw BourseError(.invalidValue, dynamic.exportedSymbols.contains("bourse_plugin_entry_v1")
                ? "\(library) exports more than bourse_plugin_entry_v1: \(listed) (link with a version script: { global: bourse_plugin_entry_v1; local: *; })"
                : "\(library) does not export bourse_plugin_entry_v1", input: library)
        }
        guard let soname = dynamic.soname, !soname.isEmpty, soname.hasPrefix("lib") else {
            throw BourseError(.invalidValue, "\(library) has no SONAME (link with -Xlinker -soname=libbourse-NAME.so.MAJOR)", input: library)
        }
        let host = SandboxedPluginHost(options: SandboxOptions(workerExecutable: SandboxedPluginHost.defaultWorkerExecutable()))
        let info = try host.inspect(path: library, label: label)
        guard let version = SemanticVersion(info.version) else {
            throw BourseError(.invalidValue, "plugin '\(info.name)' declares version '\(info.version)', which is not a semantic version", input: library)
        }
        do {
            try PluginName.validate(info.name)
        } catch let error as BourseError {
            throw BourseError(.invalidValue, "\(library): descriptor name: \(error.message)", input: library)
        }
        var manifest = PackageManifest(name: info.name, version: version, kind: info.kind, summary: info.summary, abi: info.abi,
                                       toolchain: info.toolchain, library: "lib/libbourse-\(info.name).so",
                                       permissions: info.permissions.split(separator: ",").map(String.init))
        try authorMetadata(in: source)?.apply(to: &manifest)
        return manifest
    }

    /// DIR/bourse-package.json, if present.
    static func authorMetadata(in source: String) throws -> PackageAuthorMetadata? {
        let path = source + "/" + PackageAuthorMetadata.fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try PackageAuthorMetadata.parse([UInt8](data), file: path)
    }
}

/// Where the plugin SDK package is, for `bourse plugin new`.
enum PluginSDKLocation {
    /// $BOURSE_SDK, else the first `PluginSDK/` beside a directory above the bourse executable.
    static func find() throws -> String {
        if let environment = ProcessInfo.processInfo.environment["BOURSE_SDK"], !environment.isEmpty {
            return absolutePath(environment)
        }
        var directory = executableDirectory() ?? "."
        while directory.count > 1 {
            let candidate = directory + "/PluginSDK"
            if FileManager.default.fileExists(atPath: candidate + "/Package.swift") { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        throw BourseError(.fileNotFound, "cannot find the Bourse PluginSDK package; pass --sdk DIR or set BOURSE_SDK", input: "--sdk")
    }
}

extension Plugin {
    /// `bourse plugin check`: read a package the way install does, without installing it.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a .bpkg as install would (every refusal rule) and print its manifest and signer.",
            discussion: "Nothing is written. Pass the public keys to trust with --trust (repeatable); without any, only the signer's key id is shown and an unsigned package is accepted for inspection (`--trust` makes a missing or bad signature an error).")

        @Argument(help: "The package to check.", completion: .file(extensions: ["bpkg"]))
        var package: String

        @Option(help: ArgumentHelp("A public key file (.pub) to trust (repeatable).", valueName: "file"))
        var trust: [String] = []

        func run() throws {
            try reportingErrors {
                let keys = try trust.map { try PublicKey.load(path: $0) }
                let verified = keys.isEmpty ? try PackageArchive.readUnsigned(at: package)
                                            : try PackageArchive.read(at: package, trustedKeys: keys)
                let manifest = verified.manifest
                print("""
                package:     \(package)
                name:        \(manifest.name)
                version:     \(manifest.version)
                kind:        \(manifest.kind)
                abi:         \(manifest.abi)
                target:      \(manifest.target)
                toolchain:   \(manifest.toolchain)
                permissions: \(manifest.permissions.isEmpty ? "none" : manifest.permissions.joined(separator: ","))
                files:       \(verified.files.map(\.path).joined(separator: ", "))
                signed by:   \(verified.signerKeyID.map { "\($0) (verified)" } ?? "not checked (no --trust)")
                sha256:      \(verified.archiveSHA256)
                """)
            }
        }
    }
}
