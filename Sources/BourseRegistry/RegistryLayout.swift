import Foundation

/// Where files live inside a registry: cargo's index layout plus the signed metadata.
///
/// ```
/// config.json                      registry settings (archive path template)
/// root.json                        trusted keys per role, threshold, version, expiry (signed)
/// snapshot.json                    SHA-256 and length of every index file (signed, short expiry)
/// timestamp.json                   SHA-256 and length of snapshot.json (signed, shortest expiry)
/// 1/a  2/ab  3/a/abc  ab/cd/abcdef  one index file per plugin, one JSON line per version
/// archives/NAME/NAME-VERSION.bpkg  the packages
/// ```
public enum RegistryLayout {
    /// The registry settings file.
    public static let configFile = "config.json"
    /// The root metadata file.
    public static let rootFile = "root.json"
    /// The snapshot metadata file.
    public static let snapshotFile = "snapshot.json"
    /// The timestamp metadata file.
    public static let timestampFile = "timestamp.json"
    /// The default archive path template (`{name}` and `{vers}` are substituted).
    public static let defaultArchiveTemplate = "archives/{name}/{name}-{vers}.bpkg"

    /// The index file of plugin `name`, relative to the registry root, with
    /// cargo's prefix directories: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`.
    /// Names are lower-cased first.
    public static func indexPath(for name: String) -> String {
        let lower = name.lowercased()
        let chars = Array(lower)
        switch chars.count {
        case 0: return ""
        case 1: return "1/\(lower)"
        case 2: return "2/\(lower)"
        case 3: return "3/\(chars[0])/\(lower)"
        default: return "\(String(chars[0..<2]))/\(String(chars[2..<4]))/\(lower)"
        }
    }

    /// Whether `path` (relative) has the shape of an index file path for its last component.
    public static func isIndexPath(_ path: String) -> Bool {
        guard let name = path.split(separator: "/").last else { return false }
        return indexPath(for: String(name)) == path
    }

    /// The plugin name of an index file path (its last component).
    public static func pluginName(ofIndexPath path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The archive path for `name`@`version` from `template`.
    public static func archivePath(template: String, name: String, version: String) -> String {
        template.replacingOccurrences(of: "{name}", with: name).replacingOccurrences(of: "{vers}", with: version)
    }

    /// Whether a relative path is safe to join to a registry root: no empty,
    /// `.` or `..` components, not absolute, no backslash or NUL.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        if path.isEmpty || path.hasPrefix("/") || path.contains("\\") || path.contains("\0") { return false }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." { return false }
        }
        return true
    }
}
