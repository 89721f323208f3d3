/* The feature front end against references made without the C code
 * (training/make_mfcc_fixture.py: torchaudio's Kaldi MFCC and a numpy
 * pipeline), plus streaming behaviour and error handling. */
#include "error.h"
#include "frontend.h"
#include "test_util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NUM_CEPS 20
#define P_PRIOR 100.0f

/* The fixture utterance as [-1, 1] floats, as a caller of the API has it. */
static float *read_speech(size_t *n) {
    const char *path = test_path("tests/fixtures/mfcc_speech.s16");
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = (size_t)bytes / 2;
    unsigned char *raw = malloc((size_t)bytes);
    float *x = malloc(sizeof *x * *n + 1);
    assert_non_null(raw);
    assert_non_null(x);
    assert_int_equal(fread(raw, 1, (size_t)bytes, f), (size_t)bytes);
    fclose(f);
    for (size_t i = 0; i < *n; i++)
        x[i] = (int16_t)(uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8) / 32768.0f;
    free(raw);
    return x;
}

/* Runs the extractor over x fed in pieces of `chunk` samples (0 = all at
 * once), reading steps as they become ready. Returns steps x dim values. */
static float *run(const asr_feature_config *c, const float *x, size_t n, size_t chunk,
                  size_t *n_steps) {
    asr_feature_extractor *fe = asr_feature_extractor_new(c);
    assert_non_null(fe);
    size_t dim = (size_t)asr_feature_extractor_dim(fe);
    size_t cap = 64, got = 0;
    float *out = malloc(sizeof *out * cap * dim);
    assert_non_null(out);
    if (chunk == 0) chunk = n ? n : 1;
    for (size_t pos = 0;; pos += chunk) {
        if (pos < n) {
            size_t len = n - pos < chunk ? n - pos : chunk;
            assert_int_equal(asr_feature_extractor_accept(fe, x + pos, len), ASR_OK);
        } else {
            assert_int_equal(asr_feature_extractor_finish(fe), ASR_OK);
        }
        size_t ready = asr_feature_extractor_available(fe);
        if (got + ready > cap) {
            while (got + ready > cap)
                cap *= 2;
            out = realloc(out, sizeof *out * cap * dim);
            assert_non_null(out);
        }
        assert_int_equal(asr_feature_extractor_read(fe, out + got * dim, ready), ready);
        assert_int_equal(asr_feature_extractor_available(fe), 0);
        got += ready;
        if (pos >= n) break;
    }
    asr_feature_extractor_free(fe);
    *n_steps = got;
    return out;
}

/* Largest |a - ref| / std(ref column) over a rows x cols matrix; *raw gets
 * the largest unscaled difference. */
static double scaled_max_diff(const float *a, const float *ref, size_t rows, size_t cols,
                              double *raw) {
    double worst = 0;
    *raw = 0;
    for (size_t j = 0; j < cols; j++) {
        double sum = 0, sum2 = 0;
        for (size_t i = 0; i < rows; i++)
            sum += ref[i * cols + j];
        double mean = sum / (double)rows;
        for (size_t i = 0; i < rows; i++) {
            double d = ref[i * cols + j] - mean;
            sum2 += d * d;
        }
        double std = sqrt(sum2 / (double)rows);
        for (size_t i = 0; i < rows; i++) {
            double d = fabs((double)a[i * cols + j] - ref[i * cols + j]);
            if (isnan(d)) d = INFINITY;
            if (d > *raw) *raw = d;
            if (d / std > worst) worst = d / std;
        }
    }
    return worst;
}

static asr_feature_config plain_mfcc_config(void) {
    asr_feature_config c = asr_feature_default_config();
    c.delta_order = 0;
    c.stack = 1;
    return c;
}

