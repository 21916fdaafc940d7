#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
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
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
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
