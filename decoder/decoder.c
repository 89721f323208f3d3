/* asr_decoder: validation, dispatch to the greedy or beam search, and word
 * assembly from the characters they report. */
#include "decoder.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctc.h"
#include "error.h"
#include "vocabulary.h"

struct asr_decoder {
    const char **symbols; /* a copy of the array; the strings are the caller's */
    int vocab, space;
    asr_ctc_greedy *greedy; /* one of the two */
    asr_ctc_beam *beam;
    int frames, finished;
    asr_ctc_chars chars; /* scratch */
    asr_decoded out;     /* words[n_stable..n_words) are rebuilt by best() */
    size_t cap;
    asr_ctc_fusion fusion;
    asr_lexicon *words, *hot;    /* the decoder's own tries (the LM's is shared) */
    asr_vocabulary *phone_vocab; /* phone models: the words and their pronunciations */
    float blank_penalty;
    float *penalised; /* scratch: the frames of one accept with the penalty applied */
    size_t penalised_cap;
};

asr_status asr_ctc_chars_push(asr_ctc_chars *c, asr_ctc_char ch) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        asr_ctc_char *v = realloc(c->v, cap * sizeof *v);
        if (!v) return asr_error(ASR_ERR_NOMEM, "out of memory for %zu decoded symbols", cap);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = ch;
    return ASR_OK;
}

void asr_ctc_chars_free(asr_ctc_chars *c) {
    free(c->v);
    *c = (asr_ctc_chars){0};
}

/* 1 when word is a sequence of the symbols' spellings. */
static int spellable(const char *const *symbols, int vocab, const char *word) {
    size_t n = strlen(word);
    unsigned char ok[ASR_LEXICON_MAX_WORD + 1] = {1}; /* ok[i]: word[0..i) is spellable */
    if (n > ASR_LEXICON_MAX_WORD) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        for (int c = 1; c < vocab; c++) {
            size_t m = strlen(symbols[c]);
            if (m <= n - i && memcmp(word + i, symbols[c], m) == 0) ok[i + m] = 1;
        }
    }
    return ok[n];
}

/* Splits each string of words[0..n) at white space into e[] (text gets
 * the copies); the words must be spellable. */
static asr_status add_entries(const asr_decoder *d, const asr_lm *lm, const char *const *words,
                              size_t n, asr_lexicon_entry *e, size_t *n_e, char *text, size_t *at) {
    for (size_t i = 0; i < n; i++) {
        const char *s = words[i];
        if (!s) return asr_error(ASR_ERR_ARG, "decoder: word %zu is NULL", i);
        for (;;) {
            s += strspn(s, " \t");
            size_t len = strcspn(s, " \t");
            if (len == 0) break;
            char *w = text + *at;
            memcpy(w, s, len);
            w[len] = '\0';
            *at += len + 1;
            s += len;
            if (!spellable(d->symbols, d->vocab, w))
                return asr_error(ASR_ERR_ARG,
                                 "the word '%s' cannot be spelled with the model's symbols", w);
            int32_t id = lm ? asr_lm_find(lm, w) : -1;
            float score = !lm ? 0 : id >= 0 ? asr_lm_unigram(lm, id) : asr_lm_oov_score(lm);
            e[(*n_e)++] = (asr_lexicon_entry){w, id, score};
        }
    }
    return ASR_OK;
}

