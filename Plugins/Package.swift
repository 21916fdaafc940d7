// swift-tools-version:6.0
// Bourse first-party plugins: csv-bars source, ema/rsi indicators, csv-export exporter.
//
// Each plugin is two targets: a "Kit" library holding the plugin type (what
// the tests use) and a thin entry target holding only the exported
// `bourse_plugin_entry_v1` symbol, whose linker settings make the shared
// library export nothing else (exports.map) and set its SONAME.
import PackageDescription

/// Linker flags of a plugin shared library: export only the entry symbol, set the SONAME.
func pluginLinkerSettings(_ library: String) -> [LinkerSetting] {
    [.unsafeFlags([
        "-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map",
        "-Xlinker", "-soname=lib\(library).so.1",
    ])]
}

let sdk: [Target.Dependency] = [.product(name: "BourseSDK", package: "PluginSDK")]

let package = Package(
    name: "BoursePlugins",
    products: [
        .library(name: "bourse-csv-bars", type: .dynamic, targets: ["CSVBarsPlugin"]),
        .library(name: "bourse-lean", type: .dynamic, targets: ["LeanPlugin"]),
        .library(name: "bourse-synthetic", type: .dynamic, targets: ["SyntheticPlugin"]),
        .library(name: "bourse-failover", type: .dynamic, targets: ["FailoverPlugin"]),
        .library(name: "bourse-ema", type: .dynamic, targets: ["EMAPlugin"]),
        .library(name: "bourse-rsi", type: .dynamic, targets: ["RSIPlugin"]),
        .library(name: "bourse-csv-export", type: .dynamic, targets: ["CSVExportPlugin"]),
        .library(name: "bourse-codec", type: .dynamic, targets: ["CodecPlugin"]),
        .library(name: "bourse-file", type: .dynamic, targets: ["FilePlugin"]),
        .library(name: "bourse-indicator-set", type: .dynamic, targets: ["IndicatorSetPlugin"]),
        .library(name: "bourse-anomaly", type: .dynamic, targets: ["AnomalyPlugin"]),
        .library(name: "bourse-predict", type: .dynamic, targets: ["PredictPlugin"]),
        .library(name: "bourse-prometheus", type: .dynamic, targets: ["PrometheusPlugin"]),
        .library(name: "bourse-sqlite", type: .dynamic, targets: ["SQLiteExportPlugin"]),
        .library(name: "bourse-html-report", type: .dynamic, targets: ["HTMLReportPlugin"]),
        .library(name: "BourseIndicators", targets: ["BourseIndicators"]),
        .library(name: "BourseBarFiles", targets: ["BourseBarFiles"]),
        .executable(name: "indicator-bench", targets: ["IndicatorBench"]),
        .executable(name: "codec-bench", targets: ["CodecBench"]),
    ],
    dependencies: [
        .package(path: "../PluginSDK"),
    ],
    targets: [
        // Plain Swift libraries (no ABI or SDK code).
        .systemLibrary(name: "CArchive", path: "Sources/CArchive"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .target(name: "BourseSQLite", dependencies: ["CSQLite"]),
        .target(name: "BourseReport", dependencies: ["BourseCommon"]),
        .target(name: "BourseCommon"),
        .target(name: "BourseIndicators", swiftSettings: [
            // Hot numeric loops over fixed windows: no bounds, overflow or exclusivity checks in release
            // builds (+8% bars/s); debug builds, where the tests run, keep every check.
            .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
        ]),
        /// Bars/s of an indicator set without the plugin ABI (`indicator-bench`).
        .executableTarget(name: "IndicatorBench", dependencies: ["BourseIndicators"]),
        .target(name: "BourseModels"),
        .target(name: "BourseMetrics"),
        .target(name: "BourseBarFiles", dependencies: ["CArchive", "BourseCommon"]),
        /// Codecs (csv, jsonl, binary): messages ↔ bytes. Uses the SDK's message value types, no ABI code.
        .target(name: "BourseCodecs", dependencies: ["BourseBarFiles", "BourseCommon"] + sdk),
        /// Messages/s and MB/s of each codec without the plugin ABI (`codec-bench`).
        .executableTarget(name: "CodecBench", dependencies: ["BourseCodecs"] + sdk),
        /// Market data feeds (lean, synthetic, bar files) and the failover state machine, without the SDK.
        .target(name: "BourseSources", dependencies: ["BourseBarFiles", "BourseCommon", "BourseModels"]),

        // Plugin types.
        .target(name: "IndicatorPluginKit", dependencies: ["BourseIndicators"] + sdk),
        .target(name: "ModelPluginKit", dependencies: ["BourseModels"] + sdk),
        .target(name: "PrometheusPluginKit", dependencies: ["BourseMetrics"] + sdk),
        .target(name: "CSVBarsPluginKit", dependencies: ["BourseBarFiles", "BourseCommon"] + sdk),
        .target(name: "SourcesPluginKit", dependencies: [
            "BourseSources", "BourseBarFiles", "BourseCommon", "CSVBarsPluginKit", "BourseCodecs", "CodecPluginKit",
        ] + sdk),
        .target(name: "CSVExportPluginKit", dependencies: [
            "BourseCodecs", "BourseCommon", .product(name: "BoursePluginABI", package: "PluginSDK"),
        ] + sdk),
        .target(name: "CodecPluginKit", dependencies: [
            "BourseCodecs", "BourseBarFiles", "BourseCommon", "CSVBarsPluginKit",
        ] + sdk),

        .target(name: "SQLiteExportPluginKit", dependencies: [
            "BourseSQLite", "BourseCommon", "CSVExportPluginKit",
        ] + sdk),
        .target(name: "HTMLReportPluginKit", dependencies: ["BourseReport", "BourseCommon"] + sdk),

        // Shared-library entry points.
        .target(name: "SQLiteExportPlugin", dependencies: ["SQLiteExportPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-sqlite")),
        .target(name: "HTMLReportPlugin", dependencies: ["HTMLReportPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-html-report")),
        .target(name: "CSVBarsPlugin", dependencies: ["CSVBarsPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-csv-bars")),
        .target(name: "LeanPlugin", dependencies: ["SourcesPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-lean")),
        .target(name: "SyntheticPlugin", dependencies: ["SourcesPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-synthetic")),
        .target(name: "FailoverPlugin", dependencies: ["SourcesPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-failover")),
        .target(name: "EMAPlugin", dependencies: ["IndicatorPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-ema")),
        .target(name: "RSIPlugin", dependencies: ["IndicatorPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-rsi")),
        .target(name: "IndicatorSetPlugin", dependencies: ["IndicatorPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-indicator-set")),
        .target(name: "AnomalyPlugin", dependencies: ["ModelPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-anomaly")),
        .target(name: "PredictPlugin", dependencies: ["ModelPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-predict")),
        .target(name: "PrometheusPlugin", dependencies: ["PrometheusPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-prometheus")),
        .target(name: "CSVExportPlugin", dependencies: ["CSVExportPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-csv-export")),
        .target(name: "CodecPlugin", dependencies: ["CodecPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-codec")),
        .target(name: "FilePlugin", dependencies: ["CodecPluginKit"] + sdk,
                linkerSettings: pluginLinkerSettings("bourse-file")),

        // Tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BourseIndicatorsTests", dependencies: ["BourseIndicators", "TestSupport"]),
        .testTarget(name: "BourseModelsTests", dependencies: ["BourseModels", "TestSupport"]),
        .testTarget(name: "BourseCodecsTests", dependencies: ["BourseCodecs", "BourseBarFiles", "TestSupport"] + sdk),
        .testTarget(name: "BourseBarFilesTests", dependencies: ["BourseBarFiles", "BourseCommon", "TestSupport"]),
        .testTarget(name: "BourseSourcesTests", dependencies: ["BourseSources", "BourseBarFiles", "BourseCommon", "TestSupport"]),
        .testTarget(name: "SourcesPluginTests", dependencies: [
            "SourcesPluginKit", "BourseCodecs", "BourseCommon", "TestSupport",
            .product(name: "BourseSDK", package: "PluginSDK"),
            .product(name: "BourseSDKTesting", package: "PluginSDK"),
        ]),
        .testTarget(name: "BourseMetricsTests", dependencies: ["BourseMetrics", "TestSupport"]),
        .testTarget(name: "PrometheusPluginTests", dependencies: [
            "PrometheusPluginKit", "BourseMetrics", "TestSupport",
            .product(name: "BourseSDK", package: "PluginSDK"),
            .product(name: "BourseSDKTesting", package: "PluginSDK"),
        ]),
        .testTarget(name: "ExporterTests", dependencies: [
            "SQLiteExportPluginKit", "BourseSQLite", "HTMLReportPluginKit", "BourseReport", "TestSupport",
            .product(name: "BourseSDK", package: "PluginSDK"),
            .product(name: "BourseSDKTesting", package: "PluginSDK"),
        ]),
        .testTarget(name: "CodecPluginTests", dependencies: [
            "CodecPluginKit", "CSVExportPluginKit", "BourseCodecs", "TestSupport",
            .product(name: "BourseSDKTesting", package: "PluginSDK"),
        ] + sdk),
        .testTarget(name: "PluginTests", dependencies: [
            "IndicatorPluginKit", "ModelPluginKit", "CSVBarsPluginKit", "CSVExportPluginKit", "BourseIndicators", "BourseBarFiles",
            "BourseCommon", "TestSupport",
            .product(name: "BourseSDK", package: "PluginSDK"),
            .product(name: "BourseSDKTesting", package: "PluginSDK"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
