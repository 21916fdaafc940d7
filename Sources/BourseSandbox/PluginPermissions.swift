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
    ///
    /// An empty list is the bare `read-paths` of a plugin descriptor: "this
    /// plugin reads files; the graph node decides where". A worker refuses it:
    /// the host must turn it into concrete paths first.
    case readPaths([String])
    /// Writing files below these absolute directories: opening for writing
    /// and creating files (`openat` with a write access mode, `O_CREAT`,
    /// `O_TRUNC`, `O_APPEND`; never `O_TMPFILE`), `mkdir`, `write`/`pwrite64`/
    /// `writev` on any descriptor, `fsync`/`fdatasync`, `ftruncate`,
    /// `rename*` and `unlink*`/`rmdir`. Landlock confines every path: the
    /// directories (and what lies below them) may be read, written, created
    /// in and removed from; nothing outside them may be read or written
    /// unless `read-paths` grants reading it.
    ///
    /// An empty list is the bare `write-paths` of a plugin descriptor (the
    /// graph node decides where); a worker refuses it.
    case writePaths([String])
    /// New threads: `clone` with `CLONE_THREAD|CLONE_VM|CLONE_SIGHAND` and no
    /// namespace flags. Without it `pthread_create` fails with `EPERM`.
    case threads
    /// Executable memory after loading: `mmap`/`mprotect` with `PROT_EXEC`
    /// and `memfd_create`, for plugins that embed a JIT.
    case execMemory

    /// The name used in permission lists (`network`, `read-paths:/a:/b`,
    /// `write-paths:/out`, a bare `read-paths`, ...).
    public var description: String {
        switch self {
        case .network: return "network"
        case .readPaths(let paths): return (["read-paths"] + paths).joined(separator: ":")
        case .writePaths(let paths): return (["write-paths"] + paths).joined(separator: ":")
        case .threads: return "threads"
        case .execMemory: return "exec-memory"
        }
    }
}

