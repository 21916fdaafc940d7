#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import CSeccomp

extension SeccompPolicy {
    /// The x86_64 number libseccomp knows for `syscall`, or nil when the name is unknown.
    public static func syscallNumber(_ syscall: String) -> Int32? {
        let number = seccomp_syscall_resolve_name(syscall)
        return number == bourse_scmp_nr_error() ? nil : number
    }

    /// Loads this filter into the kernel for every thread of the process
    /// (`SCMP_FLTATR_CTL_TSYNC`), after setting no-new-privs (libseccomp's
    /// default `SCMP_FLTATR_CTL_NNP`). It cannot be removed afterwards; a
    /// later filter can only restrict further.
    ///
    /// Rules whose action equals ``defaultAction`` are documentation and are
    /// not loaded (libseccomp refuses them: they change nothing).
    ///
    /// - Parameter processID: the value of ``ConditionValue/ownProcessID``
    ///   conditions (`kill`/`tgkill` may target only this process); the
    ///   caller's pid by default.
    /// - Throws: `BourseError` (code `.io`) naming the libseccomp function,
    ///   its negative return code and the errno it stands for: an unknown
    ///   system call name, a rule libseccomp rejects, or a kernel refusal
    ///   (`seccomp_load`: TSYNC failed because a thread could not be synced,
    ///   or seccomp is unavailable).
    public func apply(processID: Int32 = getpid()) throws {
        guard let context = seccomp_init(Self.libseccompAction(defaultAction)) else {
            throw Self.failure("seccomp_init", -ENOMEM, detail: "cannot create a filter context")
        }
        defer { seccomp_release(context) }
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_CTL_TSYNC, 1), "seccomp_attr_set(TSYNC)")
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 1), "seccomp_attr_set(NNP)")
        // Report the kernel's errno from seccomp_load instead of a generic -ECANCELED.
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_API_SYSRAWRC, 1), "seccomp_attr_set(SYSRAWRC)")
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, Self.libseccompAction(foreignArchitectureAction)),
                       "seccomp_attr_set(BADARCH)")
        // Rules whose action is the default action document a denial; libseccomp
        // rejects them (EACCES) since they change nothing, so they are not loaded.
        for rule in rules where rule.action != defaultAction {
            guard let number = Self.syscallNumber(rule.syscall) else {
                throw BourseError(.io, "seccomp: libseccomp does not know the system call '\(rule.syscall)'", input: rule.syscall)
            }
            let comparisons = rule.conditions.map { condition -> scmp_arg_cmp in
                let value = condition.value.resolved(processID: processID)
                switch condition.comparison {
                case .equal: return scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_EQ, datum_a: value, datum_b: 0)
                case .notEqual: return scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_NE, datum_a: value, datum_b: 0)
                case .lessOrEqual: return scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_LE, datum_a: value, datum_b: 0)
                case .greaterOrEqual: return scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
                case .maskedEqual:
                    return scmp_arg_cmp(arg: UInt32(condition.argument), op: SCMP_CMP_MASKED_EQ, datum_a: condition.mask, datum_b: value)
                }
            }
            let rc = comparisons.withUnsafeBufferPointer { buffer in
                seccomp_rule_add_array(context, Self.libseccompAction(rule.action), number,
                                       UInt32(buffer.count), buffer.baseAddress)
            }
            try Self.check(rc, "seccomp_rule_add_array(\(rule.syscall))", input: rule.syscall)
        }
        try Self.check(seccomp_load(context), "seccomp_load", input: "\(stage) stage")
    }

    /// The libseccomp encoding of an action.
    static func libseccompAction(_ action: SeccompAction) -> UInt32 {
        switch action {
        case .allow: return SCMP_ACT_ALLOW
        case .errno(let code): return bourse_scmp_act_errno(UInt16(truncatingIfNeeded: code))
        case .killProcess: return SCMP_ACT_KILL_PROCESS
        }
    }

    private static func check(_ rc: Int32, _ function: String, input: String? = nil) throws {
        if rc < 0 { throw failure(function, rc, input: input) }
    }

    private static func failure(_ function: String, _ rc: Int32, detail: String? = nil, input: String? = nil) -> BourseError {
        let name = LinuxConstants.errnoName(-rc)
        let text = detail.map { ": \($0)" } ?? ""
        return BourseError(.io, "seccomp: \(function) returned \(rc) (\(name))\(text)", input: input ?? function)
    }
}
