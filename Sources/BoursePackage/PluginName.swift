import BourseCore

/// The rules for plugin names in packages, the store and registries.
///
/// A name is 1 to 64 characters of lower-case ASCII letters, digits and `-`;
/// it starts with a letter and neither ends with `-` nor contains `--`.
/// Two names collide when their ``collisionKey(_:)`` is equal: case, `-`
/// and `_` are ignored, so `rsi-fast`, `rsifast` and `RSI_Fast` collide.
public enum PluginName {
    /// The longest name allowed.
    public static let maximumLength = 64

    /// Why `name` is not a valid plugin name, or nil when it is.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a plugin name cannot be empty" }
        if name.utf8.count > maximumLength { return "a plugin name is at most \(maximumLength) characters (this one has \(name.count))" }
        for scalar in name.unicodeScalars {
            let ok = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
            if !ok { return "a plugin name may contain only lower-case ASCII letters, digits and '-' (found '\(scalar.escaped(asASCII: true))')" }
        }
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else {
            return "a plugin name starts with a lower-case letter"
        }
        if name.hasSuffix("-") { return "a plugin name cannot end with '-'" }
        if name.contains("--") { return "a plugin name cannot contain '--'" }
        return nil
    }

    /// Whether `name` follows the rules.
    public static func isValid(_ name: String) -> Bool { problem(name) == nil }

    /// Throws `BourseError(.invalidValue)` naming `name` and the rule it breaks.
    public static func validate(_ name: String) throws {
        if let problem = problem(name) {
            throw BourseError(.invalidValue, "invalid plugin name '\(name)': \(problem)", input: name)
        }
    }

    /// The key two names are compared with for collisions: lower-cased, with
    /// `-` and `_` removed.
    public static func collisionKey(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" }.map(Character.init))
    }

    /// Whether two names collide (equal ``collisionKey(_:)``).
    public static func collide(_ a: String, _ b: String) -> Bool {
        collisionKey(a) == collisionKey(b)
    }
}
