/*
 * A configurable C plugin for the host's tests, built against the ABI
 * header alone with `cc -shared -fPIC`. Compile-time macros pick its kind
 * and the defect to simulate:
 *
 *   FIXTURE_KIND            BOURSE_KIND_SOURCE (default), _INDICATOR, _EXPORTER, ...
 *   FIXTURE_NAME            descriptor name (default "fixture")
 *   FIXTURE_ABI_MAJOR/MINOR override the ABI version in the descriptor
 *   FIXTURE_NO_ENTRY        do not export the entry symbol
 *   FIXTURE_NULL_DESCRIPTOR entry returns NULL
 *   FIXTURE_NULL_START      function table has start == NULL
 *   FIXTURE_ABI_1_0         a plugin built against ABI 1.0 (64-byte descriptor)
 *   FIXTURE_PERMISSIONS     the descriptor's permissions string
 *
 * Behaviour by kind, from the JSON config (parsed crudely; it's a fixture):
 *   source:    publishes "count" bars (default 10) with close = 1, 2, 3...,
 *              "per_poll" per poll (default 64), sleeping "delay_us" per poll;
 *              "instrument" (default "TEST").
 *   indicator: republishes each bar's close as a one-value values message
 *              (field "close"), same instrument and event time, and echoes
 *              every bytes message unchanged (for benchmarks).
 *   exporter:  counts messages and checks per-topic sequence order; at stop
 *              writes "count=N gaps=G\n" to "out" (if given).
 *   any kind:  "reject": true makes create fail with a message;
 *              "fail_after": N makes on_messages/poll fail after N calls;
 *              "publish_in_start": true publishes from start (refused);
 *              "declare_late": true calls declare_fields from poll (refused).
 *   indicator: "crash_at": K aborts on a bar with close == K, except in the
 *              worker's first on_messages call (a restarted worker, whose first
 *              batch is the replayed one, survives: tests redelivery); logs
 *              "restart_count=N" at create (ABI 1.2).
 *   indicator: "stamp": true writes the CLOCK_MONOTONIC time at which it received
 *              each echoed bytes message (int64 ns) into its first 8 payload
 *              bytes, so a benchmark can time each hop of a ping-pong.
 */
#define _DEFAULT_SOURCE
#include "bourse_plugin.h"
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#ifndef FIXTURE_KIND
#define FIXTURE_KIND BOURSE_KIND_SOURCE
#endif
#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR BOURSE_ABI_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR BOURSE_ABI_MINOR
#endif

typedef struct fixture {
    const bourse_host_api *host;
    bourse_node *node;
    long count, per_poll, delay_us, fail_after, calls, crash_at;
    long produced, received, gaps;
    int publish_in_start, declare_late, stamp;
    uint64_t last_sequence[64];
    uint32_t instrument, output;
    char out[512];
} fixture;

static long config_long(const char *json, const char *key, long fallback) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    return at ? strtol(at + strlen(pattern), NULL, 10) : fallback;
}

static void config_string(const char *json, const char *key, char *out, size_t size, const char *fallback) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(json, pattern);
    if (!at) { snprintf(out, size, "%s", fallback); return; }
    at += strlen(pattern);
    size_t n = 0;
    while (at[n] && at[n] != '"' && n + 1 < size) { out[n] = at[n]; n++; }
    out[n] = '\0';
}

static int32_t fx_create(const bourse_plugin_descriptor *d, const bourse_host_api *host, bourse_node *node,
                         const char *json, size_t len, void **out, bourse_error *error) {
    (void)d; (void)len;
    if (strstr(json, "\"reject\":true")) {
        bourse_error_set(error, 7, "config rejected on purpose: 'reject' is true");
        return BOURSE_ERROR;
    }
    fixture *f = calloc(1, sizeof *f);
    f->host = host;
    f->node = node;
    f->count = config_long(json, "count", 10);
    f->per_poll = config_long(json, "per_poll", 64);
    f->delay_us = config_long(json, "delay_us", 0);
    f->fail_after = config_long(json, "fail_after", -1);
    f->publish_in_start = strstr(json, "\"publish_in_start\":true") != NULL;
    f->declare_late = strstr(json, "\"declare_late\":true") != NULL;
    f->stamp = strstr(json, "\"stamp\":true") != NULL;
    f->crash_at = config_long(json, "crash_at", -1);
    if (f->crash_at >= 0 && BOURSE_HAS_FIELD(host, bourse_host_api, restart_count) && host->restart_count != NULL) {
        char line[48];
        snprintf(line, sizeof line, "restart_count=%u", host->restart_count(node));
        host->log(node, BOURSE_LOG_WARNING, line);
    }
    char symbol[64];
    config_string(json, "instrument", symbol, sizeof symbol, "TEST");
    config_string(json, "out", f->out, sizeof f->out, "");
    f->instrument = host->instrument_id(node, symbol);
    if (host->output_count(node) > 0) {
        f->output = host->output_topic(node, 0);
        if (FIXTURE_KIND == BOURSE_KIND_INDICATOR) {
            const char *names[] = {"close"};
            if (host->declare_fields(node, f->output, names, 1, error) != BOURSE_OK) { free(f); return BOURSE_ERROR; }
        }
    }
    *out = f;
    return BOURSE_OK;
}

