#include "ring_buffer.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The producer's and the consumer's counters sit on separate cache lines so
 * that the two threads do not keep stealing one line from each other. */
enum { CACHE_LINE = 64 };

struct asr_ring {
    float *data;
    size_t mask; /* capacity - 1; capacity is a power of two */
    /* Samples ever written / read. They only grow (wrapping modulo SIZE_MAX
     * + 1, which the power-of-two capacity divides), so write - read is the
     * fill level even after wrap-around. */
    alignas(CACHE_LINE) atomic_size_t written;
    atomic_uint_least64_t overruns, dropped;
    atomic_int closed;
    alignas(CACHE_LINE) atomic_size_t read;
};

asr_ring *asr_ring_new(size_t min_capacity) {
    if (min_capacity == 0 || min_capacity > ((size_t)1 << 30))
        return asr_error_null(ASR_ERR_ARG, "ring buffer of %zu samples: expected 1 to 2^30",
                              min_capacity);
    size_t capacity = 1;
    while (capacity < min_capacity)
        capacity *= 2;
    size_t size = (sizeof(asr_ring) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    asr_ring *r = aligned_alloc(CACHE_LINE, size);
    float *data = calloc(capacity, sizeof *data);
    if (!r || !data) {
        free(r);
        free(data);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for a ring of %zu samples", capacity);
    }
    memset(r, 0, sizeof *r);
    r->data = data;
    r->mask = capacity - 1;
    atomic_init(&r->written, 0);
    atomic_init(&r->read, 0);
    atomic_init(&r->overruns, 0);
    atomic_init(&r->dropped, 0);
    atomic_init(&r->closed, 0);
    return r;
}

void asr_ring_free(asr_ring *r) {
    if (!r) return;
    free(r->data);
    free(r);
}

size_t asr_ring_capacity(const asr_ring *r) {
    return r->mask + 1;
}

size_t asr_ring_space(const asr_ring *r) {
    size_t w = atomic_load_explicit(&r->written, memory_order_relaxed);
    size_t rd = atomic_load_explicit(&r->read, memory_order_acquire);
    return r->mask + 1 - (w - rd);
}

size_t asr_ring_available(const asr_ring *r) {
    size_t w = atomic_load_explicit(&r->written, memory_order_acquire);
    size_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
    return w - rd;
}

size_t asr_ring_try_write(asr_ring *r, const float *x, size_t n) {
    size_t w = atomic_load_explicit(&r->written, memory_order_relaxed);
    /* Acquire: the consumer has finished copying out what it released. */
    size_t rd = atomic_load_explicit(&r->read, memory_order_acquire);
    size_t space = r->mask + 1 - (w - rd);
    if (n > space) n = space;
    size_t at = w & r->mask, first = r->mask + 1 - at;
    if (first > n) first = n;
    memcpy(r->data + at, x, first * sizeof *x);
    memcpy(r->data, x + first, (n - first) * sizeof *x);
    /* Release: the samples are in place before the consumer can see them. */
    atomic_store_explicit(&r->written, w + n, memory_order_release);
    return n;
}

size_t asr_ring_write(asr_ring *r, const float *x, size_t n) {
    size_t done = asr_ring_try_write(r, x, n);
    if (done < n) {
        atomic_fetch_add_explicit(&r->overruns, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->dropped, n - done, memory_order_relaxed);
    }
    return done;
}

void asr_ring_close(asr_ring *r) {
    atomic_store_explicit(&r->closed, 1, memory_order_release);
}

int asr_ring_is_closed(const asr_ring *r) {
    /* Acquire pairs with the release in close (and so with every earlier
     * write of the producer). */
    return atomic_load_explicit(&r->closed, memory_order_acquire);
}

size_t asr_ring_read(asr_ring *r, float *out, size_t max) {
    size_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
    size_t w = atomic_load_explicit(&r->written, memory_order_acquire);
    size_t n = w - rd < max ? w - rd : max;
    size_t at = rd & r->mask, first = r->mask + 1 - at;
    if (first > n) first = n;
    memcpy(out, r->data + at, first * sizeof *out);
    memcpy(out + first, r->data, (n - first) * sizeof *out);
    /* Release: the copy is done before the producer may overwrite it. */
    atomic_store_explicit(&r->read, rd + n, memory_order_release);
    return n;
}

uint64_t asr_ring_overruns(const asr_ring *r) {
    return atomic_load_explicit(&r->overruns, memory_order_relaxed);
}

uint64_t asr_ring_dropped(const asr_ring *r) {
    return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
