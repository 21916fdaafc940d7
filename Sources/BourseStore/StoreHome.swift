#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// The layout of `$BOURSE_HOME` (default `~/.bourse`):
///
///     state.db          SQLite state (WAL mode)
///     lock              the operation lock (owner pid inside)
///     store/NAME/VER/   unpacked installed versions
///     staging/          extractions in progress (removed at startup)
public struct StoreHome: Sendable, Equatable {
    /// The home directory itself.
    public let root: String

    /// Uses `root` as the home.
    public init(root: String) {
        self.root = absolutePath(root)
    }

    /// `--home` when given, else `$BOURSE_HOME`, else `~/.bourse`.
    public static func resolve(explicit: String?) -> StoreHome {
        if let explicit, !explicit.isEmpty { return StoreHome(root: explicit) }
        if let env = getenv("BOURSE_HOME"), env.pointee != 0 { return StoreHome(root: String(cString: env)) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/root"
        return StoreHome(root: home + "/.bourse")
    }

    /// `state.db`.
    public var databasePath: String { root + "/state.db" }
    /// `lock`.
    public var lockPath: String { root + "/lock" }
    /// `store`.
    public var storeDirectory: String { root + "/store" }
    /// `staging`.
    public var stagingDirectory: String { root + "/staging" }

    /// `store/NAME`.
    public func pluginDirectory(_ name: String) -> String { storeDirectory + "/" + name }
    /// `store/NAME/VERSION`.
    public func versionDirectory(_ name: String, _ version: String) -> String { pluginDirectory(name) + "/" + version }
}
