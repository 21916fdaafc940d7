// Creating the directories of an output file.
#if canImport(Glibc)
import Glibc
#endif

/// Directory helpers for plugins that write files.
public enum Directories {
    /// `mkdir -p` of the directory part of `path` (relative paths start at the
    /// current directory). Returns nil on success, else the directory that
    /// could not be created and the system's reason.
    public static func createParents(of path: String) -> (directory: String, reason: String)? {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast()
        var current = path.hasPrefix("/") ? "" : "."
        for component in components where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                return (current, String(cString: strerror(errno)))
            }
        }
        return nil
    }
}