/* The tries of the restricted vocabulary and of the hot words. */
static asr_status make_lexicons(asr_decoder *d, const asr_decoder_words *p) {
    size_t bytes = 1;
    if (p->n_words && !p->words) return asr_error(ASR_ERR_ARG, "decoder: NULL word list");
    if (p->n_hotwords && !p->hotwords) return asr_error(ASR_ERR_ARG, "decoder: NULL hot words");
    const char **hot = malloc((p->n_hotwords + 1) * sizeof *hot);
    if (!hot) return asr_error(ASR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n_hotwords; i++) {
        const asr_hotword *h = &p->hotwords[i];
        if (!h->word || !h->word[0] || strpbrk(h->word, " \t") || !isfinite(h->boost)) {
            free(hot);
            return asr_error(ASR_ERR_ARG, "hot word %zu: expected one word and a finite boost", i);
        }
        hot[i] = h->word;
        bytes += strlen(h->word) + 1;
    }
    for (size_t i = 0; i < p->n_words; i++)
        bytes += p->words[i] ? strlen(p->words[i]) + 1 : 0;
    /* A word takes at least two bytes of its string (itself and a separator). */
    size_t cap = bytes / 2 + p->n_hotwords + 1;
    asr_lexicon_entry *e = malloc(cap * sizeof *e);
    char *text = malloc(bytes);
    size_t n = 0, at = 0;
    asr_status st = e && text ? ASR_OK : asr_error(ASR_ERR_NOMEM, "out of memory");
    if (st == ASR_OK && p->n_words) {
        /* The hot words join a restricted vocabulary. */
        st = add_entries(d, p->lm, p->words, p->n_words, e, &n, text, &at);
        if (st == ASR_OK) st = add_entries(d, p->lm, hot, p->n_hotwords, e, &n, text, &at);
        if (st == ASR_OK && n == 0) st = asr_error(ASR_ERR_ARG, "the word list has no words");
        if (st == ASR_OK && !(d->words = asr_lexicon_new(e, n))) st = ASR_ERR_NOMEM;
    }
    if (st == ASR_OK && p->n_hotwords) {
        n = at = 0;
        st = add_entries(d, NULL, hot, p->n_hotwords, e, &n, text, &at);
        for (size_t i = 0; st == ASR_OK && i < n; i++)
            e[i].score = p->hotwords[i].boost;
        if (st == ASR_OK && !(d->hot = asr_lexicon_new(e, n))) st = ASR_ERR_NOMEM;
    }
    free(hot), free(e), free(text);
    return st;
}

/* Phone models: always the beam search, through the vocabulary's
 * pronunciations (beam 1 is its fast path). */
static asr_decoder *new_phone_decoder(asr_decoder *d, const asr_decoder_params *params,
                                      const asr_decoder_words *w) {
    d->phone_vocab = asr_vocabulary_new(d->symbols, d->vocab, w);
    if (d->phone_vocab)
        d->beam = asr_ctc_beam_new(d->vocab, -1, params->beam_size, params->beam_prune);
    if (!d->beam) {
        asr_decoder_free(d);
        return NULL;
    }
    d->fusion = (asr_ctc_fusion){
        .symbols = d->symbols,
        .lm = w->lm,
        .lm_weight = w->lm ? w->lm_alpha * M_LN10 : 0,
        .word_bonus = w->lm ? w->lm_beta : 0,
        .lexicon = asr_vocabulary_trie(d->phone_vocab),
        .phones = 1,
        .phone_words = asr_vocabulary_words(d->phone_vocab),
    };
    asr_ctc_beam_set_fusion(d->beam, &d->fusion);
    return d;
}

asr_decoder *asr_decoder_new(const char *const *symbols, int vocab_size,
                             const asr_decoder_params *params) {
    return asr_decoder_new_words(symbols, vocab_size, params, NULL);
}

