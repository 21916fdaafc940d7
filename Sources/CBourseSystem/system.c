#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bourse_system.h"

int bourse_set_thread_name(const char *name) {
    char buffer[16];
    strncpy(buffer, name, sizeof buffer - 1);
    buffer[sizeof buffer - 1] = '\0';
    return pthread_setname_np(pthread_self(), buffer);
}

int bourse_spawn_worker(const char *path, char *const argv[], char *const envp[], int pass_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0 && pass_fd >= 0) {
        if (pass_fd == 3) {
            /* dup2 onto itself would not clear FD_CLOEXEC: go through a spare number. */
            rc = posix_spawn_file_actions_adddup2(&actions, 3, 1023);
            if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, 1023, 3);
            if (rc == 0) rc = posix_spawn_file_actions_addclose(&actions, 1023);
        } else {
            rc = posix_spawn_file_actions_adddup2(&actions, pass_fd, 3);
        }
    }
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, pass_fd >= 0 ? 4 : 3);
    posix_spawnattr_t attributes;
    if (rc == 0) rc = posix_spawnattr_init(&attributes);
    if (rc == 0) {
        /* Default signal dispositions and an empty mask in the child. */
        sigset_t all, none;
        sigfillset(&all);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attributes, &all);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
        posix_spawnattr_destroy(&attributes);
    }
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int bourse_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int bourse_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0UL, 0, 0, 0);
}

int bourse_child_ended(pid_t pid, int *status) {
    return bourse_child_ended_usage(pid, status, NULL, NULL);
}

int bourse_child_ended_usage(pid_t pid, int *status, long long *cpu_microseconds, long long *peak_resident_kib) {
    for (;;) {
        struct rusage usage;
        memset(&usage, 0, sizeof usage);
        pid_t r = wait4(pid, status, WNOHANG, &usage);
        if (r == pid && cpu_microseconds) {
            *cpu_microseconds = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL
                + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
        }
        if (r == pid && peak_resident_kib) *peak_resident_kib = usage.ru_maxrss;
        if (r == pid) return 1;
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        return -1;
    }
}

int bourse_wifexited(int status) { return WIFEXITED(status); }
int bourse_wexitstatus(int status) { return WEXITSTATUS(status); }
int bourse_wifsignaled(int status) { return WIFSIGNALED(status); }
int bourse_wtermsig(int status) { return WTERMSIG(status); }

int bourse_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static int read_capabilities(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    memset(data, 0, 2 * sizeof data[0]);
    return (int)syscall(SYS_capget, &header, data);
}

int bourse_has_capabilities(void) {
    struct __user_cap_data_struct data[2];
    if (read_capabilities(data) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        if (data[i].effective || data[i].permitted || data[i].inheritable) return 1;
    }
    return 0;
}

int bourse_drop_capabilities(const char **failed_step) {
    struct __user_cap_data_struct data[2];
    *failed_step = "capget";
    if (read_capabilities(data) != 0) return -1;
    int any = 0;
    for (int i = 0; i < 2; i++) any |= (data[i].effective || data[i].permitted || data[i].inheritable);
    /* Ambient capabilities would come back at an execve (which seccomp forbids anyway). */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        *failed_step = "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
        return -1;
    }
    if (!any) return 0;  /* nothing to drop; the bounding set needs CAP_SETPCAP, which we lack */
    /* The bounding set first: dropping from it needs CAP_SETPCAP, which capset removes. */
    for (int cap = 0; cap < 64; cap++) {
        int present = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
        if (present < 0) break;  /* EINVAL: past the last capability this kernel knows */
        if (present == 1 && prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0) {
            *failed_step = "prctl(PR_CAPBSET_DROP)";
            return -1;
        }
    }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) {
        *failed_step = "capset";
        return -1;
    }
    *failed_step = "capget after capset";
    int left = bourse_has_capabilities();
    if (left != 0) {
        if (left > 0) errno = EPERM;
        return -1;
    }
    return 0;
}