/// The set of permissions granted to one plugin.
///
/// Parse it from the comma list a plugin manifest or the command line gives
/// (`"network,threads,read-paths:/data:/etc/zoneinfo,write-paths:/out,exec-memory"`)
/// with ``parse(_:)``; `description` prints the canonical list back.
///
/// `read-paths` and `write-paths` may also appear bare (no paths): a plugin
/// descriptor says "I read/write files" and the graph node decides where.
/// ``readPathsUnscoped``/``writePathsUnscoped`` record that request, so the
/// host can tell `read-paths` from `read-paths:/x`; the host then passes the
/// worker the effective permissions with concrete paths, and
/// ``WorkerSandbox/enterLoaderStage(permissions:limits:plugin:)`` refuses a bare one
/// (see ``requireConcretePaths()``).
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
    /// Absolute directories the plugin may write below, in the order given,
    /// without duplicates (see ``PluginPermission/writePaths(_:)``).
    public var writePaths: [String]
    /// A bare `read-paths` was asked for (no paths: the host decides where).
    /// Meaningful only while ``readPaths`` is empty; adding paths clears it.
    public var readPathsUnscoped: Bool
    /// A bare `write-paths` was asked for (no paths: the host decides where).
    /// Meaningful only while ``writePaths`` is empty; adding paths clears it.
    public var writePathsUnscoped: Bool

    /// No permission at all: compute on messages only.
    public static let none = PluginPermissions()

    /// Every permission names, as they appear in lists (`read-paths` and
    /// `write-paths` take paths).
    public static let knownNames = ["network", "threads", "read-paths", "write-paths", "exec-memory"]

    /// Creates a permission set from individual flags. Duplicate paths are
    /// dropped; the bare flags are ignored when paths are given.
    public init(network: Bool = false, threads: Bool = false, execMemory: Bool = false, readPaths: [String] = [],
                writePaths: [String] = [], readPathsUnscoped: Bool = false, writePathsUnscoped: Bool = false) {
        self.network = network
        self.threads = threads
        self.execMemory = execMemory
        self.readPaths = []
        self.writePaths = []
        self.readPathsUnscoped = false
        self.writePathsUnscoped = false
        if readPathsUnscoped { insert(.readPaths([])) }
        if writePathsUnscoped { insert(.writePaths([])) }
        if !readPaths.isEmpty { insert(.readPaths(readPaths)) }
        if !writePaths.isEmpty { insert(.writePaths(writePaths)) }
    }

    /// Creates a permission set from a list of permissions (paths accumulate).
    public init(_ permissions: [PluginPermission]) {
        self.init()
        for permission in permissions { insert(permission) }
    }

    /// Adds one permission (paths are appended, duplicates dropped; an empty
    /// list asks for the bare permission unless paths are already there).
    public mutating func insert(_ permission: PluginPermission) {
        switch permission {
        case .network: network = true
        case .threads: threads = true
        case .execMemory: execMemory = true
        case .readPaths(let paths):
            for path in paths where !readPaths.contains(path) { readPaths.append(path) }
            readPathsUnscoped = readPaths.isEmpty && (readPathsUnscoped || paths.isEmpty)
        case .writePaths(let paths):
            for path in paths where !writePaths.contains(path) { writePaths.append(path) }
            writePathsUnscoped = writePaths.isEmpty && (writePathsUnscoped || paths.isEmpty)
        }
    }

    /// True when the plugin asks to read files (`read-paths`, bare or with paths).
    public var requestsReadPaths: Bool { readPathsUnscoped || !readPaths.isEmpty }

    /// True when the plugin asks to write files (`write-paths`, bare or with paths).
    public var requestsWritePaths: Bool { writePathsUnscoped || !writePaths.isEmpty }

    /// True when a bare `read-paths` or `write-paths` still waits for the
    /// host to supply concrete paths (a worker cannot be started with it).
    public var hasUnscopedPaths: Bool {
        (readPathsUnscoped && readPaths.isEmpty) || (writePathsUnscoped && writePaths.isEmpty)
    }

    /// Checks that these are effective permissions a worker can enforce: no
    /// bare `read-paths`/`write-paths`, and every path absolute, without `..`
    /// or NUL. (Whether the paths exist is checked when Landlock is applied.)
    /// - Throws: `BourseError` `.invalidValue` naming the bare permission or
    ///   the offending path.
    public func requireConcretePaths() throws {
        if readPathsUnscoped && readPaths.isEmpty {
            throw BourseError(.invalidValue, "read-paths was granted without paths; the host must pass concrete "
                + "directories (read-paths:/dir[:/other]) to the worker", input: "read-paths")
        }
        if writePathsUnscoped && writePaths.isEmpty {
            throw BourseError(.invalidValue, "write-paths was granted without paths; the host must pass concrete "
                + "directories (write-paths:/dir[:/other]) to the worker", input: "write-paths")
        }
        for (name, paths) in [("read-paths", readPaths), ("write-paths", writePaths)] {
            for path in paths { try Self.checkPath(path, permission: name) }
        }
    }

    static func checkPath(_ path: String, permission name: String) throws {
        guard path.hasPrefix("/") else {
            throw BourseError(.invalidValue, "\(name): '\(path)' is not an absolute path", input: path)
        }
        guard !path.split(separator: "/").contains(".."), !path.utf8.contains(0) else {
            throw BourseError(.invalidValue, "\(name): '\(path)' must not contain '..' or NUL", input: path)
        }
    }

    /// The granted permissions as a list, in canonical order.
    public var permissions: [PluginPermission] {
        var list: [PluginPermission] = []
        if network { list.append(.network) }
        if threads { list.append(.threads) }
        if requestsReadPaths { list.append(.readPaths(readPaths)) }
        if requestsWritePaths { list.append(.writePaths(writePaths)) }
        if execMemory { list.append(.execMemory) }
        return list
    }

    /// True when nothing is granted.
    public var isEmpty: Bool { permissions.isEmpty }

    /// The canonical comma list (`network,threads,read-paths:/data,write-paths:/out,exec-memory`),
    /// or `none` for the empty set. ``parse(_:)`` reads it back.
    public var description: String {
        let list = permissions
        return list.isEmpty ? "none" : list.map(\.description).joined(separator: ",")
    }

    /// Parses a comma list such as
    /// `network,threads,read-paths:/data:/etc/zoneinfo,write-paths:/out,exec-memory`.
    ///
    /// Items are trimmed of spaces; empty items are ignored; `none` (alone)
    /// and the empty string mean no permission; repeated items merge. A bare
    /// `read-paths` or `write-paths` (no paths, or only empty ones) is
    /// accepted and recorded as ``readPathsUnscoped``/``writePathsUnscoped``:
    /// a descriptor's request whose paths the host supplies.
    /// - Throws: `BourseError` with code `.invalidValue` naming the offending
    ///   item: an unknown name (with a suggestion when one is close), an
    ///   argument given to a permission that takes none, or a path that is
    ///   not absolute or contains `..` or a NUL byte.
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
            case "read-paths", "write-paths":
                let paths = arguments.filter { !$0.isEmpty }
                for path in paths { try checkPath(path, permission: name) }
                result.insert(name == "read-paths" ? .readPaths(paths) : .writePaths(paths))
            case "none":
                throw BourseError(.invalidValue, "permission 'none' cannot be combined with other permissions", input: name)
            default:
                var message = "unknown permission '\(name)'; known: network, threads, read-paths[:PATH...], "
                    + "write-paths[:PATH...], exec-memory"
                if let close = suggestion(for: name) { message += " (did you mean '\(close)'?)" }
                throw BourseError(.invalidValue, message, input: name)
            }
        }
        return result
    }

    private enum CodingKeys: String, CodingKey {
        case network, threads, execMemory, readPaths, writePaths, readPathsUnscoped, writePathsUnscoped
    }

    /// Decodes the synthesized form; `writePaths` and the two bare flags may
    /// be missing (JSON written before `write-paths` existed).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(network: try container.decode(Bool.self, forKey: .network),
                  threads: try container.decode(Bool.self, forKey: .threads),
                  execMemory: try container.decode(Bool.self, forKey: .execMemory),
                  readPaths: try container.decode([String].self, forKey: .readPaths),
                  writePaths: try container.decodeIfPresent([String].self, forKey: .writePaths) ?? [],
                  readPathsUnscoped: try container.decodeIfPresent(Bool.self, forKey: .readPathsUnscoped) ?? false,
                  writePathsUnscoped: try container.decodeIfPresent(Bool.self, forKey: .writePathsUnscoped) ?? false)
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
