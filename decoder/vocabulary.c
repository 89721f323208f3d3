/* The vocabulary of a phone search (see vocabulary.h). */
#include "vocabulary.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "error.h"
#include "lm.h"

/* Pronunciations a word may bring (CMUdict has at most 6). */
#define MAX_VARIANTS 16
/* Vocabularies a dictionary keeps for reuse (one per LM and weight). */
#define CACHE_SIZE 4

typedef struct {
    char *text;
    int32_t lm;
    float boost;
} word;

typedef struct {
    char *pron; /* model symbol ids as bytes, NUL-terminated */
    int32_t word;
} entry;

struct asr_vocabulary {
    word *words;
    size_t n_words, cap_words;
    entry *entries;
    size_t n_entries, cap_entries;
    int32_t *group_first, *group_words, *word_lm;
    float *word_boost;
    asr_ctc_phone_words view;
    asr_lexicon *trie;
    uint8_t map[256]; /* dictionary phone id -> model symbol id */
    atomic_int refs;  /* decoders using it, plus one while a cache keeps it */
};

static void destroy(asr_vocabulary *v) {
    for (size_t i = 0; i < v->n_words; i++)
        free(v->words[i].text);
    for (size_t i = 0; i < v->n_entries; i++)
        free(v->entries[i].pron);
    free(v->words), free(v->entries);
    free(v->group_first), free(v->group_words), free(v->word_lm), free(v->word_boost);
    asr_lexicon_free(v->trie);
    free(v);
}

static asr_status add_word(asr_vocabulary *v, const char *text, size_t len, float boost) {
    if (len == 0) return ASR_OK;
    if (len > ASR_DICT_MAX_WORD)
        return asr_error(ASR_ERR_ARG, "the word '%.40s...' is longer than %d bytes", text,
                         ASR_DICT_MAX_WORD);
    if (v->n_words == v->cap_words) {
        size_t cap = v->cap_words ? 2 * v->cap_words : 1024;
        word *w = realloc(v->words, cap * sizeof *w);
        if (!w) return asr_error(ASR_ERR_NOMEM, "out of memory for %zu words", cap);
        v->words = w;
        v->cap_words = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return asr_error(ASR_ERR_NOMEM, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    v->words[v->n_words++] = (word){copy, -1, boost};
    return ASR_OK;
}

/* Each white-space separated word of each string (phrases add their words). */
static asr_status add_list(asr_vocabulary *v, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!list[i]) return asr_error(ASR_ERR_ARG, "decoder: word %zu is NULL", i);
        for (const char *s = list[i];;) {
            s += strspn(s, " \t");
            size_t len = strcspn(s, " \t");
            if (!len) break;
            asr_status st = add_word(v, s, len, 0);
            if (st != ASR_OK) return st;
            s += len;
        }
    }
    return ASR_OK;
}

static asr_status add_dict_word(void *ctx, const char *w, const asr_pron *prons, size_t n) {
    (void)prons, (void)n;
    return add_word(ctx, w, strlen(w), 0);
}

static int by_text(const void *pa, const void *pb) {
    const word *a = pa, *b = pb;
    return strcmp(a->text, b->text);
}

/* Sorts the words and merges duplicates (keeping the boost of largest size,
 * so that a word to avoid stays avoided). */
static void merge_words(asr_vocabulary *v) {
    qsort(v->words, v->n_words, sizeof *v->words, by_text);
    size_t k = 0;
    for (size_t i = 0; i < v->n_words; i++) {
        if (k && strcmp(v->words[k - 1].text, v->words[i].text) == 0) {
            if (fabsf(v->words[i].boost) > fabsf(v->words[k - 1].boost))
                v->words[k - 1].boost = v->words[i].boost;
            free(v->words[i].text);
            continue;
        }
        v->words[k++] = v->words[i];
    }
    v->n_words = k;
}

