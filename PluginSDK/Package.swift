// swift-tools-version:6.0
// The Bourse plugin SDK: what third-party plugin authors depend on.
// It depends on nothing but the Swift toolchain.
import PackageDescription

let package = Package(
    name: "BoursePluginSDK",
    products: [
        /// The C ABI header alone (bourse_plugin.h). The host uses this too.
        .library(name: "BoursePluginABI", targets: ["CBourseABI"]),
        /// The Swift layer: one protocol per plugin kind, safe message types.
        .library(name: "BourseSDK", targets: ["BourseSDK"]),
        /// In-process harness to unit-test a plugin without the host.
        .library(name: "BourseSDKTesting", targets: ["BourseSDKTesting"]),
    ],
    targets: [
        .target(name: "CBourseABI"),
        .target(name: "BourseSDK", dependencies: ["CBourseABI"]),
        .target(name: "BourseSDKTesting", dependencies: ["BourseSDK", "CBourseABI"]),
        .testTarget(name: "BourseSDKTests", dependencies: ["BourseSDK", "BourseSDKTesting", "CBourseABI"]),
    ],
    swiftLanguageModes: [.v5]
)
