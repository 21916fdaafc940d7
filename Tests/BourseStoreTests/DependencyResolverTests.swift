import BourseCore
import BourseStore
import Testing

private func v(_ s: String) -> SemanticVersion { SemanticVersion(s)! }
private func r(_ s: String) -> VersionRange { try! VersionRange(parsing: s) }

private func candidate(_ name: String, _ version: String, deps: [String: String] = [:], yanked: Bool = false, installed: Bool = false,
                       active: Bool = false) -> ResolverCandidate {
    ResolverCandidate(name: name, version: v(version), dependencies: deps.mapValues(r), yanked: yanked, installed: installed, active: active)
}

@Suite("Dependency resolution")
struct DependencyResolverTests {
    @Test("chooses the highest compatible versions, transitively")
    func highest() throws {
        let resolver = DependencyResolver(candidates: [
            candidate("rsi", "1.0.0", deps: ["codec-json": "^2"]),
            candidate("rsi", "1.4.0", deps: ["codec-json": "^2.1"]),
            candidate("rsi", "2.0.0", deps: ["codec-json": "^3"]),
            candidate("codec-json", "2.0.0"), candidate("codec-json", "2.4.0"), candidate("codec-json", "3.1.0"),
        ])
        let chosen = try resolver.resolve([ResolverRequirement(name: "rsi", range: r("^1"), requester: "graph")])
        #expect(chosen["rsi"]?.version == v("1.4.0"))
        #expect(chosen["codec-json"]?.version == v("2.4.0"))
    }

    @Test("a pin that conflicts is explained as a chain")
    func pinnedConflict() {
        let resolver = DependencyResolver(candidates: [
            candidate("rsi", "2.1.0", deps: ["codec-json": "^3"]),
            candidate("codec-json", "2.4.0", installed: true), candidate("codec-json", "3.0.0"),
        ], pins: ["codec-json": v("2.4.0")])
        do {
            _ = try resolver.resolve([ResolverRequirement(name: "rsi", range: r("^2"), requester: "graph")])
            Issue.record("expected a conflict")
        } catch let error as BourseError {
            #expect(error.code == .resolutionConflict)
            #expect(error.message == "graph needs rsi@^2; rsi 2.1.0 needs codec-json@^3; but installed codec-json 2.4.0 is pinned")
        } catch { Issue.record("\(error)") }
    }

