/* The streaming resampler: chunking invariance (bit for bit), output length,
 * tone accuracy against ideal sines, and removal of what the new rate cannot
 * carry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audio.h"

/* Noise plus a tone, deterministic. */
static float *test_signal(size_t n, int rate) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] =
            (float)(0.3 * sin(2 * M_PI * 700.0 * i / rate) + 0.4 * ((s >> 8) / 16777216.0 - 0.5));
    }
    return x;
}

static void append(float **all, size_t *n, size_t *cap, const float *part, size_t m) {
    if (*n + m > *cap) {
        *cap = (*n + m) * 2 + 16;
        *all = realloc(*all, *cap * sizeof **all);
        assert_non_null(*all);
    }
    if (m) memcpy(*all + *n, part, m * sizeof *part);
    *n += m;
}

/* Feeds x in pieces of chunk samples (0: pseudo-random sizes from 1 to 5000);
 * end is set with the last piece, or in a separate empty call. */
static float *resample(asr_resampler *r, const float *x, size_t n, size_t chunk, int separate_end,
                       size_t *n_out) {
    float *all = NULL;
    size_t total = 0, cap = 0, pos = 0;
    uint32_t s = 777;
    const float *out;
    size_t m;
    do {
        size_t k = chunk;
        if (!chunk) {
            s = s * 1664525u + 1013904223u;
            k = 1 + (s >> 8) % 5000;
        }
        if (k > n - pos) k = n - pos;
        int end = !separate_end && pos + k == n;
        assert_int_equal(asr_resampler_process(r, x + pos, k, end, &out, &m), ASR_OK);
        append(&all, &total, &cap, out, m);
        pos += k;
    } while (pos < n);
    if (separate_end) {
        assert_int_equal(asr_resampler_process(r, NULL, 0, 1, &out, &m), ASR_OK);
        append(&all, &total, &cap, out, m);
    }
    *n_out = total;
    return all;
}

static float *resample_once(int in_rate, int out_rate, const float *x, size_t n, size_t *n_out) {
    asr_resampler *r = asr_resampler_new(in_rate, out_rate);
    assert_non_null(r);
    float *y = resample(r, x, n, n, 0, n_out);
    asr_resampler_free(r);
    return y;
}

static void test_chunking_is_bit_exact(void **state) {
    (void)state;
    static const int rates[][2] = {{44100, 16000}, {8000, 16000}, {48000, 16000},
                                   {22050, 16000}, {16000, 8000}, {16000, 16000}};
    static const size_t chunks[] = {1, 37, 160, 4096, 0};
    for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
        int in_rate = rates[ri][0], out_rate = rates[ri][1];
        size_t n = (size_t)in_rate * 3; /* 3 s: whole calls pass SLICE */
        float *x = test_signal(n, in_rate);
        size_t n_ref;
        float *ref = resample_once(in_rate, out_rate, x, n, &n_ref);
        for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++)
            for (int sep = 0; sep < 2; sep++) {
                asr_resampler *r = asr_resampler_new(in_rate, out_rate);
                assert_non_null(r);
                size_t n_y;
                float *y = resample(r, x, n, chunks[ci], sep, &n_y);
                if (n_y != n_ref || memcmp(y, ref, n_y * sizeof *y))
                    fail_msg("%d -> %d Hz, chunks of %zu%s: %zu samples differ from the "
                             "whole-input %zu",
                             in_rate, out_rate, chunks[ci], sep ? ", separate end" : "", n_y,
                             n_ref);
                free(y);
                asr_resampler_free(r);
            }
        free(ref);
        free(x);
    }
}

static void test_output_length(void **state) {
    (void)state;
    static const int rates[][2] = {{8000, 16000},  {11025, 16000}, {22050, 16000},
                                   {44100, 16000}, {48000, 16000}, {96000, 16000},
                                   {16000, 8000},  {1000, 16000},  {384000, 16000}};
    static const size_t lengths[] = {1, 100, 12345, 44100};
    for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++)
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            size_t n = lengths[li], n_y;
            float *x = test_signal(n, rates[ri][0]);
            float *y = resample_once(rates[ri][0], rates[ri][1], x, n, &n_y);
            double want = (double)n * rates[ri][1] / rates[ri][0];
            if (fabs((double)n_y - want) > 2)
                fail_msg("%d -> %d Hz, %zu in: %zu out, expected %.1f", rates[ri][0], rates[ri][1],
                         n, n_y, want);
            free(y);
            free(x);
        }
}

static float *sine(size_t n, int rate, double hz, double amp) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2 * M_PI * hz * i / rate));
    return x;
}

/* Output sample k must be the tone at time k / out_rate: same frequency,
 * amplitude and phase (no delay), away from the edges. */
static void check_tone(int in_rate) {
    size_t n = (size_t)in_rate * 2, n_y;
    float *x = sine(n, in_rate, 1000, 0.5);
    float *y = resample_once(in_rate, 16000, x, n, &n_y);
    double dot = 0, yy = 0, ii = 0, worst = 0;
    for (size_t k = 1000; k + 1000 < n_y; k++) {
        double ideal = 0.5 * sin(2 * M_PI * 1000.0 * k / 16000);
        dot += y[k] * ideal;
        yy += (double)y[k] * y[k];
        ii += ideal * ideal;
        worst = fmax(worst, fabs(y[k] - ideal));
    }
    double corr = dot / sqrt(yy * ii), gain = sqrt(yy / ii);
    if (corr < 0.9999 || fabs(gain - 1) > 0.001 || worst > 1e-4)
        fail_msg("%d Hz: correlation %.6f, gain %.5f, max error %.2g", in_rate, corr, gain, worst);
    free(y);
    free(x);
}

