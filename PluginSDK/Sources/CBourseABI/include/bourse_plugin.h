/*
 * bourse_plugin.h — the Bourse plugin ABI, version 1.
 *
 * This header is the single source of truth for the boundary between the
 * Bourse host and its plugins. The host includes it, the Swift SDK wraps it,
 * and a plugin written in C needs nothing but this file:
 *
 *     cc -shared -fPIC -o libmyplugin.so myplugin.c -I PluginSDK/Sources/CBourseABI/include
 *
 * docs/abi.md specifies every field, the ownership and lifetime of every
 * pointer, the threading rules and the compatibility rules. Summary:
 *
 *  - A plugin exports one symbol, BOURSE_PLUGIN_ENTRY_SYMBOL, a function that
 *    returns a pointer to a static bourse_plugin_descriptor.
 *  - The host accepts a plugin when descriptor->abi_major == BOURSE_ABI_MAJOR
 *    and descriptor->abi_minor <= the host's BOURSE_ABI_MINOR.
 *  - Every struct that holds functions or can grow starts with struct_size.
 *    Structs only ever grow at the end; a reader never touches a field that
 *    lies beyond the struct_size it was given (use BOURSE_HAS_FIELD).
 *  - Messages are plain C: a fixed 48-byte header followed immediately by
 *    payload_len bytes of payload. No pointers inside, so a message can be
 *    copied into shared memory byte for byte.
 *
 * Only C99 and <stdint.h>/<stddef.h>/<string.h>/<stdio.h>/<stdarg.h> are used.
 */
#ifndef BOURSE_PLUGIN_H
#define BOURSE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** ABI major version: changes only on an incompatible change. */
#define BOURSE_ABI_MAJOR 1
/** ABI minor version: grows when fields or functions are appended.
 *  1.1 appended bourse_plugin_descriptor.permissions;
 *  1.2 appended bourse_host_api.restart_count and run_id. */
#define BOURSE_ABI_MINOR 2

/** Name of the single symbol a plugin exports. */
#define BOURSE_PLUGIN_ENTRY_SYMBOL "bourse_plugin_entry_v1"

