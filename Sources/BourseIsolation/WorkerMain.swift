#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseSandbox
import CBourseSystem

/// The whole life of a `bourse-worker` process. Order matters:
/// 1. die with the host (parent-death signal), not dumpable;
/// 2. attach the shared-memory channel (fd 3) and wait for the host's
///    configuration (no plugin code has run yet);
/// 3. with the plugin's path known: resource limits, drop every capability,
///    the Landlock read layer (the plugin, library directories, its own
///    `/proc/PID`, the node's paths) and write layer, then the loader-stage
///    seccomp filter — already including the node's granted permissions,
///    because stacked filters can only take permissions away;
/// 4. load the plugin and create the instance (its constructors run here);
/// 5. the strict filter (all threads), then serve until `shutdown`.
public enum WorkerMain {
    /// Exit statuses of the worker (besides signals).
    public enum Status: Int32 {
        /// Served until shutdown, or answered a describe.
        case ok = 0
        /// Bad command line (a host bug).
        case usage = 64
        /// The host speaks another protocol version: bourse and bourse-worker come from different builds.
        case protocolMismatch = 65
        /// Could not attach the channel or enter the sandbox.
        case setup = 70
        /// The channel failed while serving.
        case channel = 74
    }

    /// Runs the worker with `arguments` (without the program name); returns the exit status.
    public static func run(arguments: [String]) -> Int32 {
        _ = bourse_set_parent_death_signal(SIGKILL)
        // The host may have died before the call above took effect.
        if getppid() == 1 { return Status.setup.rawValue }
        _ = bourse_set_not_dumpable()
        if let index = arguments.firstIndex(of: "--protocol"), index + 1 < arguments.count,
           arguments[index + 1] != String(workerProtocolVersion) {
            fputs("bourse-worker: protocol \(arguments[index + 1]) requested, this worker speaks \(workerProtocolVersion): rebuild bourse and bourse-worker together\n", stderr)
            return Status.protocolMismatch.rawValue
        }
        guard let settings = WorkerSettings(arguments) else {
            fputs("bourse-worker: usage: bourse-worker --permissions LIST --address-space BYTES --cpu-seconds N --open-files N (with the channel on fd 3); started by bourse, not by hand\n", stderr)
            return Status.usage.rawValue
        }
        let channel: FrameChannel
        do {
            channel = try attachWorkerChannel()
        } catch {
            fputs("bourse-worker: setup failed: \(error)\n", stderr)
            return Status.setup.rawValue
        }
        let server = WorkerServer(channel: channel)
        do {
            let loaderStage = { (plugin: String) throws in
                do {
                    let readsConfined = try WorkerSandbox.enterLoaderStage(permissions: settings.permissions, limits: settings.limits, plugin: plugin)
                    if !readsConfined {
                        fputs("bourse-worker: warning: this kernel has no Landlock: while loading, the plugin can open any file its (dropped) capabilities allow\n", stderr)
                    }
                } catch let error as BourseError {
                    throw BourseError(error.code, "the worker could not enter its sandbox: \(error.message)", input: error.input)
                }
            }
            let strictStage = { try WorkerSandbox.enterStrictStage(permissions: settings.permissions) }
            guard try server.configure(beforeLoad: loaderStage, afterCreate: strictStage) else {
                return Status.ok.rawValue
            }
            try server.serve()
            return Status.ok.rawValue
        } catch {
            fputs("bourse-worker: \(error)\n", stderr)
            return Status.channel.rawValue
        }
    }
}

/// The worker's command line, from the host (trusted).
struct WorkerSettings {
    var permissions: PluginPermissions
    var limits: ResourceLimits

    init?(_ arguments: [String]) {
        var values: [String: String] = [:]
        var index = 0
        while index + 1 < arguments.count, arguments[index].hasPrefix("--") {
            values[String(arguments[index].dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        guard index == arguments.count, values["protocol"] == String(workerProtocolVersion),
              let permissionText = values["permissions"],
              let addressSpace = values["address-space"].flatMap(UInt64.init),
              let cpu = values["cpu-seconds"].flatMap(UInt64.init),
              let files = values["open-files"].flatMap(UInt64.init) else { return nil }
        guard let permissions = permissionText == "none" ? PluginPermissions.none : try? PluginPermissions.parse(permissionText) else {
            return nil
        }
        self.permissions = permissions
        limits = ResourceLimits(addressSpaceBytes: addressSpace, cpuSeconds: cpu, openFiles: files, coreFileBytes: 0)
    }
}
