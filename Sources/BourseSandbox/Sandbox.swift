#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// The order a plugin worker confines itself in, as two calls:
///
/// ```swift
/// try WorkerSandbox.enterLoaderStage(permissions: p, limits: .default)
/// // ELF check, dlopen, create: constructors run here, already confined
/// try WorkerSandbox.enterStrictStage(permissions: p)
/// // serve messages
/// ```
///
/// The worker must have `SWIFT_BACKTRACE=enable=no` in its environment from
/// the start (the Swift runtime reads it at launch; a crash would otherwise
/// try to spawn the backtracer, which the filter forbids).
public enum WorkerSandbox {
    /// Sets `limits`, then loads the loader-stage filter for `permissions`.
    /// - Throws: `BourseError` from ``ResourceLimits/apply()`` or ``SeccompPolicy/apply(processID:)``.
    public static func enterLoaderStage(permissions: PluginPermissions, limits: ResourceLimits) throws {
        try limits.apply()
        try SeccompPolicy(stage: .loader, permissions: permissions).apply()
    }

    /// Confines reads to the `read-paths` with Landlock (when granted), then
    /// loads the strict filter for `permissions` on every thread.
    /// - Throws: `BourseError` from ``Landlock/restrictReads(to:)`` or ``SeccompPolicy/apply(processID:)``.
    public static func enterStrictStage(permissions: PluginPermissions) throws {
        if !permissions.readPaths.isEmpty {
            try Landlock.restrictReads(to: permissions.readPaths)
        }
        try SeccompPolicy(stage: .strict, permissions: permissions).apply()
    }

    /// True when `SWIFT_BACKTRACE` is `enable=no` in this process's environment.
    public static var backtracerDisabled: Bool {
        guard let value = getenv("SWIFT_BACKTRACE") else { return false }
        return String(cString: value).split(separator: ",").contains("enable=no")
    }
}
