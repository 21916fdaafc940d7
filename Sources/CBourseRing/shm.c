/*
 * shm.c — shared memory files for rings: memfd_create + ftruncate + seals +
 * mmap. See bourse_shm_create and bourse_shm_map in include/bourse_ring.h.
 */
#define _GNU_SOURCE
#include "bourse_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int bourse_shm_create(const char *name, size_t size, int *out_fd, void **out_memory, const char **failed_call) {
    const char *call = "memfd_create";
    int fd = -1;
    if (size == 0 || size > (size_t)INT64_MAX || out_fd == NULL || out_memory == NULL) {
        errno = EINVAL;
        goto fail;
    }
    fd = memfd_create(name != NULL ? name : "bourse-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) goto fail;
    call = "ftruncate";
    int rc;
    do rc = ftruncate(fd, (off_t)size); while (rc != 0 && errno == EINTR);
    if (rc != 0) goto fail;
    call = "fcntl(F_ADD_SEALS)";
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) goto fail;
    call = "mmap";
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (memory == MAP_FAILED) goto fail;
    *out_fd = fd;
    *out_memory = memory;
    return 0;
fail:
    if (fd >= 0) {
        int error = errno;
        close(fd);
        errno = error;
    }
    if (failed_call != NULL) *failed_call = call;
    return -1;
}

int bourse_shm_map(int fd, size_t *out_size, void **out_memory, const char **failed_call) {
    const char *call = "fstat";
    struct stat st;
    if (out_size == NULL || out_memory == NULL) {
        errno = EINVAL;
        goto fail;
    }
    if (fstat(fd, &st) != 0) goto fail;
    if (st.st_size <= 0) {
        errno = EINVAL;
        goto fail;
    }
    call = "mmap";
    void *memory = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (memory == MAP_FAILED) goto fail;
    *out_size = (size_t)st.st_size;
    *out_memory = memory;
    return 0;
fail:
    if (failed_call != NULL) *failed_call = call;
    return -1;
}
