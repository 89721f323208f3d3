/* The cost of asr_stream_partial() as an utterance grows (issue 14, finding
 * 11): one long utterance with endpointing off (a sample repeated), a
 * partial after every 100 ms piece; prints the mean time per partial call
 * in the first and the last minute. Work per call should follow what
 * changed, so the two stay close however long the utterance.
 * Usage: bench_partial [MINUTES] (default 10); run from the source tree. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "asr.h"
#include "audio.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    int minutes = argc > 1 ? atoi(argv[1]) : 10;
    asr_model *m = asr_model_load("pretrained/en-lstm.gguf");
    asr_audio a = {0};
    if (!m || asr_audio_read_file("samples/so762_000240031.wav", &a) != ASR_OK) {
        fprintf(stderr, "bench_partial: %s (run from the source tree)\n", asr_last_error());
        return 1;
    }
    asr_stream_params p = asr_stream_default_params();
    p.beam_size = 1;
    p.endpoint_silence_ms = p.endpoint_max_utterance_ms = 0;
    asr_stream *s = asr_stream_new(m, &p);
    size_t piece = (size_t)a.sample_rate / 10, fed = 0, at = 0;
    size_t total = (size_t)minutes * 60 * (size_t)a.sample_rate,
           minute = 60 * (size_t)a.sample_rate;
    double first = 0, last = 0;
    size_t n_first = 0, n_last = 0, words = 0;
    while (fed < total) {
        size_t n = a.n - at < piece ? a.n - at : piece;
        asr_stream_accept_waveform(s, a.sample_rate, a.samples + at, n);
        at = at + n == a.n ? 0 : at + n;
        fed += n;
        double t0 = now();
        asr_partial part = asr_stream_partial(s);
        double dt = now() - t0;
        if (fed <= minute) first += dt, n_first++;
        if (fed > total - minute) last += dt, n_last++;
        (void)part;
    }
    asr_stream_finish(s);
    words = asr_stream_result(s)->n_words;
    printf("%d min utterance, %zu words: partial() %.1f us/call in the first minute, "
           "%.1f us/call in the last (x%.1f)\n",
           minutes, words, 1e6 * first / (double)n_first, 1e6 * last / (double)n_last,
           (last / (double)n_last) / (first / (double)n_first));
    asr_stream_free(s);
    asr_audio_free(&a);
    asr_model_free(m);
    return 0;
}