/** True when a struct of the given size contains FIELD of TYPE. */
#define BOURSE_HAS_FIELD(ptr, TYPE, FIELD) \
    ((ptr) != NULL && (size_t)(ptr)->struct_size >= offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/* ------------------------------------------------------------------------ */
/* Status codes, plugin kinds, log levels                                    */
/* ------------------------------------------------------------------------ */

/** Return codes of every plugin function and of the host's publish. */
typedef enum bourse_status {
    BOURSE_OK = 0,            /**< success; poll: produced zero or more messages */
    BOURSE_ERROR = 1,         /**< failure; the bourse_error argument says why */
    BOURSE_IDLE = 2,          /**< poll only: nothing available now, ask again later */
    BOURSE_END_OF_STREAM = 3  /**< poll only: the source is finished for good */
} bourse_status;

/** The five kinds of plugin. Values are stable and never reused. */
typedef enum bourse_plugin_kind {
    BOURSE_KIND_SOURCE = 1,     /**< publishes, never subscribes; has poll */
    BOURSE_KIND_INDICATOR = 2,  /**< subscribes and publishes */
    BOURSE_KIND_MODEL = 3,      /**< subscribes and publishes */
    BOURSE_KIND_CODEC = 4,      /**< subscribes and publishes (bytes <-> typed messages) */
    BOURSE_KIND_EXPORTER = 5    /**< subscribes, never publishes */
} bourse_plugin_kind;

/** Log levels for bourse_host_api.log. */
typedef enum bourse_log_level {
    BOURSE_LOG_TRACE = 0,
    BOURSE_LOG_DEBUG = 1,
    BOURSE_LOG_INFO = 2,
    BOURSE_LOG_WARNING = 3,
    BOURSE_LOG_ERROR = 4
} bourse_log_level;

/* ------------------------------------------------------------------------ */
/* Errors                                                                     */
/* ------------------------------------------------------------------------ */

/** Capacity of bourse_error.message including the terminating NUL. */
#define BOURSE_ERROR_MESSAGE_CAPACITY 1024

/**
 * A human-readable error, filled by the plugin when a call returns
 * BOURSE_ERROR. The host owns the storage, sets code to 0 and message to ""
 * before each call, and reads it right after the call returns. Messages
 * longer than the capacity are cut at capacity-1 bytes (always
 * NUL-terminated). A code other than 0 or 1 is shown to the user.
 */
typedef struct bourse_error {
    int32_t code;  /**< plugin-defined error code; 0 when unset */
    uint32_t reserved;
    char message[BOURSE_ERROR_MESSAGE_CAPACITY];
} bourse_error;

/** Fill an error with a printf-style message. Safe with error == NULL. */
static inline void bourse_error_set(bourse_error *error, int32_t code, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline void bourse_error_set(bourse_error *error, int32_t code, const char *format, ...) {
    if (error == NULL) return;
    error->code = code;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

/** Message types. 1..0x7FFF are reserved for Bourse; 0x8000+ for private use. */
typedef enum bourse_message_type {
    BOURSE_MSG_BAR = 1,        /**< payload: bourse_bar */
    BOURSE_MSG_TRADE = 2,      /**< payload: bourse_trade */
    BOURSE_MSG_QUOTE = 3,      /**< payload: bourse_quote */
    BOURSE_MSG_VALUES = 4,     /**< payload: bourse_values (indicator outputs) */
    BOURSE_MSG_SIGNAL = 5,     /**< payload: bourse_signal (signal or prediction) */
    BOURSE_MSG_ALERT = 6,      /**< payload: bourse_alert */
    BOURSE_MSG_BYTES = 7,      /**< payload: payload_len raw bytes (codecs) */
    BOURSE_MSG_PRIVATE_BASE = 0x8000
} bourse_message_type;

/** Header flag: more BOURSE_MSG_BYTES chunks of the same record follow. */
#define BOURSE_FLAG_MORE 0x0001u

/** Largest payload a message may carry, in bytes. */
#define BOURSE_MAX_PAYLOAD 65536u

/**
 * The message header. Exactly 48 bytes, 8-byte aligned; the payload follows
 * immediately after it (at byte 48) and is payload_len bytes long. The whole
 * record (header + payload) is contiguous memory and contains no pointers.
 */
typedef struct bourse_message {
    uint16_t type;            /**< bourse_message_type */
    uint16_t flags;           /**< BOURSE_FLAG_* bits; unknown bits must be ignored */
    uint32_t payload_len;     /**< bytes of payload after the header, <= BOURSE_MAX_PAYLOAD */
    uint32_t topic_id;        /**< interned topic id (host_api.topic_id), never 0 in a delivered message */
    uint32_t instrument_id;   /**< interned instrument id (host_api.instrument_id); 0 = none */
    int64_t event_time_ns;    /**< when the event happened, ns since the Unix epoch, UTC */
    int64_t created_time_ns;  /**< when the message was made, ns since the Unix epoch; host fills it if 0 */
    uint64_t sequence;        /**< per-topic sequence number, 1, 2, 3...; assigned by the host on publish */
    uint32_t origin_node;     /**< id of the publishing node; assigned by the host on publish */
    uint32_t reserved;        /**< must be 0 */
} bourse_message;

/** Pointer to the payload that follows a message header. */
static inline const void *bourse_message_payload(const bourse_message *message) {
    return (const void *)(message + 1);
}

/** Mutable pointer to the payload that follows a message header. */
static inline void *bourse_message_payload_mut(bourse_message *message) {
    return (void *)(message + 1);
}

/** Bytes a message occupies: header + payload, rounded up to 8. */
static inline size_t bourse_message_record_size(const bourse_message *message) {
    return (sizeof(bourse_message) + (size_t)message->payload_len + 7u) & ~(size_t)7u;
}

/** OHLCV bar. */
typedef struct bourse_bar {
    double open;
    double high;
    double low;
    double close;
    double volume;
    int64_t interval_ns;  /**< bar length in ns (86400e9 for daily); 0 if unknown */
} bourse_bar;

/** Aggressor side of a trade. */
typedef enum bourse_side {
    BOURSE_SIDE_UNKNOWN = 0,
    BOURSE_SIDE_BUY = 1,
    BOURSE_SIDE_SELL = 2
} bourse_side;

/** A trade print. */
typedef struct bourse_trade {
    double price;
    double size;
    int32_t side;       /**< bourse_side */
    uint32_t exchange;  /**< venue code as the source defines it; 0 = unknown */
} bourse_trade;

/** Top of book. A side with no price has price NaN and size 0. */
typedef struct bourse_quote {
    double bid_price;
    double bid_size;
    double ask_price;
    double ask_size;
} bourse_quote;

/** Most values one BOURSE_MSG_VALUES message carries. */
#define BOURSE_MAX_VALUES 16

/**
 * Indicator outputs: `count` doubles. Their names are the fields the
 * publishing plugin declared for the topic (host_api.declare_fields), in
 * order. payload_len may be 8 + 8*count (the unused tail is not sent).
 * A value that is not defined yet is NaN.
 */
typedef struct bourse_values {
    uint32_t count;  /**< 0..BOURSE_MAX_VALUES */
    uint32_t reserved;
    double values[BOURSE_MAX_VALUES];
} bourse_values;

/** Payload size of a bourse_values message carrying `count` values. */
#define BOURSE_VALUES_PAYLOAD_SIZE(count) (8u + 8u * (uint32_t)(count))

/** What a bourse_signal is. */
typedef enum bourse_signal_kind {
    BOURSE_SIGNAL = 0,      /**< a trading signal: direction + strength */
    BOURSE_PREDICTION = 1   /**< a model's prediction of a future value */
} bourse_signal_kind;

/** A signal or a prediction. */
typedef struct bourse_signal {
    double value;        /**< signal strength, or the predicted value */
    double confidence;   /**< 0..1; NaN if the model has none */
    double actual;       /**< predictions: the realised value once known, else NaN */
    int64_t horizon_ns;  /**< predictions: how far ahead of event_time; 0 for signals */
    int32_t direction;   /**< -1 short / down, 0 flat, +1 long / up */
    uint32_t kind;       /**< bourse_signal_kind */
} bourse_signal;

/** Alert severities. */
typedef enum bourse_severity {
    BOURSE_SEVERITY_INFO = 0,
    BOURSE_SEVERITY_WARNING = 1,
    BOURSE_SEVERITY_CRITICAL = 2
} bourse_severity;

/** Capacity of bourse_alert.reason including the terminating NUL. */
#define BOURSE_ALERT_REASON_CAPACITY 104

/** An alert, e.g. from an anomaly model. */
typedef struct bourse_alert {
    double score;      /**< detector score; higher = more anomalous */
    uint32_t severity; /**< bourse_severity */
    uint32_t code;     /**< plugin-defined reason code */
    char reason[BOURSE_ALERT_REASON_CAPACITY]; /**< UTF-8, NUL-terminated */
} bourse_alert;

/* ------------------------------------------------------------------------ */
/* Topic names                                                               */
/* ------------------------------------------------------------------------ */

/**
 * Topics are dot-separated names of non-empty tokens ("bars.SPY.1d").
 * A subscription pattern may use "*" as a whole token (exactly one token)
 * and ">" as the last token (one or more remaining tokens) — NATS subject
 * rules. Returns 1 when `topic` matches `pattern`, else 0. Both strings must
 * be valid (see bourse_topic_is_valid); this function does not re-check.
 */
static inline int bourse_topic_matches(const char *pattern, const char *topic) {
    const char *p = pattern, *t = topic;
    for (;;) {
        const char *pe = strchr(p, '.');
        const char *te = strchr(t, '.');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t tl = te ? (size_t)(te - t) : strlen(t);
        if (pl == 1 && p[0] == '>') return tl > 0 ? 1 : 0;
        if (!(pl == 1 && p[0] == '*')) {
            if (pl != tl || memcmp(p, t, pl) != 0) return 0;
        } else if (tl == 0) {
            return 0;
        }
        if (!pe && !te) return 1;
        if (!pe || !te) return 0;
        p = pe + 1;
        t = te + 1;
    }
}

/**
 * Returns 1 when `name` is a valid topic (allow_wildcards == 0) or a valid
 * subscription pattern (allow_wildcards != 0): 1..255 bytes, tokens
 * separated by single dots, no empty token, no whitespace or control bytes,
 * "*" and ">" only as whole tokens and only in patterns, ">" only last.
 */
static inline int bourse_topic_is_valid(const char *name, int allow_wildcards) {
    size_t n = strlen(name);
    if (n == 0 || n > 255) return 0;
    size_t token_start = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        if (c == '.' || c == '\0') {
            size_t len = i - token_start;
            if (len == 0) return 0;
            const char *tok = name + token_start;
            int wildcard = (len == 1 && (tok[0] == '*' || tok[0] == '>'));
            if (wildcard && !allow_wildcards) return 0;
            if (len == 1 && tok[0] == '>' && c != '\0') return 0;
            if (!wildcard) {
                for (size_t k = 0; k < len; k++) {
                    if (tok[k] == '*' || tok[k] == '>') return 0;
                }
            }
            token_start = i + 1;
        } else if ((unsigned char)c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Host function table                                                       */
/* ------------------------------------------------------------------------ */

/** Opaque handle the host gives each plugin instance (one per graph node). */
typedef struct bourse_node bourse_node;

/**
 * Functions the host offers a plugin. APPEND-ONLY: new functions are added
 * at the end and announced by a larger struct_size and a higher abi_minor;
 * nothing is ever removed, reordered or changed in meaning within major 1.
 * Check BOURSE_HAS_FIELD before calling a function added after 1.0.
 *
 * Every pointer the host returns stays valid until the instance is
 * destroyed. Strings passed in are copied by the host before it returns.
 * Threading and call context (enforced; violations return BOURSE_ERROR):
 *  - publish only from inside poll, on_messages, flush or stop, on the
 *    thread the host is making that call on (not from create or start:
 *    no consumer runs yet, so a full queue could never drain);
 *  - declare_fields only from inside create;
 *  - every other function from any thread while the instance exists.
 */
typedef struct bourse_host_api {
    uint32_t struct_size;  /**< sizeof(bourse_host_api) of the host */
    uint16_t abi_major;    /**< the host's BOURSE_ABI_MAJOR */
    uint16_t abi_minor;    /**< the host's BOURSE_ABI_MINOR */

    /**
     * Publish `count` messages. Each messages[i] points to a header followed
     * by its payload. topic_id must be one of this node's output topics
     * (output_topic). The host copies the messages before returning, fills
     * sequence and origin_node, and created_time_ns when it is 0. It may
     * block while a subscriber's queue is full (lossless back-pressure).
     * Returns BOURSE_OK, or BOURSE_ERROR with the reason in `error`
     * (unknown topic, bad type or length, graph stopping for good).
     */
    int32_t (*publish)(bourse_node *node, const bourse_message *const *messages, size_t count,
                       bourse_error *error);

    /** Write a log line attributed to this node. */
    void (*log)(bourse_node *node, int32_t level, const char *message);

    /** Wall-clock time, ns since the Unix epoch (UTC). */
    int64_t (*now_ns)(bourse_node *node);

    /** Monotonic time in ns, for measuring durations. */
    int64_t (*monotonic_ns)(bourse_node *node);

    /** Id of a named counter of this node (1..64 bytes; created on first use); 0 on a bad name. */
    uint32_t (*counter_id)(bourse_node *node, const char *name);

    /** Add `delta` to a counter obtained from counter_id. */
    void (*counter_add)(bourse_node *node, uint32_t counter_id, int64_t delta);

    /** Id of a topic known to the graph (published by some node), or 0. */
    uint32_t (*topic_id)(bourse_node *node, const char *topic);

    /** Name of a topic id, or NULL if unknown. */
    const char *(*topic_name)(bourse_node *node, uint32_t topic_id);

    /** Id of an instrument symbol (1..64 bytes, no spaces or control characters), interned on first use; 0 if invalid. */
    uint32_t (*instrument_id)(bourse_node *node, const char *symbol);

    /** Symbol of an instrument id, or NULL if unknown. */
    const char *(*instrument_name)(bourse_node *node, uint32_t instrument_id);

    /** Number of topics this node publishes to (the graph's `publishes`). */
    uint32_t (*output_count)(bourse_node *node);

    /** Topic id of this node's output `index` (0-based), or 0 when out of range. */
    uint32_t (*output_topic)(bourse_node *node, uint32_t index);

    /**
     * Declare the names of the values this node publishes on `topic_id` in
     * BOURSE_MSG_VALUES messages. Only from create. At most
     * BOURSE_MAX_VALUES distinct names, each 1..63 bytes of [A-Za-z0-9_.-].
     */
    int32_t (*declare_fields)(bourse_node *node, uint32_t topic_id, const char *const *names,
                              uint32_t count, bourse_error *error);

    /** Number of value fields declared for a topic (0 if none). */
    uint32_t (*field_count)(bourse_node *node, uint32_t topic_id);

    /** Name of field `index` of a topic, or NULL when out of range. */
    const char *(*field_name)(bourse_node *node, uint32_t topic_id, uint32_t index);

    /** Id of this node inside the graph (the value put in origin_node). */
    uint32_t (*node_id)(bourse_node *node);

    /** Name of this node as written in the graph file. */
    const char *(*node_name)(bourse_node *node);

    /* ---- ABI 1.2 (check BOURSE_HAS_FIELD(host, bourse_host_api, restart_count)) ---- */

    /**
     * How many times this node's instance was created again during this run
     * after its sandboxed worker failed: 0 for the first instance. The host
     * then delivers again every batch the failed instance had not finished
     * (at least once), so an exporter that writes files continues what the
     * failed instance wrote (append) instead of starting over.
     */
    uint32_t (*restart_count)(bourse_node *node);

    /**
     * A random number drawn once per run of the host (`bourse run`): the same
     * for every node and every restarted instance, another one next run. With
     * restart_count an exporter tells the files it wrote in this run (to be
     * continued) from files left by an earlier run (to be started over).
     */
    uint64_t (*run_id)(bourse_node *node);
} bourse_host_api;

/* ------------------------------------------------------------------------ */
/* Plugin function table and descriptor                                      */
/* ------------------------------------------------------------------------ */

struct bourse_plugin_descriptor;

/**
 * Functions a plugin implements. APPEND-ONLY, like bourse_host_api.
 * All functions are required except: `poll` (required for sources only,
 * NULL otherwise allowed) and `on_messages` (required for every kind except
 * sources). Every call on one instance comes from one thread at a time;
 * different instances may be called concurrently from different threads.
 */
typedef struct bourse_plugin_api {
    uint32_t struct_size;  /**< sizeof(bourse_plugin_api) the plugin was built with */
    uint32_t reserved;

    /**
     * Create an instance from a JSON object (config_json, config_len bytes,
     * UTF-8, not NUL-terminated necessarily). On success store the instance
     * in *out_instance and return BOURSE_OK. On failure fill `error` and
     * return BOURSE_ERROR; nothing needs destroying then. `host` and `node`
     * stay valid until destroy returns.
     */
    int32_t (*create)(const struct bourse_plugin_descriptor *descriptor, const bourse_host_api *host,
                      bourse_node *node, const char *config_json, size_t config_len,
                      void **out_instance, bourse_error *error);

    /** Called once before the first poll / on_messages. */
    int32_t (*start)(void *instance, bourse_error *error);

    /**
     * Deliver a batch of `count` >= 1 messages, in per-topic order. The
     * messages and the array are owned by the host and valid only until
     * this call returns: copy what you keep.
     */
    int32_t (*on_messages)(void *instance, const bourse_message *const *messages, size_t count,
                           bourse_error *error);

    /**
     * Sources: publish up to `max_messages` messages (more is allowed but
     * delays shutdown). Return BOURSE_OK after publishing, BOURSE_IDLE when
     * nothing is available right now, BOURSE_END_OF_STREAM when finished.
     */
    int32_t (*poll)(void *instance, uint32_t max_messages, bourse_error *error);

    /** Write out anything buffered (exporters) or publish pending outputs. */
    int32_t (*flush)(void *instance, bourse_error *error);

    /** Called once after the last poll / on_messages and a final flush. */
    int32_t (*stop)(void *instance, bourse_error *error);

    /** Free the instance. Called exactly once, also when start failed. */
    void (*destroy)(void *instance);
} bourse_plugin_api;

/**
 * What the entry symbol returns. Static storage owned by the plugin: it and
 * every string and table it points to must stay valid and unchanged for the
 * life of the process (the host never unloads a plugin).
 */
typedef struct bourse_plugin_descriptor {
    uint32_t struct_size;  /**< sizeof(bourse_plugin_descriptor) the plugin was built with */
    uint16_t abi_major;    /**< BOURSE_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;    /**< BOURSE_ABI_MINOR the plugin was built with */
    uint32_t kind;         /**< bourse_plugin_kind */
    uint32_t reserved;
    const char *name;      /**< lower-case [a-z0-9-], 1..64 bytes */
    const char *version;   /**< semantic version, e.g. "1.2.0" */
    const char *toolchain; /**< compiler it was built with, e.g. "swift-6.3.1" or "gcc-12.2.0" */
    const char *description; /**< one line for humans; may be NULL */
    const bourse_plugin_api *api;
    void *plugin_data;     /**< for the plugin's own use; the host never reads it */

    /* ---- ABI 1.1 ---- */
    /**
     * What the plugin needs beyond computing on messages when it runs in a
     * sandboxed worker: NULL or "" for nothing, else a comma-separated list
     * of `network`, `threads`, `exec-memory`, `read-paths[:/dir1:/dir2]`,
     * `write-paths[:/dir1]`. A bare `read-paths`/`write-paths` means "the
     * graph node decides where". The graph must grant each one (node key
     * `allow`). See docs/security.md.
     */
    const char *permissions;
} bourse_plugin_descriptor;

/** Type of the entry symbol. */
typedef const bourse_plugin_descriptor *(*bourse_plugin_entry_fn)(void);

/** Helper for C plugins: the toolchain string of the compiler building this
 *  file, "clang-MAJOR.MINOR.PATCH" or "gcc-MAJOR.MINOR.PATCH". */
#define BOURSE_STRINGIFY_(x) #x
#define BOURSE_STRINGIFY(x) BOURSE_STRINGIFY_(x)
#if defined(__clang__)
#define BOURSE_C_TOOLCHAIN "clang-" BOURSE_STRINGIFY(__clang_major__) "." BOURSE_STRINGIFY(__clang_minor__) "." BOURSE_STRINGIFY(__clang_patchlevel__)
#elif defined(__GNUC__)
#define BOURSE_C_TOOLCHAIN "gcc-" BOURSE_STRINGIFY(__GNUC__) "." BOURSE_STRINGIFY(__GNUC_MINOR__) "." BOURSE_STRINGIFY(__GNUC_PATCHLEVEL__)
#else
#define BOURSE_C_TOOLCHAIN "c-unknown"
#endif

/* Layout checks: these sizes are part of ABI 1. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(bourse_message) == 48, "bourse_message must be 48 bytes");
_Static_assert(sizeof(bourse_bar) == 48, "bourse_bar must be 48 bytes");
_Static_assert(sizeof(bourse_trade) == 24, "bourse_trade must be 24 bytes");
_Static_assert(sizeof(bourse_quote) == 32, "bourse_quote must be 32 bytes");
_Static_assert(sizeof(bourse_values) == 136, "bourse_values must be 136 bytes");
_Static_assert(sizeof(bourse_signal) == 40, "bourse_signal must be 40 bytes");
_Static_assert(sizeof(bourse_alert) == 120, "bourse_alert must be 120 bytes");
_Static_assert(sizeof(bourse_error) == 1032, "bourse_error must be 1032 bytes");
#endif

#ifdef __cplusplus
}
#endif

#endif /* BOURSE_PLUGIN_H */
