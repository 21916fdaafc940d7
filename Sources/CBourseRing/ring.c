/*
 * ring.c — SPSC byte ring in shared memory. See include/bourse_ring.h for
 * the layout and the wait/wake protocol.
 *
 * Rules kept throughout:
 *  - the handle (process-private) is the source of truth for capacity and
 *    our own position; the shared block is only read for the peer's
 *    position, flags and frame headers, each read once and validated;
 *  - every loop advances by at least 8 bytes or is bounded by a deadline.
 */
#define _GNU_SOURCE
#include "bourse_ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

/* The shared control block. Every field is atomic: the peer may write any
 * of them at any time. Producer and consumer lines are 128 bytes apart
 * (adjacent-line prefetchers pair 64-byte lines). */
typedef struct ring_control {
    _Atomic uint64_t magic;
    _Atomic uint32_t version;
    _Atomic uint32_t control_size;
    _Atomic uint64_t capacity;
    uint8_t pad0[104];
    _Atomic uint64_t tail;
    _Atomic uint32_t data_seq;
    _Atomic uint32_t consumer_waiting;
    _Atomic uint32_t producer_closed;
    uint8_t pad1[108];
    _Atomic uint64_t head;
    _Atomic uint32_t space_seq;
    _Atomic uint32_t producer_waiting;
    _Atomic uint32_t consumer_closed;
    uint8_t pad2[108];
    uint8_t pad3[128];
} ring_control;

_Static_assert(sizeof(ring_control) == BOURSE_RING_CONTROL_SIZE, "control block size");
_Static_assert(offsetof(ring_control, magic) == BOURSE_RING_OFFSET_MAGIC, "magic offset");
_Static_assert(offsetof(ring_control, version) == BOURSE_RING_OFFSET_VERSION, "version offset");
_Static_assert(offsetof(ring_control, control_size) == BOURSE_RING_OFFSET_CONTROL_SIZE, "control_size offset");
_Static_assert(offsetof(ring_control, capacity) == BOURSE_RING_OFFSET_CAPACITY, "capacity offset");
_Static_assert(offsetof(ring_control, tail) == BOURSE_RING_OFFSET_TAIL, "tail offset");
_Static_assert(offsetof(ring_control, data_seq) == BOURSE_RING_OFFSET_DATA_SEQ, "data_seq offset");
_Static_assert(offsetof(ring_control, consumer_waiting) == BOURSE_RING_OFFSET_CONSUMER_WAITING, "consumer_waiting offset");
_Static_assert(offsetof(ring_control, producer_closed) == BOURSE_RING_OFFSET_PRODUCER_CLOSED, "producer_closed offset");
_Static_assert(offsetof(ring_control, head) == BOURSE_RING_OFFSET_HEAD, "head offset");
_Static_assert(offsetof(ring_control, space_seq) == BOURSE_RING_OFFSET_SPACE_SEQ, "space_seq offset");
_Static_assert(offsetof(ring_control, producer_waiting) == BOURSE_RING_OFFSET_PRODUCER_WAITING, "producer_waiting offset");
_Static_assert(offsetof(ring_control, consumer_closed) == BOURSE_RING_OFFSET_CONSUMER_CLOSED, "consumer_closed offset");
_Static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4, "atomics are plain-sized");
_Static_assert((BOURSE_RING_CONTROL_SIZE & 63) == 0, "data area is cache-line aligned");

#define SEQ memory_order_seq_cst
#define PAD_TYPE ((uint16_t)BOURSE_RING_FRAME_PAD)

static inline ring_control *control_of(const bourse_ring *ring) { return (ring_control *)ring->control; }

static int valid_capacity(uint64_t capacity) {
    return capacity >= BOURSE_RING_MIN_CAPACITY && capacity <= BOURSE_RING_MAX_CAPACITY &&
           (capacity & (capacity - 1)) == 0;
}

