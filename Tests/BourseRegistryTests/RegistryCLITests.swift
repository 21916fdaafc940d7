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

/// The `bourse index …`, `bourse registry …` and `bourse search` commands, run as the built binary.
@Suite(.serialized) struct RegistryCLITests {
    final class Setup {
        let temporary = TemporaryDirectory(prefix: "bourse-registry-cli")
        var registry: String { temporary.file("registry") }
        var keyPath: String { temporary.file("keys/registry.key") }
        var home: String { temporary.file("home") }
        let key: SigningKeyFile

        init() throws {
            try FileManager.default.createDirectory(atPath: temporary.file("keys"), withIntermediateDirectories: true)
            key = try SigningKeyFile.generate(path: temporary.file("keys/registry.key"))
        }

        func package(_ name: String, _ version: String, key: SigningKeyFile? = nil) throws -> String {
            let path = temporary.file("packages/\(name)-\(version).bpkg")
            try FileManager.default.createDirectory(atPath: temporary.file("packages"), withIntermediateDirectories: true)
            try SyntheticPackages.write(name: name, version: version, key: key ?? self.key, to: path)
            return path
        }

        /// Runs `bourse ARGS`; client commands get `--home`.
        func bourse(_ arguments: [String], home: Bool = false) throws -> ProcessResult {
            try runProcess(TestPaths.bourseExecutable, arguments + (home ? ["--home", self.home] : []))
        }
    }

    @Test func publishServeAddSearchYankRemove() throws {
        let setup = try Setup()
        let initResult = try setup.bourse(["index", "init", setup.registry, "--key", setup.keyPath, "--name", "test-registry"])
        #expect(initResult.status == 0, "\(initResult.stderr)")
        #expect(initResult.stdout.contains("key \(setup.key.keyID)"))

        let published = try setup.bourse(["index", "publish", try setup.package("ema", "1.0.0"), try setup.package("ema", "1.1.0"),
                                          try setup.package("rsi", "0.3.0"), "--registry", setup.registry, "--key", setup.keyPath])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("published ema 1.1.0 (indicator"))
        #expect(FileManager.default.fileExists(atPath: setup.registry + "/3/e/ema"))

        let again = try setup.bourse(["index", "publish", try setup.package("ema", "1.0.0"), "--registry", setup.registry, "--key", setup.keyPath])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already published"))

        let stranger = SigningKeyFile()
        let unsigned = try setup.bourse(["index", "publish", try setup.package("macd", "1.0.0", key: stranger),
                                         "--registry", setup.registry, "--key", setup.keyPath])
        #expect(unsigned.status == 1, "a package signed by an unknown key is not published")

        // Serve it over HTTP and add it as a client.
        let server = try startProcess(TestPaths.bourseExecutable, ["registry", "serve", setup.registry, "--port", "0"])
        defer {
            server.signal(SIGTERM)
            #expect(server.wait().status == 128 + SIGTERM, "serve stops on SIGTERM")
        }
        var url = ""
        for _ in 0..<200 where url.isEmpty {
            if let line = server.process.isRunning ? try? String(contentsOfFile: "/proc/\(server.process.processIdentifier)/fd/1", encoding: .utf8) : nil,
               let range = line.range(of: "http://127.0.0.1:[0-9]+", options: .regularExpression) {
                url = String(line[range])
            } else {
                usleep(50_000)
            }
        }
        #expect(!url.isEmpty, "serve printed its URL")