static void test_default_config(void **state) {
    (void)state;
    asr_feature_config c = asr_feature_default_config();
    assert_int_equal(c.sample_rate, 16000);
    assert_true(c.frame_length_ms == 25 && c.frame_shift_ms == 10);
    assert_int_equal(c.num_mel_bins, 40);
    assert_int_equal(c.num_ceps, NUM_CEPS);
    assert_true(c.low_freq == 20 && c.high_freq == -400);
    assert_true(c.preemph == 0.97f && c.cepstral_lifter == 22);
    assert_int_equal(c.delta_order, 2);
    assert_int_equal(c.delta_window, 2);
    assert_int_equal(c.stack, 3);
    assert_true(c.cmvn_prior_frames == 0 && c.cmvn_mean == NULL);
    asr_feature_extractor *fe = asr_feature_extractor_new(&c);
    assert_non_null(fe);
    assert_int_equal(asr_feature_extractor_dim(fe), NUM_CEPS * 3 * 3);
    asr_feature_extractor_free(fe);
}

/* Per-frame MFCC vs torchaudio.compliance.kaldi.mfcc on real speech, and
 * the extractor with deltas, CMVN and stacking off gives exactly those frames. */
static void test_mfcc_matches_torchaudio(void **state) {
    (void)state;
    size_t n, n_ref;
    float *x = read_speech(&n);
    float *ref = test_read_f32("tests/fixtures/mfcc_speech_ref.f32", &n_ref);
    size_t frames = n_ref / NUM_CEPS;
    asr_feature_config c = plain_mfcc_config();
    asr_mfcc *m = asr_mfcc_new(&c);
    assert_non_null(m);
    size_t len = (size_t)asr_mfcc_frame_length(m), shift = (size_t)asr_mfcc_frame_shift(m);
    assert_int_equal(len, 400);
    assert_int_equal(shift, 160);
    assert_int_equal(frames, 1 + (n - len) / shift);

    float *frame = malloc(sizeof *frame * len);
    float *mine = malloc(sizeof *mine * n_ref);
    assert_non_null(frame);
    assert_non_null(mine);
    for (size_t t = 0; t < frames; t++) {
        for (size_t i = 0; i < len; i++)
            frame[i] = x[t * shift + i] * 32768.0f;
        asr_mfcc_compute(m, frame, mine + t * NUM_CEPS);
    }
    double raw, scaled = scaled_max_diff(mine, ref, frames, NUM_CEPS, &raw);
    print_message("MFCC vs torchaudio, %zu frames: max abs diff %.3g, max diff / std %.3g\n",
                  frames, raw, scaled);
    assert_true(scaled <= 1e-3);

    size_t steps;
    float *fe_out = run(&c, x, n, 0, &steps);
    assert_int_equal(steps, frames);
    assert_memory_equal(fe_out, mine, sizeof *mine * n_ref);

    free(fe_out);
    free(mine);
    free(frame);
    asr_mfcc_free(m);
    free(ref);
    free(x);
}

static void check_pipeline(const asr_feature_config *c, const char *ref_name, const char *what) {
    size_t n, n_ref, steps;
    float *x = read_speech(&n);
    float *ref = test_read_f32(ref_name, &n_ref);
    float *out = run(c, x, n, 1601, &steps);
    size_t dim = (size_t)NUM_CEPS * (size_t)(1 + c->delta_order) * (size_t)c->stack;
    assert_int_equal(steps * dim, n_ref);
    double raw, scaled = scaled_max_diff(out, ref, steps, dim, &raw);
    print_message("%s, %zu steps x %zu: max abs diff %.3g, max diff / std %.3g\n", what, steps, dim,
                  raw, scaled);
    assert_true(scaled <= 1e-3);
    free(out);
    free(ref);
    free(x);
}

/* CMVN with a prior, order-2 deltas and stacking by 3 vs numpy/torchaudio. */
static void test_pipeline_matches_reference(void **state) {
    (void)state;
    size_t n_mu;
    float *mu0 = test_read_f32("tests/fixtures/mfcc_pipeline_mu0.f32", &n_mu);
    assert_int_equal(n_mu, NUM_CEPS);
    asr_feature_config c = asr_feature_default_config();
    c.cmvn_prior_frames = P_PRIOR;
    c.cmvn_mean = mu0;
    check_pipeline(&c, "tests/fixtures/mfcc_pipeline_ref.f32", "CMVN+deltas+stack 3");
    free(mu0);
}

