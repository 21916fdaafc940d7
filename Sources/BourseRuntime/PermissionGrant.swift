/// Compares what a plugin asks for (its descriptor's `permissions`) with
/// what a graph node grants (`allow:`).
enum PermissionGrant {
    /// The requested entries that `allowed` does not cover. `read-paths`
    /// is covered path by path: a requested path must equal or lie under a
    /// granted one.
    static func missing(requested: String, allowed: [String]) -> [String] {
        let grantedPaths = allowed.filter { $0.hasPrefix("read-paths:") }
            .flatMap { $0.split(separator: ":").dropFirst().map(String.init) }
        var missing: [String] = []
        for entry in requested.split(separator: ",").map({ $0.trimmingCharacters() }) where !entry.isEmpty {
            if entry.hasPrefix("read-paths:") {
                let paths = entry.split(separator: ":").dropFirst().map(String.init)
                let uncovered = paths.filter { path in !grantedPaths.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") } }
                if !uncovered.isEmpty { missing.append((["read-paths"] + uncovered).joined(separator: ":")) }
            } else if !allowed.contains(entry) {
                missing.append(entry)
            }
        }
        return missing
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
