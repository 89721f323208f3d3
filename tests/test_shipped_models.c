/* Every shipped model reproduces PyTorch's log-probabilities on a real
 * utterance through the whole C pipeline (resampling, features, network).
 * The references come from training/parity_check.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asr.h"
#include "audio.h"
#include "test_util.h"

#define SAMPLE "samples/so762_000030116.wav"

static void check_model(const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, "pretrained/%s.gguf", name);
    asr_model *m = asr_model_load(test_path(rel));
    if (!m) fail_msg("%s", asr_last_error());
    asr_audio a = {0};
    assert_int_equal(asr_audio_read_file(test_path(SAMPLE), &a), ASR_OK);
    /* Phone models need their dictionary to make a stream at all. */
    asr_stream_params params = asr_stream_default_params();
    asr_dict *dict = NULL;
    if (strcmp(asr_model_get_info(m).unit, "phones") == 0) {
        dict = asr_dict_load(test_path("pretrained/en-cmudict.dict"), NULL);
        if (!dict) fail_msg("%s", asr_last_error());
        params.dict = dict;
    }
    asr_stream *s = asr_stream_new(m, &params);
    if (!s) fail_msg("%s", asr_last_error());
    asr_stream_keep_logprobs(s, 1);
    assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, a.samples, a.n), ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    size_t steps, n_ref;
    const float *got = asr_stream_logprobs(s, &steps);
    snprintf(rel, sizeof rel, "tests/fixtures/shipped_%s_logprobs.f32", name);
    float *ref = test_read_f32(rel, &n_ref);
    size_t vocab = (size_t)asr_model_get_info(m).vocab_size;
    assert_int_equal(steps * vocab, n_ref);
    float diff = test_max_abs_diff(got, ref, n_ref);
    print_message("%s: max abs difference from PyTorch %.2g over %zu steps\n", name, diff, steps);
    assert_true(diff <= 1e-4f);
    free(ref);
    asr_stream_free(s);
    asr_audio_free(&a);
    asr_model_free(m);
    asr_dict_free(dict);
}

static void lstm_matches_pytorch(void **state) {
    (void)state;
    check_model("en-lstm");
}
static void bilstm_matches_pytorch(void **state) {
    (void)state;
    check_model("en-bilstm");
}
static void gru_matches_pytorch(void **state) {
    (void)state;
    check_model("en-gru");
}
static void rnn_matches_pytorch(void **state) {
    (void)state;
    check_model("en-rnn");
}
static void phone_lstm_matches_pytorch(void **state) {
    (void)state;
    check_model("en-lstm-phones");
}
static void phone_bilstm_matches_pytorch(void **state) {
    (void)state;
    check_model("en-bilstm-phones");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lstm_matches_pytorch),
        cmocka_unit_test(bilstm_matches_pytorch),
        cmocka_unit_test(gru_matches_pytorch),
        cmocka_unit_test(rnn_matches_pytorch),
        cmocka_unit_test(phone_lstm_matches_pytorch),
        cmocka_unit_test(phone_bilstm_matches_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
