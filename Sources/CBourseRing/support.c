/*
 * support.c — test and benchmark support: the echo and consume loops a
 * forked child (or a thread) runs, and the fork wrappers. Only atomics,
 * memcpy, futex, clock_gettime, getppid, prctl and _exit are used, so the
 * child of a multi-threaded parent may run them.
 */
#define _GNU_SOURCE
#include "bourse_ring.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A child waits in slices this long between checks that its parent lives. */
#define CHILD_WAIT_NS INT64_C(100000000)

/* Waits in slices, giving up when the parent process is gone. */
static int child_wait(bourse_ring *ring, uint32_t length, pid_t parent) {
    for (;;) {
        int status = ring->role == BOURSE_RING_CONSUMER ? bourse_ring_wait_data(ring, CHILD_WAIT_NS)
                                                         : bourse_ring_wait_space(ring, length, CHILD_WAIT_NS);
        if (status != BOURSE_RING_TIMEDOUT) return status;
        if (getppid() != parent) return BOURSE_RING_CLOSED;
    }
}

int bourse_ring_echo_loop(void *in, size_t in_size, void *out, size_t out_size, uint64_t count) {
    bourse_ring reader, writer;
    int status = bourse_ring_attach(&reader, in, in_size, BOURSE_RING_CONSUMER);
    if (status != BOURSE_RING_OK) return status;
    status = bourse_ring_attach(&writer, out, out_size, BOURSE_RING_PRODUCER);
    if (status != BOURSE_RING_OK) return status;
    pid_t parent = getppid();
    uint64_t done = 0;
    while (done < count) {
        bourse_ring_frame frame;
        status = bourse_ring_next(&reader, &frame);
        if (status == BOURSE_RING_AGAIN) {
            bourse_ring_release(&reader);
            bourse_ring_commit(&writer);
            status = child_wait(&reader, 0, parent);
            if (status != BOURSE_RING_OK) break;
            continue;
        }
        if (status != BOURSE_RING_OK) break;
        void *destination;
        while ((status = bourse_ring_reserve(&writer, frame.length, frame.type, frame.flags, &destination)) ==
               BOURSE_RING_AGAIN) {
            bourse_ring_release(&reader);
            status = child_wait(&writer, frame.length, parent);
            if (status != BOURSE_RING_OK) break;
        }
        if (status != BOURSE_RING_OK) break;
        memcpy(destination, frame.payload, frame.length);
        if ((++done & 63) == 0) {
            bourse_ring_release(&reader);
            bourse_ring_commit(&writer);
        }
    }
    bourse_ring_close(&writer);
    bourse_ring_close(&reader);
    return done == count ? BOURSE_RING_OK : status;
}

int bourse_ring_consume_loop(void *in, size_t in_size, uint64_t count, uint64_t *result) {
    bourse_ring reader;
    int status = bourse_ring_attach(&reader, in, in_size, BOURSE_RING_CONSUMER);
    if (status != BOURSE_RING_OK) return status;
    pid_t parent = getppid();
    uint64_t done = 0, sum = 0;
    while (done < count) {
        bourse_ring_frame frame;
        status = bourse_ring_next(&reader, &frame);
        if (status == BOURSE_RING_OK) {
            uint64_t first = 0;
            memcpy(&first, frame.payload, frame.length < 8 ? frame.length : 8);
            sum += first + frame.length + (frame.length > 0 ? frame.payload[frame.length - 1] : 0);
            if ((++done & 255) == 0) bourse_ring_release(&reader);
            continue;
        }
        if (status != BOURSE_RING_AGAIN) break;
        bourse_ring_release(&reader);
        status = child_wait(&reader, 0, parent);
        if (status != BOURSE_RING_OK) break;
    }
    bourse_ring_close(&reader);
    if (result != NULL) {
        __atomic_store_n(&result[0], done, __ATOMIC_RELAXED);
        __atomic_store_n(&result[1], sum, __ATOMIC_RELAXED);
        __atomic_store_n(&result[2], reader.sleeps, __ATOMIC_RELAXED);
        __atomic_store_n(&result[3], reader.wakes, __ATOMIC_RELEASE);
    }
    return done == count ? BOURSE_RING_OK : status;
}

/* fork without the atfork handlers (_Fork is async-signal-safe); the child
 * dies with its parent and never returns into the caller's code. */
static pid_t fork_child(void) {
    pid_t parent = getpid();
    pid_t pid = _Fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(BOURSE_RING_CLOSED);
    }
    return pid;
}

pid_t bourse_ring_fork_echo(void *in, size_t in_size, void *out, size_t out_size, uint64_t count) {
    pid_t pid = fork_child();
    if (pid == 0) _exit(bourse_ring_echo_loop(in, in_size, out, out_size, count));
    return pid;
}

pid_t bourse_ring_fork_consume(void *in, size_t in_size, uint64_t count, uint64_t *result) {
    pid_t pid = fork_child();
    if (pid == 0) _exit(bourse_ring_consume_loop(in, in_size, count, result));
    return pid;
}
