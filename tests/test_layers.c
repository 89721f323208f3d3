/* Recurrent inference against PyTorch (fixtures from
 * training/make_parity_fixtures.py: seeded random models run by torch on
 * features of real speech), chunked streaming, and the vectorised math
 * against libm. */
#include "gemv_f16.h"
#include "model.h"
#include "test_util.h"
#include "vecmath.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PARITY_TOL 1e-4f

typedef struct {
    asr_model *model;
    float *x;
    float *ref;
    size_t steps;
    size_t dim;
    size_t vocab;
} parity_case;

static void load_case(parity_case *c, const char *kind) {
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/parity_%s.gguf", kind);
    c->model = asr_model_load(test_path(rel));
    if (!c->model) fail_msg("%s", asr_last_error());
    c->dim = (size_t)asr_model_input_dim(c->model);
    c->vocab = (size_t)asr_model_vocab_size(c->model);
    assert_int_equal(c->dim, 180);
    assert_int_equal(c->vocab, 29);
    size_t n_x, n_ref;
    c->x = test_read_f32("tests/fixtures/parity_input.f32", &n_x);
    snprintf(rel, sizeof rel, "tests/fixtures/parity_%s_logprobs.f32", kind);
    c->ref = test_read_f32(rel, &n_ref);
    c->steps = n_x / c->dim;
    assert_int_equal(n_x, c->steps * c->dim);
    assert_int_equal(n_ref, c->steps * c->vocab);
    assert_true(c->steps >= 100);
}

static void free_case(parity_case *c) {
    asr_model_free(c->model);
    free(c->x);
    free(c->ref);
}

/* Runs the input through a fresh state in chunks of `chunk` steps. */
static float *run_chunked(const parity_case *c, size_t chunk) {
    asr_model_state *s = asr_model_state_new(c->model);
    assert_non_null(s);
    float *out = malloc(c->steps * c->vocab * sizeof(float));
    assert_non_null(out);
    for (size_t t = 0; t < c->steps; t += chunk) {
        size_t n = c->steps - t < chunk ? c->steps - t : chunk;
        assert_int_equal(asr_model_forward(c->model, s, c->x + t * c->dim, n, out + t * c->vocab),
                         ASR_OK);
    }
    asr_model_state_free(s);
    return out;
}

/* Every row must be a distribution: logsumexp = 0. */
static void assert_normalised(const float *lp, size_t steps, size_t vocab) {
    for (size_t t = 0; t < steps; t++) {
        double sum = 0;
        for (size_t v = 0; v < vocab; v++)
            sum += exp((double)lp[t * vocab + v]);
        assert_true(fabs(sum - 1.0) < 1e-5);
    }
}

static void check_parity(const char *kind) {
    parity_case c;
    load_case(&c, kind);
    float *all = run_chunked(&c, c.steps);
    float diff = test_max_abs_diff(all, c.ref, c.steps * c.vocab);
    printf("  %-6s C vs PyTorch over %zu steps: max abs diff %.3g\n", kind, c.steps, diff);
    assert_true(diff <= PARITY_TOL);
    assert_normalised(all, c.steps, c.vocab);

    if (!asr_model_is_bidirectional(c.model)) {
        /* State carried across calls: any chunking gives the same output. */
        const size_t chunks[] = {1, 7};
        for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
            float *part = run_chunked(&c, chunks[i]);
            float d_all = test_max_abs_diff(part, all, c.steps * c.vocab);
            float d_ref = test_max_abs_diff(part, c.ref, c.steps * c.vocab);
            printf("  %-6s chunks of %zu: vs one call %.3g, vs PyTorch %.3g\n", kind, chunks[i],
                   d_all, d_ref);
            assert_true(d_all <= 1e-5f);
            assert_true(d_ref <= PARITY_TOL);
            free(part);
        }
    }

    /* Reset (unidirectional) or a new call (bidirectional) starts over. */
    asr_model_state *s = asr_model_state_new(c.model);
    float *again = malloc(c.steps * c.vocab * sizeof(float));
    assert_non_null(again);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(asr_model_forward(c.model, s, c.x, c.steps, again), ASR_OK);
        assert_true(test_max_abs_diff(again, all, c.steps * c.vocab) <= 1e-6f);
        asr_model_state_reset(s);
    }
    if (asr_model_is_bidirectional(c.model)) {
        assert_int_equal(asr_model_forward(c.model, s, c.x, c.steps, again), ASR_OK);
        assert_int_equal(asr_model_forward(c.model, s, c.x, c.steps, again), ASR_OK);
        assert_true(test_max_abs_diff(again, all, c.steps * c.vocab) <= 1e-6f);
        /* A shorter utterance after a longer one: the buffers are reused. */
        assert_int_equal(asr_model_forward(c.model, s, c.x, 10, again), ASR_OK);
        assert_true(test_max_abs_diff(again, all, 10 * c.vocab) > 1e-4f);
    }
    asr_model_state_free(s);
    free(again);
    free(all);
    free_case(&c);
}

static void test_parity_lstm(void **st) {
    (void)st;
    check_parity("lstm");
}

