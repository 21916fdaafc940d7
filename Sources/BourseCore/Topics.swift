import CBourseABI

/// A concrete topic name such as `bars.SPY.1d`: dot-separated, non-empty
/// tokens, no wildcards. Validation uses the ABI header's rules, so the host
/// and plugins agree on them.
public struct TopicName: Hashable, Sendable, CustomStringConvertible {
    /// The topic as text.
    public let rawValue: String

    /// Validates a topic name; a name containing `*` or `>` is refused with
    /// `wildcardPublish`, anything else malformed with `invalidTopic`.
    public init(_ name: String) throws {
        guard bourse_topic_is_valid(name, 0) != 0 else {
            if bourse_topic_is_valid(name, 1) != 0 {
                throw BourseError(.wildcardPublish,
                                  "topic '\(name)' contains a wildcard; only subscriptions may use '*' and '>'",
                                  input: name)
            }
            throw BourseError(.invalidTopic, "'\(name)' is not a valid topic: use dot-separated non-empty tokens without spaces, e.g. bars.SPY.1d", input: name)
        }
        rawValue = name
    }

    /// The topic as text.
    public var description: String { rawValue }
}

/// A subscription pattern: a topic name where a whole token may be `*` (one
/// token) and the last token may be `>` (one or more tokens) — NATS rules.
public struct TopicPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as text.
    public let rawValue: String

    /// Validates a pattern.
    public init(_ pattern: String) throws {
        guard bourse_topic_is_valid(pattern, 1) != 0 else {
            throw BourseError(.invalidTopic, "'\(pattern)' is not a valid subscription pattern: dot-separated tokens; '*' matches one token, '>' (last only) matches the rest", input: pattern)
        }
        rawValue = pattern
    }

    /// Whether `topic` matches this pattern.
    public func matches(_ topic: TopicName) -> Bool {
        bourse_topic_matches(rawValue, topic.rawValue) != 0
    }

    /// Whether the pattern contains a wildcard token.
    public var hasWildcard: Bool {
        rawValue.split(separator: ".").contains { $0 == "*" || $0 == ">" }
    }

    /// The pattern as text.
    public var description: String { rawValue }
}
