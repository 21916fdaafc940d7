/// A set of semantic versions written as a range, as in Cargo:
/// `^1.2` (compatible: ≥ 1.2.0, < 2.0.0), `~1.2.3` (≥ 1.2.3, < 1.3.0),
/// comparisons `>=1, <2` (comma-separated, all must hold), exact
/// `=1.2.3` or `1.2.3`, wildcards `*` and `1.*`.
///
/// Missing minor/patch numbers are allowed (`^1`, `>=1`, `<2`). A
/// pre-release version (`2.0.0-rc.1`) matches only when some comparator
/// names a pre-release of the same `MAJOR.MINOR.PATCH`, so `>=1` never picks
/// a release candidate.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    /// One primitive bound.
    public enum Bound: Sendable, Hashable {
        /// `v ≥ version`.
        case atLeast(SemanticVersion)
        /// `v > version`.
        case greaterThan(SemanticVersion)
        /// `v < version`.
        case lessThan(SemanticVersion)
        /// `v ≤ version`.
        case atMost(SemanticVersion)
        /// `v == version` (build metadata ignored).
        case exactly(SemanticVersion)

        fileprivate var version: SemanticVersion {
            switch self {
            case .atLeast(let v), .greaterThan(let v), .lessThan(let v), .atMost(let v), .exactly(let v): return v
            }
        }

        fileprivate func admits(_ v: SemanticVersion) -> Bool {
            switch self {
            case .atLeast(let b): return v >= b
            case .greaterThan(let b): return v > b
            case .lessThan(let b): return v < b
            case .atMost(let b): return v <= b
            case .exactly(let b): return !(v < b) && !(b < v)
            }
        }
    }

    /// All bounds; a version is in the range when it satisfies every one.
    public let bounds: [Bound]
    /// The range as written (trimmed).
    public let text: String

    /// Every version (`*`).
    public static let any = VersionRange(bounds: [], text: "*")

    private init(bounds: [Bound], text: String) {
        self.bounds = bounds
        self.text = text
    }

    /// Exactly `version`.
    public init(exactly version: SemanticVersion) {
        self.init(bounds: [.exactly(version)], text: "=\(version)")
    }

    /// Parses a range; throws an `invalid-version-range` error naming `text`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else {
            throw BourseError(.invalidVersionRange, "empty version range (write `*` for any version)", input: text)
        }
        var bounds: [Bound] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let comparator = String(part).trimmingSpaces
            guard !comparator.isEmpty else {
                throw BourseError(.invalidVersionRange, "version range '\(text)' has an empty comparator", input: text)
            }
            bounds += try Self.parseComparator(comparator, in: text)
        }
        self.init(bounds: bounds, text: trimmed)
    }

    /// True when `version` is in the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        guard bounds.allSatisfy({ $0.admits(version) }) else { return false }
        if version.prerelease.isEmpty { return true }
        return bounds.contains { b in
            let v = b.version
            return !v.prerelease.isEmpty && (v.major, v.minor, v.patch) == (version.major, version.minor, version.patch)
        }
    }

    /// The range as written.
    public var description: String { text }

    /// Whether the range names a single version (`=1.2.3` or `1.2.3`).
    public var isExact: Bool {
        if bounds.count == 1, case .exactly = bounds[0] { return true }
        return false
    }

    // MARK: - Parsing

    private static func parseComparator(_ comparator: String, in whole: String) throws -> [Bound] {
        if comparator == "*" { return [] }
        let operators = [">=", "<=", ">", "<", "=", "^", "~"]
        let op = operators.first { comparator.hasPrefix($0) } ?? ""
        let rest = String(comparator.dropFirst(op.count)).trimmingSpaces
        guard let partial = PartialVersion(rest) else {
            throw BourseError(.invalidVersionRange,
                              "'\(comparator)' in version range '\(whole)' is not a version (expected e.g. 1.2.3, ^1.2, ~1.2.3, >=1, <2, *)",
                              input: whole)
        }
        if partial.isWildcard, !op.isEmpty, op != "=" {
            throw BourseError(.invalidVersionRange, "'\(comparator)' in version range '\(whole)' mixes an operator with a wildcard", input: whole)
        }
        let low = partial.lowest
        switch op {
        case ">=": return [.atLeast(low)]
        case ">": return partial.isComplete ? [.greaterThan(low)] : [.atLeast(partial.nextAfterGiven)]
        case "<": return [.lessThan(low)]
        case "<=": return partial.isComplete ? [.atMost(low)] : [.lessThan(partial.nextAfterGiven)]
        case "^": return [.atLeast(low), .lessThan(partial.caretLimit)]
        case "~": return [.atLeast(low), .lessThan(partial.tildeLimit)]
        default: // "=" or none: exact, or a span when numbers are missing
            if partial.isComplete { return [.exactly(low)] }
            if partial.major == nil { return [] }
            return [.atLeast(low), .lessThan(partial.nextAfterGiven)]
        }
    }
}

