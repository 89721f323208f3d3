/* Shared by the libFuzzer harnesses: the loaders take paths, so each input
 * is handed to them as an in-memory file (memfd), and fixtures are found
 * through ASR_SOURCE_DIR (set by scripts/fuzz.sh; the build's source tree
 * otherwise). */
#ifndef ASR_FUZZ_UTIL_H
#define ASR_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* A path whose contents are data[0..size), valid until the next call. */
static inline const char *fuzz_file(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
    return path;
}

/* $ASR_SOURCE_DIR/rel (or the source tree the harness was built from). */
static inline const char *fuzz_source_path(const char *rel) {
    static char path[4096];
    const char *root = getenv("ASR_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ASR_FUZZ_SOURCE_DIR, rel);
    return path;
}

#endif