static void test_tone_from_44100(void **state) {
    (void)state;
    check_tone(44100);
}

static void test_tone_from_8000(void **state) {
    (void)state;
    check_tone(8000);
}

/* Output power over input power, in dB, away from the edges. */
static double gain_db(int in_rate, double hz) {
    size_t n = (size_t)in_rate, n_y;
    float *x = sine(n, in_rate, hz, 0.5);
    float *y = resample_once(in_rate, 16000, x, n, &n_y);
    double p = 0;
    for (size_t k = 1000; k + 1000 < n_y; k++)
        p += (double)y[k] * y[k];
    p /= (double)(n_y - 2000);
    free(y);
    free(x);
    return 10 * log10(p / 0.125);
}

static void test_downsampling_removes_above_nyquist(void **state) {
    (void)state;
    /* Above 8 kHz nothing may survive (or alias back into the band). */
    assert_true(gain_db(48000, 10000) < -80);
    assert_true(gain_db(44100, 9000) < -80);
    assert_true(gain_db(48000, 15000) < -80);
    /* The band the mel bank uses passes: 7 kHz within 0.5 dB (a faster
     * converter with an earlier cutoff loses 14 dB here). */
    assert_true(fabs(gain_db(48000, 7000)) < 0.5);
    assert_true(fabs(gain_db(44100, 3000)) < 0.05);
}

static void test_equal_rates_pass_through(void **state) {
    (void)state;
    asr_resampler *r = asr_resampler_new(16000, 16000);
    assert_non_null(r);
    float x[300];
    for (int i = 0; i < 300; i++)
        x[i] = (float)i / 300 - 0.5f;
    const float *out;
    size_t m;
    assert_int_equal(asr_resampler_process(r, x, 100, 0, &out, &m), ASR_OK);
    assert_int_equal(m, 100);
    assert_memory_equal(out, x, sizeof(float) * 100);
    assert_int_equal(asr_resampler_process(r, x + 100, 200, 1, &out, &m), ASR_OK);
    assert_int_equal(m, 200);
    assert_memory_equal(out, x + 100, sizeof(float) * 200);
    asr_resampler_free(r);
}

static void test_rates_validated(void **state) {
    (void)state;
    static const int bad[][2] = {{0, 16000},      {16000, 0},       {-44100, 16000}, {999, 16000},
                                 {16000, 384001}, {5000000, 16000}, {1000, 384000} /* ratio 384 */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(asr_resampler_new(bad[i][0], bad[i][1]));
        if (!strstr(asr_last_error(), "resampler"))
            fail_msg("%d -> %d: %s", bad[i][0], bad[i][1], asr_last_error());
    }
    asr_resampler *r = asr_resampler_new(ASR_MIN_RATE, 16000);
    assert_non_null(r);
    asr_resampler_free(r);
    r = asr_resampler_new(ASR_MAX_RATE, 16000);
    assert_non_null(r);
    asr_resampler_free(r);
    asr_resampler_free(NULL);
}

static void test_calls_and_reset(void **state) {
    (void)state;
    size_t n = 20000, n_ref, n_y;
    float *x = test_signal(n, 44100);
    float *ref = resample_once(44100, 16000, x, n, &n_ref);
    asr_resampler *r = asr_resampler_new(44100, 16000);
    assert_non_null(r);
    const float *out;
    size_t m;
    assert_int_equal(asr_resampler_process(NULL, x, 1, 0, &out, &m), ASR_ERR_ARG);
    assert_int_equal(asr_resampler_process(r, NULL, 1, 0, &out, &m), ASR_ERR_ARG);
    assert_int_equal(asr_resampler_process(r, x, 1, 0, NULL, &m), ASR_ERR_ARG);
    assert_int_equal(asr_resampler_process(r, x, 1, 0, &out, NULL), ASR_ERR_ARG);
    assert_int_equal(asr_resampler_process(r, NULL, 0, 0, &out, &m), ASR_OK);
    assert_int_equal(m, 0);
    /* Half an utterance, flushed; more audio is refused until a reset. */
    assert_int_equal(asr_resampler_process(r, x, n / 2, 1, &out, &m), ASR_OK);
    assert_true(m > 0);
    assert_int_equal(asr_resampler_process(r, x, 10, 0, &out, &m), ASR_ERR_STATE);
    assert_non_null(strstr(asr_last_error(), "reset"));
    /* After the reset nothing of the first utterance remains. */
    asr_resampler_reset(r);
    float *y = resample(r, x, n, 1000, 0, &n_y);
    assert_int_equal(n_y, n_ref);
    assert_memory_equal(y, ref, n_y * sizeof *y);
    free(y);
    asr_resampler_free(r);
    free(ref);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunking_is_bit_exact),
        cmocka_unit_test(test_output_length),
        cmocka_unit_test(test_tone_from_44100),
        cmocka_unit_test(test_tone_from_8000),
        cmocka_unit_test(test_downsampling_removes_above_nyquist),
        cmocka_unit_test(test_equal_rates_pass_through),
        cmocka_unit_test(test_rates_validated),
        cmocka_unit_test(test_calls_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
