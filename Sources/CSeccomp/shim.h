#ifndef BOURSE_CSECCOMP_SHIM_H
#define BOURSE_CSECCOMP_SHIM_H
#include <errno.h>
#include <stddef.h>
#include <seccomp.h>

/* SCMP_ACT_ERRNO and SCMP_ACT_TRACE are function-like macros: wrap them. */
static inline uint32_t bourse_scmp_act_errno(uint16_t err) { return SCMP_ACT_ERRNO(err); }

/* seccomp_rule_add is variadic and cannot be called from Swift; the array
 * form can, but a fixed-arity wrapper for the common case keeps call sites short. */
static inline int bourse_seccomp_rule_add0(scmp_filter_ctx ctx, uint32_t action, int syscall) {
    return seccomp_rule_add_array(ctx, action, syscall, 0, NULL);
}
#endif
