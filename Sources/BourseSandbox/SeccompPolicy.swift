/// A seccomp filter as data: which system calls a plugin worker may make in
/// one stage, with the reason for every rule.
///
/// A worker enters two stages, in order:
/// 1. ``Stage/loader`` after setting its resource limits and before `dlopen`:
///    the plugin's constructors run inside `dlopen`, so they already run
///    confined; loading may still open and map files (read-only, executable).
/// 2. ``Stage/strict`` after `dlopen` and the plugin's `create`, for every
///    thread (TSYNC): no more files (unless `read-paths` or `write-paths`;
///    Landlock confines the paths), no new code
///    (unless `exec-memory`), no threads (unless `threads`), no sockets
///    (unless `network`).
///
/// Seccomp filters stack and the strictest answer wins, so everything the
/// strict stage allows is also allowed by the loader stage for the same
/// permissions (the tests check this).
///
/// Anything not listed gets ``defaultAction`` (`errno(EPERM)`); calls on the
/// kill list end the process with SIGSYS; 32-bit and x32 system calls are a
/// foreign architecture for the filter and also kill the process.
public struct SeccompPolicy: Hashable, Sendable, Codable {
    /// The two stages of a worker.
    public enum Stage: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// Between setting limits and the end of the plugin's `create`.
        case loader
        /// While the plugin serves messages.
        case strict

        /// `loader` or `strict`.
        public var description: String { rawValue }
    }

    /// The stage this filter is for.
    public let stage: Stage
    /// The permissions it grants.
    public let permissions: PluginPermissions
    /// What happens to a call no rule matches: `errno(EPERM)`.
    public let defaultAction: SeccompAction
    /// What happens to a call of another architecture (int 0x80, x32): kill.
    public let foreignArchitectureAction: SeccompAction
    /// The rules, in the order they are printed; several rules for one call
    /// are alternatives (any may match).
    public let rules: [SeccompRule]

    /// Builds the policy of `stage` for `permissions`.
    public init(stage: Stage, permissions: PluginPermissions) {
        self.stage = stage
        self.permissions = permissions
        defaultAction = .deny
        foreignArchitectureAction = .killProcess
        // Loading rules come before the permission rules so that, in the
        // loader stage, their reasons are the ones kept for shared calls.
        var candidates = SyscallCatalog.killList() + SyscallCatalog.runtime()
        if stage == .loader {
            candidates += SyscallCatalog.loading(landlock: !permissions.readPaths.isEmpty || !permissions.writePaths.isEmpty)
        }
        candidates += SyscallCatalog.strictMemory(execMemory: permissions.execMemory)
        candidates += SyscallCatalog.threads(granted: permissions.threads)
        candidates += SyscallCatalog.readPaths(granted: !permissions.readPaths.isEmpty || !permissions.writePaths.isEmpty,
                                               label: permissions.readPaths.isEmpty ? "write-paths" : "read-paths")
        candidates += SyscallCatalog.writePaths(granted: !permissions.writePaths.isEmpty)
        candidates += SyscallCatalog.network(granted: permissions.network)
        candidates += SyscallCatalog.notableDenials(execMemory: permissions.execMemory)
        rules = Self.normalize(candidates)
    }

    /// Both stages for `permissions`, in the order a worker enters them.
    public static func stages(for permissions: PluginPermissions) -> [SeccompPolicy] {
        Stage.allCases.map { SeccompPolicy(stage: $0, permissions: permissions) }
    }

    /// The rules for one system call (empty: the default action applies).
    public func rules(for syscall: String) -> [SeccompRule] {
        rules.filter { $0.syscall == syscall }
    }

    /// The action for `syscall` when no argument condition is considered:
    /// the action of its unconditional rule, else `nil` when only conditional
    /// rules exist (the call is allowed for some arguments), else the default.
    public func unconditionalAction(for syscall: String) -> SeccompAction? {
        let matching = rules(for: syscall)
        if matching.isEmpty { return defaultAction }
        return matching.first { $0.conditions.isEmpty }?.action
    }

    /// The names of the calls that always kill the process (the attack-only
    /// list; `clone` of a thread without the `threads` permission also kills,
    /// conditionally, and is not in this list).
    public var killList: [String] {
        rules.filter { $0.action == .killProcess && $0.conditions.isEmpty }.map(\.syscall)
    }

    /// Merges candidate rules into one consistent list per system call:
    /// an unconditional kill rule excludes every other rule for its call; an unconditional
    /// allow replaces conditional allows; any allow replaces plain denials
    /// (the default action already denies what the allows do not match);
    /// duplicates (same action and conditions) keep the first reason.
    static func normalize(_ candidates: [SeccompRule]) -> [SeccompRule] {
        var order: [String] = []
        var bySyscall: [String: [SeccompRule]] = [:]
        for rule in candidates {
            if bySyscall[rule.syscall] == nil { order.append(rule.syscall) }
            bySyscall[rule.syscall, default: []].append(rule)
        }
        var result: [SeccompRule] = []
        for name in order {
            let group = bySyscall[name]!
            var chosen: [SeccompRule]
            if let kill = group.first(where: { $0.action == .killProcess && $0.conditions.isEmpty }) {
                chosen = [kill]
            } else {
                let allows = group.filter { $0.action == .allow }
                let others = group.filter { $0.action != .allow }
                if let unconditional = allows.first(where: { $0.conditions.isEmpty }) {
                    chosen = [unconditional]
                } else if !allows.isEmpty {
                    chosen = allows + others.filter { !$0.conditions.isEmpty }
                } else {
                    chosen = others
                }
            }
            var kept: [SeccompRule] = []
            for rule in chosen where !kept.contains(where: { $0.action == rule.action && $0.conditions == rule.conditions }) {
                kept.append(rule)
            }
            result += kept
        }
        return result
    }
}
