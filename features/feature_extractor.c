/* Streaming feature pipeline, one way:
 *   samples -> frames -> MFCC -> CMVN -> deltas -> stacking -> step queue.
 * Every stage keeps only the history it needs, so each accept costs time
 * proportional to its own audio, and every value is computed by the same
 * operations in the same order however the audio is cut into calls (the
 * output is bit-identical). See docs/FEATURES.md for the definitions. */
#include "frontend.h"

#include "error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Caps that keep buffer sizes far from overflow; real configs use 1..5. */
enum { MAX_DELTA_WINDOW = 64, MAX_STACK = 64 };

struct asr_feature_extractor {
    asr_mfcc *mfcc;
    int frame_length, frame_shift;
    int num_ceps, order, window, stack;
    int row_dim, dim; /* values per frame ([x, d1, d2]) and per step */
    float delta_denom;

    float *pending; /* samples of the next frame, int16 scale */
    int n_pending;

    int cmvn;          /* running-mean CMVN on */
    double cmvn_prior; /* P */
    float *cmvn_mean;  /* mu0, num_ceps */
    double *cmvn_sum;  /* P * mu0 + sum of the frames so far */

    /* Ring of frame rows, indexed by frame number modulo ring_rows. Block j
     * of a row (num_ceps values) is the order-j delta; done[j] frames have
     * block j computed, emitted frames have gone into the stack group. */
    float *rows;
    size_t ring_rows;
    size_t done[3];
    size_t emitted;

    float *group; /* the step being stacked */
    int n_group;

    float *queue; /* ring of finished steps */
    size_t queue_cap, queue_head, queue_count;

    int finished;
};

asr_feature_config asr_feature_default_config(void) {
    asr_feature_config c = {
        .sample_rate = 16000,
        .frame_length_ms = 25,
        .frame_shift_ms = 10,
        .num_mel_bins = 40,
        .num_ceps = 20,
        .low_freq = 20,
        .high_freq = -400,
        .preemph = 0.97f,
        .cepstral_lifter = 22,
        .delta_order = 2,
        .delta_window = 2,
        .stack = 3,
        .cmvn_prior_frames = 0,
        .cmvn_mean = NULL,
    };
    return c;
}

static float *row_at(asr_feature_extractor *fe, size_t frame) {
    return fe->rows + (frame % fe->ring_rows) * (size_t)fe->row_dim;
}

void asr_feature_extractor_reset(asr_feature_extractor *fe) {
    if (!fe) return;
    fe->n_pending = 0;
    memset(fe->done, 0, sizeof fe->done);
    fe->emitted = 0;
    fe->n_group = 0;
    fe->queue_head = fe->queue_count = 0;
    fe->finished = 0;
    if (fe->cmvn)
        for (int c = 0; c < fe->num_ceps; c++)
            fe->cmvn_sum[c] = fe->cmvn_prior * fe->cmvn_mean[c];
}

