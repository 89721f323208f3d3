/* A stream ties the pipeline together, one way:
 * pcm -> resampler -> feature extractor -> acoustic model -> CTC decoder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asr.h"
#include "audio.h"
#include "decoder.h"
#include "endpoint.h"
#include "error.h"
#include "frontend.h"
#include "model.h"

/* Steps handed from the feature extractor to the model per forward call:
 * bounds the scratch memory of unidirectional models. */
#define BLOCK_STEPS 64

typedef struct {
    float *data;
    size_t n, cap; /* in floats */
} float_buf;

typedef struct {
    char *s; /* NUL-terminated once anything was added */
    size_t len, cap;
} text_buf;

/* Samples beyond this are not audio in [-1, 1] (16-bit integers passed as
 * floats, garbage): their squares would overflow the features' power. */
#define MAX_SAMPLE 100.0f

struct asr_stream {
    const asr_model *model;
    asr_stream_params params;
    asr_feature_extractor *features;
    asr_model_state *state;
    asr_decoder *decoder;
    asr_resampler *resampler; /* made at the first call that needs it */
    int model_rate, input_rate, in_dim, vocab;
    float step_seconds;
    int finished;
    size_t samples_in;
    asr_endpoint endpoint;

    float *block;        /* BLOCK_STEPS x in_dim features */
    float *block_logp;   /* BLOCK_STEPS x vocab */
    float_buf utterance; /* bidirectional models: every feature step */
    int keep_logprobs;
    float_buf logprobs; /* kept on request */

    /* The result, kept in step with the decoder: a word that becomes
     * stable joins the stable text once; only the unstable tail is rebuilt
     * per call, so a call costs what changed, not the utterance so far. */
    asr_result result;
    asr_word *words;
    size_t words_cap, n_stable;
    text_buf stable, text, unstable; /* text: the stable text, then the tail */
    size_t text_stable_len;          /* bytes of text that are the stable text */
};

static asr_status buf_append(float_buf *b, const float *x, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        float *p = realloc(b->data, cap * sizeof *p);
        if (!p) return asr_error(ASR_ERR_NOMEM, "out of memory (%zu floats)", cap);
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->n, x, n * sizeof *x);
    b->n += n;
    return ASR_OK;
}

asr_stream_params asr_stream_default_params(void) {
    asr_stream_params p = {
        .beam_size = 0, /* by the model and the LM */
        /* -10 rather than -12: the same dev WER for every shipped model and
         * a sixth less CPU at beam 128 (docs/DECODING.md, "Beam width"). */
        .beam_prune = -10.0f,
        .endpoint_silence_ms = 800,
        .endpoint_max_utterance_ms = 20000,
        .lm_alpha = -1.0f, /* the model's */
        .lm_beta = 0.0f,
        .blank_penalty = -1.0f, /* the model's */
    };
    return p;
}

asr_stream_params asr_stream_params_for(const asr_model *model, const asr_stream_params *params) {
    asr_stream_params p = params ? *params : asr_stream_default_params();
    if (!model) return p;
    asr_model_info info = asr_model_get_info(model);
    if (p.beam_size == 0)
        p.beam_size = !p.lm ? 8 : info.bidirectional ? ASR_LM_BEAM_WHOLE : ASR_LM_BEAM;
    if (p.lm_alpha < 0) p.lm_alpha = info.lm_alpha;
    if (p.blank_penalty < 0) p.blank_penalty = info.blank_penalty;
    return p;
}

