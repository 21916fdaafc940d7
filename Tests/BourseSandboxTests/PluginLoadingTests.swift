import BourseSandbox
import BourseTestSupport
import Foundation
import Testing

/// dlopen + create of the first-party plugins in the loader stage, then
/// their code (and the Swift runtime) under the strict stage.
@Suite("Loading first-party plugins inside the sandbox")
struct PluginLoadingTests {
    static let ema = Probe.firstPartyPlugin("ema")
    static let csvBars = Probe.firstPartyPlugin("csv-bars")
    static let spyArchive = TestPaths.repositoryRoot + "/docs/examples/demo/data/spy.zip"

    @Test("ema (no Foundation): dlopen in the loader stage, EMA runs under strict",
          .enabled(if: ema != nil), arguments: ["none", "threads"])
    func ema(permissions: String) throws {
        let outcome = try Probe.run(["dlopen", Self.ema!], permissions: permissions,
                                    extra: ["--create", #"{"period": 3}"#, "--poll", "10"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.result == "ok", "\(outcome)")
        #expect(outcome.line("plugin: PLUGIN EMA") != nil, "\(outcome)")
        #expect(outcome.line("plugin:")?.contains("[published 8]") == true, "\(outcome)")
    }

    @Test("csv-bars (Foundation, ICU, libarchive): created in the loader stage, reads bars under strict",
          .enabled(if: csvBars != nil && FileManager.default.fileExists(atPath: spyArchive)),
          arguments: ["none", "threads"])
    func csvBars(permissions: String) throws {
        let config = #"{"path": "\#(Self.spyArchive)", "instrument": "SPY", "interval": "1d"}"#
        // create opens the archive: the loader stage's read layer needs the grant too.
        let outcome = try Probe.run(["dlopen", Self.csvBars!], permissions: (permissions == "none" ? "" : permissions + ",") + "read-paths:" + Self.spyArchive,
                                    extra: ["--create", config, "--poll", "4", "--report-memory"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.result == "ok", "\(outcome)")
        #expect(outcome.line("plugin: PLUGIN CSV-BARS")?.contains("[published 1024]") == true, "\(outcome)")
        // The measured peak stays well under the default address-space limit.
        let peak = outcome.line("memory:")?.split(separator: " ").first { $0.hasPrefix("VmPeak=") }
            .flatMap { Int($0.dropFirst(7).dropLast(2)) } ?? Int.max
        #expect(UInt64(peak) * 1024 < ResourceLimits.defaultAddressSpaceBytes / 2, "\(outcome)")
    }

    @Test("dlopen alone, without create, in both stages", .enabled(if: csvBars != nil && ema != nil))
    func dlopenOnly() throws {
        for library in [Self.ema!, Self.csvBars!] {
            for stage in ["loader", "strict"] {
                let outcome = try Probe.run(["dlopen", library], stage: stage)
                #expect(outcome.result == "ok", "\(outcome)")
            }
        }
    }

    @Test("too little address space makes dlopen fail cleanly", .enabled(if: csvBars != nil))
    func addressSpaceTooSmall() throws {
        let outcome = try Probe.run(["dlopen", Self.csvBars!], extra: ["--limits", "as=64M"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.result == "load-failed", "\(outcome)")
        #expect(outcome.line("dlopen failed:")?.contains("failed to map segment") == true, "\(outcome)")
    }

    @Test("a library cannot be loaded after the strict stage", .enabled(if: ema != nil))
    func noLoadingAfterStrict() throws {
        // open-read of the library itself stands for a late dlopen: openat is denied.
        let outcome = try Probe.run(["open-read", Self.ema!])
        #expect(outcome.result == Probe.eperm, "\(outcome)")
    }
}
