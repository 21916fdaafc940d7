import BourseCore

/// One thing a plugin may do beyond computing on the messages it is given.
///
/// Without any permission a plugin can only run code, allocate memory (within
/// ``ResourceLimits``), read the clock, write to its inherited stdout/stderr and
/// wait on futexes (the shared-memory transport). Each permission widens the
/// strict seccomp filter; see `docs/security.md` for the exact table.
public enum PluginPermission: Hashable, Sendable, CustomStringConvertible {
    /// Internet sockets: `socket` for `AF_INET`/`AF_INET6` with `SOCK_STREAM`
    /// or `SOCK_DGRAM` only (no Unix, netlink, packet or raw sockets), plus
    /// `connect`, `bind`, `listen`, `accept4`, send/receive calls, `poll`, and
    /// `write`/`writev` on any descriptor (sockets are written with `write`).
    case network
    /// Read-only `openat` (no `O_CREAT`, `O_TRUNC`, `O_APPEND`, `O_TMPFILE`,
    /// no write access mode) confined by Landlock to these absolute paths and
    /// what lies below them. Seccomp cannot look at path strings; Landlock
    /// does the path check. The host may instead open files itself and pass
    /// descriptors, which needs no permission at all.
    case readPaths([String])
    /// New threads: `clone` with `CLONE_THREAD|CLONE_VM|CLONE_SIGHAND` and no
    /// namespace flags. Without it `pthread_create` fails with `EPERM`.
    case threads
    /// Executable memory after loading: `mmap`/`mprotect` with `PROT_EXEC`
    /// and `memfd_create`, for plugins that embed a JIT.
    case execMemory

    /// The name used in permission lists (`network`, `read-paths:/a:/b`, ...).
    public var description: String {
        switch self {
        case .network: return "network"
        case .readPaths(let paths): return (["read-paths"] + paths).joined(separator: ":")
        case .threads: return "threads"
        case .execMemory: return "exec-memory"
        }
    }
}

/// The set of permissions granted to one plugin.
///
/// Parse it from the comma list a plugin manifest or the command line gives
/// (`"network,threads,read-paths:/data:/etc/zoneinfo,exec-memory"`) with
/// ``parse(_:)``; `description` prints the canonical list back.
public struct PluginPermissions: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Internet sockets (see ``PluginPermission/network``).
    public var network: Bool
    /// New threads (see ``PluginPermission/threads``).
    public var threads: Bool
    /// Executable memory after loading (see ``PluginPermission/execMemory``).
    public var execMemory: Bool
    /// Absolute paths the plugin may open read-only, in the order given,
    /// without duplicates (see ``PluginPermission/readPaths(_:)``).
    public var readPaths: [String]

    /// No permission at all: compute on messages only.
    public static let none = PluginPermissions()

    /// Every permission names, as they appear in lists (`read-paths` takes paths).
    public static let knownNames = ["network", "threads", "read-paths", "exec-memory"]

    /// Creates a permission set from individual flags.
    public init(network: Bool = false, threads: Bool = false, execMemory: Bool = false, readPaths: [String] = []) {
        self.network = network
        self.threads = threads
        self.execMemory = execMemory
        self.readPaths = []
        for path in readPaths where !self.readPaths.contains(path) { self.readPaths.append(path) }
    }

    /// Creates a permission set from a list of permissions (`readPaths` accumulate).
    public init(_ permissions: [PluginPermission]) {
        self.init()
        for permission in permissions { insert(permission) }
    }

    /// Adds one permission (paths are appended, duplicates dropped).
    public mutating func insert(_ permission: PluginPermission) {
        switch permission {
        case .network: network = true
        case .threads: threads = true
        case .execMemory: execMemory = true
        case .readPaths(let paths):
            for path in paths where !readPaths.contains(path) { readPaths.append(path) }
        }
    }

    /// The granted permissions as a list, in canonical order.
    public var permissions: [PluginPermission] {
        var list: [PluginPermission] = []
        if network { list.append(.network) }
        if threads { list.append(.threads) }
        if !readPaths.isEmpty { list.append(.readPaths(readPaths)) }
        if execMemory { list.append(.execMemory) }
        return list
    }

    /// True when nothing is granted.
    public var isEmpty: Bool { permissions.isEmpty }

    /// The canonical comma list (`network,threads,read-paths:/data,exec-memory`),
    /// or `none` for the empty set. ``parse(_:)`` reads it back.
    public var description: String {
        let list = permissions
        return list.isEmpty ? "none" : list.map(\.description).joined(separator: ",")
    }

    /// Parses a comma list such as `network,threads,read-paths:/data:/etc/zoneinfo,exec-memory`.
    ///
    /// Items are trimmed of spaces; empty items are ignored; `none` (alone)
    /// and the empty string mean no permission; repeated items merge.
    /// - Throws: `BourseError` with code `.invalidValue` naming the offending
    ///   item: an unknown name (with a suggestion when one is close), an
    ///   argument given to a permission that takes none, `read-paths` without
    ///   paths, or a path that is not absolute or contains `..` or a NUL byte.
    public static func parse(_ list: String) throws -> PluginPermissions {
        var result = PluginPermissions()
        let items = list.split(separator: ",", omittingEmptySubsequences: false)
            .map { trim(String($0)) }.filter { !$0.isEmpty }
        if items == ["none"] { return result }
        for item in items {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            let arguments = Array(parts.dropFirst())
            switch name {
            case "network", "threads", "exec-memory":
                guard arguments.isEmpty else {
                    throw BourseError(.invalidValue, "permission '\(name)' takes no argument (got '\(item)')", input: item)
                }
                result.insert(name == "network" ? .network : name == "threads" ? .threads : .execMemory)
            case "read-paths":
                let paths = arguments.filter { !$0.isEmpty }
                guard !paths.isEmpty else {
                    throw BourseError(.invalidValue, "permission 'read-paths' needs at least one path: read-paths:/data[:/other]", input: item)
                }
                for path in paths {
                    guard path.hasPrefix("/") else {
                        throw BourseError(.invalidValue, "read-paths: '\(path)' is not an absolute path", input: path)
                    }
                    guard !path.split(separator: "/").contains(".."), !path.utf8.contains(0) else {
                        throw BourseError(.invalidValue, "read-paths: '\(path)' must not contain '..' or NUL", input: path)
                    }
                }
                result.insert(.readPaths(paths))
            case "none":
                throw BourseError(.invalidValue, "permission 'none' cannot be combined with other permissions", input: name)
            default:
                var message = "unknown permission '\(name)'; known: network, threads, read-paths:PATH[:PATH...], exec-memory"
                if let close = suggestion(for: name) { message += " (did you mean '\(close)'?)" }
                throw BourseError(.invalidValue, message, input: name)
            }
        }
        return result
    }

    private static func trim(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }

    /// The known name within edit distance 2 of `name`, if any.
    static func suggestion(for name: String) -> String? {
        let candidates = knownNames + ["none"]
        let scored = candidates.map { ($0, editDistance(Array(name.lowercased().utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 || name.lowercased().hasPrefix(best.0) else {
            return nil
        }
        return best.0
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
