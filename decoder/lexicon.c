/* Byte trie in breadth-first order (see lexicon.h): a node's children are
 * consecutive nodes, so finding one is a short scan of their bytes, every
 * child comes after its parent (the look-ahead scores fill in one backward
 * pass), and the arrays can be stored in an LM file and used in place. */
#include "lexicon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct asr_lexicon {
    uint32_t n_nodes;
    size_t n_words;
    const uint32_t *first;
    const uint8_t *byte;
    const int32_t *word;   /* built: entry index; view: the id itself */
    const float *best;     /* built */
    const int16_t *best_q; /* view: log10 x 1000 */
    const int32_t *ids;    /* built: per entry */
    const float *scores;
    void *own[6]; /* what asr_lexicon_free frees */
    /* The root's child by byte (-1: none). Every word of a phone search
     * starts there, among ~40 children: a scan per candidate was most of
     * the trie's cost. */
    int32_t root_child[256];
};

static void index_root(asr_lexicon *x) {
    for (int c = 0; c < 256; c++)
        x->root_child[c] = -1;
    for (uint32_t k = x->first[ASR_LEXICON_ROOT]; k < x->first[ASR_LEXICON_ROOT + 1]; k++)
        if (x->root_child[x->byte[k]] < 0) x->root_child[x->byte[k]] = (int32_t)k;
}

typedef struct {
    const char *s;
    size_t len;
    int32_t id;
    float score;
} item;

static int by_text_then_score(const void *pa, const void *pb) {
    const item *a = pa, *b = pb;
    int c = strcmp(a->s, b->s);
    if (c) return c;
    return (a->score < b->score) - (a->score > b->score);
}

void asr_lexicon_free(asr_lexicon *x) {
    if (!x) return;
    for (size_t i = 0; i < sizeof x->own / sizeof *x->own; i++)
        free(x->own[i]);
    free(x);
}

/* Sorted, de-duplicated words (the best-scored of equal ones kept). */
static item *sorted_items(const asr_lexicon_entry *e, size_t n, size_t *n_out, size_t *bytes) {
    item *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = e[i].word ? strlen(e[i].word) : 0;
        if (len == 0 || len > ASR_LEXICON_MAX_WORD) continue;
        v[m++] = (item){e[i].word, len, e[i].id, e[i].score};
    }
    qsort(v, m, sizeof *v, by_text_then_score);
    size_t k = 0;
    *bytes = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && strcmp(v[k - 1].s, v[i].s) == 0) continue;
        v[k++] = v[i];
        *bytes += v[i].len;
    }
    *n_out = k;
    return v;
}