typedef struct { bourse_message header; bourse_bar bar; } bar_message;
typedef struct { bourse_message header; bourse_values values; } values_message;

__attribute__((unused)) static int32_t fx_start(void *self, bourse_error *error) {
    fixture *f = self;
    if (f->publish_in_start) {
        bar_message m = {.header = {.type = BOURSE_MSG_BAR, .payload_len = sizeof(bourse_bar), .topic_id = f->output}};
        const bourse_message *list[] = {&m.header};
        return f->host->publish(f->node, list, 1, error);
    }
    return BOURSE_OK;
}
static int32_t fx_flush(void *self, bourse_error *error) { (void)self; (void)error; return BOURSE_OK; }

static int32_t fx_stop(void *self, bourse_error *error) {
    fixture *f = self;
    if (f->out[0]) {
        FILE *file = fopen(f->out, "w");
        if (!file) { bourse_error_set(error, 2, "cannot write %s", f->out); return BOURSE_ERROR; }
        fprintf(file, "count=%ld gaps=%ld\n", f->received, f->gaps);
        fclose(file);
    }
    return BOURSE_OK;
}

static void fx_destroy(void *self) { free(self); }

static int check_failure(fixture *f, bourse_error *error) {
    f->calls++;
    if (f->fail_after >= 0 && f->calls > f->fail_after) {
        bourse_error_set(error, 3, "failing on purpose after %ld calls", f->fail_after);
        return 1;
    }
    return 0;
}

static int32_t fx_poll(void *self, uint32_t max, bourse_error *error) {
    fixture *f = self;
    if (check_failure(f, error)) return BOURSE_ERROR;
    if (f->declare_late) {
        const char *names[] = {"late"};
        return f->host->declare_fields(f->node, f->output, names, 1, error);
    }
    if (f->produced >= f->count) return BOURSE_END_OF_STREAM;
    if (f->delay_us > 0) usleep((useconds_t)f->delay_us);
    long n = f->per_poll < (long)max ? f->per_poll : (long)max;
    if (n > f->count - f->produced) n = f->count - f->produced;
    bar_message *batch = calloc((size_t)n, sizeof *batch);
    const bourse_message **pointers = calloc((size_t)n, sizeof *pointers);
    for (long i = 0; i < n; i++) {
        long k = f->produced + i + 1;
        batch[i].header.type = BOURSE_MSG_BAR;
        batch[i].header.payload_len = sizeof(bourse_bar);
        batch[i].header.topic_id = f->output;
        batch[i].header.instrument_id = f->instrument;
        batch[i].header.event_time_ns = k * 60000000000LL;
        batch[i].bar = (bourse_bar){.open = (double)k, .high = (double)k + 1, .low = (double)k - 1,
                                    .close = (double)k, .volume = 100, .interval_ns = 60000000000LL};
        pointers[i] = &batch[i].header;
    }
    int32_t status = f->host->publish(f->node, pointers, (size_t)n, error);
    free(pointers);
    free(batch);
    if (status != BOURSE_OK) return status;
    f->produced += n;
    return BOURSE_OK;
}