        let add = try setup.bourse(["registry", "add", "remote", url, "--root", setup.registry + "/root.json"], home: true)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("added registry remote") && add.stdout.contains("2 plugin(s)"))
        let addLocal = try setup.bourse(["registry", "add", "local", setup.registry, "--root", setup.registry + "/root.json"], home: true)
        #expect(addLocal.status == 0, "\(addLocal.stderr)")

        let list = try setup.bourse(["registry", "list"], home: true)
        #expect(list.status == 0)
        #expect(list.stdout.contains("remote") && list.stdout.contains(url) && list.stdout.contains(setup.key.keyID))

        let search = try setup.bourse(["search", "em", "--registry", "remote", "--json"], home: true)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("\"version\" : \"1.1.0\"") && !search.stdout.contains("\"name\" : \"rsi\""))

        let yank = try setup.bourse(["index", "yank", "ema@1.1.0", "--registry", setup.registry, "--key", setup.keyPath])
        #expect(yank.status == 0, "\(yank.stderr)")
        let afterYank = try setup.bourse(["search", "ema", "--registry", "local"], home: true)
        #expect(afterYank.stdout.contains("1.0.0") && !afterYank.stdout.contains("1.1.0"))

        // The whole install path: the store trusts the package key and installs by range from the registry.
        let trust = try setup.bourse(["keys", "trust", setup.keyPath + ".pub"], home: true)
        #expect(trust.status == 0, "\(trust.stderr)")
        let install = try setup.bourse(["install", "ema@^1"], home: true)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("1.0.0"), "the yanked 1.1.0 is not chosen: \(install.stdout)")

        let remove = try setup.bourse(["registry", "remove", "remote"], home: true)
        #expect(remove.status == 0 && remove.stdout.contains("removed registry remote"))
        let removeAgain = try setup.bourse(["registry", "remove", "remote"], home: true)
        #expect(removeAgain.status == 1 && removeAgain.stderr.contains("no registry named 'remote'"))
    }

    @Test func badInputsAreRefusedWithTheInputNamed() throws {
        let setup = try Setup()
        #expect(try setup.bourse(["index", "init", setup.registry, "--key", setup.keyPath]).status == 0)
        let twice = try setup.bourse(["index", "init", setup.registry, "--key", setup.keyPath])
        #expect(twice.status == 1 && twice.stderr.contains("already holds a registry"))

        let otherKey = try SigningKeyFile.generate(path: setup.temporary.file("keys/other.key"))
        let wrongKey = try setup.bourse(["index", "refresh", "--registry", setup.registry, "--key", setup.temporary.file("keys/other.key")])
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("key \(otherKey.keyID) is not trusted"))

        let badYank = try setup.bourse(["index", "yank", "ema", "--registry", setup.registry, "--key", setup.keyPath])
        #expect(badYank.status == 64 && badYank.stderr.contains("NAME@VERSION"))
        let missingYank = try setup.bourse(["index", "yank", "ema@1.0.0", "--registry", setup.registry, "--key", setup.keyPath])
        #expect(missingYank.status == 1 && missingYank.stderr.contains("not published"))

        // A root.json that is not the registry's: adding with it fails the first fetch.
        let impostor = setup.temporary.file("impostor")
        #expect(try setup.bourse(["index", "init", impostor, "--key", setup.temporary.file("keys/other.key")]).status == 0)
        let wrongRoot = try setup.bourse(["registry", "add", "local", setup.registry, "--root", impostor + "/root.json"], home: true)
        #expect(wrongRoot.status == 1 && wrongRoot.stderr.contains("root.json"), "\(wrongRoot.stderr)")
        let noRegistry = try setup.bourse(["registry", "add", "local", setup.temporary.file("nowhere"), "--root", setup.registry + "/root.json"], home: true)
        #expect(noRegistry.status == 1 && noRegistry.stderr.contains("nowhere"))
        let badName = try setup.bourse(["registry", "add", "Local!", setup.registry, "--root", setup.registry + "/root.json"], home: true)
        #expect(badName.status == 64 && badName.stderr.contains("Local!"))
        let noRoot = try setup.bourse(["registry", "add", "local", setup.registry, "--root", setup.temporary.file("none.json")], home: true)
        #expect(noRoot.status == 1 && noRoot.stderr.contains("none.json"))
        let traversal = try setup.bourse(["registry", "serve", setup.temporary.file("missing-dir")])
        #expect(traversal.status == 1 && traversal.stderr.contains("missing-dir"))

        for command in [["registry", "--help"], ["index", "publish", "--help"], ["search", "--help"], ["registry", "serve", "--help"]] {
            let help = try setup.bourse(command)
            #expect(help.status == 0 && help.stdout.contains("USAGE"), "\(command)")
        }
    }
}
