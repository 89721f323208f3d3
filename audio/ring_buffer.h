/* A lock-free single-producer single-consumer ring of float samples.
 *
 * Made for an audio callback (the producer) that must never block, wait or
 * allocate, and one recognizer thread (the consumer) that drains it. Exactly
 * one thread may call the producer functions and exactly one the consumer
 * functions; new/free happen while neither runs. The producer never
 * overwrites unread samples: what does not fit is dropped and counted. */
#ifndef ASR_RING_BUFFER_H
#define ASR_RING_BUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct asr_ring asr_ring;

/* A ring holding at least min_capacity samples (rounded up to a power of
 * two). Returns NULL, with asr_last_error() set, when min_capacity is 0 or
 * too large, or memory runs out. */
asr_ring *asr_ring_new(size_t min_capacity);
void asr_ring_free(asr_ring *ring);
size_t asr_ring_capacity(const asr_ring *ring);

/* ---- Producer ---- */

/* Copies as many of the n samples as fit and returns how many; the rest are
 * left to the caller (for sources that can wait, such as files). */
size_t asr_ring_try_write(asr_ring *ring, const float *samples, size_t n);
/* Copies as many as fit and drops the rest, counting one overrun and the
 * dropped samples (for sources that cannot wait: a microphone). Returns how
 * many were written. */
size_t asr_ring_write(asr_ring *ring, const float *samples, size_t n);
/* Free room for writing. */
size_t asr_ring_space(const asr_ring *ring);
/* No more samples will come; call after the last write. */
void asr_ring_close(asr_ring *ring);

/* ---- Consumer ---- */

/* Copies up to max samples out, oldest first; returns how many. */
size_t asr_ring_read(asr_ring *ring, float *out, size_t max);
/* Samples waiting to be read. */
size_t asr_ring_available(const asr_ring *ring);
/* 1 once the producer has closed the ring. Every sample written before the
 * close is readable once this returns 1: so read until empty after seeing 1. */
int asr_ring_is_closed(const asr_ring *ring);

/* ---- Either thread ---- */

/* Writes that could not fit everything (asr_ring_write only), and samples
 * dropped by them. */
uint64_t asr_ring_overruns(const asr_ring *ring);
uint64_t asr_ring_dropped(const asr_ring *ring);

#endif
