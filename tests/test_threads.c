/* Eight threads share one model and one LM, each with its own stream and
 * chunk size: every result must equal the single-threaded one. Built and
 * run under ThreadSanitizer by scripts/test.sh (build-tsan/), so a data
 * race in the shared model or LM fails it even when the texts agree. */
#include <pthread.h>
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

#define THREADS 8

typedef struct {
    const asr_model *model;
    const asr_lm *lm;
    const asr_audio *audio;
    size_t chunk;
    char text[4096];
    int ok;
} job;

static void *transcribe(void *arg) {
    job *j = arg;
    asr_stream_params p = asr_stream_default_params();
    p.lm = j->lm;
    p.beam_size = 16;
    asr_stream *s = asr_stream_new(j->model, &p);
    if (!s) return NULL;
    j->ok = 1;
    for (size_t at = 0; at < j->audio->n && j->ok; at += j->chunk) {
        size_t n = j->audio->n - at < j->chunk ? j->audio->n - at : j->chunk;
        j->ok = asr_stream_accept_waveform(s, j->audio->sample_rate, j->audio->samples + at, n) ==
                ASR_OK;
        asr_stream_partial(s);
    }
    j->ok = j->ok && asr_stream_finish(s) == ASR_OK;
    snprintf(j->text, sizeof j->text, "%s", asr_stream_result(s)->text);
    asr_stream_free(s);
    return NULL;
}

static void shared_model_and_lm(void **state) {
    (void)state;
    asr_model *m = asr_model_load(test_path("pretrained/en-lstm.gguf"));
    asr_lm *lm = asr_lm_load(test_path("pretrained/en-3gram.lmbin"));
    if (!m || !lm) fail_msg("%s", asr_last_error());
    asr_audio a = {0};
    if (asr_audio_read_file(test_path("samples/so762_000030116.wav"), &a) != ASR_OK)
        fail_msg("%s", asr_last_error());
    job alone = {m, lm, &a, a.n, "", 0};
    transcribe(&alone);
    assert_true(alone.ok);
    assert_true(alone.text[0] != '\0');
    job jobs[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){m, lm, &a, 160 + 733 * (size_t)i, "", 0};
        assert_int_equal(pthread_create(&threads[i], NULL, transcribe, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_true(jobs[i].ok);
        print_message("thread %d, chunks of %zu samples: %s\n", i, jobs[i].chunk, jobs[i].text);
        assert_string_equal(jobs[i].text, alone.text);
    }
    asr_audio_free(&a);
    asr_lm_free(lm);
    asr_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(shared_model_and_lm)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