/* Other shapes of the same stages: order-1 deltas over +-3 frames, stacking
 * by 5 with a partial last group, CMVN off. */
static void test_pipeline_alt_matches_reference(void **state) {
    (void)state;
    asr_feature_config c = asr_feature_default_config();
    c.delta_order = 1;
    c.delta_window = 3;
    c.stack = 5;
    check_pipeline(&c, "tests/fixtures/mfcc_pipeline_alt_ref.f32", "deltas W3+stack 5");
}

/* Bit-identical output however the audio is cut, reading as we go. */
static void test_chunk_invariance(void **state) {
    (void)state;
    size_t n, n_mu;
    float *x = read_speech(&n);
    float *mu0 = test_read_f32("tests/fixtures/mfcc_pipeline_mu0.f32", &n_mu);
    asr_feature_config c = asr_feature_default_config();
    c.cmvn_prior_frames = P_PRIOR;
    c.cmvn_mean = mu0;
    size_t whole_steps;
    float *whole = run(&c, x, n, 0, &whole_steps);
    assert_int_equal(whole_steps, 86);
    const size_t chunks[] = {1, 160, 1601, 399, 401};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        size_t steps;
        float *out = run(&c, x, n, chunks[i], &steps);
        assert_int_equal(steps, whole_steps);
        assert_memory_equal(out, whole, sizeof *out * steps * 180);
        free(out);
    }

    /* Irregular pieces, including empty ones. */
    asr_feature_extractor *fe = asr_feature_extractor_new(&c);
    assert_non_null(fe);
    uint32_t seed = 12345;
    for (size_t pos = 0; pos < n;) {
        seed = seed * 1664525u + 1013904223u;
        size_t len = (seed >> 16) % 700;
        if (len > n - pos) len = n - pos;
        assert_int_equal(asr_feature_extractor_accept(fe, x + pos, len), ASR_OK);
        pos += len;
    }
    assert_int_equal(asr_feature_extractor_finish(fe), ASR_OK);
    float *out = malloc(sizeof *out * (whole_steps + 1) * 180);
    assert_non_null(out);
    assert_int_equal(asr_feature_extractor_read(fe, out, whole_steps + 1), whole_steps);
    assert_memory_equal(out, whole, sizeof *out * whole_steps * 180);
    free(out);
    asr_feature_extractor_free(fe);
    free(whole);
    free(mu0);
    free(x);
}

static void test_empty_and_short_input(void **state) {
    (void)state;
    size_t n;
    float *x = read_speech(&n);
    asr_feature_config c = asr_feature_default_config();
    size_t steps;
    float *out = run(&c, x, 0, 0, &steps);
    assert_int_equal(steps, 0);
    free(out);
    out = run(&c, x, 399, 7, &steps); /* one sample short of a frame */
    assert_int_equal(steps, 0);
    free(out);

    /* One frame: its deltas are zero (every neighbour is itself) and the
     * step repeats it three times. */
    out = run(&c, x + 8000, 400, 0, &steps);
    assert_int_equal(steps, 1);
    for (int i = NUM_CEPS; i < 3 * NUM_CEPS; i++)
        assert_true(out[i] == 0.0f);
    assert_memory_equal(out, out + 60, sizeof *out * 60);
    assert_memory_equal(out, out + 120, sizeof *out * 60);
    free(out);

    /* Step counts: ceil(frames / 3), frames = 1 + (n - 400) / 160. */
    const size_t lengths[] = {400 + 159, 400 + 160, 400 + 320, 400 + 480, 400 + 1599};
    const size_t expect[] = {1, 1, 1, 2, 4};
    for (size_t i = 0; i < 5; i++) {
        out = run(&c, x, lengths[i], 0, &steps);
        assert_int_equal(steps, expect[i]);
        free(out);
    }
    free(x);
}

