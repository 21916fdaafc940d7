#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseStore
import BourseTestSupport
import Foundation
import Testing

@Suite("Graphs use installed plugins", .serialized)
struct GraphStoreTests {
    /// Installs the C fixture source as a real package `store-source` 1.0.0.
    func installFixture(_ f: StoreFixture) throws {
        let library = try FixturePlugins.build(name: "store-source", kind: "BOURSE_KIND_SOURCE")
        let manifest = PackageManifest(name: "store-source", version: SemanticVersion("1.0.0")!, kind: .source,
                                       toolchain: "cc", library: "lib/libbourse-store-source.so")
        let bytes = Array(FileManager.default.contents(atPath: library) ?? Data())
        let path = f.directory.file("store-source-1.0.0.bpkg")
        try PackageWriter.write(manifest: manifest, files: [PackageFileContent(path: manifest.library, contents: bytes, executable: true)],
                                signingKey: f.key, to: path)
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        let r = try f.bourse(["install", path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func graph(_ f: StoreFixture, plugin: String) throws -> String {
        try f.directory.write("graph-\(plugin.filter(\.isLetter)).yaml", """
        nodes:
          - id: source
            plugin: \(plugin)
            config: {count: 10}
            publishes: bars.X.1m
        """)
    }

    @Test("plugin: NAME@RANGE resolves through the store; a missing or incompatible one names the fixing command")
    func validate() throws {
        let f = try StoreFixture()
        try installFixture(f)
        for plugin in ["store-source@^1", "store-source@=1.0.0", "store-source"] {
            let r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: plugin), "--home", f.home.root,
                                                                "--isolation", "in-process"])
            #expect(r.status == 0, "\(plugin): \(r.stderr)")
            #expect(r.stdout.contains("store/store-source/1.0.0/lib/libbourse-store-source.so"), "\(plugin): \(r.stdout)")
        }
        var r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "store-source@^2"), "--home", f.home.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("graph needs store-source@^2; installed store-source versions are 1.0.0 (active); run: bourse install store-source@^2"), "\(r.stderr)")
        r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "rsi@^1"), "--home", f.home.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("plugin rsi is not installed; run: bourse install rsi@^1"), "\(r.stderr)")
        r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "nowhere"), "--home", f.home.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("and it is not installed in the plugin store (run: bourse install nowhere)"), "\(r.stderr)")
        r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "rsi@^x"), "--home", f.home.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("in version range '^x'"), "\(r.stderr)")
    }

    @Test("a node whose plugin's dependencies are missing or out of range is refused with the chain and the fixing command")
    func dependenciesChecked() throws {
        let f = try StoreFixture()
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        // codec-json 3.0.0 then 2.4.0 (both installed, 2.4.0 active); rsi 1.0.0 needs ^2.
        for path in [try f.package("codec-json", "3.0.0"), try f.package("codec-json", "2.4.0"),
                     try f.package("rsi", "1.0.0", dependencies: ["codec-json": "^2"])] {
            let r = try f.bourse(["install", path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        func validate() throws -> ProcessResult {
            try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "rsi@^1"), "--home", f.home.root])
        }
        // Dependencies met: resolution passes (the synthetic library then fails to load, which is another error).
        var r = try validate()
        #expect(!r.stderr.contains("needs codec-json"), "\(r.stderr)")
        #expect(r.stderr.contains("store/rsi/1.0.0/lib/libbourse-rsi.so"), "\(r.stderr)")

        // rsi 2.0.0 (needs ^3) moves codec-json to 3.0.0; the graph still asks for rsi@^1, whose 1.0.0 needs ^2.
        r = try f.bourse(["install", try f.package("rsi", "2.0.0", dependencies: ["codec-json": "^3"])])
        #expect(r.stdout.contains("codec-json: upgrade 2.4.0 → 3.0.0"), "\(r.stdout) \(r.stderr)")
        r = try validate()
        #expect(r.status == 1)
        #expect(r.stderr.contains("graph needs rsi@^1; rsi 1.0.0 needs codec-json@^2; but the active codec-json is 3.0.0 (run: bourse install rsi@^1 to make versions that fit together active)"),
                "\(r.stderr)")
        r = try f.bourse(["install", "rsi@^1"])
        #expect(r.stdout.contains("codec-json: downgrade 3.0.0 → 2.4.0") && r.stdout.contains("rsi: downgrade 2.0.0 → 1.0.0"), "\(r.stdout) \(r.stderr)")
        r = try validate()
        #expect(!r.stderr.contains("needs codec-json"), "the suggested command fixed it: \(r.stderr)")

        // A dependency removed by force: the graph is refused, naming the install command.
        r = try f.bourse(["uninstall", "codec-json", "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try validate()
        #expect(r.status == 1)
        #expect(r.stderr.contains("graph needs rsi@^1; rsi 1.0.0 needs codec-json@^2; but codec-json is not installed (run: bourse install codec-json@^2)"),
                "\(r.stderr)")
        // A plain name found only in the store is checked the same way (not reported as "not found").
        r = try runProcess(TestPaths.bourseExecutable, ["graph", "validate", try graph(f, plugin: "rsi"), "--home", f.home.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("graph needs rsi; rsi 1.0.0 needs codec-json@^2; but codec-json is not installed"), "\(r.stderr)")
        #expect(!r.stderr.contains("not found"), "\(r.stderr)")
    }
}
