import BourseCore
import Yams

/// Walks a composed YAML tree, collecting diagnostics with file positions.
struct YAMLReader {
    let file: String
    /// Values for `${NAME}` in config strings: GRAPH_DIR, then the environment.
    let variables: [String: String]
    var diagnostics: [Diagnostic] = []

    init(file: String, variables: [String: String] = [:]) {
        self.file = file
        self.variables = variables
    }

    /// Expands `${NAME}` and `${NAME:-default}` in a config string; `$$` is a
    /// literal `$`. An unknown name without a default is an error.
    mutating func expand(_ text: String, at node: Node) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest.index(after: dollar)
            if after < rest.endIndex, rest[after] == "$" {
                out += "$"
                rest = rest[rest.index(after: after)...]
                continue
            }
            guard after < rest.endIndex, rest[after] == "{", let close = rest[after...].firstIndex(of: "}") else {
                out += "$"
                rest = rest[after...]
                continue
            }
            let body = rest[rest.index(after: after)..<close]
            let parts = body.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = variables[name] {
                out += value
            } else if parts.count == 2 {
                out += parts[1]
            } else {
                error(.invalidValue, "unknown variable ${\(name)} in config; set it in the environment or write ${\(name):-default}", at: node, input: name)
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1)
    }

    mutating func error(_ code: BourseError.Code, _ message: String, at node: Node?, input: String? = nil) {
        diagnostics.append(Diagnostic(.error, BourseError(code, message, input: input), at: location(node)))
    }

    mutating func warning(_ code: BourseError.Code, _ message: String, at location: SourceLocation?, input: String? = nil) {
        diagnostics.append(Diagnostic(.warning, BourseError(code, message, input: input), at: location))
    }

    /// The entries of a mapping, checking keys against `allowed`. Reports
    /// unknown keys (with the allowed list) and non-mapping values.
    mutating func mapping(_ node: Node, what: String, allowed: [String]) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error(.invalidValue, "\(what) must be a mapping of keys to values", at: node)
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error(.invalidValue, "keys of \(what) must be plain strings", at: keyNode)
                continue
            }
            if !allowed.contains(scalar.string) {
                error(.unknownKey, "unknown key '\(scalar.string)' in \(what); allowed: \(allowed.joined(separator: ", "))", at: keyNode, input: scalar.string)
                continue
            }
            entries.append((scalar.string, keyNode, value))
        }
        return entries
    }

    mutating func string(_ node: Node, what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error(.invalidValue, "\(what) must be a string", at: node)
            return nil
        }
        if scalar.string.isEmpty || (scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)) {
            error(.invalidValue, "\(what) must be a non-empty string", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node, what: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string.replacingUnderscores) else {
            error(.invalidValue, "\(what) must be an integer", at: node)
            return nil
        }
        guard range.contains(value) else {
            error(.invalidValue, "\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(value)", at: node, input: String(value))
            return nil
        }
        return value
    }

    /// A string or a list of strings, each with its location.
    mutating func stringList(_ node: Node, what: String) -> [(String, SourceLocation)] {
        switch node {
        case .scalar:
            return string(node, what: what).map { [($0, location(node))] } ?? []
        case .sequence(let sequence):
            if sequence.isEmpty { error(.invalidValue, "\(what) is an empty list; give at least one entry or leave the key out", at: node) }
            return sequence.compactMap { item in string(item, what: "each entry of \(what)").map { ($0, location(item)) } }
        default:
            error(.invalidValue, "\(what) must be a string or a list of strings", at: node)
            return []
        }
    }
}

extension String {
    var replacingUnderscores: String { filter { $0 != "_" } }
}

/// Turns a YAML node into JSON text, so plugins receive their config as JSON.
enum YAMLToJSON {
    static func convert(_ node: Node, reader: inout YAMLReader) -> String {
        switch node {
        case .scalar(let scalar):
            // Variables expand first; a plain scalar then resolves to its
            // type (so `period: ${P:-20}` is a number), a quoted one stays a string.
            let text = reader.expand(scalar.string, at: node)
            return scalar.style == .plain ? plainScalarJSON(text) : quote(text)
        case .sequence(let sequence):
            return "[" + sequence.map { convert($0, reader: &reader) }.joined(separator: ",") + "]"
        case .mapping(let mapping):
            var parts: [String] = []
            for (key, value) in mapping {
                guard case .scalar(let k) = key else {
                    reader.error(.invalidValue, "config keys must be strings", at: key)
                    continue
                }
                parts.append(quote(k.string) + ":" + convert(value, reader: &reader))
            }
            return "{" + parts.joined(separator: ",") + "}"
        case .alias:
            reader.error(.invalidValue, "YAML aliases are not supported in config", at: node)
            return "null"
        }
    }

    /// A plain scalar resolved by the YAML 1.2 core schema: null, bool,
    /// int (decimal, 0o octal, 0x hex), float; anything else is a string.
    /// `.inf` and `.nan` have no JSON form and stay strings.
    static func plainScalarJSON(_ text: String) -> String {
        switch text {
        case "", "~", "null", "Null", "NULL": return "null"
        case "true", "True", "TRUE": return "true"
        case "false", "False", "FALSE": return "false"
        default: break
        }
        if let int = coreInteger(text) { return String(int) }
        if isCoreFloat(text), let double = Double(text), double.isFinite { return "\(double)" }
        return quote(text)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    static func coreInteger(_ text: String) -> Int? {
        if text.hasPrefix("0o") || text.hasPrefix("0x") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
            return Int(digits, radix: text.hasPrefix("0o") ? 8 : 16)
        }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isCoreFloat(_ text: String) -> Bool {
        var chars = Array(text.utf8)[...]
        func digits() -> Int {
            var n = 0
            while let c = chars.first, c >= 48, c <= 57 { chars = chars.dropFirst(); n += 1 }
            return n
        }
        if chars.first == 45 || chars.first == 43 { chars = chars.dropFirst() }
        let whole = digits()
        var fraction = 0
        if chars.first == 46 {
            chars = chars.dropFirst()
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if chars.first == 101 || chars.first == 69 {
            chars = chars.dropFirst()
            if chars.first == 45 || chars.first == 43 { chars = chars.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return chars.isEmpty
    }

    static func quote(_ text: String) -> String { jsonQuoted(text) }
}
