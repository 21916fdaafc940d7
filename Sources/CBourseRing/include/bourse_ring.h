/*
 * bourse_ring.h — single-producer/single-consumer byte rings in shared memory.
 *
 * The host creates a region with bourse_shm_create (memfd_create + ftruncate
 * + seals + mmap MAP_SHARED), lays out a ring with bourse_ring_init, and
 * hands the fd to a worker process, which maps it with bourse_shm_map. Each
 * side then attaches a private handle (struct bourse_ring) as producer or
 * consumer. Only the handle's fields are trusted; everything in the shared
 * region may be written by a hostile peer at any time, so every value read
 * from it is validated and bad values are reported as BOURSE_RING_CORRUPT.
 *
 * Shared layout of one ring (all offsets in bytes from the ring's start;
 * control block = BOURSE_RING_CONTROL_SIZE bytes, data area follows):
 *
 *     0   u64 magic "BOURSERG"   8 u32 version   12 u32 control_size
 *    16   u64 capacity (data bytes, a power of two)
 *   128   u64 tail               producer line: written by the producer
 *   136   u32 data_seq           futex word the consumer sleeps on
 *   140   u32 consumer_waiting   consumer sets 1 before it sleeps
 *   144   u32 producer_closed
 *   256   u64 head               consumer line: written by the consumer
 *   264   u32 space_seq          futex word the producer sleeps on
 *   268   u32 producer_waiting   producer sets 1 before it sleeps
 *   272   u32 consumer_closed
 *   512   data[capacity]
 *
 * head and tail are monotonic 64-bit byte positions (never wrapped), always
 * multiples of 8; the bytes in use are tail - head <= capacity, the byte at
 * position p lives at data[p & (capacity - 1)].
 *
 * A frame is an 8-byte header { u32 length; u16 type; u16 flags } followed
 * by `length` payload bytes, padded to a multiple of 8. Frames never cross
 * the end of the data area: when one would, the producer first writes a PAD
 * frame (type BOURSE_RING_FRAME_PAD) that fills the rest of the data area
 * exactly. (Since positions and capacity are multiples of 8, at least 8
 * bytes always remain, so a PAD header always fits.) A frame occupies at
 * most capacity / 2 bytes, so payloads of up to bourse_ring_max_payload()
 * = capacity / 2 - 8 bytes are accepted; larger ones are refused with
 * BOURSE_RING_TOO_BIG (never truncated) and must be chunked by the caller.
 *
 * Wait/wake protocol (same for "data" and "space" with the roles swapped):
 *  - the sleeper spins a bounded number of times with a pause instruction;
 *  - then it loops: seq = load(data_seq); store(consumer_waiting, 1);
 *    re-check the ring; if still empty, FUTEX_WAIT(&data_seq, seq, timeout);
 *  - the waker publishes (store tail), then, only if consumer_waiting is 1,
 *    exchanges it to 0, increments data_seq and issues one FUTEX_WAKE.
 * All four steps use sequentially consistent atomics, so either the waker
 * sees the flag or the sleeper's re-check sees the new tail; and a bump
 * between the sleeper's read of data_seq and its FUTEX_WAIT makes the
 * kernel return at once (EAGAIN). So no wake-up is lost, and there is at
 * most one wake system call per announced sleep. The futex calls are
 * the shared (non-_PRIVATE) FUTEX_WAIT and FUTEX_WAKE, as two processes
 * share the words; a sandbox policy must allow them.
 *
 * Threading: a handle is used by one thread at a time. The producer and the
 * consumer of one ring may be in different threads or processes.
 * Except where noted, functions are async-signal-safe (they only use
 * atomics, memcpy, clock_gettime and the futex system call), so a child made
 * with fork() in a multi-threaded program may call them before _exit().
 */
