/* The whole pipeline through the public API: chunking must not matter,
 * partial results only grow, bad calls are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "asr.h"
#include "audio.h"
#include "test_util.h"

typedef struct {
    float *logprobs;
    size_t n_frames;
    char *text;
} run_output;

static asr_model *load(const char *rel) {
    asr_model *m = asr_model_load(test_path(rel));
    if (!m) fail_msg("%s", asr_last_error());
    return m;
}

static asr_audio read_sample(const char *rel) {
    asr_audio a = {0};
    if (asr_audio_read_file(test_path(rel), &a) != ASR_OK) fail_msg("%s", asr_last_error());
    return a;
}

/* Runs the audio through a fresh stream in pieces of `chunk` samples. */
static run_output run(const asr_model *m, const asr_audio *a, size_t chunk) {
    asr_stream *s = asr_stream_new(m, NULL);
    assert_non_null(s);
    asr_stream_keep_logprobs(s, 1);
    for (size_t at = 0; at < a->n; at += chunk) {
        size_t n = a->n - at < chunk ? a->n - at : chunk;
        assert_int_equal(asr_stream_accept_waveform(s, a->sample_rate, a->samples + at, n), ASR_OK);
    }
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    run_output out;
    const float *lp = asr_stream_logprobs(s, &out.n_frames);
    size_t bytes = out.n_frames * (size_t)asr_model_get_info(m).vocab_size * sizeof(float);
    out.logprobs = malloc(bytes + 1);
    memcpy(out.logprobs, lp, bytes);
    out.text = strdup(asr_stream_result(s)->text);
    asr_stream_free(s);
    return out;
}

static void check_chunk_invariance(const char *model_rel, const char *audio_rel) {
    asr_model *m = load(model_rel);
    asr_audio a = read_sample(audio_rel);
    size_t rate = (size_t)a.sample_rate;
    run_output whole = run(m, &a, a.n);
    assert_true(whole.n_frames > 0);
    size_t chunks[] = {rate / 100, rate / 10, rate, 1234};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        run_output part = run(m, &a, chunks[k]);
        assert_int_equal(part.n_frames, whole.n_frames);
        /* BLAS kernels round differently for different block heights, so
         * log-probs agree to float rounding, not bit for bit. */
        size_t n = whole.n_frames * (size_t)asr_model_get_info(m).vocab_size;
        float diff = test_max_abs_diff(part.logprobs, whole.logprobs, n);
        print_message("chunk %zu samples: max abs log-prob difference %.2g\n", chunks[k], diff);
        assert_true(diff <= 1e-4f); /* the parity tolerance */
        assert_string_equal(part.text, whole.text);
        free(part.logprobs);
        free(part.text);
    }
    free(whole.logprobs);
    free(whole.text);
    asr_audio_free(&a);
    asr_model_free(m);
}

static void chunking_does_not_matter_lstm(void **state) {
    (void)state;
    check_chunk_invariance("pretrained/en-lstm.gguf", "samples/so762_000030116.wav");
}

static void chunking_does_not_matter_when_resampling(void **state) {
    (void)state;
    check_chunk_invariance("pretrained/en-lstm.gguf", "samples/fsdd_7_jackson_0.wav");
}

static void chunking_does_not_matter_bilstm(void **state) {
    (void)state;
    check_chunk_invariance("pretrained/en-bilstm.gguf", "samples/cv_common_voice_en_52.wav");
}

/* 16 kHz, 25/10 ms frames stacked by the model's stack factor. */
static void step_count_follows_the_audio_length(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_audio a = read_sample("samples/so762_000030116.wav");
    run_output out = run(m, &a, 4000);
    size_t frames = 1 + (a.n - 400) / 160;
    int ms = asr_model_get_info(m).frame_shift_ms;
    size_t stack = (size_t)ms / 10;
    assert_int_equal(out.n_frames, (frames + stack - 1) / stack);
    free(out.logprobs);
    free(out.text);
    asr_audio_free(&a);
    asr_model_free(m);
}

static void stable_prefix_only_grows(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_audio a = read_sample("samples/cv_common_voice_en_52.wav");
    asr_stream *s = asr_stream_new(m, NULL);
    char *prev = strdup("");
    size_t chunk = (size_t)a.sample_rate / 10;
    for (size_t at = 0; at < a.n; at += chunk) {
        size_t n = a.n - at < chunk ? a.n - at : chunk;
        assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, a.samples + at, n), ASR_OK);
        asr_partial p = asr_stream_partial(s);
        assert_memory_equal(p.stable, prev, strlen(prev));
        free(prev);
        prev = strdup(p.stable);
    }
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    const asr_result *r = asr_stream_result(s);
    assert_memory_equal(r->text, prev, strlen(prev));
    asr_partial p = asr_stream_partial(s);
    assert_string_equal(p.stable, r->text); /* all final after finish */
    assert_string_equal(p.unstable, "");
    free(prev);
    asr_stream_free(s);
    asr_audio_free(&a);
    asr_model_free(m);
}