asr_decoder *asr_decoder_new_words(const char *const *symbols, int vocab_size,
                                   const asr_decoder_params *params,
                                   const asr_decoder_words *words) {
    static const asr_decoder_words none = {0};
    const asr_decoder_words *w = words ? words : &none;
    if (!symbols || !params) return asr_error_null(ASR_ERR_ARG, "decoder: NULL symbols or params");
    if (vocab_size < 2)
        return asr_error_null(ASR_ERR_ARG, "decoder: vocab_size %d < 2 (blank and space)",
                              vocab_size);
    if (params->beam_size < 1)
        return asr_error_null(ASR_ERR_ARG, "decoder: beam_size %d < 1", params->beam_size);
    if (params->beam_size > INT_MAX / 2 / vocab_size)
        return asr_error_null(ASR_ERR_ARG, "decoder: beam_size %d too large", params->beam_size);
    if (isnan(params->beam_prune)) return asr_error_null(ASR_ERR_ARG, "decoder: beam_prune is NaN");
    if (!isfinite(params->blank_penalty))
        return asr_error_null(ASR_ERR_ARG, "decoder: blank penalty is not finite");
    if (w->lm && (!isfinite(w->lm_alpha) || !isfinite(w->lm_beta)))
        return asr_error_null(ASR_ERR_ARG, "decoder: LM weight or word bonus is not finite");
    int space = -1;
    for (int i = 0; i < vocab_size; i++) {
        if (!symbols[i]) return asr_error_null(ASR_ERR_ARG, "decoder: symbol %d is NULL", i);
        if (i == 0 && symbols[0][0])
            return asr_error_null(ASR_ERR_ARG, "decoder: symbol 0 must be the blank \"\"");
        if (i > 0 && !symbols[i][0])
            return asr_error_null(ASR_ERR_ARG, "decoder: symbol %d is \"\", a second blank", i);
        if (space < 0 && strcmp(symbols[i], " ") == 0) space = i;
    }
    if (space < 0 && !w->phones)
        return asr_error_null(ASR_ERR_ARG, "decoder: no \" \" symbol to split words");

    asr_decoder *d = calloc(1, sizeof *d);
    if (!d) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the decoder");
    d->vocab = vocab_size;
    d->space = space;
    d->blank_penalty = params->blank_penalty;
    d->symbols = malloc((size_t)vocab_size * sizeof *d->symbols);
    if (!d->symbols) {
        free(d);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for %d symbols", vocab_size);
    }
    memcpy(d->symbols, symbols, (size_t)vocab_size * sizeof *d->symbols);
    if (w->phones) return new_phone_decoder(d, params, w);
    if (make_lexicons(d, w) != ASR_OK) {
        asr_decoder_free(d);
        return NULL;
    }
    const asr_lm *lm = w->lm;
    d->fusion = (asr_ctc_fusion){
        .symbols = d->symbols,
        .lm = lm,
        .lm_weight = lm ? w->lm_alpha * M_LN10 : 0,
        .word_bonus = lm ? w->lm_beta : 0,
        .lexicon = d->words ? d->words
                   : lm     ? asr_lm_lexicon(lm)
                            : NULL,
        .restrict_words = d->words != NULL,
        .hot = d->hot,
    };
    int fusing = d->fusion.lm || d->fusion.lexicon || d->fusion.hot;
    if (params->beam_size == 1 && !fusing)
        d->greedy = asr_ctc_greedy_new(vocab_size, space);
    else
        d->beam = asr_ctc_beam_new(vocab_size, space, params->beam_size, params->beam_prune);
    if (!d->greedy && !d->beam) {
        asr_decoder_free(d);
        return NULL;
    }
    if (fusing) asr_ctc_beam_set_fusion(d->beam, &d->fusion);
    return d;
}

static void drop_words(asr_decoder *d, size_t from) {
    for (size_t i = from; i < d->out.n_words; i++)
        free(d->out.words[i].text);
    d->out.n_words = from;
}

void asr_decoder_free(asr_decoder *d) {
    if (!d) return;
    drop_words(d, 0);
    free(d->out.words);
    asr_ctc_chars_free(&d->chars);
    asr_ctc_greedy_free(d->greedy);
    asr_ctc_beam_free(d->beam);
    asr_lexicon_free(d->words);
    asr_lexicon_free(d->hot);
    asr_vocabulary_free(d->phone_vocab);
    free(d->symbols);
    free(d->penalised);
    free(d);
}

void asr_decoder_reset(asr_decoder *d) {
    if (!d) return;
    drop_words(d, 0);
    d->out.n_stable = 0;
    d->frames = 0;
    d->finished = 0;
    if (d->greedy) asr_ctc_greedy_reset(d->greedy);
    if (d->beam) asr_ctc_beam_reset(d->beam);
}

/* A word of n symbols; text is its spelling when not NULL (phone models),
 * else the symbols spell it. */