#ifndef BOURSE_RING_H
#define BOURSE_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "BOURSERG" read as a little-endian u64: first word of a ring. */
#define BOURSE_RING_MAGIC 0x4752455352554F42ull
/** Version of the shared ring layout described above. */
#define BOURSE_RING_VERSION 1u
/** Bytes of the control block before the data area. */
#define BOURSE_RING_CONTROL_SIZE 512u
/** Smallest data capacity accepted (bytes, power of two). */
#define BOURSE_RING_MIN_CAPACITY 64u
/** Largest data capacity accepted (bytes, power of two): 1 GiB. */
#define BOURSE_RING_MAX_CAPACITY 1073741824ull
/** Bytes of a frame header. */
#define BOURSE_RING_FRAME_HEADER 8u
/** Frame type reserved for padding; callers use 0..0xFFFE. */
#define BOURSE_RING_FRAME_PAD 0xFFFFu
/** Default spin iterations (each one pause, ~25 ns on x86) before a wait sleeps on the futex. */
#define BOURSE_RING_DEFAULT_SPIN 1024u

/* Offsets of the shared control words (documentation and tests). */
#define BOURSE_RING_OFFSET_MAGIC 0u
#define BOURSE_RING_OFFSET_VERSION 8u
#define BOURSE_RING_OFFSET_CONTROL_SIZE 12u
#define BOURSE_RING_OFFSET_CAPACITY 16u
#define BOURSE_RING_OFFSET_TAIL 128u
#define BOURSE_RING_OFFSET_DATA_SEQ 136u
#define BOURSE_RING_OFFSET_CONSUMER_WAITING 140u
#define BOURSE_RING_OFFSET_PRODUCER_CLOSED 144u
#define BOURSE_RING_OFFSET_HEAD 256u
#define BOURSE_RING_OFFSET_SPACE_SEQ 264u
#define BOURSE_RING_OFFSET_PRODUCER_WAITING 268u
#define BOURSE_RING_OFFSET_CONSUMER_CLOSED 272u

/** Results of ring functions. Values are stable. */
typedef enum bourse_ring_status {
    BOURSE_RING_OK = 0,        /**< done */
    BOURSE_RING_AGAIN = 1,     /**< reserve: not enough space now; next: no frame now */
    BOURSE_RING_TIMEDOUT = 2,  /**< a wait reached its timeout */
    BOURSE_RING_CLOSED = 3,    /**< the peer closed its end (and, for a consumer, all data was read) */
    BOURSE_RING_TOO_BIG = 4,   /**< the frame can never fit: larger than bourse_ring_max_payload */
    BOURSE_RING_CORRUPT = 5,   /**< the shared block holds impossible values; the handle stays broken */
    BOURSE_RING_INVALID = 6,   /**< bad argument, or the region is not a valid ring (attach) */
    BOURSE_RING_SYSTEM = 7     /**< a system call failed; errno and handle->sys_errno say why */
} bourse_ring_status;

/** Which end of a ring a handle is attached to. */
typedef enum bourse_ring_role {
    BOURSE_RING_PRODUCER = 1,
    BOURSE_RING_CONSUMER = 2
} bourse_ring_role;

/** Points in a wait where a test hook runs (see bourse_ring.test_hook). */
typedef enum bourse_ring_wait_stage {
    BOURSE_RING_STAGE_ANNOUNCED = 1, /**< waiting word set, ring not re-checked yet */
    BOURSE_RING_STAGE_SLEEPING = 2   /**< ring re-checked and still not ready; FUTEX_WAIT comes next */
} bourse_ring_wait_stage;

struct bourse_ring;
/** Test support: called at each bourse_ring_wait_stage of a futex wait. */
typedef void (*bourse_ring_test_hook)(struct bourse_ring *ring, int stage, void *context);

/**
 * A process-private handle on one end of a ring. Allocate it anywhere
 * (stack, heap); fill it with bourse_ring_attach. Fields are read-only for
 * callers; the statistics may be read at any time by the owning thread.
 */
