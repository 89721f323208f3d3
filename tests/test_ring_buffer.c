/* The lock-free ring between audio capture and recognition: sizes,
 * wrap-around, full and empty, overrun counting, and two real threads. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "asr.h"
#include "ring_buffer.h"

static void test_capacity(void **state) {
    (void)state;
    asr_ring *r = asr_ring_new(1000);
    assert_non_null(r);
    assert_int_equal(asr_ring_capacity(r), 1024);
    assert_int_equal(asr_ring_space(r), 1024);
    assert_int_equal(asr_ring_available(r), 0);
    asr_ring_free(r);
    r = asr_ring_new(1);
    assert_int_equal(asr_ring_capacity(r), 1);
    asr_ring_free(r);
    assert_null(asr_ring_new(0));
    assert_string_not_equal(asr_last_error(), "");
    assert_null(asr_ring_new(((size_t)1 << 30) + 1));
    asr_ring_free(NULL);
}

static void test_empty_and_full(void **state) {
    (void)state;
    asr_ring *r = asr_ring_new(8);
    float in[10], out[10] = {0};
    for (int i = 0; i < 10; i++)
        in[i] = (float)i + 0.5f;
    assert_int_equal(asr_ring_read(r, out, 10), 0); /* empty */
    assert_int_equal(asr_ring_try_write(r, in, 10), 8);
    assert_int_equal(asr_ring_space(r), 0);
    assert_int_equal(asr_ring_available(r), 8);
    assert_int_equal(asr_ring_try_write(r, in, 1), 0); /* full */
    assert_int_equal(asr_ring_overruns(r), 0);         /* try_write never counts */
    assert_int_equal(asr_ring_read(r, out, 10), 8);
    for (int i = 0; i < 8; i++)
        assert_float_equal(out[i], in[i], 0);
    assert_int_equal(asr_ring_available(r), 0);
    assert_int_equal(asr_ring_space(r), 8);
    asr_ring_free(r);
}

static void test_wrap_around(void **state) {
    (void)state;
    asr_ring *r = asr_ring_new(8);
    float buf[8], out[8];
    float next_in = 0, next_out = 0;
    /* Sizes that are prime to 8 move the seam through every position. */
    static const size_t sizes[] = {3, 5, 7, 1, 6, 2, 8, 4};
    for (int round = 0; round < 200; round++) {
        size_t n = sizes[round % 8], m = sizes[(round + 3) % 8];
        for (size_t i = 0; i < n; i++)
            buf[i] = next_in + (float)i;
        size_t w = asr_ring_try_write(r, buf, n);
        next_in += (float)w;
        size_t got = asr_ring_read(r, out, m);
        for (size_t i = 0; i < got; i++)
            assert_float_equal(out[i], next_out + (float)i, 0);
        next_out += (float)got;
        assert_int_equal(asr_ring_available(r), (size_t)(next_in - next_out));
    }
    assert_true(next_out > 500); /* it really went round many times */
    asr_ring_free(r);
}

static void test_overrun_counting(void **state) {
    (void)state;
    asr_ring *r = asr_ring_new(8);
    float in[16] = {0}, out[16];
    assert_int_equal(asr_ring_write(r, in, 6), 6); /* fits: no overrun */
    assert_int_equal(asr_ring_overruns(r), 0);
    assert_int_equal(asr_ring_write(r, in, 5), 2); /* 3 dropped */
    assert_int_equal(asr_ring_overruns(r), 1);
    assert_int_equal(asr_ring_dropped(r), 3);
    assert_int_equal(asr_ring_write(r, in, 4), 0); /* full: all 4 dropped */
    assert_int_equal(asr_ring_overruns(r), 2);
    assert_int_equal(asr_ring_dropped(r), 7);
    assert_int_equal(asr_ring_read(r, out, 16), 8); /* nothing unread was overwritten */
    assert_int_equal(asr_ring_write(r, in, 8), 8);
    assert_int_equal(asr_ring_overruns(r), 2);
    asr_ring_free(r);
}

