/*
 * A hostile indicator plugin for the sandbox tests. It passes bars through
 * as values (like fixture-indicator) but on its first on_messages call — or
 * in a constructor at dlopen, with -DHOSTILE_IN_CONSTRUCTOR — it tries one
 * thing a sandboxed plugin must not be able to do:
 *
 *   -DHOSTILE_ACTION=N   with N one of the HOSTILE_* values below.
 *
 * HOSTILE_REPORT_ENVIRONMENT is not an attack: it reports the worker's
 * environment and open descriptors ("report: env=[...] fds=[...]"), from a
 * constructor (the loader stage may list /proc/self/fd).
 *
 * Non-fatal attempts report their outcome as the error of the first
 * on_messages call: "denied: <what>: <errno text>" when the sandbox stopped
 * it, "ESCAPED: <what>" when it worked (a test failure). Fatal ones (ptrace,
 * mount, keyctl, segfault, abort, spinning, sleeping) end or hang the worker;
 * the host must notice, say why, restart and finally quarantine the node.
 */
#define _GNU_SOURCE
#include "bourse_plugin.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    HOSTILE_SOCKET = 1, HOSTILE_CONNECT, HOSTILE_WRITE_FILE, HOSTILE_READ_SHADOW, HOSTILE_FORK, HOSTILE_EXEC,
    HOSTILE_PTRACE, HOSTILE_ALLOCATE, HOSTILE_SPIN, HOSTILE_SLEEP, HOSTILE_SEGFAULT, HOSTILE_ABORT,
    HOSTILE_GARBAGE_RING, HOSTILE_OVERSIZED, HOSTILE_FLOOD, HOSTILE_THREADS, HOSTILE_MOUNT, HOSTILE_KEYCTL,
    HOSTILE_KILL_HOST, HOSTILE_READ_HOST_MEMORY, HOSTILE_READ_HOST_FDS, HOSTILE_SPIN_IGNORING_CPU_LIMIT,
    HOSTILE_REPORT_ENVIRONMENT, HOSTILE_ALLOCATE_THEN_ABORT
};

#ifndef HOSTILE_ACTION
#error "define HOSTILE_ACTION"
#endif

static char outcome[1000];        /* result of a non-fatal attempt */
static int attempted;            /* the attempt has run */
static void *ring_guess;         /* start of the shared-memory mapping, found at load time */
static size_t ring_guess_size;

static void denied_or_escaped(const char *what, int ok) {
    if (ok) snprintf(outcome, sizeof outcome, "ESCAPED: %s", what);
    else snprintf(outcome, sizeof outcome, "denied: %s: %s", what, strerror(errno));
}

extern char **environ;

/* The host's pid: getppid is not on the allowlist, but /proc/self/status is
 * readable while loading. */
static int host_pid(void) {
    int pid = (int)getppid();
    if (pid > 0) return pid;
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return -1;
    char line[256];
    while (fgets(line, sizeof line, status)) {
        if (sscanf(line, "PPid: %d", &pid) == 1) break;
    }
    fclose(status);
    return pid;
}

/* "report: env=[A=1;B=2] fds=[0:/dev/null;1:...]" */
__attribute__((unused)) static void report_environment(void) {
    size_t used = (size_t)snprintf(outcome, sizeof outcome, "report: env=[");
    for (char **e = environ; e && *e && used < sizeof outcome; e++)
        used += (size_t)snprintf(outcome + used, sizeof outcome - used, "%s%s", e == environ ? "" : ";", *e);
    if (used < sizeof outcome) used += (size_t)snprintf(outcome + used, sizeof outcome - used, "] fds=[");
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        if (used < sizeof outcome) snprintf(outcome + used, sizeof outcome - used, "unreadable: %s]", strerror(errno));
        return;
    }
    int first = 1;
    struct dirent *entry;
    while ((entry = readdir(d)) && used < sizeof outcome) {
        if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(d)) continue;
        char target[256];
        ssize_t n = readlinkat(dirfd(d), entry->d_name, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        used += (size_t)snprintf(outcome + used, sizeof outcome - used, "%s%s:%s", first ? "" : ";", entry->d_name, target);
        first = 0;
    }
    closedir(d);
    if (used < sizeof outcome) snprintf(outcome + used, sizeof outcome - used, "]");
}

