import BourseCore
import enum BourseSDK.JSONValue
import struct BourseSDK.JSONParseError

/// The JSON value type manifests and config schemas use (the SDK's strict,
/// order-preserving parser: duplicate keys, bad UTF-8, trailing garbage and
/// lone surrogates are errors).
public typealias ManifestJSON = JSONValue

/// A JSON syntax error turned into a 1-based line and column of `text`.
struct JSONPosition {
    /// Line and column (1-based; the column counts Unicode scalars) of byte `offset` in `bytes`.
    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        // Count scalars, not bytes: continuation bytes (10xxxxxx) do not start one.
        let column = bytes[lineStart..<end].reduce(1) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        return (line, column)
    }
}

/// Parses `bytes` as one strict JSON document; on a syntax error throws
/// `BourseError(.invalidManifest)` whose message is `FILE:LINE:COLUMN: reason`.
func parseStrictJSON(_ bytes: [UInt8], file: String) throws -> JSONValue {
    do {
        return try bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
    } catch let error as JSONParseError {
        let position = JSONPosition.lineAndColumn(of: error.offset, in: bytes)
        throw BourseError(.invalidManifest, "\(file):\(position.line):\(position.column): invalid JSON: \(error.reason)", input: file)
    }
}

extension JSONValue {
    /// Indented JSON text (two spaces, keys in stored order, a final newline):
    /// the form `manifest.json` is written in.
    public var prettyText: String {
        var out = ""
        renderPretty(into: &out, indent: "")
        return out + "\n"
    }

    private func renderPretty(into out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += inner
                element.renderPretty(into: &out, indent: inner)
                out += index + 1 < elements.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += inner + JSONValue.quoted(member.key) + ": "
                member.value.renderPretty(into: &out, indent: inner)
                out += index + 1 < members.count ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            out += description
        }
    }
}

/// Reads typed members out of a JSON object, naming the file and key in errors.
struct JSONObjectReader {
    let members: [(key: String, value: JSONValue)]
    let file: String
    let path: String

    init(_ value: JSONValue, file: String, path: String) throws {
        guard case .object(let members) = value else {
            throw BourseError(.invalidManifest, "\(file): \(path.isEmpty ? "the document" : "'\(path)'") must be an object, found \(value.typeDescription)", input: file)
        }
        self.members = members
        self.file = file
        self.path = path
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func invalid(_ key: String, _ reason: String) -> BourseError {
        BourseError(.invalidManifest, "\(file): '\(keyPath(key))' \(reason)", input: file)
    }

    /// Refuses keys not in `allowed`.
    func rejectUnknownKeys(_ allowed: [String]) throws {
        for member in members where !allowed.contains(member.key) {
            throw BourseError(.invalidManifest, "\(file): unknown key '\(keyPath(member.key))' (known keys: \(allowed.joined(separator: ", ")))", input: file)
        }
    }

    func value(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    func string(_ key: String) throws -> String {
        guard let value = value(key) else { throw invalid(key, "is missing") }
        guard case .string(let text) = value else { throw invalid(key, "must be a string, found \(value.typeDescription)") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = value(key), value != .null else { return nil }
        return try string(key)
    }

    func integer(_ key: String) throws -> Int {
        guard let value = value(key) else { throw invalid(key, "is missing") }
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 9e15 else {
            throw invalid(key, "must be an integer, found \(value.description)")
        }
        return Int(number)
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = value(key), value != .null else { return [] }
        guard case .array(let elements) = value else { throw invalid(key, "must be an array of strings, found \(value.typeDescription)") }
        return try elements.enumerated().map { index, element in
            guard case .string(let text) = element else {
                throw invalid("\(key)[\(index)]", "must be a string, found \(element.typeDescription)")
            }
            return text
        }
    }

    func objects(_ key: String) throws -> [JSONObjectReader] {
        guard let value = value(key), value != .null else { return [] }
        guard case .array(let elements) = value else { throw invalid(key, "must be an array of objects, found \(value.typeDescription)") }
        return try elements.enumerated().map { try JSONObjectReader($1, file: file, path: keyPath("\(key)[\($0)]")) }
    }

    /// `[{"type": …, "topic": …}]` message declarations under `key`.
    func messageFlows(_ key: String) throws -> [MessageFlow] {
        try objects(key).map { reader in
            try reader.rejectUnknownKeys(["type", "topic"])
            return MessageFlow(messageType: try reader.string("type"), topic: try reader.optionalString("topic"))
        }
    }

    /// `[{"name": …, "range": …}]` plugin dependencies under `key`, names and ranges checked.
    func dependencies(_ key: String) throws -> [PackageDependency] {
        try objects(key).map { reader in
            try reader.rejectUnknownKeys(["name", "range"])
            let dependency = PackageDependency(name: try reader.string("name"), range: try reader.string("range"))
            if let problem = PluginName.problem(dependency.name) { throw reader.invalid("name", "is not a valid plugin name: \(problem)") }
            if dependency.range.trimmingSpaces.isEmpty { throw reader.invalid("range", "cannot be empty") }
            return dependency
        }
    }
}
