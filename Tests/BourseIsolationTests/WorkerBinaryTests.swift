import BoursePluginHost
import BourseTestSupport
import Testing

/// What the worker executable links decides an idle worker's memory (12 MiB
/// without Foundation, 20 MiB with it): keep Foundation out of everything
/// `bourse-worker` depends on (BourseCore, BourseTransport, BourseSandbox,
/// BoursePluginHost, BourseIsolation).
@Suite("The worker binary")
struct WorkerBinaryTests {
    @Test("bourse-worker links neither Foundation nor ICU")
    func workerLinksNoFoundation() throws {
        let worker = TestPaths.buildDirectory + "/bourse-worker"
        let needed = try ELFInspector.dynamicInfo(path: worker, plugin: "bourse-worker").neededLibraries
        #expect(needed.contains { $0.hasPrefix("libswiftCore") })
        let heavy = needed.filter { $0.contains("Foundation") || $0.contains("ICU") }
        #expect(heavy.isEmpty, "bourse-worker links \(heavy): a module it depends on imports Foundation")
    }
}
