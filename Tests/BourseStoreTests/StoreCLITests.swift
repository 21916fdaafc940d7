#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePackage
import BourseRegistry
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
        #expect(r.stdout.contains("ema: install none → 1.0.0 (revision 1); approved: threads\n"), "\(r.stdout)")
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

    @Test("every refused archive leaves the store byte-for-byte unchanged: files, staging and every SQLite row")
    func refusalsLeaveStoreUnchanged() throws {
        let f = try StoreFixture()
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        #expect(try f.bourse(["install", try f.package("ema", "1.0.0")]).status == 0)
        // Each archive would be ema 1.1.0, an upgrade, if it were good.
        let manifest = PackageManifest(name: "ema", version: SemanticVersion("1.1.0")!, kind: .indicator, toolchain: "synthetic",
                                       library: "lib/libbourse-ema.so")
        let library = SyntheticPackages.placeholderLibrary(size: 4096)
        func entries(library: [UInt8] = library, key: SigningKeyFile? = f.key) throws -> [RawArchiveEntry] {
            try PackageWriter.entries(manifestBytes: manifest.encoded,
                                      files: [PackageFileContent(path: manifest.library, contents: library, executable: true),
                                              PackageFileContent(path: "docs/README.md", contents: Array("# ema\n".utf8))],
                                      signingKey: key)
        }
        func index(_ list: [RawArchiveEntry], _ path: String) -> Int { list.firstIndex { $0.path == path }! }
        var archives: [(rule: String, bytes: [UInt8])] = []
        archives.append(("symlink", try TarGzWriter.archive(try entries() + [RawArchiveEntry(path: "docs/passwd", kind: .symbolicLink("/etc/passwd"))])))
        archives.append(("parent-path", try TarGzWriter.archive(try entries() + [RawArchiveEntry(path: "docs/../../evil", contents: [1])])))
        var tampered = try entries()
        tampered[index(tampered, manifest.library)].contents[100] ^= 0xFF
        archives.append(("checksum-mismatch", try TarGzWriter.archive(tampered)))
        // The library changed and the checksums rewritten to match it: only the signature catches it.
        let resummed = try entries(library: tampered[index(tampered, manifest.library)].contents, key: nil)
        tampered[index(tampered, "checksums")].contents = resummed[index(resummed, "checksums")].contents
        archives.append(("bad-signature", try TarGzWriter.archive(tampered)))
        archives.append(("untrusted-signer", try TarGzWriter.archive(try entries(key: SigningKeyFile()))))
        var foreign = library
        foreign[18] = HostPlatform.elfMachine == 62 ? 183 : 62  // aarch64 on x86-64, else x86-64
        archives.append(("wrong-architecture", try TarGzWriter.archive(try entries(library: foreign))))
        var setuid = try entries()
        setuid[index(setuid, manifest.library)].mode = 0o4755
        archives.append(("setuid-bit", try TarGzWriter.archive(setuid)))
        let good = try TarGzWriter.archive(try entries())
        archives.append(("corrupt-gzip", Array(good.prefix(good.count / 2))))

        let before = try f.snapshot(), beforeRows = try f.databaseDump()
        #expect(before.contains("file ema/1.0.0/lib/libbourse-ema.so"), "\(before)")
        for (rule, bytes) in archives {
            let path = f.directory.file("bad-\(rule).bpkg")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let r = try f.bourse(["install", path, "--allow", "threads"])
            #expect(r.status == 1, "\(rule): \(r.stdout)")
            #expect(r.stderr.contains("package \(path) refused") && r.stderr.contains("[rule: \(rule)]"), "\(rule): \(r.stderr)")
            #expect(try f.snapshot() == before, "\(rule) changed the store files")
            #expect(try f.databaseDump() == beforeRows, "\(rule) changed the state database")
        }
        // The same package, well formed, is accepted: the refusals were the archives' faults.
        let path = f.directory.file("good.bpkg")
        try Data(good).write(to: URL(fileURLWithPath: path))
        let r = try f.bourse(["install", path])
        #expect(r.status == 0 && r.stdout.contains("ema: upgrade 1.0.0 → 1.1.0"), "\(r.stdout) \(r.stderr)")
    }

    @Test("a version asking for more permissions needs --allow again: from a package file and through bourse upgrade from a registry")
    func upgradeNeedsApprovalAgain() throws {
        let f = try StoreFixture()
        #expect(try f.bourse(["keys", "trust", f.publicKeyFile]).status == 0)
        var r = try f.bourse(["install", try f.package("ema", "1.0.0", permissions: ["threads"]), "--allow", "threads"])
        #expect(r.status == 0, "\(r.stderr)")

        // From a package file: 1.1.0 also asks for network.
        let v2 = try f.package("ema", "1.1.0", permissions: ["threads", "network"])
        r = try f.bourse(["install", v2])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ema 1.1.0 asks for network;") && r.stderr.contains("re-run with --allow network"), "\(r.stderr)")
        #expect(!r.stderr.contains("asks for threads"), "threads was approved at install: \(r.stderr)")
        r = try f.bourse(["install", v2, "--allow", "network"])
        #expect(r.status == 0 && r.stdout.contains("ema: upgrade 1.0.0 → 1.1.0 (revision 2); approved: network, threads"), "\(r.stdout) \(r.stderr)")

        // Through bourse upgrade NAME, from a registry: 1.2.0 also asks for read-paths.
        let registry = f.directory.file("registry")
        let publisher = RegistryPublisher(directory: registry, key: f.key)
        _ = try publisher.initialize(name: "test")
        _ = try publisher.publish(archivePath: try f.package("ema", "1.2.0", permissions: ["threads", "network", "read-paths:/data"]),
                                  trustedKeys: [f.key.publicKey])
        #expect(try f.bourse(["registry", "add", "test", registry, "--root", registry + "/root.json"]).status == 0)
        r = try f.bourse(["upgrade", "ema"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("ema 1.2.0 asks for read-paths:/data;") && r.stderr.contains("re-run with --allow read-paths"), "\(r.stderr)")
        r = try f.bourse(["info", "ema", "--json"])
        #expect(((json(r.stdout) as? [String: Any])?["status"] as? [String: Any])?["active"] as? String == "1.1.0", "refused: nothing changed")
        r = try f.bourse(["upgrade", "ema", "--allow", "read-paths"])
        #expect(r.status == 0 && r.stdout.contains("ema: upgrade 1.1.0 → 1.2.0 (revision 3); approved: network, read-paths, threads"), "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["upgrade", "ema", "--to", "1.0.0", "--json"])
        let change = (json(r.stdout) as? [[String: Any]])?.first
        #expect(change?["approvedPermissions"] as? [String] == ["threads"], "\(r.stdout) \(r.stderr)")
        r = try f.bourse(["list"])
        #expect(r.stdout.contains("network") && r.stdout.contains("read-paths") && r.stdout.contains("threads"), "\(r.stdout)")
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

    @Test("bourse bench store runs end to end and reports its four figures as JSON (smoke test: no timing asserted)")
    func benchSmoke() throws {
        let directory = TemporaryDirectory(prefix: "bourse-bench-smoke")
        let r = try runProcess(TestPaths.bourseExecutable, ["bench", "store", "--library-bytes", "4096", "--repetitions", "1",
                                                            "--verify-plugins", "2", "--directory", directory.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let figures = json(r.stdout) as? [[String: Any]] ?? []
        #expect(figures.map { $0["operation"] as? String ?? "" } == ["install", "upgrade", "rollback", "verify"], "\(r.stdout)")
        for figure in figures {
            let median = figure["medianMilliseconds"] as? Double ?? -1
            #expect(median >= 0 && median.isFinite, "\(figure)")
            #expect(!(figure["detail"] as? String ?? "").isEmpty, "\(figure)")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.isEmpty == true, "the temporary home is removed")
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