static void bad_calls_are_refused(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_stream *s = asr_stream_new(m, NULL);
    float x[160] = {0};
    assert_int_equal(asr_stream_accept_waveform(s, 0, x, 160), ASR_ERR_ARG);
    assert_int_equal(asr_stream_accept_waveform(s, 10000000, x, 160), ASR_ERR_ARG);
    assert_int_equal(asr_stream_accept_waveform(s, 16000, NULL, 160), ASR_ERR_ARG);
    x[17] = NAN;
    assert_int_equal(asr_stream_accept_waveform(s, 16000, x, 160), ASR_ERR_AUDIO);
    assert_non_null(strstr(asr_last_error(), "NaN"));
    x[17] = INFINITY;
    assert_int_equal(asr_stream_accept_waveform(s, 16000, x, 160), ASR_ERR_AUDIO);
    x[17] = 0;
    assert_int_equal(asr_stream_accept_waveform(s, 16000, x, 160), ASR_OK);
    assert_int_equal(asr_stream_accept_waveform(s, 8000, x, 160), ASR_ERR_ARG);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    assert_int_equal(asr_stream_accept_waveform(s, 16000, x, 160), ASR_ERR_STATE);
    asr_stream_reset(s);
    assert_int_equal(asr_stream_accept_waveform(s, 8000, x, 160), ASR_OK);
    asr_stream_params p = asr_stream_default_params();
    p.beam_size = -1; /* 0 is the default: the model's */
    assert_null(asr_stream_new(m, &p));
    p.beam_size = 4097;
    assert_null(asr_stream_new(m, &p));
    assert_null(asr_stream_new(NULL, NULL));
    asr_stream_free(s);
    asr_model_free(m);
}

static void silence_and_empty_audio_give_no_words(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_stream *s = asr_stream_new(m, NULL);
    assert_int_equal(asr_stream_finish(s), ASR_OK); /* no audio at all */
    assert_int_equal(asr_stream_result(s)->n_words, 0);
    assert_string_equal(asr_stream_result(s)->text, "");
    asr_stream_reset(s);
    float *zeros = calloc(16000, sizeof *zeros);
    assert_int_equal(asr_stream_accept_waveform(s, 16000, zeros, 16000), ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    assert_string_equal(asr_stream_result(s)->text, "");
    free(zeros);
    asr_stream_free(s);
    asr_model_free(m);
}

/* Finding 3: samples near 1e20 overflowed the MFCC power, the decoder
 * refused the NaN log-probs and every later call failed, clean audio too,
 * until a reset. Out-of-range samples are now refused before they reach
 * the features and the stream goes on as if the call had not been made. */
static void huge_samples_leave_the_stream_usable(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_audio a = read_sample("samples/so762_000030116.wav");
    run_output clean = run(m, &a, a.n);
    asr_stream *s = asr_stream_new(m, NULL);
    size_t half = a.n / 2;
    float bad[1600];
    for (size_t i = 0; i < 1600; i++)
        bad[i] = i % 2 ? 1e20f : -1e20f;
    assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, a.samples, half), ASR_OK);
    assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, bad, 1600), ASR_ERR_AUDIO);
    assert_non_null(strstr(asr_last_error(), "expected in [-1, 1]"));
    bad[0] = 32767.0f; /* a 16-bit sample passed as a float */
    assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, bad, 1), ASR_ERR_AUDIO);
    assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, a.samples + half, a.n - half),
                     ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    assert_string_equal(asr_stream_result(s)->text, clean.text);
    /* Loud but plausible audio (float files may peak above 1) is taken. */
    asr_stream_reset(s);
    float loud[1600];
    for (size_t i = 0; i < 1600; i++)
        loud[i] = i % 2 ? 80.0f : -80.0f;
    assert_int_equal(asr_stream_accept_waveform(s, 16000, loud, 1600), ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    free(clean.logprobs);
    free(clean.text);
    asr_stream_free(s);
    asr_audio_free(&a);
    asr_model_free(m);
}

/* Finding 11: the views are kept up to date incrementally; they must stay
 * what a rebuild would give: text = stable + unstable, the words spell the
 * text, and a reset starts afresh. */
static void partial_views_match_the_words(void **state) {
    (void)state;
    asr_model *m = load("pretrained/en-lstm.gguf");
    asr_audio a = read_sample("samples/cv_common_voice_en_52.wav");
    asr_stream *s = asr_stream_new(m, NULL);
    size_t chunk = (size_t)a.sample_rate / 20;
    char first[4096] = "";
    for (int round = 0; round < 2; round++) {
        for (size_t at = 0; at < a.n; at += chunk) {
            size_t n = a.n - at < chunk ? a.n - at : chunk;
            assert_int_equal(asr_stream_accept_waveform(s, a.sample_rate, a.samples + at, n),
                             ASR_OK);
            asr_partial p = asr_stream_partial(s); /* valid until the next call */
            char both[4096];
            snprintf(both, sizeof both, "%s%s", p.stable, p.unstable);
            const asr_result *r = asr_stream_result(s);
            char joined[4096] = "";
            for (size_t i = 0; i < r->n_words; i++) {
                if (i) strcat(joined, " ");
                strcat(joined, r->words[i].word);
            }
            assert_string_equal(r->text, joined);
            assert_string_equal(both, r->text);
        }
        assert_int_equal(asr_stream_finish(s), ASR_OK);
        const asr_result *r = asr_stream_result(s);
        assert_true(r->n_words > 0);
        if (round == 0) snprintf(first, sizeof first, "%s", r->text);
        assert_string_equal(r->text, first); /* after the reset: the same again */
        assert_string_equal(asr_stream_partial(s).stable, first);
        asr_stream_reset(s);
        assert_string_equal(asr_stream_partial(s).stable, "");
        assert_string_equal(asr_stream_result(s)->text, "");
    }
    asr_stream_free(s);
    asr_audio_free(&a);
    asr_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunking_does_not_matter_lstm),
        cmocka_unit_test(chunking_does_not_matter_when_resampling),
        cmocka_unit_test(chunking_does_not_matter_bilstm),
        cmocka_unit_test(step_count_follows_the_audio_length),
        cmocka_unit_test(stable_prefix_only_grows),
        cmocka_unit_test(bad_calls_are_refused),
        cmocka_unit_test(silence_and_empty_audio_give_no_words),
        cmocka_unit_test(huge_samples_leave_the_stream_usable),
        cmocka_unit_test(partial_views_match_the_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
