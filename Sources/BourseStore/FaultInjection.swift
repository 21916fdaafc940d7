#if canImport(Glibc)
import Glibc
#endif

/// Numbered steps inside store operations, for crash testing: when
/// `BOURSE_FAULT_STEP=N` is set, the process kills itself with SIGKILL at
/// its Nth step (counting from 1 across the whole process). Steps come after
/// each write, fsync, rename and SQL statement of install, upgrade,
/// rollback, uninstall and gc. `BOURSE_FAULT_TRACE=1` prints each step on
/// stderr, which is how a test learns how many steps an operation has.
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