asr_lexicon *asr_lexicon_new(const asr_lexicon_entry *entries, size_t n) {
    if (!entries && n) return asr_error_null(ASR_ERR_ARG, "lexicon: NULL entries");
    size_t n_words = 0, bytes = 0;
    item *w = sorted_items(entries, n, &n_words, &bytes);
    asr_lexicon *x = calloc(1, sizeof *x);
    /* Nodes: at most one per byte, plus the root. */
    size_t cap = bytes + 1;
    int32_t *lo = malloc(cap * sizeof *lo), *hi = malloc(cap * sizeof *hi);
    uint32_t *first = NULL;
    uint8_t *byte = NULL;
    int32_t *word = NULL, *ids = NULL;
    float *best = NULL, *scores = NULL;
    if (x && cap < UINT32_MAX) {
        x->own[0] = first = malloc((cap + 1) * sizeof *first);
        x->own[1] = byte = malloc(cap);
        x->own[2] = word = malloc(cap * sizeof *word);
        x->own[3] = best = malloc(cap * sizeof *best);
        x->own[4] = ids = malloc((n_words + 1) * sizeof *ids);
        x->own[5] = scores = malloc((n_words + 1) * sizeof *scores);
    }
    if (!w || !x || !lo || !hi || !first || !byte || !word || !best || !ids || !scores) {
        free(w), free(lo), free(hi);
        asr_lexicon_free(x);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for a lexicon of %zu words", n);
    }
    for (size_t i = 0; i < n_words; i++) {
        ids[i] = w[i].id;
        scores[i] = w[i].score;
    }
    /* Node i covers the words [lo, hi), which share its prefix of depth
     * bytes (depth is borrowed from best until the scores go in). Nodes are
     * numbered in the order they are made, level by level. */
    uint32_t n_nodes = 1;
    int32_t *depth = (int32_t *)best;
    lo[0] = 0, hi[0] = (int32_t)n_words, depth[0] = 0;
    byte[0] = 0;
    for (uint32_t i = 0; i < n_nodes; i++) {
        int32_t a = lo[i], b = hi[i];
        size_t d = (size_t)depth[i];
        word[i] = a < b && w[a].len == d ? a++ : -1; /* sorted: the word itself first */
        first[i] = n_nodes;
        while (a < b) {
            unsigned char c = (unsigned char)w[a].s[d];
            int32_t e = a + 1;
            while (e < b && (unsigned char)w[e].s[d] == c)
                e++;
            byte[n_nodes] = c;
            lo[n_nodes] = a, hi[n_nodes] = e, depth[n_nodes] = (int32_t)d + 1;
            n_nodes++;
            a = e;
        }
    }
    first[n_nodes] = n_nodes;
    for (uint32_t i = n_nodes; i-- > 0;) {
        float b = word[i] >= 0 ? scores[word[i]] : -INFINITY;
        for (uint32_t c = first[i]; c < first[i + 1]; c++)
            if (best[c] > b) b = best[c];
        best[i] = b;
    }
    free(w), free(lo), free(hi);
    x->n_nodes = n_nodes;
    x->n_words = n_words;
    x->first = first, x->byte = byte, x->word = word, x->best = best;
    x->ids = ids, x->scores = scores;
    index_root(x);
    return x;
}

asr_lexicon *asr_lexicon_view(uint32_t n_nodes, const uint32_t *first, const uint8_t *byte,
                              const int32_t *word, const int16_t *best) {
    asr_lexicon *x = calloc(1, sizeof *x);
    if (!x) return asr_error_null(ASR_ERR_NOMEM, "out of memory");
    x->n_nodes = n_nodes;
    for (uint32_t i = 0; i < n_nodes; i++)
        x->n_words += word[i] >= 0;
    x->first = first, x->byte = byte, x->word = word, x->best_q = best;
    index_root(x);
    return x;
}

size_t asr_lexicon_size(const asr_lexicon *x) {
    return x->n_words;
}

uint32_t asr_lexicon_nodes(const asr_lexicon *x) {
    return x->n_nodes;
}

void asr_lexicon_export(const asr_lexicon *x, uint32_t *first, uint8_t *byte, int32_t *word,
                        int16_t *best) {
    for (uint32_t i = 0; i < x->n_nodes; i++) {
        first[i] = x->first[i];
        byte[i] = x->byte[i];
        int32_t k = x->word[i];
        word[i] = k < 0 ? -1 : x->ids ? x->ids[k] : k;
        double q = round((double)asr_lexicon_best(x, (int)i) * 1000.0);
        best[i] = (int16_t)(q > 32767 ? 32767 : q < -32767 ? -32767 : q);
    }
    first[x->n_nodes] = x->first[x->n_nodes];
}

int asr_lexicon_next(const asr_lexicon *x, int node, const char *s) {
    if (node == ASR_LEXICON_ROOT && *s) node = x->root_child[(uint8_t)*s++];
    for (; *s && node >= 0; s++) {
        uint8_t c = (uint8_t)*s;
        uint32_t a = x->first[node], b = x->first[node + 1];
        node = -1;
        for (uint32_t k = a; k < b; k++)
            if (x->byte[k] == c) {
                node = (int)k;
                break;
            }
    }
    return node;
}

int asr_lexicon_word(const asr_lexicon *x, int node, int32_t *id, float *score) {
    int32_t k = x->word[node];
    if (k < 0) return 0;
    if (id) *id = x->ids ? x->ids[k] : k;
    if (score) *score = x->scores ? x->scores[k] : 0.0f;
    return 1;
}

float asr_lexicon_best(const asr_lexicon *x, int node) {
    return x->best ? x->best[node] : (float)x->best_q[node] / 1000.0f;
}