static asr_status add_word(asr_decoder *d, const asr_ctc_char *c, size_t n, const char *spelled) {
    if (d->out.n_words == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        asr_decoded_word *w = realloc(d->out.words, cap * sizeof *w);
        if (!w) return asr_error(ASR_ERR_NOMEM, "out of memory for %zu words", cap);
        d->out.words = w;
        d->cap = cap;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += spelled ? 0 : strlen(d->symbols[c[i].sym]);
    if (spelled) len = strlen(spelled);
    char *text = malloc(len + 1);
    if (!text) return asr_error(ASR_ERR_NOMEM, "out of memory for a word of %zu bytes", len);
    text[0] = '\0';
    for (size_t i = 0; i < n && !spelled; i++)
        strcat(text, d->symbols[c[i].sym]);
    if (spelled) memcpy(text, spelled, len + 1);
    double conf = 0;
    for (size_t i = 0; i < n; i++)
        conf += exp(c[i].logprob);
    /* Clamped: inputs are log-probs, but a caller may feed unnormalised scores. */
    conf = fmin(conf / (double)n, 1.0);
    /* Beam paths read times from shared nodes, so a path that wins on
     * alignments made stale by a later re-timing can come out of order. */
    int start = c[0].start, end = c[n - 1].end;
    if (d->out.n_words > 0 && start < d->out.words[d->out.n_words - 1].end_frame)
        start = d->out.words[d->out.n_words - 1].end_frame;
    if (end <= start) end = start + 1;
    d->out.words[d->out.n_words++] = (asr_decoded_word){text, start, end, (float)conf};
    return ASR_OK;
}

/* Splits characters at spaces; runs of spaces make no empty words. Phone
 * models: a word ends at the phone marked with it; phones of a word not
 * yet complete (the tail of a partial result) are left out. */
static asr_status add_words(asr_decoder *d, const asr_ctc_chars *chars) {
    if (d->phone_vocab) {
        for (size_t i = 0, j = 0; j < chars->n; j++) {
            if (chars->v[j].word < 0) continue;
            asr_status st = add_word(d, chars->v + i, j + 1 - i,
                                     asr_vocabulary_word(d->phone_vocab, chars->v[j].word));
            if (st != ASR_OK) return st;
            i = j + 1;
        }
        return ASR_OK;
    }
    for (size_t i = 0; i < chars->n;) {
        size_t j = i;
        while (j < chars->n && chars->v[j].sym != d->space)
            j++;
        if (j > i) {
            asr_status st = add_word(d, chars->v + i, j - i, NULL);
            if (st != ASR_OK) return st;
        }
        i = j + 1;
    }
    return ASR_OK;
}

asr_status asr_decoder_accept(asr_decoder *d, const float *logprobs, size_t n_frames) {
    if (!d) return asr_error(ASR_ERR_ARG, "decoder: NULL decoder");
    if (d->finished) return asr_error(ASR_ERR_STATE, "decoder: frames after finish");
    if (n_frames == 0) return ASR_OK;
    if (!logprobs)
        return asr_error(ASR_ERR_ARG, "decoder: NULL log-probs for %zu frames", n_frames);
    if (n_frames > (size_t)(INT_MAX - d->frames) ||
        n_frames > SIZE_MAX / sizeof(float) / (size_t)d->vocab)
        return asr_error(ASR_ERR_ARG, "decoder: %zu frames is too many", n_frames);
    /* Checked before use so that a bad call changes nothing. */
    for (size_t i = 0; i < n_frames * (size_t)d->vocab; i++)
        if (isnan(logprobs[i]) || logprobs[i] == INFINITY)
            return asr_error(ASR_ERR_ARG, "decoder: log-prob %g at frame %zu, symbol %zu",
                             logprobs[i], d->frames + i / (size_t)d->vocab, i % (size_t)d->vocab);
    if (d->blank_penalty != 0.0f) {
        size_t n = n_frames * (size_t)d->vocab;
        if (n > d->penalised_cap) {
            float *p = realloc(d->penalised, n * sizeof *p);
            if (!p)
                return asr_error(ASR_ERR_NOMEM, "decoder: out of memory for %zu frames", n_frames);
            d->penalised = p;
            d->penalised_cap = n;
        }
        memcpy(d->penalised, logprobs, n * sizeof *logprobs);
        for (size_t f = 0; f < n_frames; f++)
            d->penalised[f * (size_t)d->vocab] -= d->blank_penalty;
        logprobs = d->penalised;
    }
    drop_words(d, d->out.n_stable);
    d->chars.n = 0;
    asr_status st = d->greedy ? asr_ctc_greedy_accept(d->greedy, logprobs, n_frames, &d->chars)
                              : asr_ctc_beam_accept(d->beam, logprobs, n_frames, &d->chars);
    d->frames += (int)n_frames;
    if (st == ASR_OK) st = add_words(d, &d->chars);
    d->out.n_stable = d->out.n_words;
    return st;
}

static asr_status add_tail(asr_decoder *d) {
    asr_status st = d->greedy ? asr_ctc_greedy_tail(d->greedy, &d->chars)
                              : asr_ctc_beam_tail(d->beam, &d->chars);
    return st == ASR_OK ? add_words(d, &d->chars) : st;
}

asr_status asr_decoder_finish(asr_decoder *d) {
    if (!d) return asr_error(ASR_ERR_ARG, "decoder: NULL decoder");
    if (d->finished) return ASR_OK;
    drop_words(d, d->out.n_stable);
    if (d->beam) asr_ctc_beam_finish(d->beam);
    asr_status st = add_tail(d);
    d->out.n_stable = d->out.n_words;
    d->finished = 1;
    return st;
}

const asr_decoded *asr_decoder_best(asr_decoder *d) {
    if (!d) return asr_error_null(ASR_ERR_ARG, "decoder: NULL decoder");
    drop_words(d, d->out.n_stable);
    if (!d->finished && add_tail(d) != ASR_OK) return NULL;
    return &d->out;
}
