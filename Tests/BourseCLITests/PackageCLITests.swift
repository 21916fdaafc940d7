#if canImport(Glibc)
import Glibc
#endif
import BourseTestSupport
import Foundation
import Testing

/// The author side of packages, through the built `bourse` binary.
@Suite("bourse keys / plugin new|pack|sign|check", .serialized)
struct PackageCLITests {
    let directory = TemporaryDirectory(prefix: "bourse-cli-package")

    func bourse(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(TestPaths.bourseExecutable, arguments)
    }

    @Test("--help on the package commands")
    func help() throws {
        for command in [["keys", "generate"], ["plugin", "new"], ["plugin", "pack"], ["plugin", "sign"], ["plugin", "check"]] {
            let result = try bourse(command + ["--help"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.contains("USAGE"), "\(command)")
        }
    }

    @Test("keys generate writes FILE (0600) and FILE.pub and refuses to overwrite")
    func keysGenerate() throws {
        let key = directory.file("author.key")
        let result = try bourse(["keys", "generate", "--out", key])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("generated key "))
        var info = stat()
        #expect(stat(key, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: key + ".pub", encoding: .utf8).hasPrefix("bourse-public-key-v1\n"))
        let again = try bourse(["keys", "generate", "--out", key])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
    }

    @Test("plugin new refuses bad names, unknown kinds and kinds without a template")
    func newRefusals() throws {
        let badName = try bourse(["plugin", "new", "My_Plugin", "--dir", directory.file("x")])
        #expect(badName.status == 1 && badName.stderr.contains("invalid plugin name 'My_Plugin'"), "\(badName.stderr)")
        let badKind = try bourse(["plugin", "new", "ok", "--kind", "gadget", "--dir", directory.file("y")])
        #expect(badKind.status == 1 && badKind.stderr.contains("--kind gadget"), "\(badKind.stderr)")
        let noTemplate = try bourse(["plugin", "new", "ok", "--kind", "exporter", "--dir", directory.file("z")])
        #expect(noTemplate.status == 1 && noTemplate.stderr.contains("no template for an exporter"), "\(noTemplate.stderr)")
    }

    @Test("pack checks exports and SONAME before anything else")
    func packRefusesBadLibraries() throws {
        let source = try directory.write("bad.c", "const void *bourse_plugin_entry_v1(void) { return 0; }\nint extra_symbol(void) { return 1; }\n")
        let map = try directory.write("exports.map", "{ global: bourse_plugin_entry_v1; local: *; };\n")
        let leaky = directory.file("libbourse-leaky.so")
        #expect(try runProcess("/usr/bin/cc", ["-shared", "-fPIC", "-Wl,-soname,libbourse-leaky.so.1", "-o", leaky, source]).status == 0)
        let noSoname = directory.file("libbourse-nosoname.so")
        #expect(try runProcess("/usr/bin/cc", ["-shared", "-fPIC", "-Wl,--version-script=\(map)", "-o", noSoname, source]).status == 0)
        let leak = try bourse(["plugin", "pack", directory.path, "--library", leaky, "--out", directory.file("leaky.bpkg")])
        #expect(leak.status == 1 && leak.stderr.contains("exports more than bourse_plugin_entry_v1: extra_symbol"), "\(leak.stderr)")
        let bare = try bourse(["plugin", "pack", directory.path, "--library", noSoname, "--out", directory.file("bare.bpkg")])
        #expect(bare.status == 1 && bare.stderr.contains("has no SONAME"), "\(bare.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("leaky.bpkg")))
    }

    @Test("pack --library of a C plugin, then sign with another key, then check with each key")
    func packSignCheckCPlugin() throws {
        let library = try FixturePlugins.build(name: "fixture-indicator", kind: "BOURSE_KIND_INDICATOR")
        let author = directory.file("author.key"), other = directory.file("other.key")
        #expect(try bourse(["keys", "generate", "--out", author]).status == 0)
        #expect(try bourse(["keys", "generate", "--out", other]).status == 0)
        let source = directory.file("src")
        try directory.write("src/bourse-package.json", #"{"licence": "MIT", "authors": ["Tester"], "docs": ["NOTES.md"]}"#)
        try directory.write("src/NOTES.md", "notes\n")
        let package = directory.file("fixture-indicator-1.0.0.bpkg")
        let pack = try bourse(["plugin", "pack", source, "--library", library, "--key", author, "--out", package])
        #expect(pack.status == 0, "\(pack.stderr)")
        #expect(pack.stdout.contains("packed fixture-indicator 1.0.0 (indicator"), "\(pack.stdout)")
        let check = try bourse(["plugin", "check", package, "--trust", author + ".pub"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("(verified)") && check.stdout.contains("NOTES.md"), "\(check.stdout)")
        let sign = try bourse(["plugin", "sign", package, "--key", other])
        #expect(sign.status == 0, "\(sign.stderr)")
        let refused = try bourse(["plugin", "check", package, "--trust", author + ".pub"])
        #expect(refused.status == 1 && refused.stderr.contains("[rule: untrusted-signer]"), "\(refused.stderr)")
        #expect(try bourse(["plugin", "check", package, "--trust", other + ".pub"]).status == 0)
    }

    @Test("keys generate → plugin new → swift test → plugin pack → plugin sign → check")
    func authorWorkflow() throws {
        let key = directory.file("k")
        #expect(try bourse(["keys", "generate", "--out", key]).status == 0)
        let pluginDirectory = directory.file("spread")
        let created = try bourse(["plugin", "new", "--kind", "indicator", "spread", "--dir", pluginDirectory,
                                  "--sdk", TestPaths.repositoryRoot + "/PluginSDK"])
        #expect(created.status == 0, "\(created.stderr)")
        let ownTest = try runProcess("/usr/bin/env", ["swift", "test", "--package-path", pluginDirectory])
        #expect(ownTest.status == 0, "the generated package's own test failed: \(ownTest.stdout.suffix(3000)) \(ownTest.stderr.suffix(3000))")
        let package = directory.file("spread.bpkg")
        let pack = try bourse(["plugin", "pack", pluginDirectory, "--out", package])
        #expect(pack.status == 0, "\(pack.stderr)")
        #expect(pack.stdout.contains("signed by:   nobody"), "\(pack.stdout)")
        let unsigned = try bourse(["plugin", "check", package, "--trust", key + ".pub"])
        #expect(unsigned.status == 1 && unsigned.stderr.contains("[rule: missing-signature]"), "\(unsigned.stderr)")
        #expect(try bourse(["plugin", "sign", package, "--key", key]).status == 0)
        let check = try bourse(["plugin", "check", package, "--trust", key + ".pub"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("name:        spread"), "\(check.stdout)")
        #expect(check.stdout.contains("lib/libbourse-spread.so") && check.stdout.contains("README.md"), "\(check.stdout)")
    }
}
