import BourseCore
import BoursePluginHost

/// What this host runs on, for the package architecture check.
public enum HostPlatform {
    /// The target triple of this build of bourse (`x86_64-unknown-linux-gnu`, `aarch64-unknown-linux-gnu`).
    public static var targetTriple: String {
        #if arch(x86_64)
        return "x86_64-unknown-linux-gnu"
        #elseif arch(arm64)
        return "aarch64-unknown-linux-gnu"
        #else
        return "unknown-unknown-linux-gnu"
        #endif
    }

    /// Whether a package built for `triple` can run here: same CPU architecture
    /// (`arm64` and `aarch64` are the same) and Linux.
    public static func accepts(triple: String) -> Bool {
        let parts = triple.split(separator: "-").map(String.init)
        guard let arch = parts.first else { return false }
        let canonical = arch == "arm64" ? "aarch64" : arch
        let hostArch = String(targetTriple.split(separator: "-")[0])
        return canonical == hostArch && parts.contains("linux")
    }

    /// The ELF `e_machine` of this host (62 for x86_64, 183 for aarch64).
    public static var elfMachine: UInt16 { ELFInspector.hostMachine }
}

/// The rules for paths inside a package: relative, `/`-separated, no `.` or
/// `..` components, no empty components, printable characters only.
public enum PackagePath {
    /// The longest path allowed, in UTF-8 bytes.
    public static let maximumLength = 1024

    /// Why `path` is not an acceptable package path (nil when it is). The
    /// answer starts with the rule name used in refusals.
    public static func problem(_ path: String) -> String? {
        rule(path).map { "\($0.rule.rawValue): \($0.detail)" }
    }

    /// The rule `path` breaks and why, or nil.
    static func rule(_ path: String) -> (rule: PackageRule, detail: String)? {
        if path.isEmpty { return (.badPath, "the path is empty") }
        if path.utf8.count > maximumLength { return (.badPath, "the path is longer than \(maximumLength) bytes") }
        if path.hasPrefix("/") { return (.absolutePath, "absolute paths are not allowed") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            return (.badPath, "control characters and backslashes are not allowed in paths")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return (.parentPath, "'..' components are not allowed") }
        if components.contains(".") || components.contains("") { return (.badPath, "empty and '.' components are not allowed") }
        return nil
    }
}

/// Names of ELF machines, from the plugin host's table.
enum ELFInspectorName {
    static func machine(_ value: UInt16) -> String { ELFInspector.machineName(value) }
}