static asr_status add_entry(asr_vocabulary *v, int32_t w, const uint8_t *phones, size_t n) {
    if (v->n_entries == v->cap_entries) {
        size_t cap = v->cap_entries ? 2 * v->cap_entries : 1024;
        entry *e = realloc(v->entries, cap * sizeof *e);
        if (!e) return asr_error(ASR_ERR_NOMEM, "out of memory for %zu pronunciations", cap);
        v->entries = e;
        v->cap_entries = cap;
    }
    char *pron = malloc(n + 1);
    if (!pron) return asr_error(ASR_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        pron[k] = (char)v->map[phones[k]];
    pron[n] = '\0';
    v->entries[v->n_entries++] = (entry){pron, w};
    return ASR_OK;
}

static int by_pron(const void *pa, const void *pb) {
    const entry *a = pa, *b = pb;
    int c = strcmp(a->pron, b->pron);
    return c ? c : (a->word > b->word) - (a->word < b->word);
}

/* Every model phone is a dictionary phone and the other way round. */
static asr_status map_phones(asr_vocabulary *v, const char *const *symbols, int vocab_size,
                             const asr_dict *dict) {
    int n = asr_dict_n_phones(dict);
    if (vocab_size > 255)
        return asr_error(ASR_ERR_UNSUPPORTED,
                         "phone models with more than 254 phones are not supported");
    for (int p = 1; p <= n; p++) {
        const char *name = asr_dict_phone(dict, p);
        int found = 0;
        for (int s = 1; s < vocab_size && !found; s++)
            if (strcmp(symbols[s], name) == 0) found = s;
        if (!found)
            return asr_error(ASR_ERR_ARG,
                             "the dictionary's phone '%s' is not one of the model's outputs: "
                             "the model and the dictionary have different phone sets",
                             name);
        v->map[p] = (uint8_t)found;
    }
    if (vocab_size - 1 != n) {
        for (int s = 1; s < vocab_size; s++) {
            int found = 0;
            for (int p = 1; p <= n; p++)
                found |= strcmp(symbols[s], asr_dict_phone(dict, p)) == 0;
            if (!found)
                return asr_error(ASR_ERR_ARG,
                                 "the model's phone '%s' is not in the dictionary: the model and "
                                 "the dictionary have different phone sets",
                                 symbols[s]);
        }
        return asr_error(ASR_ERR_ARG, "the model outputs a phone twice");
    }
    return ASR_OK;
}

static asr_status collect(asr_vocabulary *v, const asr_decoder_words *w) {
    asr_status st = ASR_OK;
    if (w->n_words) {
        if (!w->words) return asr_error(ASR_ERR_ARG, "decoder: NULL word list");
        st = add_list(v, w->words, w->n_words);
        if (st == ASR_OK && v->n_words == 0)
            return asr_error(ASR_ERR_ARG, "the word list has no words");
    } else if (w->lm) {
        for (int32_t id = 0; st == ASR_OK && id < asr_lm_vocab_size(w->lm); id++) {
            const char *s = asr_lm_word(w->lm, id);
            if (strcmp(s, "<s>") && strcmp(s, "</s>") && strcmp(s, "<unk>"))
                st = add_word(v, s, strlen(s), 0);
        }
    } else {
        st = asr_dict_each(w->dict, add_dict_word, v);
    }
    if (w->n_hotwords && !w->hotwords) return asr_error(ASR_ERR_ARG, "decoder: NULL hot words");
    for (size_t i = 0; st == ASR_OK && i < w->n_hotwords; i++) {
        const asr_hotword *h = &w->hotwords[i];
        if (!h->word || !h->word[0] || strpbrk(h->word, " \t") || !isfinite(h->boost))
            return asr_error(ASR_ERR_ARG, "hot word %zu: expected one word and a finite boost", i);
        st = add_word(v, h->word, strlen(h->word), h->boost);
    }
    return st;
}

static asr_vocabulary *build(const char *const *symbols, int vocab_size,
                             const asr_decoder_words *w) {
    if (!w->dict)
        return asr_error_null(ASR_ERR_ARG,
                              "the model's outputs are phones: it needs a pronunciation "
                              "dictionary (asr_stream_params.dict; the CLI's --dict)");
    asr_vocabulary *v = calloc(1, sizeof *v);
    if (!v) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the vocabulary");
    asr_status st = map_phones(v, symbols, vocab_size, w->dict);
    if (st == ASR_OK) st = collect(v, w);
    if (st == ASR_OK) merge_words(v);
    asr_pron prons[MAX_VARIANTS];
    uint8_t guess[ASR_DICT_MAX_PRON];
    for (size_t i = 0; st == ASR_OK && i < v->n_words; i++) {
        word *x = &v->words[i];
        size_t n = asr_dict_lookup(w->dict, x->text, prons, MAX_VARIANTS, NULL);
        if (n == 0) {
            int k = asr_dict_guess(w->dict, x->text, guess, sizeof guess);
            if (k < 0) {
                st = ASR_ERR_ARG; /* the message names the word */
                break;
            }
            prons[0] = (asr_pron){guess, (size_t)k};
            n = 1;
        }
        for (size_t k = 0; st == ASR_OK && k < n && k < MAX_VARIANTS; k++)
            st = add_entry(v, (int32_t)i, prons[k].phones, prons[k].n);
        x->lm = w->lm ? asr_lm_find(w->lm, x->text) : -1;
    }
    if (st != ASR_OK) {
        destroy(v);
        return NULL;
    }

    /* Homophones: entries with one pronunciation form a group. */
    qsort(v->entries, v->n_entries, sizeof *v->entries, by_pron);
    v->group_first = malloc((v->n_entries + 1) * sizeof *v->group_first);
    v->group_words = malloc((v->n_entries + 1) * sizeof *v->group_words);
    v->word_lm = malloc((v->n_words + 1) * sizeof *v->word_lm);
    v->word_boost = malloc((v->n_words + 1) * sizeof *v->word_boost);
    asr_lexicon_entry *lex = malloc((v->n_entries + 1) * sizeof *lex);
    if (!v->group_first || !v->group_words || !v->word_lm || !v->word_boost || !lex) {
        free(lex);
        destroy(v);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for the vocabulary");
    }
    double weight = w->lm ? w->lm_alpha * M_LN10 : 0;
    for (size_t i = 0; i < v->n_words; i++) {
        v->word_lm[i] = v->words[i].lm;
        v->word_boost[i] = v->words[i].boost;
    }
    size_t n_groups = 0, n_members = 0;
    for (size_t i = 0; i < v->n_entries; i++) {
        const entry *e = &v->entries[i];
        if (i > 0 && strcmp(e->pron, v->entries[i - 1].pron) == 0) {
            if (e->word == v->entries[i - 1].word) continue; /* two equal variants */
        } else {
            v->group_first[n_groups] = (int32_t)n_members;
            lex[n_groups] = (asr_lexicon_entry){e->pron, (int32_t)n_groups, -INFINITY};
            n_groups++;
        }
        const word *x = &v->words[e->word];
        float uni = !w->lm       ? 0
                    : x->lm >= 0 ? asr_lm_unigram(w->lm, x->lm)
                                 : asr_lm_oov_score(w->lm);
        float score = (float)(weight * uni + fmax(0.0, x->boost));
        if (score > lex[n_groups - 1].score) lex[n_groups - 1].score = score;
        v->group_words[n_members++] = e->word;
    }
    v->group_first[n_groups] = (int32_t)n_members;
    v->trie = asr_lexicon_new(lex, n_groups);
    free(lex);
    if (!v->trie) {
        destroy(v);
        return NULL;
    }
    v->view = (asr_ctc_phone_words){v->group_first, v->group_words, v->word_lm, v->word_boost};
    atomic_init(&v->refs, 1);
    return v;
}

void asr_vocabulary_free(asr_vocabulary *v) {
    if (v && atomic_fetch_sub(&v->refs, 1) == 1) destroy(v);
}

/* ---- Sharing: a dictionary's cache of whole-vocabulary builds ------------ */

/* Building the LM's or the dictionary's whole vocabulary takes a fraction
 * of a second, too long for each stream; it depends only on the model's
 * symbols, the dictionary, the LM and its weight, so streams share it. */
typedef struct {
    char *symbols; /* the model's symbols, joined by newlines */
    uint64_t lm_id;
    float lm_alpha;
    asr_vocabulary *v;
} cached;

typedef struct {
    cached e[CACHE_SIZE];
    unsigned next; /* the slot to replace next */
} vocabulary_cache;

static void free_cache(void *data) {
    vocabulary_cache *c = data;
    for (int i = 0; i < CACHE_SIZE; i++) {
        free(c->e[i].symbols);
        asr_vocabulary_free(c->e[i].v);
    }
    free(c);
}

static char *join_symbols(const char *const *symbols, int vocab_size) {
    size_t n = 1;
    for (int i = 0; i < vocab_size; i++)
        n += strlen(symbols[i]) + 1;
    char *s = malloc(n), *at = s;
    for (int i = 0; s && i < vocab_size; i++) {
        size_t len = strlen(symbols[i]);
        memcpy(at, symbols[i], len);
        at[len] = '\n';
        at += len + 1;
    }
    if (s) *at = '\0';
    return s;
}

/* The cached vocabulary for the key with a new reference, or NULL. */
static asr_vocabulary *find(vocabulary_cache *c, const char *symbols, uint64_t lm_id,
                            float lm_alpha) {
    for (int i = 0; c && i < CACHE_SIZE; i++) {
        cached *e = &c->e[i];
        if (e->v && e->lm_id == lm_id && e->lm_alpha == lm_alpha && !strcmp(e->symbols, symbols)) {
            atomic_fetch_add(&e->v->refs, 1);
            return e->v;
        }
    }
    return NULL;
}

asr_vocabulary *asr_vocabulary_new(const char *const *symbols, int vocab_size,
                                   const asr_decoder_words *w) {
    /* Word lists and hot words are the stream's own: built each time. */
    if (!w->dict || w->n_words || w->n_hotwords) return build(symbols, vocab_size, w);
    char *key = join_symbols(symbols, vocab_size);
    if (!key) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the vocabulary");
    uint64_t lm_id = w->lm ? asr_lm_id(w->lm) : 0;
    float lm_alpha = w->lm ? w->lm_alpha : 0;

    asr_dict_cache *slot = asr_dict_cache_lock(w->dict);
    asr_vocabulary *v = find(slot->data, key, lm_id, lm_alpha);
    asr_dict_cache_unlock(w->dict);
    if (v) {
        free(key);
        return v;
    }
    /* Built outside the lock: streams of other keys need not wait. Two
     * streams of one key may both build; the first to finish is kept. */
    v = build(symbols, vocab_size, w);
    if (!v) {
        free(key);
        return NULL;
    }
    slot = asr_dict_cache_lock(w->dict);
    if (!slot->data && (slot->data = calloc(1, sizeof(vocabulary_cache))))
        slot->free_fn = free_cache;
    vocabulary_cache *c = slot->data;
    asr_vocabulary *other = find(c, key, lm_id, lm_alpha);
    if (!other && c) {
        cached *e = &c->e[c->next];
        c->next = (c->next + 1) % CACHE_SIZE;
        free(e->symbols);
        asr_vocabulary_free(e->v);
        *e = (cached){key, lm_id, lm_alpha, v};
        key = NULL;
        atomic_fetch_add(&v->refs, 1); /* the cache's reference */
    }
    asr_dict_cache_unlock(w->dict);
    free(key);
    if (other) {
        asr_vocabulary_free(v);
        return other;
    }
    return v;
}

const asr_lexicon *asr_vocabulary_trie(const asr_vocabulary *v) {
    return v->trie;
}

const asr_ctc_phone_words *asr_vocabulary_words(const asr_vocabulary *v) {
    return &v->view;
}

const char *asr_vocabulary_word(const asr_vocabulary *v, int w) {
    return w >= 0 && (size_t)w < v->n_words ? v->words[w].text : NULL;
}

size_t asr_vocabulary_size(const asr_vocabulary *v) {
    return v->n_words;
}
