import BourseCore
@testable import BourseRegistry
import Foundation
import Testing

@Suite struct RegistryIndexTests {
    @Test func indexPathsFollowCargosPrefixLayout() {
        #expect(RegistryLayout.indexPath(for: "a") == "1/a")
        #expect(RegistryLayout.indexPath(for: "ab") == "2/ab")
        #expect(RegistryLayout.indexPath(for: "rsi") == "3/r/rsi")
        #expect(RegistryLayout.indexPath(for: "csv-bars") == "cs/v-/csv-bars")
        #expect(RegistryLayout.indexPath(for: "EMA") == "3/e/ema")
        #expect(RegistryLayout.isIndexPath("cs/v-/csv-bars"))
        #expect(!RegistryLayout.isIndexPath("archives/ema/ema-1.0.0.bpkg"))
        #expect(!RegistryLayout.isIndexPath("config.json"))
    }

    @Test func unsafeRelativePathsAreRefused() {
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "a\0b"] {
            #expect(!RegistryLayout.isSafeRelativePath(bad), "\(bad)")
        }
        #expect(RegistryLayout.isSafeRelativePath("archives/ema/ema-1.0.0.bpkg"))
    }

    @Test func indexLinesRoundTripAndSkipNewerSchemas() throws {
        let entry = RegistryIndexEntry(name: "ema", vers: "1.2.0", cksum: String(repeating: "a", count: 64), abi: "1.1",
                                       kind: "indicator", deps: [.init(name: "codec-json", req: "^3")], dl: "archives/ema/ema-1.2.0.bpkg")
        let line = try entry.jsonLine()
        #expect(!line.contains("\n"))
        #expect(line.contains("\"vers\":\"1.2.0\"") && line.contains("\"yanked\":false") && line.contains("\"v\":1"))
        let future = line.replacingOccurrences(of: "\"v\":1", with: "\"v\":99")
        let file = try RegistryIndexFile(parsing: Data((line + "\n" + future + "\n").utf8), source: "ema")
        #expect(file.entries == [entry])
    }

    @Test func malformedIndexLinesAreRefusedWithTheirLineNumber() throws {
        let good = try RegistryIndexEntry(name: "ema", vers: "1.0.0", cksum: "00", abi: "1.1", kind: "indicator", dl: "a/b").jsonLine()
        let error = #expect(throws: BourseError.self) {
            try RegistryIndexFile(parsing: Data((good + "\n{\"name\":\"ema\"}\n").utf8), source: "3/e/ema")
        }
        #expect(error?.code == .registryIndexInvalid)
        #expect(error?.message.contains("3/e/ema:2") == true)
        let escape = good.replacingOccurrences(of: "\"dl\":\"a/b\"", with: "\"dl\":\"../../etc/passwd\"")
        let escapeError = #expect(throws: BourseError.self) { try RegistryIndexFile(parsing: Data(escape.utf8), source: "3/e/ema") }
        #expect(escapeError?.message.contains("escapes") == true)
    }

    @Test func yankedVersionsAreNeverChosenByARange() throws {
        func entry(_ v: String, yanked: Bool) -> RegistryIndexEntry {
            RegistryIndexEntry(name: "ema", vers: v, cksum: "00", abi: "1.1", kind: "indicator", dl: "x/\(v)", yanked: yanked)
        }
        let file = RegistryIndexFile(entries: [entry("1.0.0", yanked: false), entry("1.2.0", yanked: true), entry("2.0.0", yanked: false)])
        let caret1 = try VersionRange(parsing: "^1")
        #expect(file.highest(matching: caret1.contains)?.vers == "1.0.0")
        #expect(file.highest(matching: try VersionRange(parsing: "=1.2.0").contains) == nil)
        #expect(file.entry(version: SemanticVersion("1.2.0")!)?.yanked == true)
        #expect(file.latest?.vers == "2.0.0")
    }
}