asr_stream *asr_stream_new(const asr_model *model, const asr_stream_params *params) {
    if (!model) return asr_error_null(ASR_ERR_ARG, "asr_stream_new: no model");
    asr_stream_params p = asr_stream_params_for(model, params);
    if (p.beam_size < 1 || p.beam_size > 4096)
        return asr_error_null(ASR_ERR_ARG, "beam size %d is out of range 1..4096", p.beam_size);
    if (p.endpoint_silence_ms < 0 || p.endpoint_max_utterance_ms < 0)
        return asr_error_null(ASR_ERR_ARG, "endpoint times must not be negative");
    if (!(p.blank_penalty <= ASR_MAX_BLANK_PENALTY)) /* NaN too */
        return asr_error_null(ASR_ERR_ARG, "blank penalty %g is out of range 0..%d",
                              (double)p.blank_penalty, ASR_MAX_BLANK_PENALTY);
    if (!(p.beam_prune >= ASR_MIN_BEAM_PRUNE && p.beam_prune <= 0)) /* NaN too */
        return asr_error_null(ASR_ERR_ARG, "beam prune %g is out of range %d..0",
                              (double)p.beam_prune, ASR_MIN_BEAM_PRUNE);

    asr_stream *s = calloc(1, sizeof *s);
    if (!s) return asr_error_null(ASR_ERR_NOMEM, "out of memory");
    s->model = model;
    s->params = p;
    asr_feature_config fc = asr_model_feature_config(model);
    s->model_rate = fc.sample_rate;
    s->step_seconds = fc.frame_shift_ms * (float)fc.stack / 1000.0f;
    s->in_dim = asr_model_input_dim(model);
    s->vocab = asr_model_vocab_size(model);
    asr_endpoint_init(&s->endpoint, p.endpoint_silence_ms, p.endpoint_max_utterance_ms,
                      s->step_seconds * 1000.0f);

    const char **symbols = malloc((size_t)s->vocab * sizeof *symbols);
    asr_decoder_params dp = {
        .beam_size = p.beam_size, .beam_prune = p.beam_prune, .blank_penalty = p.blank_penalty};
    asr_decoder_words dw = {.lm = p.lm,
                            .lm_alpha = p.lm_alpha,
                            .lm_beta = p.lm_beta,
                            .words = p.words,
                            .n_words = p.n_words,
                            .hotwords = p.hotwords,
                            .n_hotwords = p.n_hotwords,
                            .phones = asr_model_has_phones(model),
                            .dict = p.dict};
    if (symbols) {
        for (int i = 0; i < s->vocab; i++)
            symbols[i] = asr_model_symbol(model, i);
        s->decoder = asr_decoder_new_words(symbols, s->vocab, &dp, &dw);
        free(symbols);
    }
    if (s->decoder) s->features = asr_feature_extractor_new(&fc);
    if (s->features) s->state = asr_model_state_new(model);
    if (s->state) {
        s->block = malloc((size_t)BLOCK_STEPS * (size_t)s->in_dim * sizeof(float));
        s->block_logp = malloc((size_t)BLOCK_STEPS * (size_t)s->vocab * sizeof(float));
        if (!s->block || !s->block_logp) asr_error(ASR_ERR_NOMEM, "out of memory");
    }
    if (!s->block || !s->block_logp) {
        asr_stream_free(s);
        return NULL; /* the failing constructor set the message */
    }
    return s;
}

void asr_stream_free(asr_stream *s) {
    if (!s) return;
    asr_feature_extractor_free(s->features);
    asr_model_state_free(s->state);
    asr_decoder_free(s->decoder);
    asr_resampler_free(s->resampler);
    free(s->block);
    free(s->block_logp);
    free(s->utterance.data);
    free(s->logprobs.data);
    free(s->words);
    free(s->text.s);
    free(s->stable.s);
    free(s->unstable.s);
    free(s);
}

void asr_stream_reset(asr_stream *s) {
    if (!s) return;
    asr_feature_extractor_reset(s->features);
    asr_model_state_reset(s->state);
    asr_endpoint_reset(&s->endpoint);
    asr_decoder_reset(s->decoder);
    asr_resampler_free(s->resampler);
    s->resampler = NULL;
    s->input_rate = 0;
    s->finished = 0;
    s->samples_in = 0;
    s->utterance.n = 0;
    s->logprobs.n = 0;
    s->n_stable = 0;
    s->stable.len = s->text.len = s->unstable.len = s->text_stable_len = 0;
}

void asr_stream_keep_logprobs(asr_stream *s, int keep) {
    if (s) s->keep_logprobs = keep;
}

const float *asr_stream_logprobs(const asr_stream *s, size_t *n_frames) {
    *n_frames = s && s->vocab ? s->logprobs.n / (size_t)s->vocab : 0;
    return s ? s->logprobs.data : NULL;
}

/* Scores n feature steps and hands the log-probs to the decoder. */
static asr_status score(asr_stream *s, const float *x, size_t n, float *logp) {
    asr_status st = asr_model_forward(s->model, s->state, x, n, logp);
    if (st == ASR_OK && s->keep_logprobs) st = buf_append(&s->logprobs, logp, n * (size_t)s->vocab);
    if (st == ASR_OK) st = asr_decoder_accept(s->decoder, logp, n);
    if (st == ASR_OK) asr_endpoint_accept(&s->endpoint, logp, n, s->vocab);
    return st;
}

