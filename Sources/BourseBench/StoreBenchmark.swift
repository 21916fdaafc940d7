#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseStore
import Foundation

/// Measures the plugin store in a temporary `$BOURSE_HOME`: install of a
/// signed package with a library of `librarySize` bytes (verify signature,
/// unpack, fsync, rename, one transaction), upgrade to the next version,
/// rollback, and `verify` of `verifyPlugins` installed plugins. Each
/// operation opens the store (lock + recovery) as a `bourse` command does.
public struct StoreBenchmark {
    /// Bytes of the package's library.
    public var librarySize: Int
    /// Runs per operation (median reported).
    public var repetitions: Int
    /// Plugins installed for the verify measurement.
    public var verifyPlugins: Int
    /// Where the temporary home is made (its file system is what is measured).
    public var directory: String

    /// Creates a configuration.
    public init(librarySize: Int = 1 << 20, repetitions: Int = 15, verifyPlugins: Int = 50, directory: String = NSTemporaryDirectory()) {
        self.librarySize = librarySize
        self.repetitions = repetitions
        self.verifyPlugins = verifyPlugins
        self.directory = directory
    }

    /// One operation's timings.
    public struct Figure: Codable, Sendable {
        /// `install`, `upgrade`, `rollback`, `verify`.
        public var operation: String
        /// What was measured.
        public var detail: String
        /// Median, ms.
        public var medianMilliseconds: Double
        /// Fastest, ms.
        public var minimumMilliseconds: Double
        /// Slowest, ms.
        public var maximumMilliseconds: Double
        /// Target, ms (nil when none).
        public var targetMilliseconds: Double?
    }

    /// Runs every measurement.
    public func run() throws -> [Figure] {
        let root = directory + "/bourse-bench-store-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let packages = root + "/packages"
        try FileManager.default.createDirectory(atPath: packages, withIntermediateDirectories: true)
        let key = SigningKeyFile()
        let keyFile = packages + "/bench.pub"
        try key.publicKey.fileText.write(toFile: keyFile, atomically: true, encoding: .utf8)
        let v1 = packages + "/bench-1.0.0.bpkg", v2 = packages + "/bench-1.1.0.bpkg"
        try SyntheticPackages.write(name: "bench", version: "1.0.0", librarySize: librarySize, key: key, to: v1)
        try SyntheticPackages.write(name: "bench", version: "1.1.0", librarySize: librarySize, key: key, to: v2)

        var install: [Double] = [], upgrade: [Double] = [], rollback: [Double] = []
        for run in 0..<repetitions {
            let home = StoreHome(root: root + "/home-\(run)")
            try withStore(home) { try _ = $0.trustKey(fileAt: keyFile) }
            install.append(try timed { try withStore(home) { _ = try $0.install(packageAt: v1, allow: []) } })
            upgrade.append(try timed { try withStore(home) { _ = try $0.install(packageAt: v2, allow: []) } })
            rollback.append(try timed { try withStore(home) { _ = try $0.rollback("bench", toRevision: nil) } })
            try? FileManager.default.removeItem(atPath: home.root)
        }

        let home = StoreHome(root: root + "/home-verify")
        try withStore(home) { try _ = $0.trustKey(fileAt: keyFile) }
        for i in 0..<verifyPlugins {
            let path = packages + "/p\(i).bpkg"
            try SyntheticPackages.write(name: "plugin-\(i)", version: "1.0.0", librarySize: librarySize, key: key, to: path)
            try withStore(home) { _ = try $0.install(packageAt: path, allow: []) }
            unlink(path)
        }
        var verify: [Double] = []
        for _ in 0..<max(3, repetitions / 3) {
            verify.append(try timed {
                try withStore(home) { store in
                    let result = try store.verify()
                    guard result.drift.isEmpty else { throw BourseError(.storeDrift, "benchmark store drifted: \(result.drift)") }
                }
            })
        }
        let mib = String(format: "%.1f MiB", Double(librarySize) / Double(1 << 20))
        return [
            figure("install", "signed package, \(mib) library (verify, unpack, fsync, rename, commit)", install, target: 50),
            figure("upgrade", "to the next version, \(mib) library", upgrade, target: nil),
            figure("rollback", "back to the previous version (no unpacking)", rollback, target: 20),
            figure("verify", "re-hash \(verifyPlugins) installed plugins of \(mib) each", verify, target: nil),
        ]
    }

    private func withStore(_ home: StoreHome, _ body: (PluginStore) throws -> Void) throws {
        let store = try PluginStore(home: home, lockTimeout: 5)
        defer { store.close() }
        try body(store)
    }

    private func timed(_ body: () throws -> Void) throws -> Double {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        try body()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) * 1e3 + Double(end.tv_nsec - start.tv_nsec) / 1e6
    }

    private func figure(_ operation: String, _ detail: String, _ samples: [Double], target: Double?) -> Figure {
        let sorted = samples.sorted()
        return Figure(operation: operation, detail: detail, medianMilliseconds: sorted[sorted.count / 2],
                      minimumMilliseconds: sorted.first ?? 0, maximumMilliseconds: sorted.last ?? 0, targetMilliseconds: target)
    }
}
