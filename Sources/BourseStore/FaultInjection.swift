#if canImport(Glibc)
import Glibc
#endif

/// Numbered steps inside store operations, for crash testing: when
/// `BOURSE_FAULT_STEP=N` is set, the process kills itself with SIGKILL at
/// its Nth step (counting from 1 across the whole process). In install,
/// upgrade, rollback, pin, uninstall and gc, steps come after: each file
/// written and fsynced into staging and each staged directory fsynced (inside
/// `VerifiedPackage.extract`, so a kill can leave a half-written staging
/// directory), creating a plugin directory, each rename into or out of the
/// store and the fsync of its parent, each SQL statement that writes (the file
/// rows of one version are one batch, one step), the transaction's begin and
/// its commit. `BOURSE_FAULT_TRACE=1` prints each step
/// on stderr, which is how a test learns how many steps an operation has.
public enum FaultInjection {
    nonisolated(unsafe) private static var counter = 0
    private static let target: Int? = getenv("BOURSE_FAULT_STEP").flatMap { Int(String(cString: $0)) }
    private static let trace: Bool = getenv("BOURSE_FAULT_TRACE") != nil

    /// Marks one step; dies here when it is the configured one.
    public static func step(_ label: @autoclosure () -> String) {
        guard target != nil || trace else { return }
        counter += 1
        if trace { fputs("fault-step \(counter): \(label())\n", stderr) }
        if counter == target { kill(getpid(), SIGKILL) }
    }

    /// Whether steps are being counted (BOURSE_FAULT_STEP or BOURSE_FAULT_TRACE set).
    public static var isActive: Bool { target != nil || trace }

    /// Steps marked so far in this process.
    public static var stepsTaken: Int { counter }
}