/* NaN/Inf are refused and nothing of that call is used. */
static void test_bad_samples_rejected(void **state) {
    (void)state;
    size_t n;
    float *x = read_speech(&n);
    asr_feature_config c = asr_feature_default_config();
    size_t clean_steps;
    float *clean = run(&c, x, n, 0, &clean_steps);

    asr_feature_extractor *fe = asr_feature_extractor_new(&c);
    assert_non_null(fe);
    float bad[300];
    memcpy(bad, x + 5000, sizeof bad);
    bad[150] = NAN;
    assert_int_equal(asr_feature_extractor_accept(fe, x, 5000), ASR_OK);
    assert_int_equal(asr_feature_extractor_accept(fe, bad, 300), ASR_ERR_AUDIO);
    assert_non_null(strstr(asr_last_error(), "NaN"));
    bad[150] = x[5150];
    bad[299] = -INFINITY;
    assert_int_equal(asr_feature_extractor_accept(fe, bad, 300), ASR_ERR_AUDIO);
    assert_int_equal(asr_feature_extractor_accept(fe, x + 5000, n - 5000), ASR_OK);
    assert_int_equal(asr_feature_extractor_finish(fe), ASR_OK);
    float *out = malloc(sizeof *out * clean_steps * 180);
    assert_non_null(out);
    assert_int_equal(asr_feature_extractor_read(fe, out, clean_steps + 10), clean_steps);
    assert_memory_equal(out, clean, sizeof *out * clean_steps * 180);
    free(out);
    asr_feature_extractor_free(fe);
    free(clean);
    free(x);
}

static void expect_rejected(const asr_feature_config *c, const char *what) {
    asr_error(ASR_OK, "%s", ""); /* so that the message checked below is new */
    asr_feature_extractor *fe = asr_feature_extractor_new(c);
    if (fe) {
        asr_feature_extractor_free(fe);
        fail_msg("config with %s was accepted", what);
    }
    assert_true(strlen(asr_last_error()) > 0);
}