static void *idle_thread(void *arg) { (void)arg; pause(); return NULL; }

/* Finds the worker's shared-memory channel in /proc/self/maps (readable
 * while loading, before the strict filter). */
__attribute__((unused)) static void find_ring(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return;
    char line[512];
    while (fgets(line, sizeof line, maps)) {
        if (strstr(line, "memfd:bourse")) {
            unsigned long start, end;
            if (sscanf(line, "%lx-%lx", &start, &end) == 2) {
                ring_guess = (void *)start;
                ring_guess_size = end - start;
            }
            break;
        }
    }
    fclose(maps);
}

static void attempt(void) {
    if (attempted) return;
    attempted = 1;
    switch (HOSTILE_ACTION) {
    case HOSTILE_SOCKET: {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        denied_or_escaped("socket(AF_INET, SOCK_STREAM)", s >= 0);
        break;
    }
    case HOSTILE_CONNECT: {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) { denied_or_escaped("socket before connect", 0); break; }
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(22)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int r = connect(s, (struct sockaddr *)&a, sizeof a);
        denied_or_escaped("connect(127.0.0.1)", r == 0 || errno == ECONNREFUSED);
        break;
    }
    case HOSTILE_WRITE_FILE: {
        int fd = open("/tmp/bourse-hostile-was-here", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        denied_or_escaped("open(/tmp/..., O_WRONLY|O_CREAT)", fd >= 0);
        break;
    }
    case HOSTILE_READ_SHADOW: {
        int fd = open("/etc/shadow", O_RDONLY);
        denied_or_escaped("open(/etc/shadow, O_RDONLY)", fd >= 0);
        break;
    }
    case HOSTILE_FORK: {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid(pid, NULL, 0);
        denied_or_escaped("fork()", pid >= 0);
        break;
    }
    case HOSTILE_EXEC: {
        char *argv[] = {"/bin/sh", "-c", "true", NULL};
        execve("/bin/sh", argv, NULL);
        denied_or_escaped("execve(/bin/sh)", 0);
        break;
    }
    case HOSTILE_PTRACE:
        ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
        denied_or_escaped("ptrace(PTRACE_ATTACH, host)", 1);
        break;
    case HOSTILE_ALLOCATE: {
        size_t total = 0;
        for (;;) {
            void *p = malloc(64 << 20);
            if (!p) break;
            memset(p, 1, 64 << 20);
            total += 64 << 20;
            if (total > ((size_t)64 << 30)) break;
        }
        snprintf(outcome, sizeof outcome, "%s: allocation stopped after %zu MiB", total > ((size_t)64 << 30) ? "ESCAPED" : "denied", total >> 20);
        break;
    }
    case HOSTILE_SPIN: {
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    case HOSTILE_SLEEP:
        for (;;) sleep(3600);
    case HOSTILE_SEGFAULT:
        *(volatile int *)8 = 1;
        break;
    case HOSTILE_ABORT:
        abort();
    case HOSTILE_GARBAGE_RING:
        if (!ring_guess) { snprintf(outcome, sizeof outcome, "ESCAPED: no ring found to scribble on"); break; }
        for (size_t i = 0; i < ring_guess_size; i += 8) *(volatile unsigned long *)((char *)ring_guess + i) = 0x4141414141414141UL ^ i;
        snprintf(outcome, sizeof outcome, "ESCAPED: scribbled %zu bytes and the host did not notice", ring_guess_size);
        break;
    case HOSTILE_THREADS: {
        int made = 0;
        for (int i = 0; i < 1000; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, idle_thread, NULL) != 0) break;
            made++;
        }
        if (made == 1000) snprintf(outcome, sizeof outcome, "ESCAPED: started 1000 threads");
        else snprintf(outcome, sizeof outcome, "denied: thread %d of 1000 could not start", made + 1);
        break;
    }
    case HOSTILE_MOUNT:
        syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
        denied_or_escaped("mount(tmpfs)", 1);
        break;
    case HOSTILE_KEYCTL:
        syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
        denied_or_escaped("keyctl", 1);
        break;
    case HOSTILE_READ_HOST_MEMORY: {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", host_pid());
        int fd = open(path, O_RDONLY);
        denied_or_escaped("open(/proc/HOST/mem, O_RDONLY)", fd >= 0);
        break;
    }
    case HOSTILE_READ_HOST_FDS: {
        /* The host holds every node's ring (a memfd): any of them opened is an escape. */
        int opened = 0, code = ENOENT, host = host_pid();
        for (int n = 0; n < 256; n++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/fd/%d", host, n);
            int fd = open(path, O_RDONLY);
            if (fd >= 0) { opened++; close(fd); }
            else if (errno != ENOENT) code = errno;
        }
        errno = code;
        denied_or_escaped("open(/proc/HOST/fd/N, O_RDONLY)", opened > 0);
        break;
    }
    case HOSTILE_SPIN_IGNORING_CPU_LIMIT: {
        signal(SIGXCPU, SIG_IGN);
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    case HOSTILE_ALLOCATE_THEN_ABORT:
        /* What a Swift plugin does: touch memory until malloc fails, then trap. */
        for (;;) {
            void *p = malloc(16 << 20);
            if (!p) abort();
            memset(p, 1, 16 << 20);
        }
    case HOSTILE_REPORT_ENVIRONMENT:
        report_environment();
        break;
    case HOSTILE_KILL_HOST: {
        int r = kill(getppid(), SIGKILL);
        denied_or_escaped("kill(host, SIGKILL)", r == 0);
        break;
    }
    default:
        break;
    }
}

