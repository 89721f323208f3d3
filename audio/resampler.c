/* Streaming sample-rate conversion with libsamplerate.
 *
 * Converter: SRC_SINC_MEDIUM_QUALITY. Measured here (libsamplerate 0.2.2,
 * one core, to 16 kHz) in CPU seconds per second of 44.1 kHz audio: FASTEST
 * 0.0025, MEDIUM 0.0054 (0.0060 from 48 kHz), BEST 0.023. FASTEST's
 * passband ends early: a 6.5 kHz tone loses 3.9 dB and a 7 kHz one 13.8 dB,
 * which would dim the top mel bands (they reach 8 kHz) compared with audio
 * recorded at 16 kHz. MEDIUM is flat to 7 kHz (-0.3 dB) and rejects all above
 * 8.2 kHz by more than 120 dB, for about half a percent of real time; BEST's
 * extra 0.5 kHz of passband is not worth four times the cost.
 *
 * Chunking: libsamplerate's sinc converters step through the output from a
 * position that depends only on the ratio, so the output is the same bit for
 * bit however the input is cut (tests/test_resampler.c checks it). Output
 * sample k lies at input time k * in_rate / out_rate: no delay to correct.
 * The input is handed over in slices of at most SLICE samples. */
#include <math.h>
#include <samplerate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "error.h"

enum { SLICE = 65536 };

struct asr_resampler {
    SRC_STATE *src; /* NULL when the rates are equal */
    double ratio;   /* out_rate / in_rate */
    int ended;      /* flushed: more audio needs asr_resampler_reset() */
    float *buf;
    size_t cap;
};

static asr_status reserve(asr_resampler *r, size_t need) {
    if (need <= r->cap) return ASR_OK;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof *r->buf)
            return asr_error(ASR_ERR_NOMEM, "resampler: %zu samples is too many", need);
        cap *= 2;
    }
    float *buf = realloc(r->buf, cap * sizeof *buf);
    if (!buf) return asr_error(ASR_ERR_NOMEM, "resampler: out of memory for %zu samples", cap);
    r->buf = buf;
    r->cap = cap;
    return ASR_OK;
}

asr_resampler *asr_resampler_new(int in_rate, int out_rate) {
    if (in_rate < ASR_MIN_RATE || in_rate > ASR_MAX_RATE || out_rate < ASR_MIN_RATE ||
        out_rate > ASR_MAX_RATE)
        return asr_error_null(ASR_ERR_ARG,
                              "resampler: rates %d -> %d Hz: each must be in %d..%d Hz", in_rate,
                              out_rate, ASR_MIN_RATE, ASR_MAX_RATE);
    double ratio = (double)out_rate / in_rate;
    if (!src_is_valid_ratio(ratio))
        return asr_error_null(ASR_ERR_ARG,
                              "resampler: rates %d -> %d Hz: ratio %g is outside what "
                              "libsamplerate accepts (1/256..256)",
                              in_rate, out_rate, ratio);
    asr_resampler *r = calloc(1, sizeof *r);
    if (!r) return asr_error_null(ASR_ERR_NOMEM, "resampler: out of memory");
    if (reserve(r, 4096) != ASR_OK) {
        free(r);
        return NULL;
    }
    r->ratio = ratio;
    if (in_rate != out_rate) {
        int err = 0;
        r->src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &err);
        if (!r->src) {
            asr_resampler_free(r);
            return asr_error_null(ASR_ERR_NOMEM, "resampler: %s", src_strerror(err));
        }
    }
    return r;
}

void asr_resampler_free(asr_resampler *r) {
    if (!r) return;
    if (r->src) src_delete(r->src);
    free(r->buf);
    free(r);
}

void asr_resampler_reset(asr_resampler *r) {
    if (!r) return;
    if (r->src) src_reset(r->src);
    r->ended = 0;
}

asr_status asr_resampler_process(asr_resampler *r, const float *in, size_t n, int end,
                                 const float **out, size_t *n_out) {
    if (!r || !out || !n_out || (!in && n > 0))
        return asr_error(ASR_ERR_ARG, "asr_resampler_process: NULL argument");
    *out = NULL;
    *n_out = 0;
    if (r->ended)
        return asr_error(ASR_ERR_STATE,
                         "resampler: audio after the end was flushed (call asr_resampler_reset)");
    size_t done = 0;
    if (!r->src) {
        if (reserve(r, n) != ASR_OK) return ASR_ERR_NOMEM;
        if (n) memcpy(r->buf, in, n * sizeof *in);
        done = n;
    } else {
        static const float none[1];
        size_t pos = 0;
        for (;;) {
            size_t take = n - pos < SLICE ? n - pos : SLICE;
            int last = end && pos + take == n;
            /* Room for this slice's share; the loop comes back for more
             * when held-back output fills it. */
            size_t room = (size_t)ceil((double)take * r->ratio) + 64;
            if (reserve(r, done + room) != ASR_OK) return ASR_ERR_NOMEM;
            SRC_DATA d = {
                .data_in = take ? in + pos : none,
                .data_out = r->buf + done,
                .input_frames = (long)take,
                .output_frames = (long)(r->cap - done),
                .end_of_input = last,
                .src_ratio = r->ratio,
            };
            int err = src_process(r->src, &d);
            if (err) return asr_error(ASR_ERR_ARG, "resampler: %s", src_strerror(err));
            if (take > 0 && d.input_frames_used == 0 && d.output_frames_gen == 0)
                return asr_error(ASR_ERR_STATE, "resampler: libsamplerate made no progress");
            pos += (size_t)d.input_frames_used;
            done += (size_t)d.output_frames_gen;
            /* libsamplerate stops early only when the output buffer is full
             * (more may be ready, the flushed tail included). */
            if (pos == n && d.output_frames_gen < d.output_frames) break;
        }
    }
    r->ended = end != 0;
    *out = r->buf;
    *n_out = done;
    return ASR_OK;
}
