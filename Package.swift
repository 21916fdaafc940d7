// swift-tools-version:6.0
// Bourse: a plugin-hosting runtime for market data.
//
// Module dependencies point one way:
//   BourseCore ← BourseBus ← BourseRuntime ← BourseCLI
//   BourseCore ← BoursePluginHost ← BourseRuntime
//   BourseCore ← BourseGraph ← BourseRuntime
// The plugin ABI header comes from PluginSDK/ (single source of truth).
import PackageDescription

/// Modules on the per-message path between the host and its workers: in
/// release builds, no dynamic exclusivity checks (they cost a third of the
/// per-message time there; debug builds and tests keep them).
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "bourse",
    products: [
        .executable(name: "bourse", targets: ["BourseCLI"]),
        .executable(name: "bourse-worker", targets: ["BourseWorker"]),
        .executable(name: "bourse-sandbox-probe", targets: ["BourseSandboxProbe"]),
    ],
    dependencies: [
        .package(path: "PluginSDK"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries, each behind a modulemap and a shim.h.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CArchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSeccomp", providers: [.apt(["libseccomp-dev"])]),

        /// Wrappers for Linux calls Swift cannot make directly.
        .target(name: "CBourseSystem"),

        /// Single-producer/single-consumer rings in shared memory (C11 atomics, futex waits).
        .target(name: "CBourseRing"),

        /// Types only: errors, message model, topic names, interning, time.
        .target(name: "BourseCore", dependencies: [
            .product(name: "BoursePluginABI", package: "PluginSDK"),
        ]),
        /// The in-process publish/subscribe bus.
        .target(name: "BourseBus", dependencies: ["BourseCore"]),
        /// Frames over shared-memory rings between the host and a worker process.
        .target(name: "BourseTransport", dependencies: ["BourseCore", "CBourseRing", "CBourseSystem"],
                swiftSettings: hotPathSettings),
        /// Seccomp policies, resource limits and plugin permissions.
        .target(name: "BourseSandbox", dependencies: ["BourseCore", "CSeccomp", "CBourseSystem"]),
        /// Applies a sandbox stage and tries one action: proves what the policy contains.
        .executableTarget(name: "BourseSandboxProbe", dependencies: ["BourseSandbox"]),
        /// Plugins in sandboxed worker processes: the wire protocol, the
        /// worker's serve loop, and the host side (spawn, calls, supervision).
        .target(name: "BourseIsolation", dependencies: [
            "BourseCore", "BourseTransport", "BourseSandbox", "BoursePluginHost", "CBourseSystem",
            .product(name: "BoursePluginABI", package: "PluginSDK"),
        ], swiftSettings: hotPathSettings),
        /// The sandboxed worker process that hosts one plugin instance.
        .executableTarget(name: "BourseWorker", dependencies: ["BourseIsolation"]),
        /// Loading plugin .so files and calling them through the C ABI.
        .target(name: "BoursePluginHost", dependencies: [
            "BourseCore",
            .product(name: "BoursePluginABI", package: "PluginSDK"),
        ]),
        /// Graph files: parsing (with line/column positions) and static checks.
        .target(name: "BourseGraph", dependencies: ["BourseCore", "Yams"]),
        /// Building a graph of plugin instances on the bus and running it.
        .target(name: "BourseRuntime", dependencies: [
            "BourseCore", "BourseBus", "BoursePluginHost", "BourseGraph", "BourseIsolation",
            "CSQLite", "CArchive", "CSeccomp", "CBourseSystem",
        ]),
        /// Plugin packages (.bpkg): manifest, hostile-by-default archive reading, checksums, Ed25519 signatures.
        .target(name: "BoursePackage", dependencies: [
            "BourseCore", "BoursePluginHost", "BourseSandbox", "CArchive",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "BourseSDK", package: "PluginSDK"),  // its strict JSONValue parser only
        ]),
        /// Registry indexes: cargo-style version lines plus TUF-style signed, expiring metadata.
        .target(name: "BourseRegistry", dependencies: ["BourseCore", "BoursePackage", .product(name: "Crypto", package: "swift-crypto")]),
        /// The plugin store under $BOURSE_HOME: SQLite state, revisions, crash-safe install/upgrade/rollback.
        .target(name: "BourseStore", dependencies: [
            "BourseCore", "BoursePackage", "BourseRegistry", "CSQLite", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        /// Scoring anomaly detectors on the Numenta Anomaly Benchmark.
        .target(name: "BourseEvaluation", dependencies: ["BourseCore", "BourseGraph", "BourseRuntime"]),
        /// Benchmarks run by `bourse bench` (speed is measured here, never in tests).
        .target(name: "BourseBench", dependencies: [
            "BourseCore", "BourseBus", "BourseTransport", "BourseIsolation", "BoursePluginHost", "CBourseSystem",
            "BoursePackage", "BourseStore",
        ]),
        /// The `bourse` command.
        .executableTarget(name: "BourseCLI", dependencies: [
            "BourseRuntime", "BourseBench", "BourseGraph", "BourseSandbox", "BourseIsolation",
            "BoursePackage", "BourseRegistry", "BourseStore", "BourseEvaluation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        /// Paths, processes and C fixture plugins shared by the test targets.
        .target(name: "BourseTestSupport", path: "Tests/BourseTestSupport"),
        .testTarget(name: "BourseCoreTests", dependencies: ["BourseCore"]),
        .testTarget(name: "BourseBusTests", dependencies: ["BourseBus"]),
        .testTarget(name: "BoursePluginHostTests", dependencies: ["BoursePluginHost", "BourseTestSupport"]),
        .testTarget(name: "BourseGraphTests", dependencies: ["BourseGraph", "BourseTestSupport"]),
        .testTarget(name: "BourseRuntimeTests", dependencies: ["BourseRuntime", "BourseStore", "BourseTestSupport"]),
        .testTarget(name: "BourseCLITests", dependencies: ["BourseTestSupport"]),
        .testTarget(name: "BourseTransportTests", dependencies: ["BourseTransport", "CBourseRing"]),
        .testTarget(name: "BourseSandboxTests", dependencies: ["BourseSandbox", "BourseTestSupport"]),
        .testTarget(name: "BoursePackageTests", dependencies: ["BoursePackage", "BourseTestSupport"]),
        .testTarget(name: "BourseRegistryTests", dependencies: ["BourseRegistry", "BoursePackage", "BourseStore", "BourseTestSupport"]),
        .testTarget(name: "BourseStoreTests", dependencies: ["BourseStore", "BourseTestSupport"]),
        .testTarget(name: "BourseEvaluationTests", dependencies: ["BourseEvaluation", "BourseTestSupport"]),
        .testTarget(name: "BourseIsolationTests", dependencies: ["BourseIsolation", "BourseRuntime", "BourseTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