/* Bytes a frame with `length` payload bytes occupies: header + payload, padded to 8. */
static inline uint64_t frame_size(uint32_t length) {
    return ((uint64_t)length + BOURSE_RING_FRAME_HEADER + 7u) & ~UINT64_C(7);
}

static inline uint64_t max_payload(uint64_t capacity) { return capacity / 2 - BOURSE_RING_FRAME_HEADER; }

/* Frame headers are one aligned 64-bit word, read and written in one access
 * so a racing peer cannot make us see two different lengths. */
static inline void store_header(uint8_t *at, uint32_t length, uint16_t type, uint16_t flags) {
    uint64_t word = (uint64_t)length | ((uint64_t)type << 32) | ((uint64_t)flags << 48);
    __atomic_store_n((uint64_t *)(void *)at, word, __ATOMIC_RELAXED);
}

static inline uint64_t load_header(const uint8_t *at) {
    return __atomic_load_n((const uint64_t *)(const void *)at, __ATOMIC_RELAXED);
}

static int corrupt(bourse_ring *ring) {
    ring->broken = BOURSE_RING_CORRUPT;
    return BOURSE_RING_CORRUPT;
}

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wakes the peer when it announced that it sleeps: one FUTEX_WAKE per sleep. */
static void wake_if_waiting(bourse_ring *ring, _Atomic uint32_t *waiting, _Atomic uint32_t *seq) {
    if (atomic_load_explicit(waiting, SEQ) != 0 && atomic_exchange_explicit(waiting, 0, SEQ) != 0) {
        atomic_fetch_add_explicit(seq, 1, SEQ);
        syscall(SYS_futex, (uint32_t *)seq, FUTEX_WAKE, 1, NULL, NULL, 0);
        ring->wakes++;
    }
}

/* Consumer: reloads the producer's tail; it must be 8-aligned, not behind
 * what we read, and at most `capacity` ahead of what we released. */
static int refresh_tail(bourse_ring *ring) {
    uint64_t tail = atomic_load_explicit(&control_of(ring)->tail, SEQ);
    uint64_t used = tail - ring->published;
    if ((tail & 7) != 0 || used > ring->capacity || tail - ring->position > used) return corrupt(ring);
    ring->peer = tail;
    return BOURSE_RING_OK;
}

/* Producer: reloads the consumer's head; it must be 8-aligned and between
 * the last head seen and the tail we published. */
static int refresh_head(bourse_ring *ring) {
    uint64_t head = atomic_load_explicit(&control_of(ring)->head, SEQ);
    if ((head & 7) != 0 || head - ring->peer > ring->published - ring->peer) return corrupt(ring);
    ring->peer = head;
    return BOURSE_RING_OK;
}

/* Consumer: OK when a frame (or padding) is readable, CLOSED when none is
 * and the producer closed, else AGAIN. The closed flag is read before the
 * tail so frames committed before the close are never missed. */
static int check_data(bourse_ring *ring) {
    if (ring->position != ring->peer) return BOURSE_RING_OK;
    uint32_t closed = atomic_load_explicit(&control_of(ring)->producer_closed, SEQ);
    int status = refresh_tail(ring);
    if (status != BOURSE_RING_OK) return status;
    if (ring->position != ring->peer) return BOURSE_RING_OK;
    return closed ? BOURSE_RING_CLOSED : BOURSE_RING_AGAIN;
}

/* Producer: bytes needed to reserve a frame of `length` at the current
 * position, including the padding when it would cross the end. */
static uint64_t space_needed(const bourse_ring *ring, uint32_t length) {
    uint64_t size = frame_size(length);
    uint64_t to_end = ring->capacity - (ring->position & (ring->capacity - 1));
    return size <= to_end ? size : to_end + size;
}

/* Producer: OK when `need` bytes are free, CLOSED when not and the consumer
 * closed, else AGAIN. */
