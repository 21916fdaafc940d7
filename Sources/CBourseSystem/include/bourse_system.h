#ifndef BOURSE_SYSTEM_H
#define BOURSE_SYSTEM_H
/* Small wrappers for Linux calls Swift cannot make directly (variadic
 * functions, GNU extensions hidden behind _GNU_SOURCE). Each returns 0 or
 * -1 with errno set, like the call it wraps, unless documented otherwise. */
#include <sys/types.h>

/** Names the calling thread (at most 15 bytes are kept). */
int bourse_set_thread_name(const char *name);

/**
 * Starts `path` with `argv` and `envp` (both NULL-terminated) as a child
 * whose only open descriptors are 0 (/dev/null), 1 and 2 (inherited), and
 * `pass_fd` renumbered to 3 (when pass_fd >= 0). Uses posix_spawn, so it is
 * safe in a multithreaded process. On success stores the pid and returns 0;
 * on failure returns an errno value (posix_spawn's convention).
 */
int bourse_spawn_worker(const char *path, char *const argv[], char *const envp[], int pass_fd, pid_t *pid);

/** Asks the kernel to send `signal` to the calling process when its parent dies. */
int bourse_set_parent_death_signal(int signal);

/** Disables core dumps and ptrace attachment by non-root peers (PR_SET_DUMPABLE 0). */
int bourse_set_not_dumpable(void);

/**
 * Waits for the child `pid` without blocking. Returns 0 if it is still
 * running, 1 if it ended (status in *status, as waitpid gives it), -1 on
 * error with errno set.
 */
int bourse_child_ended(pid_t pid, int *status);

/**
 * As bourse_child_ended, reaping with wait4: when the child ended, stores the
 * CPU time it used (user + system, in microseconds) in `cpu_microseconds`
 * and its peak resident memory (KiB, ru_maxrss) in `peak_resident_kib`,
 * each when not NULL.
 */
int bourse_child_ended_usage(pid_t pid, int *status, long long *cpu_microseconds, long long *peak_resident_kib);

/** PR_GET_DUMPABLE: 1 when the calling process is dumpable, 0 when not. */
int bourse_is_dumpable(void);

/** 1 when the calling thread has any effective, permitted or inheritable capability, 0 when none, -1 on error. */
int bourse_has_capabilities(void);

/**
 * Drops every capability of the calling process for good: clears the ambient
 * set and, when it holds any capability, empties the bounding set
 * (PR_CAPBSET_DROP) and then the effective, permitted and inheritable sets
 * (capset), and checks none is left. A process without capabilities only
 * clears the ambient set. On failure returns -1 with errno set and
 * `*failed_step` naming the call that failed.
 */
int bourse_drop_capabilities(const char **failed_step);

/** WIFEXITED etc. as functions (they are macros). */
int bourse_wifexited(int status);
int bourse_wexitstatus(int status);
int bourse_wifsignaled(int status);
int bourse_wtermsig(int status);

#endif