static void test_parity_bilstm(void **st) {
    (void)st;
    check_parity("bilstm");
}

/* The same BiLSTM with float16 weight matrices: widened at load, except
 * the recurrent ones where this CPU multiplies by halves (gemv_f16.h). */
static void test_parity_bilstm_f16(void **st) {
    (void)st;
    check_parity("bilstm_f16");
    asr_model *m = asr_model_load(test_path("tests/fixtures/parity_bilstm_f16.gguf"));
    assert_non_null(m);
    const asr_model_net *net = asr_model_get_net(m);
    for (int i = 0; i < net->num_layers * net->num_dirs; i++) {
        const asr_rnn_weights *w = &net->layers[i];
        if (asr_gemv_f16_available())
            assert_true(w->w_hh_f16 && !w->w_hh);
        else
            assert_true(w->w_hh && !w->w_hh_f16);
    }
    print_message("recurrent float16 weights %s\n",
                  asr_gemv_f16_available() ? "kept as halves" : "widened (no F16C here)");
    asr_model_free(m);
}

/* asr_gemv_f16 against a double-precision product, for shapes that end in
 * every remainder of its 4-row and 8-column blocks. */
static void test_gemv_f16(void **st) {
    (void)st;
    static const size_t shapes[][2] = {{1, 1}, {3, 7}, {4, 8}, {5, 9}, {17, 33}, {1792, 448}};
    uint32_t seed = 777;
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        size_t rows = shapes[k][0], cols = shapes[k][1];
        uint16_t *w = malloc(rows * cols * sizeof *w);
        float *x = malloc(cols * sizeof *x), *y = malloc(rows * sizeof *y);
        assert_true(w && x && y);
        for (size_t i = 0; i < rows * cols; i++) { /* sign, exponent 0..15 (|w| < 2), mantissa */
            seed = seed * 1664525u + 1013904223u;
            w[i] = (uint16_t)((seed >> 16 & 0x8000u) | ((seed >> 8) % 16u) << 10 | (seed & 0x3ffu));
        }
        for (size_t j = 0; j < cols; j++) {
            seed = seed * 1664525u + 1013904223u;
            x[j] = (float)(seed >> 8) / 16777216.0f * 2.0f - 1.0f;
        }
        for (size_t r = 0; r < rows; r++)
            y[r] = (float)r * 0.25f; /* it accumulates */
        asr_gemv_f16(rows, cols, w, x, y);
        for (size_t r = 0; r < rows; r++) {
            double ref = (double)r * 0.25, mag = fabs(ref);
            for (size_t j = 0; j < cols; j++) {
                double p = (double)asr_half_to_float(w[r * cols + j]) * x[j];
                ref += p, mag += fabs(p);
            }
            if (fabs(y[r] - ref) > 1e-6 * mag + 1e-30)
                fail_msg("%zu x %zu, row %zu: %.9g, expected %.9g", rows, cols, r, (double)y[r],
                         ref);
        }
        free(w), free(x), free(y);
    }
}

static void test_parity_gru(void **st) {
    (void)st;
    check_parity("gru");
}

static void test_parity_rnn(void **st) {
    (void)st;
    check_parity("rnn");
}

/* A unidirectional model's state matters: without it the second half of
 * the utterance comes out different. */
static void test_state_carries_over(void **st) {
    (void)st;
    parity_case c;
    load_case(&c, "lstm");
    size_t half = c.steps / 2;
    float *out = malloc(c.steps * c.vocab * sizeof(float));
    assert_non_null(out);
    asr_model_state *s = asr_model_state_new(c.model);
    assert_int_equal(asr_model_forward(c.model, s, c.x, half, out), ASR_OK);
    asr_model_state_reset(s);
    assert_int_equal(
        asr_model_forward(c.model, s, c.x + half * c.dim, c.steps - half, out + half * c.vocab),
        ASR_OK);
    assert_true(test_max_abs_diff(out + half * c.vocab, c.ref + half * c.vocab,
                                  (c.steps - half) * c.vocab) > 1e-3f);
    asr_model_state_free(s);
    free(out);
    free_case(&c);
}

static void test_forward_arguments(void **st) {
    (void)st;
    parity_case a, b;
    load_case(&a, "lstm");
    load_case(&b, "gru");
    asr_model_state *sa = asr_model_state_new(a.model);
    float out[29];
    assert_int_equal(asr_model_forward(a.model, sa, a.x, 0, NULL), ASR_OK);
    assert_int_equal(asr_model_forward(a.model, sa, NULL, 1, out), ASR_ERR_ARG);
    assert_int_equal(asr_model_forward(a.model, sa, a.x, 1, NULL), ASR_ERR_ARG);
    assert_int_equal(asr_model_forward(NULL, sa, a.x, 1, out), ASR_ERR_ARG);
    assert_int_equal(asr_model_forward(a.model, NULL, a.x, 1, out), ASR_ERR_ARG);
    assert_int_equal(asr_model_forward(b.model, sa, b.x, 1, out), ASR_ERR_ARG);
    assert_non_null(strstr(asr_last_error(), "another model"));
    assert_null(asr_model_state_new(NULL));
    asr_model_state_free(NULL);
    asr_model_state_reset(NULL);
    asr_model_state_free(sa);
    free_case(&a);
    free_case(&b);
}