#ifdef HOSTILE_IN_CONSTRUCTOR
__attribute__((constructor)) static void at_load(void) { attempt(); }
#else
__attribute__((constructor)) static void at_load(void) {
    if (HOSTILE_ACTION == HOSTILE_GARBAGE_RING) find_ring();
}
#endif

typedef struct hostile {
    const bourse_host_api *host;
    bourse_node *node;
    uint32_t output;
    long calls;
} hostile;

typedef struct { bourse_message header; bourse_values values; } values_message;

static int32_t h_create(const bourse_plugin_descriptor *d, const bourse_host_api *host, bourse_node *node,
                        const char *json, size_t len, void **out, bourse_error *error) {
    (void)d; (void)json; (void)len;
    hostile *h = calloc(1, sizeof *h);
    h->host = host;
    h->node = node;
    if (host->output_count(node) > 0) {
        h->output = host->output_topic(node, 0);
        const char *names[] = {"close"};
        if (host->declare_fields(node, h->output, names, 1, error) != BOURSE_OK) { free(h); return BOURSE_ERROR; }
    }
    *out = h;
    return BOURSE_OK;
}

static int32_t h_noop(void *self, bourse_error *error) { (void)self; (void)error; return BOURSE_OK; }
static void h_destroy(void *self) { free(self); }

static int32_t flood(hostile *h, const bourse_message *const *messages, size_t count, bourse_error *error) {
    /* 200 copies of every message, as fast as publish lets us. */
    values_message out[64];
    const bourse_message *list[64];
    for (size_t i = 0; i < count; i++) {
        for (int round = 0; round < 200; round += 64) {
            for (int k = 0; k < 64; k++) {
                memset(&out[k], 0, sizeof out[k]);
                out[k].header.type = BOURSE_MSG_VALUES;
                out[k].header.payload_len = BOURSE_VALUES_PAYLOAD_SIZE(1);
                out[k].header.topic_id = h->output;
                out[k].header.instrument_id = messages[i]->instrument_id;
                out[k].header.event_time_ns = messages[i]->event_time_ns;
                out[k].values.count = 1;
                list[k] = &out[k].header;
            }
            if (h->host->publish(h->node, list, 64, error) != BOURSE_OK) return BOURSE_ERROR;
        }
    }
    return BOURSE_OK;
}

