import BourseCore
import Testing

@Suite("Topics and patterns")
struct TopicTests {
    @Test("'*' matches exactly one token", arguments: [
        ("bars.*.1d", "bars.SPY.1d", true),
        ("bars.*.1d", "bars.SPY.1m", false),
        ("bars.*", "bars.SPY.1d", false),
        ("*.SPY.*", "bars.SPY.1d", true),
        ("*", "bars", true),
        ("*", "bars.SPY", false),
    ])
    func singleTokenWildcard(pattern: String, topic: String, expected: Bool) throws {
        #expect(try TopicPattern(pattern).matches(TopicName(topic)) == expected)
    }

    @Test("'>' matches one or more remaining tokens", arguments: [
        ("bars.>", "bars.SPY.1d", true),
        ("bars.>", "bars.SPY", true),
        ("bars.>", "bars", false),
        (">", "anything.at.all", true),
        ("bars.*.>", "bars.SPY.1d.extra", true),
        ("bars.*.>", "bars.SPY", false),
    ])
    func tailWildcard(pattern: String, topic: String, expected: Bool) throws {
        #expect(try TopicPattern(pattern).matches(TopicName(topic)) == expected)
    }

    @Test("exact patterns match only themselves")
    func exact() throws {
        let pattern = try TopicPattern("bars.SPY.1d")
        #expect(pattern.matches(try TopicName("bars.SPY.1d")))
        #expect(!pattern.matches(try TopicName("bars.SPY.1d2")))
        #expect(!pattern.matches(try TopicName("bars.SPY")))
        #expect(!pattern.hasWildcard)
        #expect(try TopicPattern("a.*").hasWildcard)
    }

    @Test("publishing to a wildcard topic is refused")
    func wildcardTopicRefused() {
        for name in ["bars.*.1d", "bars.>", "*"] {
            #expect(throws: BourseError.self) { try TopicName(name) }
            do { _ = try TopicName(name) } catch let error as BourseError {
                #expect(error.code == .wildcardPublish)
                #expect(error.input == name)
            } catch {}
        }
    }

    @Test("malformed names are refused", arguments: ["", "bars..1d", ".bars", "bars.", "bars SPY", "bars.a*", "a.>.b", "tab\there"])
    func malformed(name: String) {
        #expect(throws: BourseError.self) { try TopicPattern(name) }
        #expect(throws: BourseError.self) { try TopicName(name) }
    }
}

@Suite("ABI version rules")
struct ABIVersionTests {
    @Test("the host accepts equal major and minor ≤ its own")
    func acceptance() {
        let host = ABIVersion(major: 1, minor: 3)
        #expect(host.accepts(plugin: ABIVersion(major: 1, minor: 0)))
        #expect(host.accepts(plugin: ABIVersion(major: 1, minor: 3)))
        #expect(!host.accepts(plugin: ABIVersion(major: 1, minor: 4)))
        #expect(!host.accepts(plugin: ABIVersion(major: 2, minor: 0)))
        #expect(!host.accepts(plugin: ABIVersion(major: 0, minor: 9)))
    }

    @Test("this host is ABI 1.2")
    func hostVersion() {
        #expect(ABIVersion.host == ABIVersion(major: 1, minor: 2))
    }
}

@Suite("Semantic versions")
struct SemanticVersionTests {
    @Test("valid versions parse and print back", arguments: ["1.0.0", "0.1.2", "10.20.30", "1.0.0-alpha.1", "1.0.0+build.5", "1.2.3-rc.1+x"])
    func valid(text: String) {
        #expect(SemanticVersion(text)?.description == text)
    }

    @Test("invalid versions are refused", arguments: ["1", "1.0", "01.0.0", "1.0.0-", "1.0.0+", "a.b.c", "1.0.0.0", "-1.0.0"])
    func invalid(text: String) {
        #expect(SemanticVersion(text) == nil)
    }

    @Test("precedence follows semver")
    func ordering() {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
            .map { SemanticVersion($0)! }
        #expect(ordered == ordered.sorted())
    }
}

@Suite("Interner")
struct InternerTests {
    @Test("ids are dense from 1 and stable")
    func dense() {
        let interner = Interner()
        #expect(interner.intern("a") == 1)
        #expect(interner.intern("b") == 2)
        #expect(interner.intern("a") == 1)
        #expect(interner.lookup("c") == nil)
        #expect(interner.name(of: 2) == "b")
        #expect(interner.name(of: 0) == nil)
        #expect(interner.name(of: 3) == nil)
        #expect(interner.count == 2)
    }
}

@Suite("Message header checks")
struct MessageHeaderTests {
    @Test("known types need their payload size; private types pass; unknown reserved types fail")
    func validation() {
        #expect(validateMessageHeader(type: 1, payloadLength: 48) == nil)
        #expect(validateMessageHeader(type: 1, payloadLength: 40) != nil)
        #expect(validateMessageHeader(type: 4, payloadLength: 16) == nil)
        #expect(validateMessageHeader(type: 7, payloadLength: 0) == nil)
        #expect(validateMessageHeader(type: 0, payloadLength: 0) != nil)
        #expect(validateMessageHeader(type: 99, payloadLength: 0) != nil)
        #expect(validateMessageHeader(type: 0x8001, payloadLength: 5) == nil)
        #expect(validateMessageHeader(type: 7, payloadLength: 65537) != nil)
        #expect(messageHeaderSize == 48)
    }
}