    @Test("yanked versions are never chosen by a range, but the active one may stay")
    func yanked() throws {
        let resolver = DependencyResolver(candidates: [
            candidate("ema", "1.0.0"), candidate("ema", "1.2.0", yanked: true),
        ])
        #expect(try resolver.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")])["ema"]?.version == v("1.0.0"))
        let onlyYanked = DependencyResolver(candidates: [candidate("ema", "1.2.0", yanked: true)])
        #expect(throws: BourseError.self) { try onlyYanked.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")]) }
        let activeYanked = DependencyResolver(candidates: [candidate("ema", "1.0.0", installed: true), candidate("ema", "1.2.0", yanked: true, installed: true, active: true)])
        #expect(try activeYanked.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")])["ema"]?.version == v("1.2.0"))
        let installedYanked = DependencyResolver(candidates: [candidate("ema", "1.0.0", installed: true, active: true), candidate("ema", "1.2.0", yanked: true, installed: true)])
        #expect(try installedYanked.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")])["ema"]?.version == v("1.0.0"),
                "installed but not active: a range does not move onto it")
    }

    @Test("checking active versions only (graph nodes): transitive chains, a missing plugin names its install command")
    func activeVersionsOnly() throws {
        func check(_ candidates: [ResolverCandidate]) -> String {
            do {
                _ = try DependencyResolver(candidates: candidates, candidateSource: .activeVersions)
                    .resolve([ResolverRequirement(name: "rsi", range: r("^1"), requester: "graph")])
                return "ok"
            } catch let error as BourseError { return error.message } catch { return "\(error)" }
        }
        let rsi = candidate("rsi", "1.0.0", deps: ["codec-json": "^2"], installed: true)
        #expect(check([rsi, candidate("codec-json", "2.4.0", deps: ["zlib": "^1"], installed: true), candidate("zlib", "1.3.0", installed: true)]) == "ok")
        #expect(check([rsi, candidate("codec-json", "2.4.0", deps: ["zlib": "^1"], installed: true)])
                == "graph needs rsi@^1; rsi 1.0.0 needs codec-json@^2; codec-json 2.4.0 needs zlib@^1; but zlib is not installed (run: bourse install zlib@^1)")
        #expect(check([rsi, candidate("codec-json", "3.0.0", installed: true)])
                == "graph needs rsi@^1; rsi 1.0.0 needs codec-json@^2; but the active codec-json is 3.0.0")
    }

    @Test("an exact =X may choose a yanked version (as in Cargo); ranges, even narrow ones, never do")
    func yankedByExactVersion() throws {
        let resolver = DependencyResolver(candidates: [
            candidate("ema", "1.0.0"), candidate("ema", "1.2.0", yanked: true),
            candidate("rsi", "1.0.0", deps: ["ema": "=1.2.0"]), candidate("macd", "1.0.0", deps: ["ema": "~1.2.0"]),
        ])
        #expect(try resolver.resolve([ResolverRequirement(name: "ema", range: r("=1.2.0"), requester: "you")])["ema"]?.version == v("1.2.0"))
        #expect(try resolver.resolve([ResolverRequirement(name: "rsi", range: r("^1"), requester: "you")])["ema"]?.version == v("1.2.0"),
                "a dependency's exact requirement counts too")
        #expect(try resolver.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")])["ema"]?.version == v("1.0.0"))
        for range in [">=1.2.0, <1.3.0", "~1.2.0", "1.2", "<=1.2.0, >1.1.9"] {
            #expect(throws: BourseError.self, "\(range) matches only the yanked 1.2.0") {
                try resolver.resolve([ResolverRequirement(name: "ema", range: r(range), requester: "you")])
            }
        }
        do {
            _ = try resolver.resolve([ResolverRequirement(name: "macd", range: r("^1"), requester: "you")])
            Issue.record("~1.2.0 matches only the yanked 1.2.0")
        } catch let error as BourseError {
            #expect(error.code == .resolutionConflict)
            #expect(error.message.contains("macd 1.0.0 needs ema@~1.2.0; but every matching version of ema is yanked (1.2.0)"), "\(error.message)")
        }
    }

    @Test("backtracks to an older version when the newest conflicts with another requirement")
    func backtracking() throws {
        let resolver = DependencyResolver(candidates: [
            candidate("rsi", "1.5.0", deps: ["codec-json": "^3"]),
            candidate("rsi", "1.4.0", deps: ["codec-json": "^2"]),
            candidate("codec-json", "2.4.0"), candidate("codec-json", "3.0.0"),
        ])
        let chosen = try resolver.resolve([
            ResolverRequirement(name: "codec-json", range: r("^2"), requester: "installed ema 1.0.0"),
            ResolverRequirement(name: "rsi", range: r("^1"), requester: "graph"),
        ])
        #expect(chosen["rsi"]?.version == v("1.4.0"))
        #expect(chosen["codec-json"]?.version == v("2.4.0"))
    }

    @Test("conflicting requirements from two plugins name both chains")
    func twoChains() {
        let resolver = DependencyResolver(candidates: [
            candidate("rsi", "2.0.0", deps: ["codec-json": "^3"]),
            candidate("codec-json", "2.4.0"), candidate("codec-json", "3.0.0"),
        ])
        do {
            _ = try resolver.resolve([
                ResolverRequirement(name: "codec-json", range: r("^2"), requester: "installed ema 1.0.0"),
                ResolverRequirement(name: "rsi", range: r("^2"), requester: "graph"),
            ])
            Issue.record("expected a conflict")
        } catch let error as BourseError {
            #expect(error.message.contains("graph needs rsi@^2; rsi 2.0.0 needs codec-json@^3"), "\(error.message)")
            #expect(error.message.contains("codec-json 2.4.0 was chosen because installed ema 1.0.0 needs codec-json@^2"), "\(error.message)")
        } catch { Issue.record("\(error)") }
    }

    @Test("a missing plugin names the command that installs it")
    func missing() {
        let resolver = DependencyResolver(candidates: [candidate("rsi", "1.0.0", deps: ["codec-json": "^3"])])
        do {
            _ = try resolver.resolve([ResolverRequirement(name: "rsi", range: .any, requester: "graph")])
            Issue.record("expected a failure")
        } catch let error as BourseError {
            #expect(error.message.contains("rsi 1.0.0 needs codec-json@^3; but no version of codec-json is installed or offered by a registry (run: bourse install codec-json@^3)"), "\(error.message)")
        } catch { Issue.record("\(error)") }
    }

    @Test("the preferred (active) version is kept when it satisfies the range")
    func preferred() throws {
        let resolver = DependencyResolver(candidates: [candidate("ema", "1.0.0"), candidate("ema", "1.3.0")], preferred: ["ema": v("1.0.0")])
        #expect(try resolver.resolve([ResolverRequirement(name: "ema", range: r("^1"), requester: "you")])["ema"]?.version == v("1.0.0"))
    }
}
