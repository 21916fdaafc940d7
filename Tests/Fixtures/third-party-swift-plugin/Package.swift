// swift-tools-version:6.0
// An out-of-tree plugin, as a third party would write it: it depends on the
// Bourse plugin SDK alone (here by path) and builds one .so that exports only
// its entry symbol and carries a SONAME with its major version.
import PackageDescription

let package = Package(
    name: "midprice-plugin",
    products: [
        .library(name: "bourse-midprice", type: .dynamic, targets: ["MidPrice"]),
    ],
    dependencies: [
        .package(path: "../../../PluginSDK"),
    ],
    targets: [
        .target(
            name: "MidPrice",
            dependencies: [.product(name: "BourseSDK", package: "PluginSDK")],
            linkerSettings: [.unsafeFlags([
                "-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map",
                "-Xlinker", "-soname=libbourse-midprice.so.1",
            ])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