/* Moves every ready feature step on: scored now (unidirectional) or kept
 * until finish (bidirectional). */
static asr_status pump(asr_stream *s) {
    int bidirectional = asr_model_is_bidirectional(s->model);
    size_t n;
    while ((n = asr_feature_extractor_read(s->features, s->block, BLOCK_STEPS)) > 0) {
        asr_status st = bidirectional ? buf_append(&s->utterance, s->block, n * (size_t)s->in_dim)
                                      : score(s, s->block, n, s->block_logp);
        if (st != ASR_OK) return st;
    }
    return ASR_OK;
}

static asr_status feed_model_rate(asr_stream *s, const float *x, size_t n) {
    asr_status st = asr_feature_extractor_accept(s->features, x, n);
    return st == ASR_OK ? pump(s) : st;
}

asr_status asr_stream_accept_waveform(asr_stream *s, int sample_rate, const float *samples,
                                      size_t n) {
    if (!s) return asr_error(ASR_ERR_ARG, "asr_stream_accept_waveform: no stream");
    if (s->finished)
        return asr_error(ASR_ERR_STATE, "audio after finish: call asr_stream_reset first");
    if (sample_rate < ASR_MIN_RATE || sample_rate > ASR_MAX_RATE)
        return asr_error(ASR_ERR_ARG, "sample rate %d Hz is outside %d..%d Hz", sample_rate,
                         ASR_MIN_RATE, ASR_MAX_RATE);
    if (s->input_rate && sample_rate != s->input_rate)
        return asr_error(ASR_ERR_ARG, "sample rate changed from %d to %d Hz within an utterance",
                         s->input_rate, sample_rate);
    if (n == 0) return ASR_OK;
    if (!samples) return asr_error(ASR_ERR_ARG, "asr_stream_accept_waveform: no samples");
    size_t bad = asr_audio_find_nonfinite(samples, n);
    if (bad)
        return asr_error(ASR_ERR_AUDIO, "sample %zu of this chunk is %s", bad - 1,
                         isnan(samples[bad - 1]) ? "NaN" : "infinite");
    for (size_t i = 0; i < n; i++)
        if (fabsf(samples[i]) > MAX_SAMPLE)
            return asr_error(ASR_ERR_AUDIO,
                             "sample %zu of this chunk is %g: samples are expected in [-1, 1] "
                             "(values beyond +-%g are refused; 16-bit integers must be divided "
                             "by 32768)",
                             i, samples[i], MAX_SAMPLE);

    if (!s->input_rate) {
        if (sample_rate != s->model_rate) {
            s->resampler = asr_resampler_new(sample_rate, s->model_rate);
            if (!s->resampler) return ASR_ERR_NOMEM;
        }
        s->input_rate = sample_rate;
    }
    s->samples_in += n;
    if (!s->resampler) return feed_model_rate(s, samples, n);
    const float *out;
    size_t n_out;
    asr_status st = asr_resampler_process(s->resampler, samples, n, 0, &out, &n_out);
    return st == ASR_OK ? feed_model_rate(s, out, n_out) : st;
}

asr_status asr_stream_finish(asr_stream *s) {
    if (!s) return asr_error(ASR_ERR_ARG, "asr_stream_finish: no stream");
    if (s->finished) return ASR_OK;
    asr_status st = ASR_OK;
    if (s->resampler) {
        const float *out;
        size_t n_out;
        st = asr_resampler_process(s->resampler, NULL, 0, 1, &out, &n_out);
        if (st == ASR_OK) st = asr_feature_extractor_accept(s->features, out, n_out);
    }
    if (st == ASR_OK) st = asr_feature_extractor_finish(s->features);
    if (st == ASR_OK) st = pump(s);
    if (st == ASR_OK && asr_model_is_bidirectional(s->model) && s->utterance.n > 0) {
        size_t steps = s->utterance.n / (size_t)s->in_dim;
        float *logp = malloc(steps * (size_t)s->vocab * sizeof *logp);
        if (!logp) return asr_error(ASR_ERR_NOMEM, "out of memory for %zu steps", steps);
        st = score(s, s->utterance.data, steps, logp);
        free(logp);
    }
    if (st == ASR_OK) st = asr_decoder_finish(s->decoder);
    if (st == ASR_OK) s->finished = 1;
    return st;
}

