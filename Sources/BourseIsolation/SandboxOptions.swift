import BourseCore

/// How one node's sandboxed worker is run and supervised.
public struct SandboxOptions: Sendable, Equatable {
    /// The `bourse-worker` executable.
    public var workerExecutable: String
    /// Permissions granted to the plugin (descriptor syntax, e.g. "network,threads").
    public var permissions: String = ""
    /// Address-space limit in bytes (RLIMIT_AS).
    public var addressSpaceBytes: Int = 1 << 30
    /// CPU time limit in seconds (RLIMIT_CPU).
    public var cpuSeconds: Int = 86_400
    /// Open files limit (RLIMIT_NOFILE).
    public var openFiles: Int = 64
    /// A call into the plugin (on_messages, poll, ...) taking longer is a hang: the worker is killed.
    public var callTimeoutNanoseconds: Int64 = 10_000_000_000
    /// Time allowed to start a worker, load the plugin and create the instance.
    public var startTimeoutNanoseconds: Int64 = 30_000_000_000
    /// Restarts after a crash or hang before the node is quarantined.
    public var maximumRestarts: Int = 3
    /// First delay before a restart; doubles each time, up to 10 s.
    public var restartBackoffNanoseconds: Int64 = 100_000_000
    /// Bytes of each of the two shared rings.
    public var ringBytes: Int = 1 << 20

    /// Options with defaults and the worker found next to the running executable.
    public init(workerExecutable: String) {
        self.workerExecutable = workerExecutable
    }

    /// The worker's command-line arguments (trusted input, read before any plugin code runs).
    var workerArguments: [String] {
        ["--protocol", String(workerProtocolVersion),
         "--permissions", permissions.isEmpty ? "none" : permissions,
         "--address-space", String(addressSpaceBytes),
         "--cpu-seconds", String(cpuSeconds),
         "--open-files", String(openFiles)]
    }
}
