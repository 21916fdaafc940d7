import BourseCore

/// The files `bourse plugin new` writes: an out-of-tree SwiftPM package
/// modelled on Tests/Fixtures/third-party-swift-plugin.
enum PluginTemplate {
    /// `rsi-fast` → `RsiFast`: the Swift module and class name.
    static func typeName(for name: String) -> String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Relative path → contents of every file of a new plugin package, or nil
    /// when `kind` has no template yet.
    static func files(name: String, kind: PluginKind, sdkPath: String) -> [String: String]? {
        guard kind == .indicator else { return nil }
        let type = typeName(for: name)
        return [
            "Package.swift": packageManifest(name: name, type: type, sdkPath: sdkPath),
            "exports.map": "{ global: bourse_plugin_entry_v1; local: *; };\n",
            "Sources/\(type)/\(type).swift": indicatorSource(name: name, type: type),
            "Tests/\(type)Tests/\(type)Tests.swift": indicatorTest(type: type),
            "bourse-package.json": authorMetadata(),
            "README.md": readme(name: name),
            ".gitignore": ".build/\n*.bpkg\n",
        ]
    }

    static func packageManifest(name: String, type: String, sdkPath: String) -> String {
        """
        // swift-tools-version:6.0
        // A Bourse plugin: one .so that exports only bourse_plugin_entry_v1 and
        // carries a SONAME with its major version. Package it with `bourse plugin pack .`.
        import PackageDescription

        let package = Package(
            name: "\(name)",
            products: [
                .library(name: "bourse-\(name)", type: .dynamic, targets: ["\(type)"]),
            ],
            dependencies: [
                .package(path: \(jsonQuoted(sdkPath))),
            ],
            targets: [
                .target(
                    name: "\(type)",
                    dependencies: [.product(name: "BourseSDK", package: "PluginSDK")],
                    linkerSettings: [.unsafeFlags([
                        "-Xlinker", "--version-script=\\(Context.packageDirectory)/exports.map",
                        "-Xlinker", "-soname=libbourse-\(name).so.1",
                    ])]
                ),
                .testTarget(
                    name: "\(type)Tests",
                    dependencies: ["\(type)", .product(name: "BourseSDKTesting", package: "PluginSDK")]
                ),
            ],
            swiftLanguageModes: [.v5]
        )

        """
    }

    static func indicatorSource(name: String, type: String) -> String {
        """
        import BourseSDK

        /// Publishes the range (high - low) of every bar it receives, scaled by
        /// the optional `scale` config value (default 1), as a one-value `range`
        /// field on the node's first output topic.
        final class \(type): IndicatorPlugin {
            static let name = "\(name)"
            static let version = "0.1.0"
            static let summary = "Range (high - low) of each bar"

            private let context: PluginContext
            private let output: Topic
            private let scale: Double

            init(context: PluginContext, config: PluginConfig) throws {
                try config.rejectUnknownKeys(allowed: ["scale"])
                guard let output = context.outputs.first else {
                    throw PluginError("\(name) needs one topic in `publishes`")
                }
                self.context = context
                self.output = output
                scale = try config.double("scale") ?? 1
                try context.declareFields(["range"], for: output)
            }

            func onMessages(_ batch: MessageBatch) throws {
                for message in batch {
                    guard case .bar(let bar) = message.payload else { continue }
                    try context.publish(.values(IndicatorValues([(bar.high - bar.low) * scale])),
                                        topic: output, instrument: message.instrument, eventTime: message.eventTime)
                }
            }
        }

        @_cdecl("bourse_plugin_entry_v1") public func bourseEntry() -> UnsafeRawPointer { exportPlugin(\(type).self) }

        """
    }

    static func indicatorTest(type: String) -> String {
        """
        import BourseSDK
        import BourseSDKTesting
        import Testing
        @testable import \(type)

        @Test func publishesTheScaledRangeOfEachBar() throws {
            let harness = try PluginHarness(\(type).self, config: #"{"scale": 2}"#, outputs: ["range.SPY"], topics: ["bars.SPY"])
            #expect(harness.fields(of: "range.SPY") == ["range"])
            try harness.send(.bar(Bar(open: 10, high: 12, low: 9, close: 11, volume: 100)),
                             topic: "bars.SPY", instrument: "SPY", eventTime: 1)
            let values = harness.published.compactMap { message -> IndicatorValues? in
                guard case .values(let values) = message.payload else { return nil }
                return values
            }
            #expect(values == [try IndicatorValues([6])])
            try harness.stop()
        }

        """
    }

    static func authorMetadata() -> String {
        """
        {
          "licence": "MIT",
          "authors": [],
          "homepage": null,
          "dependencies": [],
          "consumes": [{"type": "bar"}],
          "produces": [{"type": "values"}],
          "docs": ["README.md"]
        }

        """
    }

    static func readme(name: String) -> String {
        """
        # \(name)

        A Bourse indicator plugin.

        - `swift test`: run its tests (in-process harness, no host needed).
        - `bourse plugin pack . --key KEYFILE`: build in release, check the .so and write a signed `\(name)-VERSION.bpkg`.
        - `bourse install \(name)-0.1.0.bpkg`: install it.

        Package metadata the descriptor does not carry (licence, authors, dependencies, docs) is in `bourse-package.json`.

        """
    }
}
