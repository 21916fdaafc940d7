import BourseCore
import Testing

private func v(_ text: String) -> SemanticVersion { SemanticVersion(text)! }
private func range(_ text: String) throws -> VersionRange { try VersionRange(parsing: text) }

@Suite("Version ranges")
struct VersionRangeTests {
    @Test("caret ranges allow compatible versions", arguments: [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0", "2.0.0-rc.1"]),
        ("^1", ["1.0.0", "1.99.0"], ["0.9.0", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
        ("^0", ["0.0.1", "0.9.9"], ["1.0.0"]),
    ])
    func caret(text: String, inside: [String], outside: [String]) throws {
        let r = try range(text)
        for s in inside { #expect(r.contains(v(s)), "\(text) should contain \(s)") }
        for s in outside { #expect(!r.contains(v(s)), "\(text) should not contain \(s)") }
    }

    @Test("tilde, comparisons, exact and wildcards", arguments: [
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1.2", ["1.2.0", "1.2.7"], ["1.3.0"]),
        ("~1", ["1.0.0", "1.5.0"], ["2.0.0"]),
        (">=1, <2", ["1.0.0", "1.9.9"], ["0.9.9", "2.0.0", "2.0.0-alpha"]),
        (">1.2", ["1.3.0"], ["1.2.9", "1.2.0"]),
        (">1.2.3", ["1.2.4"], ["1.2.3"]),
        ("<=1.2", ["1.2.9", "0.1.0"], ["1.3.0"]),
        ("=1.2.3", ["1.2.3", "1.2.3+build.7"], ["1.2.4", "1.2.3-rc.1"]),
        ("1.2.3", ["1.2.3"], ["1.2.4"]),
        ("1.2", ["1.2.0", "1.2.5"], ["1.3.0"]),
        ("*", ["0.0.1", "9.9.9"], ["1.0.0-beta"]),
        ("1.*", ["1.0.0", "1.8.1"], ["2.0.0"]),
        (">=2.0.0-rc.1", ["2.0.0-rc.2", "2.0.0", "3.0.0"], ["2.0.0-beta", "3.0.0-rc.1"]),
    ])
    func others(text: String, inside: [String], outside: [String]) throws {
        let r = try range(text)
        for s in inside { #expect(r.contains(v(s)), "\(text) should contain \(s)") }
        for s in outside { #expect(!r.contains(v(s)), "\(text) should not contain \(s)") }
    }

    @Test("malformed ranges are refused with the range named", arguments: [
        "", "^", "1.2.3.4", ">=1,", "^01.2", "abc", ">=1.*", "1.*.3", "~>1.2",
    ])
    func malformed(text: String) {
        #expect(throws: BourseError.self) { try VersionRange(parsing: text) }
        do { _ = try VersionRange(parsing: text) } catch let e as BourseError {
            #expect(e.code == .invalidVersionRange)
            #expect(e.input == text)
        } catch {}
    }

    @Test("NAME@RANGE requirements")
    func requirements() throws {
        let r = try PluginRequirement(parsing: "rsi@^1.2")
        #expect(r.name == "rsi")
        #expect(r.range.contains(v("1.4.0")))
        #expect(r.description == "rsi@^1.2")
        let any = try PluginRequirement(parsing: "rsi")
        #expect(any.range == .any)
        #expect(any.description == "rsi")
        #expect(throws: BourseError.self) { try PluginRequirement(parsing: "@^1") }
        #expect(throws: BourseError.self) { try PluginRequirement(parsing: "rsi@^x") }
        #expect(try PluginRequirement(parsing: "rsi@=1.0.0").range.isExact)
    }
}