/* Makes room for len more bytes and a NUL; 0 when out of memory. */
static int text_reserve(text_buf *t, size_t len) {
    if (t->len + len + 1 <= t->cap) return 1;
    size_t cap = t->cap ? t->cap : 64;
    while (cap < t->len + len + 1)
        cap *= 2;
    char *p = realloc(t->s, cap);
    if (!p) return 0;
    t->s = p;
    t->cap = cap;
    return 1;
}

/* Appends a word, after a space unless t is empty. */
static int text_add_word(text_buf *t, const char *word) {
    size_t k = strlen(word), space = t->len > 0;
    if (!text_reserve(t, k + space)) return 0;
    if (space) t->s[t->len++] = ' ';
    memcpy(t->s + t->len, word, k + 1);
    t->len += k;
    return 1;
}

static void set_word(asr_stream *s, const asr_decoded_word *w, size_t i) {
    s->words[i] = (asr_word){w->text, (float)w->start_frame * s->step_seconds,
                             (float)w->end_frame * s->step_seconds, w->confidence};
}

/* Brings the views up to date with the decoder's best hypothesis. Returns
 * 0 on allocation failure, leaving views that are complete but older. */
static int refresh(asr_stream *s) {
    const asr_decoded *d = asr_decoder_best(s->decoder);
    if (!d) return 0;
    if (d->n_stable < s->n_stable) { /* never expected: start again */
        s->n_stable = 0;
        s->stable.len = s->text.len = s->text_stable_len = 0;
    }
    if (d->n_words > s->words_cap) {
        size_t cap = d->n_words > 2 * s->words_cap ? d->n_words : 2 * s->words_cap;
        asr_word *w = realloc(s->words, cap * sizeof *w);
        if (!w) return 0;
        s->words = w;
        s->words_cap = cap;
    }
    if (!text_reserve(&s->stable, 0) || !text_reserve(&s->text, 0) ||
        !text_reserve(&s->unstable, 0))
        return 0;
    s->stable.s[s->stable.len] = '\0'; /* empty after a reset */
    /* Words that became stable since the last call, once. */
    for (; s->n_stable < d->n_stable; s->n_stable++) {
        if (!text_add_word(&s->stable, d->words[s->n_stable].text)) return 0;
        set_word(s, &d->words[s->n_stable], s->n_stable);
    }
    if (s->text_stable_len != s->stable.len) {
        size_t k = s->stable.len - s->text_stable_len;
        s->text.len = s->text_stable_len;
        if (!text_reserve(&s->text, k)) return 0;
        memcpy(s->text.s + s->text.len, s->stable.s + s->text_stable_len, k + 1);
        s->text.len = s->text_stable_len = s->stable.len;
    }
    /* The tail: in text after the stable words, and alone in unstable. */
    s->text.len = s->text_stable_len;
    s->text.s[s->text.len] = '\0';
    s->unstable.len = 0;
    s->unstable.s[0] = '\0';
    for (size_t i = d->n_stable; i < d->n_words; i++)
        if (!text_add_word(&s->text, d->words[i].text)) return 0;
    if (s->text.len > s->text_stable_len) {
        size_t k = s->text.len - s->text_stable_len; /* with its leading space if any */
        if (!text_reserve(&s->unstable, k)) return 0;
        memcpy(s->unstable.s, s->text.s + s->text_stable_len, k + 1);
        s->unstable.len = k;
    }
    for (size_t i = d->n_stable; i < d->n_words; i++)
        set_word(s, &d->words[i], i);
    s->result.text = s->text.s;
    s->result.words = s->words;
    s->result.n_words = d->n_words;
    s->result.audio_seconds = s->input_rate ? (double)s->samples_in / s->input_rate : 0.0;
    return 1;
}

asr_partial asr_stream_partial(asr_stream *s) {
    if (!s || !refresh(s)) return (asr_partial){"", ""};
    return (asr_partial){s->stable.s, s->unstable.s};
}

const asr_result *asr_stream_result(asr_stream *s) {
    static const asr_result empty = {"", NULL, 0, 0.0};
    if (!s || !refresh(s)) return &empty;
    return &s->result;
}

int asr_stream_is_endpoint(asr_stream *s) {
    if (!s || s->finished) return 0;
    const asr_decoded *d = asr_decoder_best(s->decoder);
    return d && asr_endpoint_detected(&s->endpoint, d->n_words);
}
