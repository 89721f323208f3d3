/* Endpoint rules on made-up model output (so that they do not depend on
 * what a trained model hears), and the public call's edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "asr.h"
#include "endpoint.h"
#include "test_util.h"

enum { VOCAB = 4, BLANK = 0, LETTER = 2 };
#define STEP_MS 30.0f

/* n steps whose most likely symbol is `best`. */
static void feed(asr_endpoint *e, int best, size_t n) {
    float row[VOCAB];
    for (size_t t = 0; t < n; t++) {
        for (int k = 0; k < VOCAB; k++)
            row[k] = k == best ? -0.1f : -5.0f;
        asr_endpoint_accept(e, row, 1, VOCAB);
    }
}

static void test_silence_rule(void **state) {
    (void)state;
    asr_endpoint e;
    asr_endpoint_init(&e, 800, 0, STEP_MS);
    feed(&e, LETTER, 10);
    feed(&e, BLANK, 26); /* 780 ms */
    assert_false(asr_endpoint_detected(&e, 1));
    feed(&e, BLANK, 1); /* 810 ms */
    assert_true(asr_endpoint_detected(&e, 1));
    assert_float_equal(asr_endpoint_silence_ms(&e), 27 * STEP_MS, 1e-3);
    feed(&e, LETTER, 1); /* speech again: the silence starts over */
    assert_false(asr_endpoint_detected(&e, 1));
    assert_float_equal(asr_endpoint_silence_ms(&e), 0, 0);
}

static void test_no_words_no_endpoint(void **state) {
    (void)state;
    asr_endpoint e;
    asr_endpoint_init(&e, 800, 2000, STEP_MS);
    feed(&e, BLANK, 1000); /* 30 s of silence */
    assert_false(asr_endpoint_detected(&e, 0));
    /* Symbols the decoder made no word of do not count either. */
    feed(&e, LETTER, 3);
    feed(&e, BLANK, 100);
    assert_false(asr_endpoint_detected(&e, 0));
    assert_true(asr_endpoint_detected(&e, 1));
}

static void test_max_utterance_rule(void **state) {
    (void)state;
    asr_endpoint e;
    asr_endpoint_init(&e, 0, 1000, STEP_MS); /* no silence rule */
    feed(&e, LETTER, 33);                    /* 990 ms of speech */
    assert_false(asr_endpoint_detected(&e, 1));
    feed(&e, LETTER, 1); /* 1020 ms */
    assert_true(asr_endpoint_detected(&e, 1));
    asr_endpoint_reset(&e);
    assert_false(asr_endpoint_detected(&e, 1));
    asr_endpoint_init(&e, 0, 0, STEP_MS);
    feed(&e, LETTER, 1);
    feed(&e, BLANK, 100000);
    assert_false(asr_endpoint_detected(&e, 5)); /* both rules off */
}

static void test_reset(void **state) {
    (void)state;
    asr_endpoint e;
    asr_endpoint_init(&e, 300, 0, STEP_MS);
    feed(&e, LETTER, 2);
    feed(&e, BLANK, 20);
    assert_true(asr_endpoint_detected(&e, 1));
    asr_endpoint_reset(&e);
    assert_false(asr_endpoint_detected(&e, 1));
    feed(&e, BLANK, 10); /* 300 ms of silence since the start */
    assert_true(asr_endpoint_detected(&e, 1));
}

/* Several steps in one call count the same as one at a time. */
static void test_block_accept(void **state) {
    (void)state;
    float rows[3 * VOCAB] = {-5, -5, -0.1f, -5, -0.1f, -5, -5, -5, -0.1f, -5, -5, -5};
    asr_endpoint e;
    asr_endpoint_init(&e, 60, 0, STEP_MS);
    asr_endpoint_accept(&e, rows, 3, VOCAB); /* letter, blank, blank */
    assert_float_equal(asr_endpoint_silence_ms(&e), 2 * STEP_MS, 1e-3);
    assert_true(asr_endpoint_detected(&e, 1));
}

static void test_public_call(void **state) {
    (void)state;
    assert_false(asr_stream_is_endpoint(NULL));
    asr_model *m = asr_model_load(test_path("tests/fixtures/parity_lstm.gguf"));
    assert_non_null(m);
    asr_stream *s = asr_stream_new(m, NULL);
    assert_false(asr_stream_is_endpoint(s)); /* nothing heard yet */
    float silence[1600] = {0};
    assert_int_equal(asr_stream_accept_waveform(s, 16000, silence, 1600), ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    assert_false(asr_stream_is_endpoint(s)); /* finished: nothing left to end */
    asr_stream_free(s);
    asr_stream_params p = asr_stream_default_params();
    assert_int_equal(p.endpoint_silence_ms, 800);
    assert_int_equal(p.endpoint_max_utterance_ms, 20000);
    p.endpoint_silence_ms = -1;
    assert_null(asr_stream_new(m, &p));
    asr_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silence_rule),       cmocka_unit_test(test_no_words_no_endpoint),
        cmocka_unit_test(test_max_utterance_rule), cmocka_unit_test(test_reset),
        cmocka_unit_test(test_block_accept),       cmocka_unit_test(test_public_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