static void test_close(void **state) {
    (void)state;
    asr_ring *r = asr_ring_new(4);
    float x[3] = {1, 2, 3}, out[4];
    assert_false(asr_ring_is_closed(r));
    asr_ring_try_write(r, x, 3);
    asr_ring_close(r);
    assert_true(asr_ring_is_closed(r));
    assert_int_equal(asr_ring_read(r, out, 4), 3); /* still readable after the close */
    assert_float_equal(out[2], 3, 0);
    asr_ring_free(r);
}

/* Two threads: a producer pushing a counting sequence in uneven pieces, a
 * consumer checking it in other uneven pieces. Values stay below 2^24 so
 * that floats count exactly. Kept short: the threads hand over with
 * sched_yield, which on a loaded machine may wait a whole time slice. */
enum { STRESS_SAMPLES = 1 << 18, STRESS_CAPACITY = 64 };

typedef struct {
    asr_ring *ring;
    int lossy; /* asr_ring_write (drops) instead of waiting for room */
} stress;

static void *produce(void *arg) {
    stress *s = arg;
    float buf[37];
    uint32_t next = 0;
    for (size_t piece = 1; next < STRESS_SAMPLES; piece = piece % 37 + 1) {
        size_t n = piece < STRESS_SAMPLES - next ? piece : STRESS_SAMPLES - next;
        for (size_t i = 0; i < n; i++)
            buf[i] = (float)(next + i);
        if (s->lossy) {
            asr_ring_write(s->ring, buf, n);
            next += (uint32_t)n;
            continue;
        }
        size_t done = 0;
        while (done < n) {
            size_t w = asr_ring_try_write(s->ring, buf + done, n - done);
            done += w;
            if (w == 0) sched_yield();
        }
        next += (uint32_t)n;
    }
    asr_ring_close(s->ring);
    return NULL;
}

/* Reads until the ring is closed and empty; returns how many arrived.
 * Every sample must be larger than the one before (lossy) or exactly the
 * next one (lossless). */
static size_t consume(stress *s) {
    float buf[53];
    size_t received = 0, piece = 1;
    double last = -1;
    for (;;) {
        int closed = asr_ring_is_closed(s->ring);
        size_t got = asr_ring_read(s->ring, buf, piece);
        for (size_t i = 0; i < got; i++) {
            if (s->lossy)
                assert_true(buf[i] > last);
            else
                assert_float_equal(buf[i], (float)received + (float)i, 0);
            last = buf[i];
        }
        received += got;
        piece = piece % 53 + 1;
        if (got == 0) {
            if (closed) break;
            sched_yield();
        }
    }
    return received;
}

static void test_two_threads_lossless(void **state) {
    (void)state;
    stress s = {asr_ring_new(STRESS_CAPACITY), 0};
    pthread_t producer;
    assert_int_equal(pthread_create(&producer, NULL, produce, &s), 0);
    size_t received = consume(&s);
    pthread_join(producer, NULL);
    assert_int_equal(received, STRESS_SAMPLES);
    assert_int_equal(asr_ring_overruns(s.ring), 0);
    asr_ring_free(s.ring);
}

static void test_two_threads_lossy(void **state) {
    (void)state;
    stress s = {asr_ring_new(STRESS_CAPACITY), 1};
    pthread_t producer;
    assert_int_equal(pthread_create(&producer, NULL, produce, &s), 0);
    size_t received = consume(&s);
    pthread_join(producer, NULL);
    /* Whatever the timing: every sample either arrived, in order, or was
     * counted as dropped. */
    assert_int_equal(received + asr_ring_dropped(s.ring), STRESS_SAMPLES);
    assert_true((asr_ring_dropped(s.ring) == 0) == (asr_ring_overruns(s.ring) == 0));
    asr_ring_free(s.ring);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_empty_and_full),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_overrun_counting),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_two_threads_lossless),
        cmocka_unit_test(test_two_threads_lossy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
