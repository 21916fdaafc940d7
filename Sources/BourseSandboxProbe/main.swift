// bourse-sandbox-probe: enters the sandbox like a plugin worker and tries one
// action, printing `result: ok` or `result: errno N (NAME)` (or dying by
// SIGSYS for the kill list). Proves what the policy contains.
//
//   bourse-sandbox-probe [--stage none|loader|strict] [--permissions LIST]
//       [--limits as=1G,cpu=60,nofile=256,core=0 | none] [--create JSON] [--poll N]
//       [--report-memory] [--thread-before-strict] ACTION [ARG...]
//   bourse-sandbox-probe --print-policy [--format text|markdown|markdown-diff|json] [--permissions LIST] [--stage S]
//
// Order, as in the worker (WorkerSandbox): checks → limits → capabilities
// dropped → Landlock read layer → Landlock write layer (write-paths) → loader filter → (dlopen + create) → Landlock
// (read-paths/write-paths) + strict filter → action.
#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import BourseSandbox

// SWIFT_BACKTRACE must be in the environment when the process starts (the
// runtime reads it at launch): when it is missing, set it and re-execute.
// BOURSE_PROBE_KEEP_BACKTRACE=1 skips this, to show what the backtracer does under the filter.
if !WorkerSandbox.backtracerDisabled && getenv("BOURSE_PROBE_KEEP_BACKTRACE") == nil {
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    fputs("bourse-sandbox-probe: warning: cannot re-execute with SWIFT_BACKTRACE=enable=no\n", stderr)
}

struct ProbeOptions {
    var stage = "strict"
    var permissions = PluginPermissions.none
    var limits = ResourceLimits.default
    var createConfig: String?
    var pollTimes = 3
    var reportMemory = false
    var threadBeforeStrict = false
    var printPolicy = false
    var format = "text"
    var stageGiven = false
    var positional: [String] = []

    init(_ arguments: [String]) throws {
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw ProbeUsageError("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--stage":
                stage = try value()
                stageGiven = true
                guard ["none", "loader", "strict"].contains(stage) else { throw ProbeUsageError("--stage: none, loader or strict") }
            case "--permissions": permissions = try PluginPermissions.parse(value())
            case "--limits": limits = try ResourceLimits.parse(value())
            case "--create": createConfig = try value()
            case "--poll": pollTimes = Int(try value()) ?? 3
            case "--report-memory": reportMemory = true
            case "--thread-before-strict": threadBeforeStrict = true
            case "--print-policy": printPolicy = true
            case "--format": format = try value()
            case "-h", "--help": throw ProbeUsageError("")
            default: positional.append(argument)
            }
            index += 1
        }
    }
}

func usage() -> String {
    var lines = ["usage: bourse-sandbox-probe [--stage none|loader|strict] [--permissions LIST] [--limits LIST|none]",
                 "                            [--create JSON] [--poll N] [--report-memory] [--thread-before-strict] ACTION [ARG...]",
                 "       bourse-sandbox-probe --print-policy [--format text|markdown|markdown-diff|json] [--permissions LIST] [--stage S]",
                 "actions:"]
    lines += ProbeAction.usage.map { "  \($0.0)" + String(repeating: " ", count: max(1, 24 - $0.0.count)) + $0.1 }
    return lines.joined(separator: "\n") + "\n"
}

func memoryReport(_ fd: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = pread(fd, &buffer, buffer.count, 0)
    guard n > 0 else { return "memory: unavailable (\(errnoText(errno)))" }
    let keys = ["VmPeak", "VmSize", "VmHWM", "VmRSS", "Threads"]
    let fields = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, keys.contains(String(parts[0])) else { return nil }
        return "\(parts[0])=\(parts[1].filter { $0 != " " && $0 != "\t" })"
    }
    return "memory: " + fields.joined(separator: " ")
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    fputs("bourse-sandbox-probe: \(message)\n", stderr)
    exit(status)
}

let options: ProbeOptions
do {
    options = try ProbeOptions(Array(CommandLine.arguments.dropFirst()))
} catch let error as ProbeUsageError {
    if !error.message.isEmpty { fputs("bourse-sandbox-probe: \(error.message)\n", stderr) }
    fputs(usage(), stderr)
    exit(error.message.isEmpty ? 0 : 64)
} catch {
    fail("\(error)", status: 64)
}

if options.printPolicy {
    let stages: [SeccompPolicy.Stage] = options.stageGiven ? SeccompPolicy.Stage.allCases.filter { $0.rawValue == options.stage } : SeccompPolicy.Stage.allCases
    let table = SyscallTable(permissions: options.permissions, stages: stages)
    switch options.format {
    case "markdown": print(table.markdown(), terminator: "")
    case "markdown-diff": print(table.markdownDifferences(from: SyscallTable(permissions: .none, stages: stages)), terminator: "")
    case "json": print(table.json())
    default: print(table.text(), terminator: "")
    }
    exit(0)
}

guard let actionName = options.positional.first else { fputs(usage(), stderr); exit(64) }
var action: ProbeAction
do {
    action = try ProbeAction(name: actionName, arguments: Array(options.positional.dropFirst()))
} catch let error as ProbeUsageError {
    fail(error.message, status: 64)
}
if options.stage == "none" && ["ptrace-parent", "setpriority-parent"].contains(actionName) {
    fail("refusing \(actionName) without a filter", status: 64)
}
action.prepare()
let statusFD = options.reportMemory ? open("/proc/self/status", O_RDONLY | O_CLOEXEC) : -1

var plugin: LoadedPlugin?
do {
    if options.stage == "none" {
        try options.limits.apply()
    } else {
        // Validation (no bare read-paths/write-paths, paths exist, Landlock
        // present), limits, capabilities dropped, the Landlock read layer
        // (the plugin when `dlopen`, libraries, /proc/self, the node's paths)
        // and write layer (write-paths), the loader filter.
        try WorkerSandbox.enterLoaderStage(permissions: options.permissions, limits: options.limits,
                                           plugin: actionName == "dlopen" ? action.argument : nil)
    }
    if actionName == "dlopen" {
        plugin = LoadedPlugin.load(action.argument!)
        if let plugin, let config = options.createConfig, !plugin.create(config: config) {
            print("result: create-failed")
            exit(1)
        }
    }
    if options.threadBeforeStrict {
        // A thread that outlives the loader stage, as a plugin constructor might start.
        var thread = pthread_t()
        _ = pthread_create(&thread, nil, { _ in EarlyThread.serve() }, nil)
    }
    if options.stage == "strict" {
        try WorkerSandbox.enterStrictStage(permissions: options.permissions)
    }
} catch {
    fail("cannot enter the sandbox: \(error)")
}

let result = action.run(plugin: plugin, pollTimes: options.pollTimes, threads: options.permissions.threads)
print("result: \(result)")
if statusFD >= 0 { print(memoryReport(statusFD)) }
exit(0)
