// The node's configuration: a JSON object with typed, strictly checked accessors.

/// The configuration of one graph node: the JSON object written in the graph file.
///
/// Accessors throw ``PluginError`` naming the key and the expected type
/// when a value has the wrong type. A key whose value is JSON `null` is
/// treated as absent. Nested objects (``object(_:)``) name their keys with
/// a dotted path in errors ("risk.limit").
///
/// ```swift
/// try config.rejectUnknownKeys(allowed: ["period", "input"])
/// let period = try config.int("period", default: 20)
/// let input = try config.requiredString("input")
/// ```
public struct PluginConfig: Sendable, CustomStringConvertible {
    /// The members of the object, in document order.
    public let members: [(key: String, value: JSONValue)]
    /// Dotted path of this object inside the node's configuration ("" at the top).
    public let path: String

    /// An empty configuration (`{}`).
    public init() {
        members = []
        path = ""
    }

    /// Wraps a JSON value, which must be an object.
    public init(_ value: JSONValue) throws {
        try self.init(value, path: "")
    }

    /// Parses the configuration from JSON text, which must hold an object.
    public init(json: String) throws {
        var json = json
        self = try json.withUTF8 { try PluginConfig(jsonBytes: UnsafeRawBufferPointer($0)) }
    }

    /// Parses the configuration from UTF-8 JSON bytes, which must hold an object.
    public init(jsonBytes bytes: UnsafeRawBufferPointer) throws {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch let error as JSONParseError {
            throw PluginError("invalid config: \(error)")
        }
        try self.init(value, path: "")
    }

    private init(_ value: JSONValue, path: String) throws {
        guard case .object(let members) = value else {
            throw PluginError("config\(path.isEmpty ? "" : " key '\(path)'") must be a JSON object, got \(value.typeDescription)")
        }
        self.members = members
        self.path = path
    }

    /// The keys, in document order.
    public var keys: [String] { members.map(\.key) }

    /// The configuration as compact JSON text.
    public var description: String { JSONValue.object(members).description }

    /// The raw value of `key`, or nil when absent (JSON `null` is returned as `.null`).
    public func value(_ key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// True when `key` is present with a value other than `null`.
    public func contains(_ key: String) -> Bool {
        present(key) != nil
    }

    // MARK: Typed accessors

    /// The string at `key`, or nil when absent.
    public func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw mismatch(key, "a string", value) }
        return text
    }

    /// The string at `key`, or `defaultValue` when absent.
    public func string(_ key: String, default defaultValue: String) throws -> String {
        try string(key) ?? defaultValue
    }

    /// The string at `key`; throws when it is absent.
    public func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw missing(key, "a string") }
        return text
    }

    /// The integer at `key`, or nil when absent. The number must be integral and fit in `Int`.
    public func int(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, let integer = Int(exactly: number) else {
            throw mismatch(key, "an integer", value)
        }
        return integer
    }

    /// The integer at `key`, or `defaultValue` when absent.
    public func int(_ key: String, default defaultValue: Int) throws -> Int {
        try int(key) ?? defaultValue
    }

    /// The number at `key`, or nil when absent.
    public func double(_ key: String) throws -> Double? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value else { throw mismatch(key, "a number", value) }
        return number
    }

    /// The number at `key`, or `defaultValue` when absent.
    public func double(_ key: String, default defaultValue: Double) throws -> Double {
        try double(key) ?? defaultValue
    }

    /// The boolean at `key`, or nil when absent.
    public func bool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw mismatch(key, "a boolean", value) }
        return flag
    }

    /// The boolean at `key`, or `defaultValue` when absent.
    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        try bool(key) ?? defaultValue
    }

    /// The array of strings at `key`, or nil when absent.
    public func stringArray(_ key: String) throws -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let elements) = value else { throw mismatch(key, "an array of strings", value) }
        return try elements.enumerated().map { index, element in
            guard case .string(let text) = element else {
                throw PluginError("config key '\(qualified(key))' must be an array of strings, but element \(index) is \(element.typeDescription)")
            }
            return text
        }
    }

    /// The array of strings at `key`, or `defaultValue` when absent.
    public func stringArray(_ key: String, default defaultValue: [String]) throws -> [String] {
        try stringArray(key) ?? defaultValue
    }

    /// The nested object at `key` as a configuration, or nil when absent.
    public func object(_ key: String) throws -> PluginConfig? {
        guard let value = present(key) else { return nil }
        guard case .object = value else { throw mismatch(key, "an object", value) }
        return try PluginConfig(value, path: qualified(key))
    }

    /// Throws when the configuration has a key outside `allowed`; the
    /// error lists the unknown keys and the allowed ones.
    public func rejectUnknownKeys(allowed: Set<String>) throws {
        let unknown = keys.filter { !allowed.contains($0) }
        guard !unknown.isEmpty else { return }
        let names = unknown.map { "'\(qualified($0))'" }.joined(separator: ", ")
        let allowedList = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
        throw PluginError("unknown config key\(unknown.count == 1 ? "" : "s") \(names) (allowed keys: \(allowedList))")
    }

    // MARK: Helpers

    private func present(_ key: String) -> JSONValue? {
        guard let value = value(key), value != .null else { return nil }
        return value
    }

    private func qualified(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    private func mismatch(_ key: String, _ expected: String, _ actual: JSONValue) -> PluginError {
        let shown: String
        switch actual {
        case .array, .object: shown = actual.typeDescription
        default: shown = "\(actual.typeDescription) \(actual)"
        }
        return PluginError("config key '\(qualified(key))' must be \(expected), got \(shown)")
    }

    private func missing(_ key: String, _ expected: String) -> PluginError {
        PluginError("missing required config key '\(qualified(key))' (\(expected))")
    }
}
