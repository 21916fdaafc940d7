#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Turns what a plugin asks for (its descriptor's `permissions`) and what
/// its graph node grants (`allow:`) into the permissions its worker gets.
///
/// A plugin may ask for `read-paths` or `write-paths` without paths: it
/// needs files, and the node decides where (`allow: [write-paths:out]`).
/// When it names paths, each must lie inside a granted one. Relative
/// granted paths are taken from the current directory; `..` and symbolic
/// links are resolved. Other permissions
/// (`network`, `threads`, `exec-memory`) are granted by name.
enum PermissionGrant {
    /// The effective permission list, or the entries the node would have to add.
    struct Decision: Equatable {
        /// Permissions for the worker, with absolute paths (descriptor syntax).
        var effective: String
        /// Requested entries the node does not grant (empty when all are granted).
        var missing: [String]
    }

    static let pathKinds = ["read-paths", "write-paths"]

    static func decide(requested: String, allowed: [String]) -> Decision {
        var grantedPaths: [String: [String]] = [:]
        for entry in allowed {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if pathKinds.contains(parts[0]) {
                grantedPaths[parts[0], default: []] += parts.dropFirst().filter { !$0.isEmpty }.map(absolute)
            }
        }
        var effective: [String] = []
        var missing: [String] = []
        for entry in requested.split(separator: ",").map({ $0.trimmingCharacters() }) where !entry.isEmpty {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let kind = parts[0]
            guard pathKinds.contains(kind) else {
                if allowed.contains(entry) { effective.append(entry) } else { missing.append(entry) }
                continue
            }
            let granted = grantedPaths[kind] ?? []
            let asked = parts.dropFirst().filter { !$0.isEmpty }.map(absolute)
            if asked.isEmpty {
                if granted.isEmpty { missing.append("\(kind):DIR") } else { effective.append(([kind] + granted).joined(separator: ":")) }
                continue
            }
            let uncovered = asked.filter { path in !granted.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
            if uncovered.isEmpty { effective.append(([kind] + asked).joined(separator: ":")) } else { missing.append(([kind] + uncovered).joined(separator: ":")) }
        }
        return Decision(effective: effective.joined(separator: ","), missing: missing)
    }

    /// The directories a decision lets the plugin write to.
    static func writeDirectories(_ effective: String) -> [String] {
        effective.split(separator: ",").map(String.init).filter { $0.hasPrefix("write-paths:") }
            .flatMap { $0.split(separator: ":").dropFirst().map(String.init) }
    }

    /// Absolute and canonical (`..` and symbolic links resolved): what the
    /// worker's permission parser and Landlock get.
    static func absolute(_ path: String) -> String { canonicalPath(path) }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// Creates `path` and its parents (mode 0755), like `mkdir -p`.
func createDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw BourseError(.io, "cannot create directory \(current): \(String(cString: strerror(errno)))", input: current)
        }
    }
}
