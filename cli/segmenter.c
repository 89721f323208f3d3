#include "segmenter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Audio handed to the detector per call, and so the resolution of the cuts:
 * about CHUNK_MS, in whole model steps. Fixed, so that the cuts do not depend
 * on how the input was read; whole steps, so that every segment starts on
 * the step grid of the recording and is framed as it would be if the
 * recording were decoded whole (the shipped models' word error rate differs
 * by several points between grids: docs/BENCHMARKS.md). */
#define CHUNK_MS 100
/* Audio in which the detector recognised nothing is dropped once it is
 * this long, all but its last KEEP_MS (the onset of speech to come). */
#define QUIET_DROP_MS 4000
#define QUIET_KEEP_MS 1020
/* A segment is decoded from LEAD_MS before the detector's first symbol to
 * TAIL_MS after its last: a streaming CTC model emits a symbol some time
 * after the sound began, and a decoder that starts cold needs the onset.
 * Dev-set WER moves less than 0.5 points for leads of 300-900 ms with any
 * shipped model (MODEL_CARD.md); 300 cut the first word of a sample the phone
 * model hears late ("they" became "seventy"), 600 keeps it. */
#define LEAD_MS 600
#define TAIL_MS 300
/* A recording that stops less than TAIL_MS after the detector's last
 * symbol (a clip trimmed to the word, a push-to-talk button let go) gets
 * silence up to TAIL_MS: a model that has not heard the end of a sound
 * drops it ("eight" heard as "a", "six" as "sick"). The silence is a faint
 * noise, PAD_NOISE RMS (-80 dBFS, 3.3 steps of 16 bits), not zeros: no
 * training recording holds digital silence, whose log-mel energies sit far
 * below any it heard. WER % on the dev set cut at each utterance's last
 * word end (training/tune_padding.py), en-bilstm-phones / en-lstm-phones /
 * en-bilstm / en-lstm: not padded 40.69 / 44.50 / 56.38 / 58.76, zeros
 * 39.86 / 45.27 / 56.22 / 58.60, noise at -100 dBFS 38.14 / 44.61 / 55.83 /
 * 58.60, at -80 37.87 / 44.33 / 55.44 / 58.87, at -70 38.09 / 44.11 / 55.33
 * / 58.98, at -60 38.03 / 44.39 / 55.06 / 58.98; uncut 37.53 / 43.78 /
 * 54.45 / 59.04. */
#define PAD_NOISE 1e-4f

struct segmenter {
    asr_stream *detector; /* NULL: fixed-length cuts */
    int rate;
    size_t step, chunk, max, quiet_drop, quiet_keep, lead, tail; /* in samples */
    float *buf;                                                  /* the current segment's audio */
    size_t n;                                                    /* samples in buf */
    size_t fed;   /* of which the detector has seen (whole chunks) */
    size_t start; /* sample of the recording at buf[0] */
    /* The detector's model steps so far (since its restart) that output a
     * symbol, not a blank: where the speech is, whether or not its symbols
     * spell words (a phone model decoding greedily without an LM finds few:
     * trimming to its words cut real speech, 6 points of WER). */
    size_t vocab;                   /* the detector's symbols, blank first */
    size_t scanned;                 /* steps looked at */
    long first_symbol, last_symbol; /* -1: none yet */
};

/* ms in samples, rounded to whole steps (at least one). */
static size_t steps_of(const segmenter *s, int ms) {
    size_t n = (size_t)((double)s->rate * ms / 1000.0 / (double)s->step + 0.5);
    return (n ? n : 1) * s->step;
}

segmenter *segmenter_new(const asr_model *detector, const asr_dict *dict, int rate, int silence_ms,
                         int max_ms) {
    segmenter *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->rate = rate;
    int step_ms = detector ? asr_model_get_info(detector).frame_shift_ms : 10;
    s->step = (size_t)((double)rate * (step_ms > 0 ? step_ms : 10) / 1000.0);
    if (s->step == 0) s->step = 1;
    s->chunk = steps_of(s, CHUNK_MS);
    s->max = steps_of(s, max_ms);
    if (s->max < s->chunk) s->max = s->chunk;
    s->quiet_drop = steps_of(s, QUIET_DROP_MS);
    s->quiet_keep = steps_of(s, QUIET_KEEP_MS);
    s->lead = steps_of(s, LEAD_MS);
    s->tail = steps_of(s, TAIL_MS);
    s->buf = malloc((s->max + s->chunk + s->tail) * sizeof *s->buf);
    if (detector) {
        asr_stream_params p = asr_stream_default_params();
        p.beam_size = 1; /* greedy: only where the symbols are matters */
        /* The pauses as tuned, whatever penalty the transcript's search takes:
         * a penalised detector can find a first word (and so an endpoint) in
         * noise before the speech, and cut there. */
        p.blank_penalty = 0;
        p.endpoint_silence_ms = silence_ms;
        p.endpoint_max_utterance_ms = max_ms;
        p.dict = dict; /* phone models spell words through it */
        s->detector = asr_stream_new(detector, &p);
        asr_stream_keep_logprobs(s->detector, 1);
        s->vocab = (size_t)asr_model_get_info(detector).vocab_size;
    }
    s->first_symbol = s->last_symbol = -1;
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
    return (size_t)at / s->step * s->step;
}

