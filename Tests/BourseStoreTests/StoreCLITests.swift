#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseStore
import BourseTestSupport
import Foundation
import Testing

private func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

@Suite("bourse store commands", .serialized)
struct StoreCLITests {
    @Test("--help works on every store command")
    func help() throws {
        for command in [["install"], ["upgrade"], ["rollback"], ["uninstall"], ["list"], ["info"], ["history"], ["verify"], ["pin"], ["gc"],
                        ["keys"], ["keys", "trust"], ["keys", "untrust"], ["keys", "list"], ["bench", "store"]] {
            let result = try runProcess(TestPaths.bourseExecutable, command + ["--help"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.contains("USAGE"), "\(command)")
        }
    }

    @Test("every verb through the built binary: keys, install, list, info, upgrade, rollback, history, pin, gc, verify, uninstall")
    func verbs() throws {
        let f = try StoreFixture()
        let v1 = try f.package("ema", "1.0.0", permissions: ["threads"]), v2 = try f.package("ema", "1.1.0", permissions: ["threads"])
        let v3 = try f.package("ema", "1.2.0", permissions: ["threads"])

        var r = try f.bourse(["keys", "list"])
        #expect(r.stdout.contains("no trusted keys"))
        r = try f.bourse(["install", v1])
        #expect(r.status == 1)
        #expect(r.stderr.contains("package-rejected") || r.stderr.contains("not trusted") || r.stderr.contains("signer"), "\(r.stderr)")
        r = try f.bourse(["keys", "trust", f.publicKeyFile])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trusted ed25519 key \(f.key.keyID)"))
        r = try f.bourse(["keys", "list", "--json"])
        #expect((json(r.stdout) as? [[String: Any]])?.first?["keyID"] as? String == f.key.keyID)

        r = try f.bourse(["install", v1])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ema 1.0.0 asks for threads"), "\(r.stderr)")
        #expect(r.stderr.contains("--allow threads"))
        r = try f.bourse(["install", v1, "--allow", "threads"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ema: install none → 1.0.0 (revision 1)"), "\(r.stdout)")
        r = try f.bourse(["install", "--allow", "bogus", v1])
        #expect(r.status == 64, "\(r.stderr)")

        r = try f.bourse(["list"])
        #expect(r.stdout.contains("ema") && r.stdout.contains("1.0.0") && r.stdout.contains("threads"), "\(r.stdout)")
        r = try f.bourse(["info", "ema", "--json"])
        let info = json(r.stdout) as? [String: Any]
        #expect((info?["status"] as? [String: Any])?["active"] as? String == "1.0.0")
        #expect((info?["library"] as? String)?.hasSuffix("store/ema/1.0.0/lib/libbourse-ema.so") == true, "\(r.stdout)")
        r = try f.bourse(["info", "nothing"])
        #expect(r.status == 1 && r.stderr.contains("plugin 'nothing' is not installed"))

        for path in [v2, v3] { #expect(try f.bourse(["install", path]).status == 0) }
        r = try f.bourse(["rollback", "ema"])
        #expect(r.stdout.contains("ema: rollback 1.2.0 → 1.1.0 (revision 4)"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema"])
        #expect(r.stdout.contains("ema: upgrade 1.1.0 → 1.2.0"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema", "--to", "1.0.0"])
        #expect(r.stdout.contains("ema: downgrade 1.2.0 → 1.0.0"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["rollback", "ema", "--to", "3"])
        #expect(r.stdout.contains("→ 1.2.0"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["rollback", "ema", "--to", "99"])
        #expect(r.status == 1 && r.stderr.contains("revision 99 did not change ema"), "\(r.stderr)")

        r = try f.bourse(["history", "ema", "--json"])
        let revisions = json(r.stdout) as? [[String: Any]] ?? []
        #expect(revisions.map { $0["operation"] as? String ?? "" } == ["install", "upgrade", "upgrade", "rollback", "upgrade", "downgrade", "rollback"])
        r = try f.bourse(["history"])
        #expect(r.stdout.contains("rollback") && r.stdout.contains("pid"), "\(r.stdout)")

        r = try f.bourse(["pin", "ema", "1.1.0"])
        #expect(r.status == 0 && r.stdout.contains("pinned to 1.1.0"), "\(r.stderr)")
        r = try f.bourse(["upgrade", "ema"])
        #expect(r.status == 1 && r.stderr.contains("pinned"))
        r = try f.bourse(["pin", "ema"])
        #expect(r.status == 64)
        #expect(try f.bourse(["pin", "ema", "--remove"]).status == 0)

        r = try f.bourse(["gc", "--keep-revisions", "1"])
        #expect(r.status == 0 && r.stdout.contains("removed ema 1.0.0"), "\(r.stdout) \(r.stderr)")

        r = try f.bourse(["verify"])
        #expect(r.status == 0 && r.stdout.hasPrefix("ok:"), "\(r.stdout) \(r.stderr)")
        try "x".write(toFile: f.home.versionDirectory("ema", "1.1.0") + "/docs/README.md", atomically: false, encoding: .utf8)
        r = try f.bourse(["verify", "--json"])
        #expect(r.status == 1)
        #expect((json(r.stdout) as? [String: Any])?["ok"] as? Bool == false)
        r = try f.bourse(["verify"])
        #expect(r.stderr.contains("drift: ema 1.1.0 docs/README.md: modified"), "\(r.stderr)")

        r = try f.bourse(["uninstall", "ema"])
        #expect(r.status == 0 && r.stdout.contains("ema: uninstall"), "\(r.stderr)")
        r = try f.bourse(["keys", "untrust", f.key.keyID])
        #expect(r.status == 0)
        r = try f.bourse(["keys", "untrust", "nope"])
        #expect(r.status == 1 && r.stderr.contains("key nope is not trusted"))
    }

    @Test("uninstall is refused while a dependent is installed, unless --force")
    func uninstallDependents() throws {
        let f = try StoreFixture()
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        #expect(try f.bourse(["install", try f.package("codec-json", "2.4.0")]).status == 0)
        #expect(try f.bourse(["install", try f.package("rsi", "1.0.0", dependencies: ["codec-json": "^2"])]).status == 0)
        var r = try f.bourse(["uninstall", "codec-json"])
        #expect(r.status == 1 && r.stderr.contains("rsi 1.0.0 depends on codec-json@^2"), "\(r.stderr)")
        r = try f.bourse(["uninstall", "codec-json", "--force"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("a command killed holding the lock does not block the next one")
    func brokenLock() throws {
        let f = try StoreFixture()
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        let r = try f.bourse(["install", try f.package("ema", "1.0.0")], environment: ["BOURSE_FAULT_STEP": "3"])
        #expect(r.status == 128 + SIGKILL)
        let record = (try? String(contentsOfFile: f.home.lockPath, encoding: .utf8)) ?? ""
        #expect(record.hasPrefix("pid "), "the dead owner is still recorded: \(record)")
        let next = try f.bourse(["list"], environment: ["BOURSE_FAULT_STEP": ""])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("was interrupted; recovering"), "\(next.stderr)")
        #expect(next.stdout.contains("no plugins installed"), "\(next.stdout)")
    }
}