typedef struct bourse_ring {
    void *control;          /**< start of the ring (the control block) */
    uint8_t *data;          /**< start of the data area */
    uint64_t capacity;      /**< data bytes, validated at attach, never re-read */
    uint64_t position;      /**< producer: end of reserved frames; consumer: end of frames read */
    uint64_t published;     /**< producer: tail last stored; consumer: head last stored */
    uint64_t peer;          /**< producer: last valid head seen; consumer: last valid tail seen */
    uint32_t role;          /**< bourse_ring_role */
    uint32_t spin_limit;    /**< spin iterations before sleeping (default BOURSE_RING_DEFAULT_SPIN) */
    int32_t broken;         /**< BOURSE_RING_CORRUPT once corruption was seen, else 0 */
    int32_t sys_errno;      /**< errno of the last failed system call */
    uint64_t waits;         /**< times this end announced a sleep (set its waiting word) */
    uint64_t sleeps;        /**< FUTEX_WAIT calls made (<= waits) */
    uint64_t sleep_timeouts; /**< FUTEX_WAIT calls that slept until their timeout (idle or dead peer) */
    uint64_t wakes;         /**< FUTEX_WAKE calls made (<= the peer's waits: one per announced sleep) */
    bourse_ring_test_hook test_hook; /**< test support: NULL, or run at each wait stage (lets a test
                                          act as the peer at the exact points where a wake-up could be lost) */
    void *test_context;     /**< passed to test_hook */
} bourse_ring;

/** One frame read in place. Valid until bourse_ring_release. */
typedef struct bourse_ring_frame {
    const uint8_t *payload;  /**< `length` bytes inside the shared data area */
    uint32_t length;         /**< payload bytes (snapshot; already bounds-checked) */
    uint16_t type;           /**< caller-defined type, never BOURSE_RING_FRAME_PAD */
    uint16_t flags;          /**< caller-defined flags */
} bourse_ring_frame;

/* ---- Channel layout ----------------------------------------------------- */

/** "BOURSECH" read as a little-endian u64: first word of a channel region. */
#define BOURSE_CHANNEL_MAGIC 0x4843455352554F42ull
/** Version of the channel layout. */
#define BOURSE_CHANNEL_VERSION 1u
/** Rings of a channel start at multiples of this many bytes. */
#define BOURSE_CHANNEL_ALIGNMENT 4096u

/**
 * The first bytes of a channel region: one shared memory file holding two
 * rings, ring 0 host -> worker and ring 1 worker -> host. The host writes
 * it once before the worker starts; the worker validates it (magic,
 * version, sizes, offsets aligned, inside the region, not overlapping the
 * header or each other) and attaches from nothing but the fd. The host
 * never reads it back: it keeps its own copy of the offsets.
 */
typedef struct bourse_channel_header {
    uint64_t magic;          /**< BOURSE_CHANNEL_MAGIC */
    uint32_t version;        /**< BOURSE_CHANNEL_VERSION */
    uint32_t header_size;    /**< sizeof(bourse_channel_header) */
    uint64_t region_size;    /**< bytes of the whole region */
    uint64_t ring_offset[2]; /**< start of ring 0 and ring 1, multiples of BOURSE_CHANNEL_ALIGNMENT */
    uint64_t ring_size[2];   /**< bytes of ring 0 and ring 1 (bourse_ring_region_size of their capacity) */
    uint64_t reserved;       /**< 0 */
} bourse_channel_header;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(bourse_channel_header) == 64, "bourse_channel_header must be 64 bytes");
_Static_assert(sizeof(bourse_ring_frame) == 16, "bourse_ring_frame must be 16 bytes");
#endif

/* ---- Shared memory ------------------------------------------------------ */

/**
 * Creates an anonymous shared memory file of `size` bytes (memfd_create with
 * MFD_CLOEXEC | MFD_ALLOW_SEALING, ftruncate), seals its size (F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_SEAL: a peer can never shrink it and make our accesses
 * fault) and maps it read-write MAP_SHARED | MAP_POPULATE (no page faults
 * later in the hot path). The memory is zero-filled.
 * Returns 0, or -1 with errno set and *failed_call naming the call that
 * failed (when failed_call is not NULL); nothing is left open on failure.
 * Not async-signal-safe. The fd is close-on-exec: pass it to a child with
 * posix_spawn_file_actions_adddup2 (which clears the flag on the copy).
 */