/* ---- vecmath against libm (in double) ---------------------------------- */

typedef void (*vec_fn)(float *, const float *, size_t);

/* Largest relative error over n evenly spaced points in [lo, hi]; abs_floor
 * turns it into an absolute error where |reference| is below it. */
static double vec_error(vec_fn fn, double (*ref)(double), double lo, double hi, size_t n,
                        double abs_floor) {
    float *x = malloc(n * sizeof(float));
    float *y = malloc(n * sizeof(float));
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * (double)i / (double)(n - 1));
    fn(y, x, n);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double r = ref((double)x[i]);
        double e = fabs((double)y[i] - r) / fmax(fabs(r), abs_floor);
        if (!(e <= worst)) worst = e; /* NaN wins */
    }
    free(x);
    free(y);
    return worst;
}

static double sigmoid_ref(double x) {
    return 1.0 / (1.0 + exp(-x));
}

static void test_vecmath_accuracy(void **st) {
    (void)st;
    const size_t n = 400001;
    double e_exp = vec_error(asr_vec_exp, exp, -87, 88, n, 0);
    double e_tanh = vec_error(asr_vec_tanh, tanh, -20, 20, n, 0);
    double e_tanh_small = vec_error(asr_vec_tanh, tanh, -1e-3, 1e-3, 10001, 1e-30);
    double e_sig = vec_error(asr_vec_sigmoid, sigmoid_ref, -80, 40, n, 0);
    printf("  max relative error vs libm: exp %.2g, tanh %.2g (near 0: %.2g), sigmoid %.2g\n",
           e_exp, e_tanh, e_tanh_small, e_sig);
    assert_true(e_exp < 1e-6);
    assert_true(e_tanh < 1e-6);
    assert_true(e_tanh_small < 1e-6);
    assert_true(e_sig < 1e-6);
}

static void test_vecmath_edges(void **st) {
    (void)st;
    float x[7] = {0.0f, -0.0f, 1000.0f, -1000.0f, INFINITY, -INFINITY, 0.625f};
    float y[7];
    asr_vec_tanh(y, x, 7);
    assert_true(y[0] == 0.0f && y[1] == 0.0f);
    assert_true(y[2] == 1.0f && y[3] == -1.0f && y[4] == 1.0f && y[5] == -1.0f);
    assert_true(fabs(y[6] - tanh(0.625)) < 1e-7);
    asr_vec_sigmoid(y, x, 7);
    assert_true(y[0] == 0.5f && y[2] == 1.0f && y[4] == 1.0f);
    assert_true(y[3] >= 0.0f && y[3] < 1e-37f && y[5] >= 0.0f && y[5] < 1e-37f);
    asr_vec_exp(y, x, 7);
    assert_true(y[0] == 1.0f);
    assert_true(isfinite(y[2]) && y[2] > 1e38f); /* clamped, not Inf */
    assert_true(y[3] > 0.0f && y[3] < 2e-38f);
    /* In place and at lengths that leave a scalar tail. */
    for (size_t len = 1; len <= 19; len++) {
        float v[19];
        for (size_t i = 0; i < len; i++)
            v[i] = (float)i * 0.37f - 3.0f;
        asr_vec_tanh(v, v, len);
        for (size_t i = 0; i < len; i++)
            assert_true(fabs(v[i] - tanh((double)((float)i * 0.37f - 3.0f))) < 1e-6);
    }
}

static void test_log_softmax(void **st) {
    (void)st;
    enum { ROWS = 5, COLS = 29 };
    float x[ROWS * COLS], scratch[COLS];
    double ref[ROWS * COLS];
    uint32_t seed = 12345;
    for (int i = 0; i < ROWS * COLS; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 60.0f; /* -30..30 */
    }
    x[COLS] = 1e4f; /* a row with one dominant symbol */
    for (int r = 0; r < ROWS; r++) {
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < COLS; j++)
            max = fmax(max, x[r * COLS + j]);
        for (int j = 0; j < COLS; j++)
            sum += exp(x[r * COLS + j] - max);
        for (int j = 0; j < COLS; j++)
            ref[r * COLS + j] = x[r * COLS + j] - max - log(sum);
    }
    asr_vec_log_softmax(x, ROWS, COLS, scratch);
    for (int i = 0; i < ROWS * COLS; i++)
        assert_true(fabs(x[i] - ref[i]) <= 1e-6 * fmax(1.0, fabs(ref[i])));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_lstm),       cmocka_unit_test(test_parity_bilstm),
        cmocka_unit_test(test_parity_bilstm_f16), cmocka_unit_test(test_parity_gru),
        cmocka_unit_test(test_parity_rnn),        cmocka_unit_test(test_state_carries_over),
        cmocka_unit_test(test_forward_arguments), cmocka_unit_test(test_vecmath_accuracy),
        cmocka_unit_test(test_vecmath_edges),     cmocka_unit_test(test_log_softmax),
        cmocka_unit_test(test_gemv_f16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