static int check_space(bourse_ring *ring, uint64_t need) {
    if (ring->capacity - (ring->position - ring->peer) >= need) return BOURSE_RING_OK;
    int status = refresh_head(ring);
    if (status != BOURSE_RING_OK) return status;
    if (ring->capacity - (ring->position - ring->peer) >= need) return BOURSE_RING_OK;
    return atomic_load_explicit(&control_of(ring)->consumer_closed, SEQ) ? BOURSE_RING_CLOSED : BOURSE_RING_AGAIN;
}

static int check(bourse_ring *ring, uint64_t need) {
    return ring->role == BOURSE_RING_CONSUMER ? check_data(ring) : check_space(ring, need);
}

/* Spin, then sleep on the futex until check() stops saying AGAIN or the
 * deadline passes. See the protocol in the header. */
static int wait_until_ready(bourse_ring *ring, uint64_t need, int64_t timeout_ns) {
    int status = check(ring, need);
    if (status != BOURSE_RING_AGAIN) return status;
    if (timeout_ns == 0) return BOURSE_RING_TIMEDOUT;
    for (uint32_t i = 0; i < ring->spin_limit; i++) {
        cpu_relax();
        status = check(ring, need);
        if (status != BOURSE_RING_AGAIN) return status;
    }
    ring_control *c = control_of(ring);
    int consumer = ring->role == BOURSE_RING_CONSUMER;
    _Atomic uint32_t *seq = consumer ? &c->data_seq : &c->space_seq;
    _Atomic uint32_t *waiting = consumer ? &c->consumer_waiting : &c->producer_waiting;
    int64_t now = monotonic_ns();
    int64_t deadline = timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
    for (;;) {
        uint32_t expected = atomic_load_explicit(seq, SEQ); /* 1. read the futex word */
        atomic_store_explicit(waiting, 1, SEQ);             /* 2. announce the sleep */
        ring->waits++;
        if (ring->test_hook != NULL) ring->test_hook(ring, BOURSE_RING_STAGE_ANNOUNCED, ring->test_context);
        status = check(ring, need);                         /* 3. re-check the ring */
        if (status != BOURSE_RING_AGAIN) break;
        if (ring->test_hook != NULL) ring->test_hook(ring, BOURSE_RING_STAGE_SLEEPING, ring->test_context);
        struct timespec relative, *timeout = NULL;
        if (timeout_ns > 0) {
            int64_t left = deadline - monotonic_ns();
            if (left <= 0) {
                status = BOURSE_RING_TIMEDOUT;
                break;
            }
            relative.tv_sec = (time_t)(left / 1000000000);
            relative.tv_nsec = (long)(left % 1000000000);
            timeout = &relative;
        }
        ring->sleeps++;                                      /* 4. sleep unless the word moved */
        if (syscall(SYS_futex, (uint32_t *)seq, FUTEX_WAIT, expected, timeout, NULL, 0) != 0) {
            int error = errno;
            if (error == ETIMEDOUT) ring->sleep_timeouts++;
            if (error != EAGAIN && error != EINTR && error != ETIMEDOUT) {
                ring->sys_errno = error;
                status = BOURSE_RING_SYSTEM;
                break;
            }
        }
    }
    atomic_store_explicit(waiting, 0, memory_order_relaxed);
    return status;
}

/* ---- Setting up --------------------------------------------------------- */

size_t bourse_ring_region_size(uint64_t capacity) {
    return valid_capacity(capacity) ? (size_t)(BOURSE_RING_CONTROL_SIZE + capacity) : 0;
}

int bourse_ring_init(void *memory, size_t size, uint64_t capacity) {
    if (memory == NULL || ((uintptr_t)memory & 63) != 0 || !valid_capacity(capacity) ||
        size < bourse_ring_region_size(capacity))
        return BOURSE_RING_INVALID;
    memset(memory, 0, BOURSE_RING_CONTROL_SIZE);
    ring_control *c = memory;
    atomic_store_explicit(&c->version, BOURSE_RING_VERSION, memory_order_relaxed);
    atomic_store_explicit(&c->control_size, BOURSE_RING_CONTROL_SIZE, memory_order_relaxed);
    atomic_store_explicit(&c->capacity, capacity, memory_order_relaxed);
    atomic_store_explicit(&c->magic, BOURSE_RING_MAGIC, memory_order_release);
    return BOURSE_RING_OK;
}

