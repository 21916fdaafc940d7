#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseGraph
import BourseRuntime
import BourseTestSupport
import Foundation
import Testing

@Suite("Granted paths in a sandboxed graph", .serialized)
struct PermissionPathTests {
    @Test("allow: paths with '..' and symbolic links are resolved before they reach the worker")
    func dotDotAndSymlinks() throws {
        let pluginDirectory = TestPaths.firstPartyPluginDirectory
        try #require(FileManager.default.fileExists(atPath: pluginDirectory + "/libbourse-csv-bars.so"),
                     "build the first-party plugins first: swift build --package-path Plugins")
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("data/real"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.repositoryRoot + "/docs/examples/demo/data/spy.zip", toPath: dir.file("data/real/spy.zip"))
        #expect(symlink(dir.file("data/real"), dir.file("data/link")) == 0)
        let graph = """
        version: 1
        nodes:
          - id: spy
            plugin: csv-bars
            config: {path: "\(dir.path)/data/link/spy.zip", instrument: SPY, interval: 1d}
            allow: ["read-paths:\(dir.path)/data/real/../link"]
            publishes: bars.SPY.1d
          - id: export
            plugin: csv-export
            config: {format: csv, path: "\(dir.path)/out2/{topic}.csv"}
            subscribes: bars.>
            allow: ["write-paths:\(dir.path)/out/../out2"]
        """
        try graph.write(toFile: dir.file("graph.yaml"), atomically: true, encoding: .utf8)
        var options = RuntimeOptions()
        options.pluginPath = [pluginDirectory]
        options.logLevel = .error
        options.isolation = .sandboxed
        options.workerExecutable = TestPaths.buildDirectory + "/bourse-worker"
        let (built, diagnostics) = GraphBuilder.build(fileAt: dir.file("graph.yaml"), options: options)
        let runnable = try #require(built, "\(diagnostics)")
        let summary = GraphRunner(graph: runnable).run()
        runnable.destroy()
        #expect(summary.succeeded, "\(summary.nodes.map { "\($0.id): \($0.failure ?? "ok")" })")
        #expect(summary.nodes.first { $0.id == "spy" }?.statistics.messagesOut == 5849)
        #expect(FileManager.default.fileExists(atPath: dir.file("out2/bars.SPY.1d.csv")))
    }
}