int bourse_shm_create(const char *name, size_t size, int *out_fd, void **out_memory, const char **failed_call);

/**
 * Maps the whole of a shared memory fd (size from fstat) read-write
 * MAP_SHARED | MAP_POPULATE. Returns 0, or -1 with errno set and *failed_call naming the
 * call that failed. The fd stays open and owned by the caller.
 */
int bourse_shm_map(int fd, size_t *out_size, void **out_memory, const char **failed_call);

/* ---- Setting up a ring -------------------------------------------------- */

/**
 * Bytes a ring with `capacity` data bytes occupies (control block + data),
 * or 0 when capacity is not a power of two within
 * [BOURSE_RING_MIN_CAPACITY, BOURSE_RING_MAX_CAPACITY].
 */
size_t bourse_ring_region_size(uint64_t capacity);

/**
 * Lays out an empty ring with `capacity` data bytes at `memory` (`size`
 * bytes available, 64-byte aligned). Only the creator calls this, before
 * any peer attaches. Returns BOURSE_RING_OK or BOURSE_RING_INVALID.
 */
int bourse_ring_init(void *memory, size_t size, uint64_t capacity);

/**
 * Attaches `ring` to the ring at `memory` (`size` bytes mapped there) as
 * `role`. Validates magic, version, control size, capacity (power of two,
 * fits in `size`) and the current head/tail, which become the handle's
 * starting positions. Returns BOURSE_RING_OK, BOURSE_RING_INVALID (not a
 * ring or bad arguments) or BOURSE_RING_CORRUPT (impossible positions).
 */
int bourse_ring_attach(bourse_ring *ring, void *memory, size_t size, bourse_ring_role role);

/** Largest payload a frame of this ring can carry: capacity / 2 - 8 bytes. */
uint32_t bourse_ring_max_payload(const bourse_ring *ring);

/* ---- Producer ----------------------------------------------------------- */

/**
 * Reserves a frame of `length` payload bytes with `type` and `flags` and
 * stores a pointer to its payload (8-byte aligned) in *out_payload. Never
 * blocks. The frame becomes visible to the consumer only at the next
 * bourse_ring_commit, so many frames can be reserved and published at once.
 * Returns BOURSE_RING_OK; BOURSE_RING_AGAIN when there is no space now
 * (commit, then bourse_ring_wait_space); BOURSE_RING_CLOSED when there is
 * no space and the consumer closed its end; BOURSE_RING_TOO_BIG when
 * length > bourse_ring_max_payload; BOURSE_RING_INVALID for type PAD or a
 * handle that is not a producer; BOURSE_RING_CORRUPT when the consumer's
 * head is impossible.
 */
int bourse_ring_reserve(bourse_ring *ring, uint32_t length, uint16_t type, uint16_t flags, void **out_payload);

/** bourse_ring_reserve, then copies `length` bytes from `payload` into the frame. */
int bourse_ring_write(bourse_ring *ring, uint16_t type, uint16_t flags, const void *payload, uint32_t length);

/**
 * Publishes every frame reserved since the last commit with one store of
 * the tail, then wakes the consumer only if it announced that it sleeps.
 */
void bourse_ring_commit(bourse_ring *ring);

/**
 * Waits until a frame of `length` payload bytes can be reserved. Commits
 * pending frames first (the consumer cannot free space it has not seen).
 * Spins up to spin_limit times, then sleeps on the futex; timeout_ns < 0
 * waits without limit, 0 only checks. Returns BOURSE_RING_OK,
 * BOURSE_RING_TIMEDOUT, BOURSE_RING_CLOSED (consumer closed),
 * BOURSE_RING_TOO_BIG, BOURSE_RING_CORRUPT or BOURSE_RING_SYSTEM.
 */
