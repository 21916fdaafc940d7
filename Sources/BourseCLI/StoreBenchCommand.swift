import ArgumentParser
import BourseBench
import Foundation

extension Bench {
    struct StoreBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "store",
            abstract: "Measure the plugin store: install, upgrade, rollback of a signed package; verify of many plugins.",
            discussion: """
            Works in a temporary $BOURSE_HOME under --directory (its file system is what \
            is measured: fsync costs differ between tmpfs and disks). Each operation opens \
            the store as a bourse command does (lock, recovery), then: install verifies \
            the signature and checksums, unpacks to staging, fsyncs, renames into the \
            store and commits one transaction; upgrade does the same for the next version; \
            rollback only switches the active version. verify re-hashes every file of \
            --verify-plugins installed plugins. Medians of --repetitions runs. Targets: \
            install ≤ 50 ms, rollback ≤ 20 ms.
            """)

        @Option(name: .customLong("library-bytes"), help: "Size of each package's library.")
        var libraryBytes: Int = 1 << 20
        @Option(help: "Runs per operation (median reported).")
        var repetitions: Int = 15
        @Option(name: .customLong("verify-plugins"), help: "Installed plugins for the verify measurement.")
        var verifyPlugins: Int = 50
        @Option(help: ArgumentHelp("Where the temporary home is made.", valueName: "dir"))
        var directory: String = NSTemporaryDirectory()
        @Flag(help: "Print results as JSON.")
        var json = false

        func validate() throws {
            guard libraryBytes >= 64, libraryBytes <= 256 << 20, repetitions > 0, verifyPlugins > 0 else {
                throw ValidationError("--library-bytes must be 64...268435456; --repetitions and --verify-plugins positive")
            }
        }

        func run() throws {
            let figures = try StoreBenchmark(librarySize: libraryBytes, repetitions: repetitions, verifyPlugins: verifyPlugins,
                                             directory: directory).run()
            if printedBenchJSON(figures, json: json) { return }
            print("plugin store in \(directory), median of \(repetitions) runs")
            let rows = figures.map { f in
                [f.operation, String(format: "%.1f ms", f.medianMilliseconds), String(format: "%.1f–%.1f ms", f.minimumMilliseconds, f.maximumMilliseconds),
                 f.targetMilliseconds.map { String(format: "≤ %.0f ms %@", $0, f.medianMilliseconds <= $0 ? "met" : "MISSED") } ?? "", f.detail]
            }
            print(formatTable(["operation", "median", "range", "target", "what"], rows, rightAligned: [1, 2]))
        }
    }
}
