#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// Finds the `.so` file for a node's `plugin:` value.
///
/// - A value containing `/` or ending in `.so` is a path, relative to the
///   graph file's directory.
/// - `NAME@RANGE` (`rsi@^1`, `rsi@=1.2.0` to pin a node to one version) is
///   looked up in the plugin store: its active version when in range, else
///   the most recently active (then the highest) installed version in range.
/// - Otherwise it is a plugin name, looked up as `libbourse-NAME.so`, then
///   `libNAME.so`, in each search directory in order: the graph's
///   `plugin_path`, `--plugin-path` options, `$BOURSE_PLUGIN_PATH`
///   (colon-separated), and the directory of the `bourse` executable; then
///   as the active version installed in the plugin store.
public struct PluginResolver: Sendable {
    /// Directories searched for plugin names, in order.
    public var searchPath: [String]
    /// The plugin store, when there is one.
    public var installed: (any InstalledPluginLocator)?

    /// Creates a resolver with an explicit search path.
    public init(searchPath: [String], installed: (any InstalledPluginLocator)? = nil) {
        self.searchPath = searchPath
        self.installed = installed
    }

    /// The default search path after `graphPath` and `extra` directories.
    public static func standard(graphPath: [String], extra: [String], installed: (any InstalledPluginLocator)? = nil) -> PluginResolver {
        var dirs = graphPath + extra
        if let env = getenv("BOURSE_PLUGIN_PATH") {
            dirs += String(cString: env).split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let exe = executableDirectory() { dirs.append(exe) }
        return PluginResolver(searchPath: dirs, installed: installed)
    }

    /// Resolves `plugin` for a graph in `graphDirectory`.
    public func resolve(_ plugin: String, graphDirectory: String) throws -> String {
        if plugin.contains("/") || plugin.hasSuffix(".so") {
            let path = plugin.hasPrefix("/") || graphDirectory == "." ? plugin : graphDirectory + "/" + plugin
            return path
        }
        if plugin.contains("@") {
            let requirement = try PluginRequirement(parsing: plugin)
            guard let installed else {
                throw BourseError(.pluginNotFound, "plugin '\(plugin)' names a version range, which needs the plugin store ($BOURSE_HOME)", input: plugin)
            }
            return try installed.libraryPath(for: requirement)
        }
        let candidates = ["libbourse-\(plugin).so", "lib\(plugin).so"]
        for dir in searchPath {
            for file in candidates {
                let path = dir + "/" + file
                if access(path, F_OK) == 0 { return path }
            }
        }
        if let installed {
            // Installed: its active version. Not installed: the error below. Anything else (its
            // dependencies unmet, an unreadable state database) is reported as it is.
            do { return try installed.libraryPath(for: PluginRequirement(name: plugin)) } catch let error as BourseError where error.code == .notInstalled {}
        }
        let searched = searchPath.isEmpty ? "(no directories; use --plugin-path or BOURSE_PLUGIN_PATH)" : searchPath.joined(separator: ", ")
        let store = installed == nil ? "" : ", and it is not installed in the plugin store (run: bourse install \(plugin))"
        throw BourseError(.pluginNotFound, "plugin '\(plugin)' not found: looked for \(candidates.joined(separator: " and ")) in \(searched)\(store)", input: plugin)
    }

    /// Directory containing the running executable.
    public static func executableDirectory() -> String? { BourseCore.executableDirectory() }
}