/// `1`, `1.2`, `1.2.3[-pre]`, `1.*`, `1.2.x`: a version with possibly missing parts.
private struct PartialVersion {
    var major: Int?
    var minor: Int?
    var patch: Int?
    var prerelease: [String] = []
    var isWildcard = false

    init?(_ text: String) {
        if let full = SemanticVersion(text) {
            (major, minor, patch, prerelease) = (full.major, full.minor, full.patch, full.prerelease)
            return
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int?] = []
        for part in parts {
            if ["*", "x", "X"].contains(part) {
                isWildcard = true
                numbers.append(nil)
                continue
            }
            // No number after a wildcard; digits only, no leading zeros.
            guard !isWildcard, !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || part.first != "0", let n = Int(part) else { return nil }
            numbers.append(n)
        }
        major = numbers[0]
        minor = numbers.count > 1 ? numbers[1] : nil
        patch = numbers.count > 2 ? numbers[2] : nil
    }

    var isComplete: Bool { major != nil && minor != nil && patch != nil }

    /// The lowest version the partial names (missing parts are 0).
    var lowest: SemanticVersion {
        var v = SemanticVersion("0.0.0")!
        (v.major, v.minor, v.patch, v.prerelease) = (major ?? 0, minor ?? 0, patch ?? 0, prerelease)
        return v
    }

    /// The first version past everything the given parts name (`1.2` → 1.3.0, `1` → 2.0.0).
    var nextAfterGiven: SemanticVersion {
        if minor == nil { return Self.make((major ?? 0) + 1, 0, 0) }
        return Self.make(major ?? 0, (minor ?? 0) + 1, 0)
    }

    /// Upper limit of `^`: the left-most non-zero part given is bumped.
    var caretLimit: SemanticVersion {
        let (a, b, c) = (major ?? 0, minor, patch)
        if a > 0 || b == nil { return Self.make(a + 1, 0, 0) }
        if b! > 0 || c == nil { return Self.make(0, b! + 1, 0) }
        return Self.make(0, 0, c! + 1)
    }

    /// Upper limit of `~`: the minor is bumped when given, else the major.
    var tildeLimit: SemanticVersion {
        if minor == nil { return Self.make((major ?? 0) + 1, 0, 0) }
        return Self.make(major ?? 0, minor! + 1, 0)
    }

    private static func make(_ a: Int, _ b: Int, _ c: Int) -> SemanticVersion {
        var v = SemanticVersion("0.0.0")!
        (v.major, v.minor, v.patch) = (a, b, c)
        return v
    }
}

/// A plugin name with an optional version range: `rsi`, `rsi@^1.2`, `rsi@=1.0.0`.
public struct PluginRequirement: Sendable, Hashable, CustomStringConvertible {
    /// The plugin name.
    public var name: String
    /// Acceptable versions (`*` when none was written).
    public var range: VersionRange

    /// Creates a requirement.
    public init(name: String, range: VersionRange = .any) {
        self.name = name
        self.range = range
    }

    /// Parses `NAME[@RANGE]`; throws when the range is malformed or the name is empty.
    public init(parsing text: String) throws {
        let pieces = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(pieces[0]).trimmingSpaces
        guard !name.isEmpty else {
            throw BourseError(.invalidVersionRange, "'\(text)' has no plugin name before '@' (expected NAME or NAME@RANGE)", input: text)
        }
        self.init(name: name, range: pieces.count == 2 ? try VersionRange(parsing: String(pieces[1])) : .any)
    }

    /// `name@range`, or just `name` for any version.
    public var description: String { range.text == "*" ? name : "\(name)@\(range.text)" }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