int bourse_ring_attach(bourse_ring *ring, void *memory, size_t size, bourse_ring_role role) {
    if (ring == NULL) return BOURSE_RING_INVALID;
    memset(ring, 0, sizeof *ring);
    if (memory == NULL || ((uintptr_t)memory & 63) != 0 || size < BOURSE_RING_CONTROL_SIZE ||
        (role != BOURSE_RING_PRODUCER && role != BOURSE_RING_CONSUMER))
        return BOURSE_RING_INVALID;
    ring_control *c = memory;
    if (atomic_load_explicit(&c->magic, memory_order_acquire) != BOURSE_RING_MAGIC ||
        atomic_load_explicit(&c->version, memory_order_relaxed) != BOURSE_RING_VERSION ||
        atomic_load_explicit(&c->control_size, memory_order_relaxed) != BOURSE_RING_CONTROL_SIZE)
        return BOURSE_RING_INVALID;
    uint64_t capacity = atomic_load_explicit(&c->capacity, memory_order_relaxed);
    if (!valid_capacity(capacity) || capacity > size - BOURSE_RING_CONTROL_SIZE) return BOURSE_RING_INVALID;
    uint64_t head = atomic_load_explicit(&c->head, SEQ);
    uint64_t tail = atomic_load_explicit(&c->tail, SEQ);
    if (((head | tail) & 7) != 0 || tail - head > capacity) return BOURSE_RING_CORRUPT;
    ring->control = memory;
    ring->data = (uint8_t *)memory + BOURSE_RING_CONTROL_SIZE;
    ring->capacity = capacity;
    ring->role = role;
    ring->spin_limit = BOURSE_RING_DEFAULT_SPIN;
    ring->position = ring->published = role == BOURSE_RING_PRODUCER ? tail : head;
    ring->peer = role == BOURSE_RING_PRODUCER ? head : tail;
    return BOURSE_RING_OK;
}

uint32_t bourse_ring_max_payload(const bourse_ring *ring) {
    return valid_capacity(ring->capacity) ? (uint32_t)max_payload(ring->capacity) : 0;
}

/* ---- Producer ----------------------------------------------------------- */

int bourse_ring_reserve(bourse_ring *ring, uint32_t length, uint16_t type, uint16_t flags, void **out_payload) {
    if (ring->broken) return BOURSE_RING_CORRUPT;
    if (ring->role != BOURSE_RING_PRODUCER || type == PAD_TYPE || out_payload == NULL) return BOURSE_RING_INVALID;
    uint64_t capacity = ring->capacity;
    if (length > max_payload(capacity)) return BOURSE_RING_TOO_BIG;
    uint64_t size = frame_size(length);
    uint64_t offset = ring->position & (capacity - 1);
    uint64_t to_end = capacity - offset;
    uint64_t need = size <= to_end ? size : to_end + size;
    if (capacity - (ring->position - ring->peer) < need) {
        int status = check_space(ring, need);
        if (status != BOURSE_RING_OK) return status;
    }
    if (size > to_end) {
        store_header(ring->data + offset, (uint32_t)(to_end - BOURSE_RING_FRAME_HEADER), PAD_TYPE, 0);
        ring->position += to_end;
        offset = 0;
    }
    store_header(ring->data + offset, length, type, flags);
    ring->position += size;
    *out_payload = ring->data + offset + BOURSE_RING_FRAME_HEADER;
    return BOURSE_RING_OK;
}

int bourse_ring_write(bourse_ring *ring, uint16_t type, uint16_t flags, const void *payload, uint32_t length) {
    void *destination;
    int status = bourse_ring_reserve(ring, length, type, flags, &destination);
    if (status == BOURSE_RING_OK && length > 0) memcpy(destination, payload, length);
    return status;
}

