#ifndef BOURSE_CSECCOMP_SHIM_H
#define BOURSE_CSECCOMP_SHIM_H
#include <errno.h>
#include <stddef.h>
#include <seccomp.h>
#include <unistd.h>
#include <sys/syscall.h>

/* SCMP_ACT_ERRNO and SCMP_ACT_TRACE are function-like macros: wrap them. */
static inline uint32_t bourse_scmp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }

/* seccomp_rule_add is variadic and cannot be called from Swift; the array
 * form can, but a fixed-arity wrapper for the common case keeps call sites short. */
static inline int bourse_seccomp_rule_add0(scmp_filter_ctx ctx, uint32_t action, int syscall) {
    return seccomp_rule_add_array(ctx, action, syscall, 0, NULL);
}

/* __NR_SCMP_ERROR is a macro; seccomp_syscall_resolve_name returns it for an unknown name. */
static inline int bourse_scmp_nr_error(void) { return __NR_SCMP_ERROR; }

/* syscall(2) is variadic and cannot be called from Swift. BourseSandbox uses
 * this fixed-arity form for calls glibc does not wrap (landlock_*) and the
 * probe for raw calls (clone3, keyctl, ptrace...). Returns -1 with errno set
 * on failure, like syscall(2). (Could live in CBourseSystem instead.) */
static inline long bourse_raw_syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
    return syscall(number, a0, a1, a2, a3, a4, a5);
}
#endif