static void test_bad_configs_rejected(void **state) {
    (void)state;
    float mean[NUM_CEPS] = {0};
    asr_feature_config c;
#define REJECT(field_change)                                                                       \
    do {                                                                                           \
        c = asr_feature_default_config();                                                          \
        field_change;                                                                              \
        expect_rejected(&c, #field_change);                                                        \
    } while (0)
    REJECT(c.sample_rate = 0);
    REJECT(c.sample_rate = -16000);
    REJECT(c.frame_length_ms = 0);
    REJECT(c.frame_length_ms = -25);
    REJECT(c.frame_length_ms = NAN);
    REJECT(c.frame_length_ms = 2000); /* longer than a second */
    REJECT(c.frame_shift_ms = 0);
    REJECT(c.frame_shift_ms = 30);                               /* longer than the frame */
    REJECT((c.frame_length_ms = 0.1f, c.frame_shift_ms = 0.1f)); /* one sample */
    REJECT(c.num_mel_bins = 0);
    REJECT(c.num_mel_bins = 2);
    REJECT(c.num_mel_bins = 1000); /* more than FFT bins */
    REJECT(c.num_mel_bins = 200);  /* narrower than an FFT bin at low frequencies */
    REJECT(c.num_ceps = 0);
    REJECT(c.num_ceps = 41);
    REJECT(c.low_freq = -1);
    REJECT(c.low_freq = 9000);
    REJECT(c.high_freq = 9000);
    REJECT(c.high_freq = -8000);
    REJECT((c.low_freq = 4000, c.high_freq = 3000));
    REJECT(c.preemph = 1.5f);
    REJECT(c.preemph = -0.1f);
    REJECT(c.cepstral_lifter = -1);
    REJECT(c.delta_order = 3);
    REJECT(c.delta_order = -1);
    REJECT(c.delta_window = 0);
    REJECT(c.stack = 0);
    REJECT(c.stack = -3);
    REJECT(c.cmvn_prior_frames = -1);
    REJECT((mean[3] = NAN, c.cmvn_mean = mean, c.cmvn_prior_frames = 10));
#undef REJECT
    assert_null(asr_feature_extractor_new(NULL));
    assert_null(asr_mfcc_new(NULL));

    /* Accepted edge values. */
    c = asr_feature_default_config();
    c.delta_order = 0;
    c.delta_window = 0; /* unused without deltas */
    c.stack = 1;
    c.high_freq = 0; /* Nyquist */
    asr_feature_extractor *fe = asr_feature_extractor_new(&c);
    assert_non_null(fe);
    assert_int_equal(asr_feature_extractor_dim(fe), NUM_CEPS);
    asr_feature_extractor_free(fe);
}

/* The documented switch-offs of CMVN: no mean, or a zero prior. */
static void test_cmvn_off(void **state) {
    (void)state;
    size_t n, plain_steps, steps;
    float *x = read_speech(&n);
    float mean[NUM_CEPS];
    for (int i = 0; i < NUM_CEPS; i++)
        mean[i] = 50.0f - i;
    asr_feature_config c = asr_feature_default_config();
    float *plain = run(&c, x, n, 0, &plain_steps);
    c.cmvn_mean = mean;
    float *out = run(&c, x, n, 0, &steps);
    assert_int_equal(steps, plain_steps);
    assert_memory_equal(out, plain, sizeof *out * steps * 180);
    free(out);
    c.cmvn_prior_frames = 10;
    out = run(&c, x, n, 0, &steps);
    assert_int_equal(steps, plain_steps);
    assert_memory_not_equal(out, plain, sizeof *out * steps * 180);
    free(out);
    free(plain);
    free(x);
}

static void test_state_errors_and_reset(void **state) {
    (void)state;
    size_t n, ref_steps;
    float *x = read_speech(&n);
    asr_feature_config c = asr_feature_default_config();
    float *ref = run(&c, x, 16000, 0, &ref_steps);

    asr_feature_extractor *fe = asr_feature_extractor_new(&c);
    assert_non_null(fe);
    assert_int_equal(asr_feature_extractor_accept(NULL, x, 10), ASR_ERR_ARG);
    assert_int_equal(asr_feature_extractor_accept(fe, NULL, 10), ASR_ERR_ARG);
    assert_int_equal(asr_feature_extractor_accept(fe, NULL, 0), ASR_OK);
    assert_int_equal(asr_feature_extractor_finish(NULL), ASR_ERR_ARG);
    assert_int_equal(asr_feature_extractor_read(NULL, x, 1), 0);
    assert_int_equal(asr_feature_extractor_dim(NULL), 0);

    float *out = malloc(sizeof *out * (ref_steps + 1) * 180);
    assert_non_null(out);
    /* Half a frame and an unread step, then a finished extractor, must not
     * leak into the next utterance. */
    assert_int_equal(asr_feature_extractor_accept(fe, x + 20000, 3000), ASR_OK);
    assert_true(asr_feature_extractor_available(fe) > 0);
    for (int round = 0; round < 2; round++) {
        asr_feature_extractor_reset(fe);
        assert_int_equal(asr_feature_extractor_available(fe), 0);
        assert_int_equal(asr_feature_extractor_accept(fe, x, 16000), ASR_OK);
        assert_int_equal(asr_feature_extractor_finish(fe), ASR_OK);
        assert_int_equal(asr_feature_extractor_accept(fe, x, 160), ASR_ERR_STATE);
        assert_int_equal(asr_feature_extractor_finish(fe), ASR_ERR_STATE);
        assert_int_equal(asr_feature_extractor_read(fe, out, ref_steps + 1), ref_steps);
        assert_memory_equal(out, ref, sizeof *out * ref_steps * 180);
        assert_int_equal(asr_feature_extractor_read(fe, out, 1), 0);
    }
    asr_feature_extractor_free(fe);
    asr_feature_extractor_free(NULL);
    asr_mfcc_free(NULL);
    free(out);
    free(ref);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_mfcc_matches_torchaudio),
        cmocka_unit_test(test_pipeline_matches_reference),
        cmocka_unit_test(test_pipeline_alt_matches_reference),
        cmocka_unit_test(test_chunk_invariance),
        cmocka_unit_test(test_empty_and_short_input),
        cmocka_unit_test(test_bad_samples_rejected),
        cmocka_unit_test(test_bad_configs_rejected),
        cmocka_unit_test(test_cmvn_off),
        cmocka_unit_test(test_state_errors_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
