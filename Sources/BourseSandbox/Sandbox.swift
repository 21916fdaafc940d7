#if canImport(Glibc)
import Glibc
#endif
import BourseCore

/// The order a plugin worker confines itself in, as two calls:
///
/// ```swift
/// try WorkerSandbox.enterLoaderStage(permissions: p, limits: .default, plugin: path)
/// // ELF check, dlopen, create: constructors run here, already confined
/// // (no capabilities; Landlock: reads only what loading needs, writes
/// // only below the write-paths)
/// try WorkerSandbox.enterStrictStage(permissions: p)
/// // Landlock now confines reads and writes to read-paths/write-paths
/// // serve messages
/// ```
///
/// The worker must have `SWIFT_BACKTRACE=enable=no` in its environment from
/// the start (the Swift runtime reads it at launch; a crash would otherwise
/// try to spawn the backtracer, which the filter forbids).
public enum WorkerSandbox {
    /// Checks `permissions` can be enforced, sets `limits`, drops every
    /// capability, confines reads to what loading `plugin` needs
    /// (``LoaderReadAccess``) and writes to the `write-paths` (when granted)
    /// with Landlock, then loads the loader-stage filter for `permissions`.
    ///
    /// Call it while the process is single-threaded (capabilities belong to
    /// threads, and Landlock below ABI 8 confines only the calling thread and
    /// its future threads), with the plugin's path known: nothing of the
    /// plugin may run before.
    /// - Parameter plugin: the plugin library about to be loaded (nil when
    ///   none is: only the runtime's paths are readable then).
    /// - Throws: `BourseError` from ``validate(permissions:)`` (nothing is
    ///   applied then), ``ResourceLimits/apply()``, ``Capabilities/dropAll()``,
    ///   ``Landlock/restrictLoaderReads(to:)``, ``Landlock/restrictWrites(to:)``
    ///   or ``SeccompPolicy/apply(processID:)``.
    /// - Returns: whether reads are confined (false when the kernel has no
    ///   Landlock: the loader stage then reads any file the dropped
    ///   capabilities still allow; see docs/security.md, Known gaps).
    @discardableResult
    public static func enterLoaderStage(permissions: PluginPermissions, limits: ResourceLimits, plugin: String?) throws -> Bool {
        try validate(permissions: permissions)
        try limits.apply()
        try Capabilities.dropAll()
        let readsConfined = try Landlock.restrictLoaderReads(to: LoaderReadAccess.paths(plugin: plugin, permissions: permissions),
                                                             writePaths: permissions.writePaths)
        if !permissions.writePaths.isEmpty {
            try Landlock.restrictWrites(to: permissions.writePaths)
        }
        try SeccompPolicy(stage: .loader, permissions: permissions).apply()
        return readsConfined
    }

    /// Confines reads to the `read-paths` and `write-paths` and writes to the
    /// `write-paths` with Landlock (when either is granted), then loads the
    /// strict filter for `permissions` on every thread.
    /// - Throws: `BourseError` from ``validate(permissions:)``,
    ///   ``Landlock/confine(readPaths:writePaths:)`` or ``SeccompPolicy/apply(processID:)``.
    public static func enterStrictStage(permissions: PluginPermissions) throws {
        try validate(permissions: permissions)
        if !permissions.readPaths.isEmpty || !permissions.writePaths.isEmpty {
            try Landlock.confine(readPaths: permissions.readPaths, writePaths: permissions.writePaths)
        }
        try SeccompPolicy(stage: .strict, permissions: permissions).apply()
    }

    /// What the worker-side entry points check before confining anything:
    /// the permissions are effective ones (no bare `read-paths`/`write-paths`:
    /// the host must pass concrete paths), every path is absolute and exists,
    /// and Landlock is available when paths are granted.
    /// - Throws: `BourseError` `.invalidValue` (bare permission, relative
    ///   path, `..`), `.fileNotFound` (missing path) or `.io` (no Landlock).
    public static func validate(permissions: PluginPermissions) throws {
        try permissions.requireConcretePaths()
        try Landlock.checkConfinable(readPaths: permissions.readPaths, writePaths: permissions.writePaths)
    }

    /// True when `SWIFT_BACKTRACE` is `enable=no` in this process's environment.
    public static var backtracerDisabled: Bool {
        guard let value = getenv("SWIFT_BACKTRACE") else { return false }
        return String(cString: value).split(separator: ",").contains("enable=no")
    }
}