static int32_t h_on_messages(void *self, const bourse_message *const *messages, size_t count, bourse_error *error) {
    hostile *h = self;
    h->calls++;
    if (HOSTILE_ACTION == HOSTILE_FLOOD) return flood(h, messages, count, error);
    if (HOSTILE_ACTION == HOSTILE_OVERSIZED && h->calls == 1) {
        static unsigned char big[sizeof(bourse_message) + 70000];
        bourse_message *m = (bourse_message *)big;
        m->type = BOURSE_MSG_BYTES;
        m->payload_len = 70000; /* more than BOURSE_MAX_PAYLOAD */
        m->topic_id = h->output;
        const bourse_message *list[] = {m};
        if (h->host->publish(h->node, list, 1, error) == BOURSE_OK) {
            bourse_error_set(error, 9, "ESCAPED: an oversized message was accepted");
            return BOURSE_ERROR;
        }
        char reason[BOURSE_ERROR_MESSAGE_CAPACITY];
        memcpy(reason, error->message, sizeof reason);
        bourse_error_set(error, 9, "denied: oversized publish: %.900s", reason);
        return BOURSE_ERROR;
    }
    if (!attempted) attempt();
    if (outcome[0] && h->calls == 1) {
        bourse_error_set(error, 9, "%s", outcome);
        return BOURSE_ERROR;
    }
    /* Otherwise behave: pass closes through. */
    values_message out[64];
    const bourse_message *list[64];
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (messages[i]->type != BOURSE_MSG_BAR) continue;
        const bourse_bar *bar = bourse_message_payload(messages[i]);
        memset(&out[n], 0, sizeof out[n]);
        out[n].header.type = BOURSE_MSG_VALUES;
        out[n].header.payload_len = BOURSE_VALUES_PAYLOAD_SIZE(1);
        out[n].header.topic_id = h->output;
        out[n].header.instrument_id = messages[i]->instrument_id;
        out[n].header.event_time_ns = messages[i]->event_time_ns;
        out[n].values.count = 1;
        out[n].values.values[0] = bar->close;
        list[n] = &out[n].header;
        if (++n == 64) {
            if (h->host->publish(h->node, list, n, error) != BOURSE_OK) return BOURSE_ERROR;
            n = 0;
        }
    }
    if (n && h->host->publish(h->node, list, n, error) != BOURSE_OK) return BOURSE_ERROR;
    return BOURSE_OK;
}

static const bourse_plugin_api hostile_api = {
    .struct_size = sizeof(bourse_plugin_api),
    .create = h_create, .start = h_noop, .on_messages = h_on_messages, .poll = NULL,
    .flush = h_noop, .stop = h_noop, .destroy = h_destroy,
};

#ifndef HOSTILE_PERMISSIONS
#define HOSTILE_PERMISSIONS NULL
#endif

static const bourse_plugin_descriptor hostile_descriptor = {
    .struct_size = sizeof(bourse_plugin_descriptor),
    .abi_major = BOURSE_ABI_MAJOR, .abi_minor = BOURSE_ABI_MINOR,
    .kind = BOURSE_KIND_INDICATOR,
    .name = "hostile", .version = "6.6.6", .toolchain = BOURSE_C_TOOLCHAIN,
    .description = "tries to break out of the sandbox",
    .api = &hostile_api,
    .permissions = HOSTILE_PERMISSIONS,
};

const bourse_plugin_descriptor *bourse_plugin_entry_v1(void) { return &hostile_descriptor; }