/* Brings first_symbol and last_symbol up to the detector's newest step. */
static void scan_symbols(segmenter *s) {
    size_t n;
    const float *lp = asr_stream_logprobs(s->detector, &n);
    size_t v = s->vocab;
    for (; s->scanned < n; s->scanned++) {
        const float *row = lp + s->scanned * v;
        size_t best = 0;
        for (size_t k = 1; k < v; k++)
            if (row[k] > row[best]) best = k;
        if (best == 0) continue; /* blank */
        if (s->first_symbol < 0) s->first_symbol = (long)s->scanned;
        s->last_symbol = (long)s->scanned;
    }
}

static int recognised_nothing(segmenter *s) {
    scan_symbols(s);
    return s->first_symbol < 0;
}

/* The part of buf[0..cut) worth decoding: LEAD_MS and TAIL_MS around the steps where
 * the detector output symbols, starting on the step grid; all of it when
 * it output none. *silence: samples of TAIL_MS that cut lacks. */
static void speech_span(segmenter *s, size_t cut, size_t *from, size_t *to, size_t *silence) {
    *from = 0, *to = cut, *silence = 0;
    if (!s->detector) return;
    scan_symbols(s);
    if (s->first_symbol < 0) return;
    double a = (double)s->first_symbol * (double)s->step - (double)s->lead;
    double b = (double)(s->last_symbol + 1) * (double)s->step + (double)s->tail;
    if (a > 0 && a < (double)cut) *from = (size_t)a / s->step * s->step;
    if (b > (double)*from && b < (double)cut) *to = (size_t)b;
    if (b > (double)cut) *silence = (size_t)(b - (double)cut);
    if (*silence > s->tail) *silence = s->tail;
}

/* n samples of white noise at PAD_NOISE RMS, the same every time (uniform:
 * sqrt(3) x RMS at most). */
static void add_silence(float *x, size_t n) {
    uint32_t state = 12345;
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        x[i] = ((float)(state >> 8) / 16777216.0f * 2.0f - 1.0f) * 1.7320508f * PAD_NOISE;
    }
}

/* Hands buf[0..cut) to fn (or drops it) and restarts the detector on the
 * audio after it. at_end: the recording ends at cut, so what TAIL_MS lacks
 * there is added as silence. */
static asr_status take(segmenter *s, size_t cut, int emit, int at_end, segment_fn fn, void *ctx) {
    size_t from, to, silence;
    speech_span(s, cut, &from, &to, &silence);
    if (at_end && to == s->n) { /* buf holds max + chunk + tail samples */
        add_silence(s->buf + to, silence);
        to += silence;
    }
    asr_status st = emit && cut && fn ? fn(s->buf + from, to - from, s->start + from, ctx) : ASR_OK;
    memmove(s->buf, s->buf + cut, (s->n - cut) * sizeof *s->buf);
    s->n -= cut;
    s->start += cut;
    s->fed = 0;
    if (s->detector) asr_stream_reset(s->detector);
    s->scanned = 0;
    s->first_symbol = s->last_symbol = -1;
    return st;
}

/* Feeds the detector whole chunks and cuts where its rules say. */
static asr_status advance(segmenter *s, segment_fn fn, void *ctx) {
    while (s->fed + s->chunk <= s->n) {
        if (s->detector) {
            asr_status st =
                asr_stream_accept_waveform(s->detector, s->rate, s->buf + s->fed, s->chunk);
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
            asr_status st = take(s, cut, emit, 0, fn, ctx);
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
    asr_status st = ASR_OK;
    if (s->detector && fn) { /* the detector's last word, for the span */
        st = asr_stream_accept_waveform(s->detector, s->rate, s->buf + s->fed, s->n - s->fed);
        if (st == ASR_OK) st = asr_stream_finish(s->detector);
    }
    if (st == ASR_OK)
        st = take(s, s->n, 1, 1, fn, ctx);
    else
        take(s, s->n, 0, 0, NULL, NULL);
    s->start = 0;
    return st;
}
