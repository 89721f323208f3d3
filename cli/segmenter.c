#include "segmenter.h"

#include <stdlib.h>
#include <string.h>

/* Audio handed to the detector per call, and so the resolution of the cuts;
 * fixed, so that the cuts do not depend on how the input was read. */
#define CHUNK_MS 100
/* Audio in which the detector recognised nothing is dropped once it is
 * this long, all but its last KEEP_MS (the onset of speech to come). */
#define QUIET_DROP_MS 4000
#define QUIET_KEEP_MS 1000

struct segmenter {
    asr_stream *detector; /* NULL: fixed-length cuts */
    int rate;
    size_t chunk, max, quiet_drop, quiet_keep; /* in samples */
    float *buf;  /* the current segment's audio */
    size_t n;    /* samples in buf */
    size_t fed;  /* of which the detector has seen (whole chunks) */
    size_t start; /* sample of the recording at buf[0] */
};

static size_t ms_samples(int rate, int ms) {
    return (size_t)((double)rate * ms / 1000.0);
}

segmenter *segmenter_new(const asr_model *detector, const asr_dict *dict, int rate, int silence_ms,
                         int max_ms) {
    segmenter *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->rate = rate;
    s->chunk = ms_samples(rate, CHUNK_MS);
    s->max = ms_samples(rate, max_ms);
    if (s->max < s->chunk) s->max = s->chunk;
    s->quiet_drop = ms_samples(rate, QUIET_DROP_MS);
    s->quiet_keep = ms_samples(rate, QUIET_KEEP_MS);
    s->buf = malloc((s->max + s->chunk) * sizeof *s->buf);
    if (detector) {
        asr_stream_params p = asr_stream_default_params();
        p.beam_size = 1; /* greedy: only where the symbols are matters */
        p.endpoint_silence_ms = silence_ms;
        p.endpoint_max_utterance_ms = max_ms;
        p.dict = dict; /* phone models spell words through it */
        s->detector = asr_stream_new(detector, &p);
    }
    if (!s->buf || (detector && !s->detector)) {
        segmenter_free(s);
        return NULL;
    }
    return s;
}

void segmenter_free(segmenter *s) {
    if (!s) return;
    asr_stream_free(s->detector);
    free(s->buf);
    free(s);
}

/* Where to cut a segment that reached its maximum length: halfway between
 * the detector's last two words, so that no word is split; else here. */
static size_t cut_between_words(segmenter *s) {
    const asr_result *r = s->detector ? asr_stream_result(s->detector) : NULL;
    if (!r || r->n_words < 2) return s->fed;
    const asr_word *w = &r->words[r->n_words - 2];
    double at = 0.5 * ((double)w[0].end + (double)w[1].start) * s->rate;
    if (at < (double)s->chunk || at > (double)s->fed) return s->fed;
    return (size_t)at;
}

static int recognised_nothing(segmenter *s) {
    asr_partial p = asr_stream_partial(s->detector);
    return !*p.stable && !*p.unstable;
}

/* Hands buf[0..cut) to fn (or drops it) and restarts the detector on the
 * audio after it. */
static asr_status take(segmenter *s, size_t cut, int emit, segment_fn fn, void *ctx) {
    asr_status st = emit && cut && fn ? fn(s->buf, cut, s->start, ctx) : ASR_OK;
    memmove(s->buf, s->buf + cut, (s->n - cut) * sizeof *s->buf);
    s->n -= cut;
    s->start += cut;
    s->fed = 0;
    if (s->detector) asr_stream_reset(s->detector);
    return st;
}

/* Feeds the detector whole chunks and cuts where its rules say. */
static asr_status advance(segmenter *s, segment_fn fn, void *ctx) {
    while (s->fed + s->chunk <= s->n) {
        if (s->detector) {
            asr_status st = asr_stream_accept_waveform(s->detector, s->rate, s->buf + s->fed, s->chunk);
            if (st != ASR_OK) return st;
        }
        s->fed += s->chunk;
        size_t cut = 0;
        int emit = 1;
        if (s->fed >= s->max)
            cut = cut_between_words(s);
        else if (s->detector && asr_stream_is_endpoint(s->detector))
            cut = s->fed;
        else if (s->detector && s->fed >= s->quiet_drop && recognised_nothing(s))
            cut = s->fed - s->quiet_keep, emit = 0;
        if (cut) {
            asr_status st = take(s, cut, emit, fn, ctx);
            if (st != ASR_OK) return st;
        }
    }
    return ASR_OK;
}

asr_status segmenter_accept(segmenter *s, const float *x, size_t n, segment_fn fn, void *ctx) {
    while (n > 0) {
        /* advance() leaves less than max + chunk in buf: room for a chunk. */
        size_t room = s->max + s->chunk - s->n, take_n = n < room ? n : room;
        memcpy(s->buf + s->n, x, take_n * sizeof *x);
        s->n += take_n;
        x += take_n;
        n -= take_n;
        asr_status st = advance(s, fn, ctx);
        if (st != ASR_OK) return st;
    }
    return ASR_OK;
}

asr_status segmenter_finish(segmenter *s, segment_fn fn, void *ctx) {
    asr_status st = take(s, s->n, 1, fn, ctx);
    s->start = 0;
    return st;
}
