#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseStore
import BourseTestSupport
import Foundation
import Testing

/// Kills `bourse install` (a new plugin, then an upgrade by package), `rollback`
/// and `upgrade NAME` with SIGKILL at every
/// numbered step (BOURSE_FAULT_STEP=N), then checks that `bourse verify`
/// passes and that the store is exactly as before or exactly as after.
@Suite("Crash safety", .serialized)
struct FaultInjectionTests {
    struct Scenario {
        var name: String
        var arguments: [String]
    }

    /// Copies the home at `from` to a fresh `to`.
    func copyHome(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    @Test("install, upgrade (by package and by the upgrade verb) and rollback killed at every step leave the before or the after state")
    func killEverywhere() throws {
        let f = try StoreFixture()
        let docs = Dictionary(uniqueKeysWithValues: (1...8).map { ("docs/page\($0).md", "page \($0)\n") })
        let keyed = f.key
        func make(_ version: String) throws -> String {
            let path = f.directory.file("packages/ema-\(version).bpkg")
            try FileManager.default.createDirectory(atPath: f.directory.file("packages"), withIntermediateDirectories: true)
            try SyntheticPackages.write(name: "ema", version: version, librarySize: 64 << 10, permissions: ["threads"],
                                        extraFiles: docs, key: keyed, to: path)
            return path
        }
        let v1 = try make("1.0.0"), v2 = try make("1.1.0")
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)

        // Four starting homes: empty (install), 1.0.0 active (upgrade by package), 1.1.0 active after 1.0.0
        // (rollback), 1.0.0 active with 1.1.0 installed (the upgrade verb: a switch, nothing unpacked).
        let templates = f.directory.file("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        try copyHome(f.home.root, templates + "/install")
        #expect(try f.bourse(["install", v1, "--allow", "threads"]).status == 0)
        try copyHome(f.home.root, templates + "/upgrade")
        #expect(try f.bourse(["install", v2]).status == 0)
        try copyHome(f.home.root, templates + "/rollback")
        #expect(try f.bourse(["rollback", "ema"]).status == 0)
        try copyHome(f.home.root, templates + "/upgrade-verb")

        let scenarios = [
            Scenario(name: "install", arguments: ["install", v1, "--allow", "threads"]),
            Scenario(name: "upgrade", arguments: ["install", v2]),
            Scenario(name: "rollback", arguments: ["rollback", "ema"]),
            Scenario(name: "upgrade-verb", arguments: ["upgrade", "ema"]),
        ]
        var killedPoints = 0
        var stepsPerScenario: [(String, Int)] = []
        for scenario in scenarios {
            let template = templates + "/" + scenario.name
            // Before and after, and how many steps the operation has.
            try copyHome(template, f.home.root)
            let before = try f.snapshot()
            let traced = try f.bourse(scenario.arguments, environment: ["BOURSE_FAULT_TRACE": "1"])
            #expect(traced.status == 0, "\(scenario.name): \(traced.stderr)")
            let after = try f.snapshot()
            #expect(before != after)
            let steps = traced.stderr.split(separator: "\n").filter { $0.hasPrefix("fault-step ") }.count
            #expect(steps >= 4, "\(scenario.name) has \(steps) steps")
            stepsPerScenario.append((scenario.name, steps))
            for step in 1...steps {
                try copyHome(template, f.home.root)
                let killed = try f.bourse(scenario.arguments, environment: ["BOURSE_FAULT_STEP": String(step)])
                #expect(killed.status == 128 + SIGKILL, "\(scenario.name) step \(step): status \(killed.status) \(killed.stderr)")
                if killed.status == 128 + SIGKILL { killedPoints += 1 }
                let verify = try f.bourse(["verify"])
                #expect(verify.status == 0, "\(scenario.name) step \(step): verify failed: \(verify.stdout) \(verify.stderr)")
                let state = try f.snapshot()
                #expect(state == before || state == after,
                        "\(scenario.name) killed at step \(step) left a third state:\n\(state)\n--- before:\n\(before)\n--- after:\n\(after)")
                // The interrupted operation can simply be run again.
                if state == before {
                    let retry = try f.bourse(scenario.arguments)
                    #expect(retry.status == 0, "\(scenario.name) retry after step \(step): \(retry.stderr)")
                    #expect(try f.snapshot() == after)
                }
            }
        }
        print("crash safety: \(killedPoints) kill points (\(stepsPerScenario.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))")
        #expect(killedPoints >= 50, "only \(killedPoints) distinct kill points")
    }
}