void bourse_ring_commit(bourse_ring *ring) {
    if (ring->role != BOURSE_RING_PRODUCER || ring->position == ring->published) return;
    ring_control *c = control_of(ring);
    atomic_store_explicit(&c->tail, ring->position, SEQ);
    ring->published = ring->position;
    wake_if_waiting(ring, &c->consumer_waiting, &c->data_seq);
}

int bourse_ring_wait_space(bourse_ring *ring, uint32_t length, int64_t timeout_ns) {
    if (ring->broken) return BOURSE_RING_CORRUPT;
    if (ring->role != BOURSE_RING_PRODUCER) return BOURSE_RING_INVALID;
    if (length > max_payload(ring->capacity)) return BOURSE_RING_TOO_BIG;
    bourse_ring_commit(ring);
    return wait_until_ready(ring, space_needed(ring, length), timeout_ns);
}

/* ---- Consumer ----------------------------------------------------------- */

int bourse_ring_next(bourse_ring *ring, bourse_ring_frame *frame) {
    if (ring->broken) return BOURSE_RING_CORRUPT;
    if (ring->role != BOURSE_RING_CONSUMER || frame == NULL) return BOURSE_RING_INVALID;
    uint64_t capacity = ring->capacity;
    /* At most: refresh, padding, refresh, frame (padding at offset 0 is corrupt). */
    for (;;) {
        if (ring->position == ring->peer) {
            int status = check_data(ring);
            if (status != BOURSE_RING_OK) return status;
        }
        uint64_t available = ring->peer - ring->position; /* >= 8: both are 8-aligned */
        uint64_t offset = ring->position & (capacity - 1);
        uint64_t to_end = capacity - offset;
        uint64_t word = load_header(ring->data + offset);
        uint32_t length = (uint32_t)word;
        uint16_t type = (uint16_t)(word >> 32);
        if (type == PAD_TYPE) {
            if (offset == 0 || length != to_end - BOURSE_RING_FRAME_HEADER || to_end > available) return corrupt(ring);
            ring->position += to_end;
            continue;
        }
        uint64_t size = frame_size(length);
        if (length > max_payload(capacity) || size > available || size > to_end) return corrupt(ring);
        frame->payload = ring->data + offset + BOURSE_RING_FRAME_HEADER;
        frame->length = length;
        frame->type = type;
        frame->flags = (uint16_t)(word >> 48);
        ring->position += size;
        return BOURSE_RING_OK;
    }
}

void bourse_ring_release(bourse_ring *ring) {
    if (ring->role != BOURSE_RING_CONSUMER || ring->position == ring->published) return;
    ring_control *c = control_of(ring);
    atomic_store_explicit(&c->head, ring->position, SEQ);
    ring->published = ring->position;
    wake_if_waiting(ring, &c->producer_waiting, &c->space_seq);
}

int bourse_ring_wait_data(bourse_ring *ring, int64_t timeout_ns) {
    if (ring->broken) return BOURSE_RING_CORRUPT;
    if (ring->role != BOURSE_RING_CONSUMER) return BOURSE_RING_INVALID;
    return wait_until_ready(ring, 0, timeout_ns);
}

/* ---- Both ends ---------------------------------------------------------- */

void bourse_ring_close(bourse_ring *ring) {
    ring_control *c = control_of(ring);
    if (ring->role == BOURSE_RING_PRODUCER) {
        if (!ring->broken) bourse_ring_commit(ring);
        atomic_store_explicit(&c->producer_closed, 1, SEQ);
        wake_if_waiting(ring, &c->consumer_waiting, &c->data_seq);
    } else if (ring->role == BOURSE_RING_CONSUMER) {
        if (!ring->broken) bourse_ring_release(ring);
        atomic_store_explicit(&c->consumer_closed, 1, SEQ);
        wake_if_waiting(ring, &c->producer_waiting, &c->space_seq);
    }
    ring->role = 0;
}