int bourse_ring_wait_space(bourse_ring *ring, uint32_t length, int64_t timeout_ns);

/* ---- Consumer ----------------------------------------------------------- */

/**
 * Reads the next frame in place into *frame, skipping padding. The frame
 * stays valid (its bytes are not reused by the producer) until
 * bourse_ring_release. The header is read once and bounds-checked; a
 * hostile producer may still change payload bytes while you read them, so
 * copy a payload before validating its contents. Returns BOURSE_RING_OK,
 * BOURSE_RING_AGAIN (no frame now), BOURSE_RING_CLOSED (no frame and the
 * producer closed), BOURSE_RING_INVALID (not a consumer) or
 * BOURSE_RING_CORRUPT.
 */
int bourse_ring_next(bourse_ring *ring, bourse_ring_frame *frame);

/**
 * Gives the space of every frame read so far back to the producer with
 * one store of the head, then wakes the producer only if it announced that
 * it sleeps. Frames read before the call must not be used after it.
 */
void bourse_ring_release(bourse_ring *ring);

/**
 * Waits until a frame can be read. Spins up to spin_limit times, then sleeps
 * on the futex; timeout_ns < 0 waits without limit, 0 only checks. Returns
 * BOURSE_RING_OK, BOURSE_RING_TIMEDOUT, BOURSE_RING_CLOSED (producer closed
 * and everything was read), BOURSE_RING_CORRUPT or BOURSE_RING_SYSTEM. Use
 * finite timeouts to check between waits whether the peer is still alive.
 */
int bourse_ring_wait_data(bourse_ring *ring, int64_t timeout_ns);

/* ---- Both ends ---------------------------------------------------------- */

/**
 * Closes this end: a producer commits pending frames and marks the ring
 * closed for writing; a consumer marks it closed for reading. Wakes a
 * sleeping peer. The handle must not be used afterwards, except for reading
 * its statistics.
 */
void bourse_ring_close(bourse_ring *ring);

/* ---- Test and benchmark support ----------------------------------------- */

/**
 * Test and benchmark support: forks a child process that attaches as
 * consumer to the ring at `in` and as producer to the ring at `out` (both
 * shared mappings inherited over fork), copies every frame it reads from
 * `in` to `out` (same type, flags and payload) until it has echoed `count`
 * frames or `in` is closed, closes both ends and _exit()s with a
 * bourse_ring_status. The child runs only this C code (atomics, memcpy,
 * futex, clock_gettime, getppid, _exit), which is safe after fork() in a
 * multi-threaded parent; it waits in 100 ms slices and quits if the parent
 * dies. Returns the child's pid, or -1 with errno set.
 */
pid_t bourse_ring_fork_echo(void *in, size_t in_size, void *out, size_t out_size, uint64_t count);

/**
 * Benchmark support: like bourse_ring_fork_echo, but the child consumes
 * `count` frames from `in`, reading each frame's first 8 and last payload
 * bytes and its length, releasing once per batch, and stores in result[0..3]
 * the frames read, a checksum, and its handle's sleeps and wakes (result
 * must point into shared memory to be seen by the parent). Returns the pid
 * or -1 with errno set.
 */
pid_t bourse_ring_fork_consume(void *in, size_t in_size, uint64_t count, uint64_t *result);

/**
 * Benchmark support: the consumer loop of bourse_ring_fork_consume, run in
 * the calling thread (for the in-process comparison). Returns a status.
 */
int bourse_ring_consume_loop(void *in, size_t in_size, uint64_t count, uint64_t *result);

/**
 * Test and benchmark support: the echo loop of bourse_ring_fork_echo, run
 * in the calling thread. Returns a status.
 */
int bourse_ring_echo_loop(void *in, size_t in_size, void *out, size_t out_size, uint64_t count);

#ifdef __cplusplus
}
#endif

#endif /* BOURSE_RING_H */
