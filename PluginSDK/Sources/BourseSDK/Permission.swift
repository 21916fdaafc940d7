/// A capability a plugin asks for when it runs in a sandboxed worker.
/// Without any, a plugin can compute on the messages it gets and publish;
/// it cannot open files, sockets, threads or executable memory.
public enum Permission: Equatable, Sendable, CustomStringConvertible {
    /// TCP and UDP sockets (IPv4 and IPv6): connect, send, receive.
    case network
    /// Create threads.
    case threads
    /// Map memory executable after loading (JIT compilers).
    case execMemory
    /// Open files read-only under these directories. With no directories,
    /// the graph node decides where (`allow: [read-paths:/data]`).
    case readPaths([String])
    /// Create and write files under these directories. With no
    /// directories, the graph node decides where (`allow: [write-paths:out]`).
    case writePaths([String])

    /// The form used in the descriptor: `network`, `threads`,
    /// `exec-memory`, `read-paths:/a:/b`.
    public var description: String {
        switch self {
        case .network: "network"
        case .threads: "threads"
        case .execMemory: "exec-memory"
        case .readPaths(let paths): (["read-paths"] + paths).joined(separator: ":")
        case .writePaths(let paths): (["write-paths"] + paths).joined(separator: ":")
        }
    }
}