asr_feature_extractor *asr_feature_extractor_new(const asr_feature_config *config) {
    if (!config) return asr_error_null(ASR_ERR_ARG, "features: config is NULL");
    const asr_feature_config *c = config;
    if (c->delta_order < 0 || c->delta_order > 2)
        return asr_error_null(ASR_ERR_ARG, "features: delta_order %d outside 0..2", c->delta_order);
    if (c->delta_order > 0 && (c->delta_window < 1 || c->delta_window > MAX_DELTA_WINDOW))
        return asr_error_null(ASR_ERR_ARG, "features: delta_window %d outside 1..%d",
                              c->delta_window, MAX_DELTA_WINDOW);
    if (c->stack < 1 || c->stack > MAX_STACK)
        return asr_error_null(ASR_ERR_ARG, "features: stack %d outside 1..%d", c->stack, MAX_STACK);
    if (!isfinite(c->cmvn_prior_frames) || c->cmvn_prior_frames < 0)
        return asr_error_null(ASR_ERR_ARG, "features: cmvn_prior_frames %g must be >= 0",
                              c->cmvn_prior_frames);
    int cmvn = c->cmvn_mean != NULL && c->cmvn_prior_frames > 0;
    asr_mfcc *mfcc = asr_mfcc_new(c); /* checks the rest of the config */
    if (!mfcc) return NULL;
    if (cmvn)
        for (int i = 0; i < c->num_ceps; i++)
            if (!isfinite(c->cmvn_mean[i])) {
                asr_mfcc_free(mfcc);
                return asr_error_null(ASR_ERR_ARG, "features: cmvn_mean[%d] is not finite", i);
            }

    asr_feature_extractor *fe = calloc(1, sizeof *fe);
    if (!fe) {
        asr_mfcc_free(mfcc);
        return asr_error_null(ASR_ERR_NOMEM, "features: out of memory");
    }
    fe->mfcc = mfcc;
    fe->frame_length = asr_mfcc_frame_length(mfcc);
    fe->frame_shift = asr_mfcc_frame_shift(mfcc);
    fe->num_ceps = c->num_ceps;
    fe->order = c->delta_order;
    fe->window = c->delta_order > 0 ? c->delta_window : 0;
    fe->stack = c->stack;
    fe->row_dim = c->num_ceps * (1 + c->delta_order);
    fe->dim = fe->row_dim * c->stack;
    fe->delta_denom = (float)(fe->window * (fe->window + 1) * (2 * fe->window + 1)) / 3.0f;
    fe->cmvn = cmvn;
    fe->cmvn_prior = c->cmvn_prior_frames;
    /* Stage j at frame u reads frames from u - W on, and stage `order` lags
     * the newest frame by order * W: (order + 1) * W + 1 rows are live. */
    fe->ring_rows = (size_t)(fe->order + 1) * (size_t)fe->window + 1;

    fe->pending = malloc(sizeof *fe->pending * (size_t)fe->frame_length);
    fe->rows = malloc(sizeof *fe->rows * fe->ring_rows * (size_t)fe->row_dim);
    fe->group = malloc(sizeof *fe->group * (size_t)fe->dim);
    int ok = fe->pending && fe->rows && fe->group;
    if (cmvn) {
        fe->cmvn_mean = malloc(sizeof *fe->cmvn_mean * (size_t)c->num_ceps);
        fe->cmvn_sum = malloc(sizeof *fe->cmvn_sum * (size_t)c->num_ceps);
        ok = ok && fe->cmvn_mean && fe->cmvn_sum;
        if (fe->cmvn_mean)
            memcpy(fe->cmvn_mean, c->cmvn_mean, sizeof *fe->cmvn_mean * (size_t)c->num_ceps);
    }
    if (!ok) {
        asr_feature_extractor_free(fe);
        return asr_error_null(ASR_ERR_NOMEM, "features: out of memory");
    }
    asr_feature_extractor_reset(fe);
    return fe;
}

void asr_feature_extractor_free(asr_feature_extractor *fe) {
    if (!fe) return;
    asr_mfcc_free(fe->mfcc);
    free(fe->pending);
    free(fe->cmvn_mean);
    free(fe->cmvn_sum);
    free(fe->rows);
    free(fe->group);
    free(fe->queue);
    free(fe);
}

int asr_feature_extractor_dim(const asr_feature_extractor *fe) {
    return fe ? fe->dim : 0;
}

size_t asr_feature_extractor_available(const asr_feature_extractor *fe) {
    return fe ? fe->queue_count : 0;
}

/* Makes room for `extra` more steps before any state changes, so that an
 * allocation failure leaves the extractor as it was. */
static asr_status queue_reserve(asr_feature_extractor *fe, size_t extra) {
    if (fe->queue_count + extra <= fe->queue_cap) return ASR_OK;
    size_t cap = fe->queue_cap ? fe->queue_cap : 16;
    while (cap < fe->queue_count + extra) {
        if (cap > SIZE_MAX / 2) return asr_error(ASR_ERR_NOMEM, "features: step queue too long");
        cap *= 2;
    }
    size_t step = (size_t)fe->dim;
    if (cap > SIZE_MAX / sizeof(float) / step)
        return asr_error(ASR_ERR_NOMEM, "features: step queue too long");
    float *q = malloc(sizeof *q * cap * step);
    if (!q) return asr_error(ASR_ERR_NOMEM, "features: out of memory");
    for (size_t i = 0; i < fe->queue_count; i++)
        memcpy(q + i * step, fe->queue + ((fe->queue_head + i) % fe->queue_cap) * step,
               sizeof *q * step);
    free(fe->queue);
    fe->queue = q;
    fe->queue_cap = cap;
    fe->queue_head = 0;
    return ASR_OK;
}

static void queue_push_group(asr_feature_extractor *fe) {
    size_t slot = (fe->queue_head + fe->queue_count) % fe->queue_cap;
    memcpy(fe->queue + slot * (size_t)fe->dim, fe->group, sizeof *fe->group * (size_t)fe->dim);
    fe->queue_count++;
    fe->n_group = 0;
}

/* Block j of frame u: the delta operator over block j - 1, frames clamped
 * to [0, done[j - 1] - 1] (the end is only clamped once it is final). */
static void compute_delta(asr_feature_extractor *fe, int j, size_t u) {
    int n = fe->num_ceps;
    size_t last = fe->done[j - 1] - 1;
    float *d = row_at(fe, u) + (size_t)j * n;
    for (int c = 0; c < n; c++)
        d[c] = 0;
    for (int k = 1; k <= fe->window; k++) {
        size_t uk = (size_t)k;
        const float *hi = row_at(fe, u + uk < last ? u + uk : last) + (size_t)(j - 1) * n;
        const float *lo = row_at(fe, u >= uk ? u - uk : 0) + (size_t)(j - 1) * n;
        for (int c = 0; c < n; c++)
            d[c] += (float)k * (hi[c] - lo[c]);
    }
    for (int c = 0; c < n; c++)
        d[c] /= fe->delta_denom;
}

