#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseRuntime
import BourseTestSupport
import Foundation
import Testing

/// Builds Tests/Fixtures/third-party-swift-plugin with `swift build`, exactly
/// as its author would (once per test run).
enum ThirdPartySwiftPlugin {
    static let scratch = TemporaryDirectory(prefix: "bourse-third-party")
    private static let lock = NSLock()
    private static var built: String?

    static func build() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let package = TestPaths.fixtures + "/third-party-swift-plugin"
        let swift = ["/opt/swift/usr/bin/swift", "/usr/bin/swift"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swift"
        let result = try runProcess(swift, ["build", "--package-path", package, "--scratch-path", scratch.path, "--product", "bourse-midprice"])
        guard result.status == 0 else { throw FixtureError(message: "swift build of the third-party plugin failed:\n\(result.stdout)\n\(result.stderr)") }
        let path = scratch.path + "/debug/libbourse-midprice.so"
        guard FileManager.default.fileExists(atPath: path) else { throw FixtureError(message: "no \(path) after building") }
        built = path
        return path
    }
}

/// Dynamic symbols a shared object defines, via `nm -D --defined-only`.
func exportedSymbols(_ path: String) throws -> [String] {
    let result = try runProcess("/usr/bin/nm", ["-D", "--defined-only", "--extern-only", path])
    return result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
}

/// The SONAME of a shared object, via `readelf -d`.
func soname(_ path: String) throws -> String? {
    let result = try runProcess("/usr/bin/readelf", ["-d", path])
    guard let line = result.stdout.split(separator: "\n").first(where: { $0.contains("(SONAME)") }),
          let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
    return String(line[line.index(after: open)..<close])
}

@Suite("Third-party plugins", .serialized)
struct ThirdPartyPluginTests {
    @Test("an out-of-tree Swift plugin and a plain-C plugin run together in a graph")
    func swiftAndCInOneGraph() throws {
        let swiftPlugin = try ThirdPartySwiftPlugin.build()
        let cSource = try FixturePlugins.build(name: "fixture-source")
        let cSink = try FixturePlugins.build(name: "fixture-sink", kind: "BOURSE_KIND_EXPORTER")
        let dir = TemporaryDirectory()
        let graph = try dir.write("g.yaml", """
        nodes:
          - id: feed
            plugin: \(cSource)
            config: {count: 2500, instrument: ABC}
            publishes: bars.ABC.1m
          - id: mid
            plugin: \(swiftPlugin)
            subscribes: bars.>
            publishes: ind.ABC.mid
          - id: sink
            plugin: \(cSink)
            subscribes: ind.>
            config: {out: "\(dir.file("sink.txt"))"}
        """)
        var options = RuntimeOptions()
        options.logLevel = .error
        options.isolation = .inProcess
        let (built, diagnostics) = GraphBuilder.build(fileAt: graph, options: options)
        let runnable = try #require(built, "\(diagnostics)")
        let mid = runnable.plugins.first { $0.node == "mid" }?.info
        #expect(mid?.name == "midprice")
        #expect(mid?.kind == .indicator)
        #expect(mid?.toolchain.hasPrefix("swift-6.") == true)
        let summary = GraphRunner(graph: runnable).run()
        runnable.destroy()
        #expect(summary.succeeded)
        let byID = Dictionary(uniqueKeysWithValues: summary.nodes.map { ($0.id, $0) })
        #expect(byID["mid"]?.statistics.messagesIn == 2500)
        #expect(byID["mid"]?.statistics.messagesOut == 2500)
        #expect(byID["mid"]?.counters["bars"] == 2500)
        #expect(try String(contentsOfFile: dir.file("sink.txt"), encoding: .utf8) == "count=2500 gaps=0\n")
    }

    @Test("plugins export only their entry symbol and carry a SONAME with the major version")
    func exportsAndSoname() throws {
        let swiftPlugin = try ThirdPartySwiftPlugin.build()
        let cPlugin = try FixturePlugins.build(name: "fixture-source")
        for path in [swiftPlugin, cPlugin] {
            #expect(try exportedSymbols(path) == ["bourse_plugin_entry_v1"], "\(path)")
        }
        #expect(try soname(swiftPlugin) == "libbourse-midprice.so.1")
        #expect(try soname(cPlugin) == "libbourse-fixture-source.so.1")
    }
}