static int32_t fx_on_messages(void *self, const bourse_message *const *messages, size_t count, bourse_error *error) {
    fixture *f = self;
    if (check_failure(f, error)) return BOURSE_ERROR;
    for (size_t i = 0; i < count; i++) {
        const bourse_message *m = messages[i];
        if (f->crash_at >= 0 && f->calls > 1 && m->type == BOURSE_MSG_BAR
            && ((const bourse_bar *)(m + 1))->close == (double)f->crash_at) abort();
        uint32_t slot = m->topic_id % 64;
        if (f->last_sequence[slot] != 0 && m->sequence != f->last_sequence[slot] + 1) f->gaps++;
        f->last_sequence[slot] = m->sequence;
        f->received++;
    }
    if (FIXTURE_KIND != BOURSE_KIND_EXPORTER && f->output != 0) {
        values_message *out = calloc(count, sizeof *out);
        const bourse_message **pointers = calloc(count, sizeof *pointers);
        size_t n = 0;
        const bourse_message *echo[256];
        size_t echoed = 0;
        for (size_t i = 0; i < count; i++) {
            const bourse_message *m = messages[i];
            if (m->type == BOURSE_MSG_BYTES && m->payload_len <= 256) {
                static _Alignas(8) unsigned char storage[256][sizeof(bourse_message) + 256];
                memcpy(storage[echoed], m, sizeof(bourse_message) + m->payload_len);
                ((bourse_message *)storage[echoed])->topic_id = f->output;
                if (f->stamp && m->payload_len >= 8) {
                    struct timespec now;
                    clock_gettime(CLOCK_MONOTONIC, &now);
                    int64_t received = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
                    memcpy(storage[echoed] + sizeof(bourse_message), &received, sizeof received);
                }
                echo[echoed] = (const bourse_message *)storage[echoed];
                echoed++;
                if (echoed == 256) {
                    if (f->host->publish(f->node, echo, echoed, error) != BOURSE_OK) { free(pointers); free(out); return BOURSE_ERROR; }
                    echoed = 0;
                }
                continue;
            }
            if (m->type != BOURSE_MSG_BAR) continue;
            const bourse_bar *bar = bourse_message_payload(m);
            out[n].header.type = BOURSE_MSG_VALUES;
            out[n].header.payload_len = BOURSE_VALUES_PAYLOAD_SIZE(1);
            out[n].header.topic_id = f->output;
            out[n].header.instrument_id = m->instrument_id;
            out[n].header.event_time_ns = m->event_time_ns;
            out[n].values.count = 1;
            out[n].values.values[0] = bar->close;
            pointers[n] = &out[n].header;
            n++;
        }
        int32_t status = n ? f->host->publish(f->node, pointers, n, error) : BOURSE_OK;
        if (status == BOURSE_OK && echoed) status = f->host->publish(f->node, echo, echoed, error);
        free(pointers);
        free(out);
        if (status != BOURSE_OK) return status;
    }
    return BOURSE_OK;
}

static const bourse_plugin_api fixture_api = {
    .struct_size = sizeof(bourse_plugin_api),
    .create = fx_create,
#ifdef FIXTURE_NULL_START
    .start = NULL,
#else
    .start = fx_start,
#endif
    .on_messages = FIXTURE_KIND == BOURSE_KIND_SOURCE ? NULL : fx_on_messages,
    .poll = FIXTURE_KIND == BOURSE_KIND_SOURCE ? fx_poll : NULL,
    .flush = fx_flush,
    .stop = fx_stop,
    .destroy = fx_destroy,
};

#ifndef FIXTURE_PERMISSIONS
#define FIXTURE_PERMISSIONS NULL
#endif

__attribute__((unused)) static const bourse_plugin_descriptor fixture_descriptor = {
#ifdef FIXTURE_ABI_1_0
    .struct_size = offsetof(bourse_plugin_descriptor, permissions),
    /* A 1.0 plugin has no permissions field: whatever follows is not its. */
    .permissions = "network",
#else
    .struct_size = sizeof(bourse_plugin_descriptor),
    .permissions = FIXTURE_PERMISSIONS,
#endif
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = FIXTURE_ABI_MINOR,
    .kind = FIXTURE_KIND,
    .name = FIXTURE_NAME,
    .version = "1.0.0",
    .toolchain = BOURSE_C_TOOLCHAIN,
    .description = "test fixture",
    .api = &fixture_api,
};

#ifndef FIXTURE_NO_ENTRY
const bourse_plugin_descriptor *bourse_plugin_entry_v1(void) {
#ifdef FIXTURE_NULL_DESCRIPTOR
    return NULL;
#else
    return &fixture_descriptor;
#endif
}
#else
const bourse_plugin_descriptor *some_other_symbol(void) { return &fixture_descriptor; }
#endif