/* Runs each delta stage as far as its look-ahead allows (to the end when
 * final) and stacks the finished frames. */
static void advance(asr_feature_extractor *fe, int final) {
    size_t w = (size_t)fe->window;
    for (int j = 1; j <= fe->order; j++)
        while (fe->done[j] < fe->done[j - 1] && (final || fe->done[j] + w < fe->done[j - 1]))
            compute_delta(fe, j, fe->done[j]++);
    for (; fe->emitted < fe->done[fe->order]; fe->emitted++) {
        memcpy(fe->group + (size_t)fe->n_group * fe->row_dim, row_at(fe, fe->emitted),
               sizeof *fe->group * (size_t)fe->row_dim);
        if (++fe->n_group == fe->stack) queue_push_group(fe);
    }
}

static void process_frame(asr_feature_extractor *fe) {
    size_t t = fe->done[0];
    float *x = row_at(fe, t);
    asr_mfcc_compute(fe->mfcc, fe->pending, x);
    if (fe->cmvn) {
        double count = fe->cmvn_prior + (double)(t + 1);
        for (int c = 0; c < fe->num_ceps; c++) {
            fe->cmvn_sum[c] += x[c];
            x[c] = (float)(x[c] - fe->cmvn_sum[c] / count);
        }
    }
    fe->done[0]++;
    advance(fe, 0);
}

asr_status asr_feature_extractor_accept(asr_feature_extractor *fe, const float *samples, size_t n) {
    if (!fe) return asr_error(ASR_ERR_ARG, "features: extractor is NULL");
    if (fe->finished) return asr_error(ASR_ERR_STATE, "features: audio after finish");
    if (n == 0) return ASR_OK;
    if (!samples) return asr_error(ASR_ERR_ARG, "features: samples is NULL");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(samples[i]))
            return asr_error(ASR_ERR_AUDIO, "features: sample %zu is NaN or Inf", i);

    size_t len = (size_t)fe->frame_length, shift = (size_t)fe->frame_shift;
    size_t have = (size_t)fe->n_pending + n;
    size_t frames = have >= len ? 1 + (have - len) / shift : 0;
    asr_status st = queue_reserve(fe, ((size_t)fe->n_group + frames) / (size_t)fe->stack);
    if (st != ASR_OK) return st;

    while (n > 0) {
        size_t take = len - (size_t)fe->n_pending;
        if (take > n) take = n;
        float *dst = fe->pending + fe->n_pending;
        /* Kaldi's features are defined on the int16 scale. */
        for (size_t i = 0; i < take; i++)
            dst[i] = samples[i] * 32768.0f;
        fe->n_pending += (int)take;
        samples += take;
        n -= take;
        if ((size_t)fe->n_pending == len) {
            process_frame(fe);
            memmove(fe->pending, fe->pending + shift, sizeof *fe->pending * (len - shift));
            fe->n_pending = (int)(len - shift);
        }
    }
    return ASR_OK;
}

asr_status asr_feature_extractor_finish(asr_feature_extractor *fe) {
    if (!fe) return asr_error(ASR_ERR_ARG, "features: extractor is NULL");
    if (fe->finished) return asr_error(ASR_ERR_STATE, "features: finish called twice");
    size_t rows = fe->done[0] - fe->emitted + (size_t)fe->n_group;
    asr_status st = queue_reserve(fe, (rows + (size_t)fe->stack - 1) / (size_t)fe->stack);
    if (st != ASR_OK) return st;
    advance(fe, 1);
    /* Complete the last group by repeating its last frame (snip_edges drops
     * the partial frame in `pending`, as Kaldi does). */
    if (fe->n_group > 0) {
        const float *last = fe->group + (size_t)(fe->n_group - 1) * fe->row_dim;
        for (int g = fe->n_group; g < fe->stack; g++)
            memcpy(fe->group + (size_t)g * fe->row_dim, last,
                   sizeof *fe->group * (size_t)fe->row_dim);
        queue_push_group(fe);
    }
    fe->finished = 1;
    return ASR_OK;
}

size_t asr_feature_extractor_read(asr_feature_extractor *fe, float *out, size_t max_steps) {
    if (!fe || !out) return 0;
    size_t count = max_steps < fe->queue_count ? max_steps : fe->queue_count;
    size_t step = (size_t)fe->dim;
    for (size_t i = 0; i < count; i++) {
        memcpy(out + i * step, fe->queue + fe->queue_head * step, sizeof *out * step);
        fe->queue_head = (fe->queue_head + 1) % fe->queue_cap;
    }
    fe->queue_count -= count;
    return count;
}
