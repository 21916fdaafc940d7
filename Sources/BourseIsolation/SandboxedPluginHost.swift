#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BoursePluginHost
import BourseSandbox
import CBourseABI
import Synchronization

/// Hosts each plugin instance in its own sandboxed `bourse-worker` process.
///
/// The host process never `dlopen`s a plugin: it checks the ELF file
/// itself, then asks a sandboxed worker to load the plugin and report its
/// descriptor (a plugin's constructors run at load time, so loading is
/// already running untrusted code).
public final class SandboxedPluginHost: PluginHost, @unchecked Sendable {
    /// Settings of the workers this host starts.
    public let options: SandboxOptions
    /// Descriptors already read, per path, for the whole process (a
    /// describe costs a worker start).
    private static let described = Mutex([String: PluginInfo]())

    /// Creates a host whose workers use `options`.
    public init(options: SandboxOptions) {
        self.options = options
    }

    /// `bourse-worker` next to the running executable, or `$BOURSE_WORKER`.
    public static func defaultWorkerExecutable() -> String {
        if let env = getenv("BOURSE_WORKER") { return String(cString: env) }
        let directory = executableDirectory() ?? "."
        return directory + "/bourse-worker"
    }

    /// Checks the ELF file here, then loads the plugin in a sandboxed worker
    /// (no instance) and returns its descriptor facts. Cached per path.
    public func inspect(path: String, label: String) throws -> PluginInfo {
        if let cached = SandboxedPluginHost.described.withLock({ $0[path] }) { return cached }
        _ = try ELFInspector.check(path: path, plugin: label)
        guard access(options.workerExecutable, X_OK) == 0 else {
            throw BourseError(.fileNotFound, "the sandbox worker \(options.workerExecutable) is missing or not executable; build it (swift build) or set BOURSE_WORKER", input: options.workerExecutable)
        }
        var describeOptions = options
        describeOptions.permissions = ""
        let info = try WorkerSession.describe(path: path, label: label, options: describeOptions)
        SandboxedPluginHost.described.withLock { $0[path] = info }
        return info
    }

    /// Starts a worker for the node and creates the instance in it.
    public func instantiate(path: String, label: String, expectedKind: PluginKind?,
                            configJSON: String, services: NodeServices) throws -> PluginInstance {
        let info = try inspect(path: path, label: label)
        if let expectedKind, info.kind != expectedKind {
            throw BourseError(.wrongKind, "node '\(label)': plugin \(info.name) \(info.version) is \(info.kind.withArticle), but the node needs \(expectedKind.withArticle)", input: path)
        }
        if !options.permissions.isEmpty {
            // The worker would only say it did not understand its command line.
            do { _ = try PluginPermissions.parse(options.permissions) } catch let error as BourseError {
                throw BourseError(error.code, "node '\(label)': the permissions granted to plugin \(info.name) are invalid: \(error.message)", input: error.input)
            }
        }
        let nodeOptions = options
        return try SandboxedPluginInstance(info: info, label: label, configJSON: configJSON, services: services,
                                           options: nodeOptions, makeChannel: { try makeFrameChannel(ringBytes: nodeOptions.ringBytes) })
    }
}

/// One-shot worker conversations that need no instance.
enum WorkerSession {
    /// Loads the plugin in a sandboxed worker and returns its descriptor facts.
    static func describe(path: String, label: String, options: SandboxOptions) throws -> PluginInfo {
        let (channel, fd, close) = try makeFrameChannel(ringBytes: 1 << 16)
        defer { close() }
        let worker = try WorkerProcess.spawn(executable: options.workerExecutable, arguments: options.workerArguments, sharedFD: fd)
        defer { worker.kill() }
        try Array(path.utf8).withUnsafeBytes { try channel.send(.describe, $0, timeoutNanoseconds: 5_000_000_000) }
        channel.flush()
        let deadline = Clock.monotonicNanoseconds() + options.startTimeoutNanoseconds
        var info: PluginInfo?
        while true {
            if let frame = try channel.receive(timeoutNanoseconds: 20_000_000) {
                switch FrameKind(rawValue: frame.kind) {
                case .described?:
                    info = try PluginInfoCodec.decode(frame.payload)
                    channel.release()
                    continue
                case .result?:
                    let result = try CallResult(decoding: frame.payload)
                    guard result.status == Int32(BOURSE_OK.rawValue), let info else {
                        // The worker's own check failed (ABI, descriptor...): keep its code and words.
                        if let code = BourseError.Code(rawValue: result.errorCode) {
                            throw BourseError(code, result.message, input: path)
                        }
                        throw BourseError(.loadFailed, "plugin '\(label)': the sandboxed worker could not load \(path): \(result.message)", input: path)
                    }
                    return info
                case .log?:
                    channel.release()
                    continue
                default:
                    throw BourseError(.loadFailed, "plugin '\(label)': the worker loading \(path) sent an invalid frame (kind \(frame.kind))", input: path)
                }
            }
            if worker.hasEnded {
                throw BourseError(.loadFailed, "plugin '\(label)': the sandboxed worker loading \(path) \(worker.endingDescription) (its constructors or loading broke the sandbox's rules)", input: path)
            }
            if Clock.monotonicNanoseconds() > deadline {
                throw BourseError(.loadFailed, "plugin '\(label)': loading \(path) in a worker took more than \(options.startTimeoutNanoseconds / 1_000_000_000) s", input: path)
            }
        }
    }
}
