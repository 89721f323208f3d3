/* CTC prefix beam search over a prefix tree.
 *
 * Each live prefix is a tree node (parent + symbol), so extending a prefix
 * is O(1) and identical prefixes are the same node: merging is free. A node
 * holds log P(prefix) split into paths ending in a blank (b) and in its own
 * symbol (nb). Nodes are reference counted (children + beam/candidate
 * lists) and recycled through a free list; once every beam agrees on a
 * prefix ending in a space, that prefix is handed out as stable and the tree
 * above it is freed, so memory follows the unstable tail only. Beams still
 * disagreeing about a word ASR_CTC_MAX_LAG frames old are dropped: an early
 * near-tie would otherwise hold back the stable words (and keep the tail,
 * its memory and the work of every call growing) for the whole utterance.
 *
 * Timing: a node's own start/logprob/last describe its symbol as the end of
 * its prefix; a child copies them (p_*) when it is entered, so a path reads
 * each character's timing from its successor: what the path saw when it
 * went on. See docs/DECODING.md.
 *
 * Word scoring (shallow fusion, docs/LM.md): a node's text is fixed, so its
 * LM history, the weighted scores of its completed words (fused) and the
 * look-ahead of its partial word (ahead) are computed once, when the node
 * is made, and ranked with its acoustic score.
 *
 * Phone searches have no word separator: a prefix is a sequence of (phone,
 * starts a word?) pairs, so a phone can be entered in two ways, going on
 * with the partial word (its pronunciation must stay in the lexicon's
 * prefix tree) or, where the partial word is a complete pronunciation,
 * ending that word (scored by the LM, its homophone chosen) and starting
 * the next. Both are children of the same node and merge like any prefix. */
#include <math.h>
#include <stdlib.h>

#include "ctc.h"
#include "error.h"

typedef struct {
    int parent, child, sibling; /* tree links; -1 for none */
    int prev_sibling;           /* so that a child leaves its parent in O(1) */
    int sym, depth, refs;
    int start, last; /* frames: emitted, and last seen ending the prefix */
    float logprob;   /* log-prob of sym at start */
    int p_start, p_last;
    float p_logprob; /* the parent's timing when this node was last entered */
    double b, nb;    /* log P(prefix) over paths ending in blank / in sym */
    /* The frame being decoded: paths that stay in this prefix, and the
     * paths that enter it from the parent (one parent, so one value each). */
    double b_next, nb_stay, nb_enter;
    int queued;
    int lex, hot;    /* trie nodes of the partial word; -1: in no word */
    int word_start;  /* phone searches: sym begins a word, */
    int prev_word;   /* ending the vocabulary word prev_word (-1: none) */
    int word_len;    /* characters of the partial word */
    double fused;    /* completed words: weighted LM scores, bonuses, boosts */
    double ahead;    /* estimate for the partial word (or the next word) */
    asr_lm_state lm; /* the completed words the LM sees */
} node;

typedef struct {
    double score;
    int pos; /* index in cand: ties go to the earlier candidate */
} ranked;

/* A new child's word scoring, worked out before the node is made: small,
 * since it is set up for every candidate extension (zeroing a whole node
 * there was a seventh of the search's time). */
typedef struct {
    int lex, hot, word_start, prev_word, word_len;
    double fused, ahead;
    asr_lm_state lm;
} word_scoring;

struct asr_ctc_beam {
    int vocab, space, beam_size;
    float prune;
    node *nodes;
    int cap, n_free, free_list; /* free nodes are chained through sibling */
    int root;                   /* ancestor of every beam: the stable prefix ends here */
    int *beam, n_beam;          /* best first */
    int *cand, n_cand;
    ranked *rank;
    int *child_of; /* by symbol (+ vocab: starts a word), -1 between uses */
    int phones;    /* the search is over phones (fusion.phones) */
    int frame;
    int finished, final_word; /* after finish: the word the best beam ends with */
    asr_ctc_fusion fusion;
    int fusing;
    double ahead_root; /* look-ahead of a word not yet begun */
};

static double log_add(double a, double b) {
    if (a < b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

static asr_status reserve(asr_ctc_beam *b, int need) {
    if (b->n_free >= need) return ASR_OK;
    int cap = b->cap * 2 + need;
    node *nodes = realloc(b->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return asr_error(ASR_ERR_NOMEM, "out of memory for %d beam search nodes", cap);
    b->nodes = nodes;
    for (int i = b->cap; i < cap; i++) {
        nodes[i].sibling = b->free_list;
        b->free_list = i;
    }
    b->n_free += cap - b->cap;
    b->cap = cap;
    return ASR_OK;
}

/* A node has up to two children per symbol, made and dropped every frame:
 * walking the sibling list to find one was a third of the search's time. */
static void unlink_child(asr_ctc_beam *b, int parent, int i) {
    node *n = &b->nodes[i];
    if (n->prev_sibling >= 0)
        b->nodes[n->prev_sibling].sibling = n->sibling;
    else
        b->nodes[parent].child = n->sibling;
    if (n->sibling >= 0) b->nodes[n->sibling].prev_sibling = n->prev_sibling;
}

/* Drops one reference; frees the node and, in turn, ancestors left unused. */
static void release(asr_ctc_beam *b, int i) {
    while (i >= 0 && --b->nodes[i].refs == 0) {
        int parent = b->nodes[i].parent;
        if (parent >= 0) unlink_child(b, parent, i);
        b->nodes[i].sibling = b->free_list;
        b->free_list = i;
        b->n_free++;
        i = parent;
    }
}

/* Field by field: a compound literal zeroed the whole node with a slow
 * string store (a tenth of the search's time). The next free node is
 * fetched ahead: free nodes lie anywhere, and reading one missed the cache
 * (another tenth). */
static int new_node(asr_ctc_beam *b, int parent, int sym) {
    int i = b->free_list;
    node *n = &b->nodes[i];
    b->free_list = n->sibling;
    b->n_free--;
    if (b->free_list >= 0) __builtin_prefetch(&b->nodes[b->free_list]);
    n->parent = parent;
    n->child = n->sibling = n->prev_sibling = -1;
    n->sym = sym;
    n->depth = n->refs = 0;
    n->start = n->last = n->p_start = n->p_last = -1;
    n->logprob = n->p_logprob = 0.0f;
    n->b = n->nb = n->b_next = n->nb_stay = n->nb_enter = 0.0;
    n->queued = 0;
    n->lex = n->hot = 0;
    n->word_start = n->word_len = 0;
    n->prev_word = -1;
    n->fused = n->ahead = 0.0;
    n->lm = (asr_lm_state){0};
    if (parent >= 0) {
        node *p = &b->nodes[parent];
        n->sibling = p->child;
        if (p->child >= 0) b->nodes[p->child].prev_sibling = i;
        n->depth = p->depth + 1;
        p->child = i;
        p->refs++;
    }
    return i;
}

static void queue(asr_ctc_beam *b, int i) {
    node *n = &b->nodes[i];
    if (n->queued) return;
    n->queued = 1;
    n->refs++;
    n->b_next = n->nb_stay = n->nb_enter = -INFINITY;
    b->cand[b->n_cand++] = i;
}

/* The score beams are ranked by: acoustic plus word scores (0 without). */
static double rank_score(const node *n) {
    return log_add(n->b_next, log_add(n->nb_stay, n->nb_enter)) + n->fused + n->ahead;
}

static int word_pending(const asr_ctc_beam *b, const node *n) {
    return n->sym != 0 && n->sym != b->space;
}

/* Where a prefix may be cut between words: after a space, or (phones)
 * before a phone that starts a word. */
static int is_boundary(const asr_ctc_beam *b, const node *n) {
    return b->phones ? n->word_start : n->sym == b->space;
}

/* The best homophone of the complete pronunciation at n, its score (LM,
 * bonus, boost) and the LM history after it; 0 when n's partial word is
 * not a complete pronunciation. At the end of the utterance the sentence
 * end is part of the choice (and of the score): alone, "two" and "four"
 * end a sentence far more often than "to" and "for" do. */
static int finish_phone_word(const asr_ctc_beam *b, const node *n, int at_end, double *score,
                             asr_lm_state *lm, int *word) {
    const asr_ctc_fusion *f = &b->fusion;
    int32_t g;
    if (n->lex < 0 || !asr_lexicon_word(f->lexicon, n->lex, &g, NULL)) return 0;
    const asr_ctc_phone_words *pw = f->phone_words;
    *score = -INFINITY;
    for (int32_t k = pw->group_first[g]; k < pw->group_first[g + 1]; k++) {
        int32_t w = pw->group_words[k];
        asr_lm_state after = n->lm;
        double s = pw->word_boost[w];
        if (f->lm) {
            s += f->lm_weight * asr_lm_score(f->lm, &n->lm, pw->word_lm[w], &after) + f->word_bonus;
            if (at_end) s += f->lm_weight * asr_lm_end(f->lm, &after);
        }
        if (s > *score) {
            *score = s;
            *lm = after;
            *word = w;
        }
    }
    return 1;
}

/* A parent's word as finished, worked out once for all its children that
 * start a new word (the LM queries are most of the search's cost). */
typedef struct {
    int state; /* 0: not yet known, 1: a word, -1: not a word */
    double score;
    asr_lm_state lm;
    int word;
} finished_word;

/* Word scoring of parent's child for phone c, starting a word or not. */
static int fuse_phone(const asr_ctc_beam *b, const node *parent, int c, int starts,
                      finished_word *fin, word_scoring *out) {
    const asr_ctc_fusion *f = &b->fusion;
    int from = parent->lex;
    out->lm = parent->lm;
    out->fused = parent->fused;
    out->prev_word = -1;
    if (starts) {
        if (!fin->state)
            fin->state =
                finish_phone_word(b, parent, 0, &fin->score, &fin->lm, &fin->word) ? 1 : -1;
        if (fin->state < 0) return 0;
        out->fused += fin->score;
        out->lm = fin->lm;
        out->prev_word = fin->word;
        from = ASR_LEXICON_ROOT;
    }
    char sym[2] = {(char)c, 0};
    out->lex = from >= 0 ? asr_lexicon_next(f->lexicon, from, sym) : -1;
    if (out->lex < 0) return 0;
    out->word_start = starts;
    out->hot = -1;
    out->ahead = asr_lexicon_best(f->lexicon, out->lex);
    return 1;
}

/* log10 cost of spelling an unknown word of len characters. */
static double oov_spelling(int len) {
    return ASR_LM_OOV_PER_CHAR * len;
}

/* The score of n's partial word as a finished word, and the LM history
 * after it; 0 when it cannot be a word (restricted vocabulary). */
static int finish_word(const asr_ctc_beam *b, const node *n, double *score, asr_lm_state *lm) {
    const asr_ctc_fusion *f = &b->fusion;
    int32_t id = -1;
    int known = f->lexicon && n->lex >= 0 && asr_lexicon_word(f->lexicon, n->lex, &id, NULL);
    if (f->restrict_words && !known) return 0;
    *score = 0;
    *lm = n->lm;
    if (f->lm)
        *score += f->lm_weight * asr_lm_score(f->lm, &n->lm, known ? id : -1, lm) + f->word_bonus;
    if (f->lm && !known) *score += f->lm_weight * oov_spelling(n->word_len);
    float boost;
    if (f->hot && n->hot >= 0 && asr_lexicon_word(f->hot, n->hot, NULL, &boost)) *score += boost;
    return 1;
}

/* Word scoring of parent's child for symbol c, into *out; 0 when that
 * child cannot be (it leaves the restricted vocabulary). */
static int fuse(const asr_ctc_beam *b, const node *parent, int c, word_scoring *out) {
    const asr_ctc_fusion *f = &b->fusion;
    if (c == b->space) {
        if (!word_pending(b, parent)) {
            *out = (word_scoring){.lex = parent->lex,
                                  .hot = parent->hot,
                                  .word_start = parent->word_start,
                                  .prev_word = parent->prev_word,
                                  .word_len = parent->word_len,
                                  .fused = parent->fused,
                                  .ahead = parent->ahead,
                                  .lm = parent->lm};
            return 1;
        }
        double score;
        if (!finish_word(b, parent, &score, &out->lm)) return 0;
        out->fused = parent->fused + score;
        out->word_len = 0;
        out->lex = f->lexicon ? ASR_LEXICON_ROOT : -1;
        out->hot = f->hot ? ASR_LEXICON_ROOT : -1;
        out->ahead = b->ahead_root;
        return 1;
    }
    const char *spelling = f->symbols[c];
    out->lm = parent->lm;
    out->fused = parent->fused;
    out->word_len = word_pending(b, parent) ? parent->word_len + 1 : 1;
    out->lex =
        f->lexicon && parent->lex >= 0 ? asr_lexicon_next(f->lexicon, parent->lex, spelling) : -1;
    if (out->lex < 0 && f->restrict_words) return 0;
    out->ahead = 0;
    if (f->lm)
        out->ahead =
            f->lm_weight * (out->lex >= 0 ? asr_lexicon_best(f->lexicon, out->lex)
                                          : asr_lm_oov_score(f->lm) + oov_spelling(out->word_len));
    out->hot = f->hot && parent->hot >= 0 ? asr_lexicon_next(f->hot, parent->hot, spelling) : -1;
    /* Partial credit keeps a hot word alive while it is spelled; the word
     * itself gets the full boost (or penalty) when it is finished. */
    if (out->hot >= 0) out->ahead += fmax(0.0, asr_lexicon_best(f->hot, out->hot));
    return 1;
}

static int by_score(const void *pa, const void *pb) {
    const ranked *x = pa, *y = pb;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->pos - y->pos;
}

static int ranks_before(const ranked *x, const ranked *y) {
    return by_score(x, y) < 0;
}

/* Moves the k best of r[0..n) to the front, in no order (quickselect): a
 * frame has several hundred candidates and only the beam needs sorting. The
 * order is total (ties go by position), so the set is what a full sort keeps. */
static void select_best(ranked *r, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi && k > lo && k <= hi) {
        ranked pivot = r[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (ranks_before(&r[i], &pivot))
                i++;
            while (ranks_before(&pivot, &r[j]))
                j--;
            if (i <= j) {
                ranked t = r[i];
                r[i++] = r[j];
                r[j--] = t;
            }
        }
        if (k <= j + 1)
            hi = j;
        else if (k > i - 1)
            lo = i;
        else
            break;
    }
}

static int child_key(const asr_ctc_beam *b, const node *n) {
    return n->sym + (n->word_start ? b->vocab : 0);
}

/* One frame of prefix beam search; nodes for it are reserved. */
static void step(asr_ctc_beam *b, const float *lp) {
    int best = 0;
    for (int c = 1; c < b->vocab; c++)
        if (lp[c] > lp[best]) best = c;

    b->n_cand = 0;
    for (int k = 0; k < b->n_beam; k++) {
        int l = b->beam[k];
        queue(b, l);
        node *n = &b->nodes[l];
        double total = log_add(n->b, n->nb);
        if (lp[0] >= b->prune || best == 0) n->b_next = total + lp[0];
        if (n->sym != 0 && (lp[n->sym] >= b->prune || best == n->sym))
            n->nb_stay = n->nb + lp[n->sym];

        for (int j = n->child; j >= 0; j = b->nodes[j].sibling)
            b->child_of[child_key(b, &b->nodes[j])] = j;
        finished_word fin = {0};
        for (int c = 1; c < b->vocab; c++) {
            if (lp[c] < b->prune && c != best) continue;
            /* A repeated symbol starts a new character only after a blank. */
            double enter = (c == n->sym ? n->b : total) + lp[c];
            if (enter == -INFINITY) continue;
            for (int starts = 0; starts <= b->phones; starts++) {
                int key = c + (starts ? b->vocab : 0);
                int j = b->child_of[key];
                if (j < 0) {
                    /* The one place where prefixes are extended. */
                    word_scoring words = {.prev_word = -1};
                    if (b->phones ? !fuse_phone(b, n, c, starts, &fin, &words)
                                  : b->fusing && !fuse(b, n, c, &words))
                        continue;
                    j = new_node(b, l, c);
                    node *m = &b->nodes[j];
                    m->lex = words.lex, m->hot = words.hot, m->lm = words.lm;
                    m->word_len = words.word_len;
                    m->fused = words.fused, m->ahead = words.ahead;
                    m->word_start = words.word_start, m->prev_word = words.prev_word;
                    b->child_of[key] = j;
                }
                queue(b, j);
                b->nodes[j].nb_enter = enter;
            }
        }
        for (int j = n->child; j >= 0; j = b->nodes[j].sibling)
            b->child_of[child_key(b, &b->nodes[j])] = -1;
    }

    for (int k = 0; k < b->n_cand; k++) {
        node *n = &b->nodes[b->cand[k]];
        n->queued = 0;
        b->rank[k] = (ranked){rank_score(n), k};
    }
    int keep = b->n_cand < b->beam_size ? b->n_cand : b->beam_size;
    select_best(b->rank, b->n_cand, keep);
    qsort(b->rank, (size_t)keep, sizeof *b->rank, by_score);
    for (int k = keep; k < b->n_cand; k++)
        release(b, b->cand[b->rank[k].pos]);
    for (int k = 0; k < b->n_beam; k++)
        release(b, b->beam[k]);
    b->n_beam = keep;
    for (int k = 0; k < keep; k++)
        b->beam[k] = b->cand[b->rank[k].pos];

    /* A prefix entered mostly at this frame is re-timed to it and takes its
     * parent's timing, read before any node moves to this frame. */
    for (int k = 0; k < keep; k++) {
        node *n = &b->nodes[b->beam[k]];
        if (n->nb_enter > log_add(n->b_next, n->nb_stay)) {
            const node *p = &b->nodes[n->parent];
            n->p_start = p->start;
            n->p_last = p->last;
            n->p_logprob = p->logprob;
        }
    }
    for (int k = 0; k < keep; k++) {
        node *n = &b->nodes[b->beam[k]];
        if (n->nb_enter > log_add(n->b_next, n->nb_stay)) {
            n->start = b->frame;
            n->logprob = lp[n->sym];
        }
        n->b = n->b_next;
        n->nb = log_add(n->nb_stay, n->nb_enter);
        if (n->nb > n->b) n->last = b->frame;
    }
}

/* Appends the characters on the path (from, to], reading each one's timing
 * (and the word it ends) from its successor on the path; last_word is the
 * word that to itself ends (-1: none). */
static asr_status path_chars(const asr_ctc_beam *b, int from, int to, int last_word,
                             asr_ctc_chars *out) {
    size_t first = out->n;
    int start = b->nodes[to].start, last = b->nodes[to].last;
    float logprob = b->nodes[to].logprob;
    int word = last_word;
    for (int i = to; i != from; i = b->nodes[i].parent) {
        const node *n = &b->nodes[i];
        asr_status st =
            asr_ctc_chars_push(out, (asr_ctc_char){n->sym, start, last + 1, logprob, word});
        if (st != ASR_OK) return st;
        start = n->p_start;
        last = n->p_last;
        logprob = n->p_logprob;
        word = n->word_start ? n->prev_word : -1;
    }
    for (size_t i = first, j = out->n; i + 1 < j; i++, j--) {
        asr_ctc_char t = out->v[i];
        out->v[i] = out->v[j - 1];
        out->v[j - 1] = t;
    }
    return ASR_OK;
}

static int common_ancestor(const asr_ctc_beam *b, int x, int y) {
    while (b->nodes[x].depth > b->nodes[y].depth)
        x = b->nodes[x].parent;
    while (b->nodes[y].depth > b->nodes[x].depth)
        y = b->nodes[y].parent;
    while (x != y) {
        x = b->nodes[x].parent;
        y = b->nodes[y].parent;
    }
    return x;
}

/* Drops the beams that disagree with the best one before its latest word
 * boundary older than ASR_CTC_MAX_LAG frames. */
static void force_agreement(asr_ctc_beam *b) {
    int s = b->beam[0];
    while (s != b->root &&
           (!is_boundary(b, &b->nodes[s]) || b->nodes[s].start + ASR_CTC_MAX_LAG > b->frame))
        s = b->nodes[s].parent;
    if (s == b->root) return;
    int kept = 0;
    for (int k = 0; k < b->n_beam; k++) {
        int i = b->beam[k];
        while (b->nodes[i].depth > b->nodes[s].depth)
            i = b->nodes[i].parent;
        if (i == s)
            b->beam[kept++] = b->beam[k];
        else
            release(b, b->beam[k]);
    }
    b->n_beam = kept;
}

/* Hands out the words all beams agree on and frees the tree above them. */
static asr_status advance_root(asr_ctc_beam *b, asr_ctc_chars *stable) {
    force_agreement(b);
    int a = b->beam[0];
    for (int k = 1; k < b->n_beam; k++)
        a = common_ancestor(b, a, b->beam[k]);
    while (a != b->root && !is_boundary(b, &b->nodes[a]))
        a = b->nodes[a].parent;
    int last_word = -1;
    if (b->phones && a != b->root) { /* the word ends at the boundary's parent */
        last_word = b->nodes[a].prev_word;
        a = b->nodes[a].parent;
    }
    if (a == b->root) return ASR_OK;
    asr_status st = path_chars(b, b->root, a, last_word, stable);
    if (st != ASR_OK) return st;
    int parent = b->nodes[a].parent;
    unlink_child(b, parent, a);
    b->nodes[a].parent = -1;
    release(b, parent);
    b->root = a;
    return ASR_OK;
}

asr_ctc_beam *asr_ctc_beam_new(int vocab_size, int space, int beam_size, float prune) {
    asr_ctc_beam *b = calloc(1, sizeof *b);
    if (!b) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the beam search");
    b->vocab = vocab_size;
    b->space = space;
    b->beam_size = beam_size;
    b->prune = prune;
    size_t n_cand = 2 * (size_t)beam_size * (size_t)vocab_size;
    b->beam = malloc((size_t)beam_size * sizeof *b->beam);
    b->cand = malloc(n_cand * sizeof *b->cand);
    b->rank = malloc(n_cand * sizeof *b->rank);
    b->child_of = malloc(2 * (size_t)vocab_size * sizeof *b->child_of);
    if (!b->beam || !b->cand || !b->rank || !b->child_of || reserve(b, (int)n_cand) != ASR_OK) {
        asr_ctc_beam_free(b);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for a beam of %d", beam_size);
    }
    for (int c = 0; c < 2 * vocab_size; c++)
        b->child_of[c] = -1;
    asr_ctc_beam_reset(b);
    return b;
}

void asr_ctc_beam_free(asr_ctc_beam *b) {
    if (!b) return;
    free(b->nodes);
    free(b->beam);
    free(b->cand);
    free(b->rank);
    free(b->child_of);
    free(b);
}

void asr_ctc_beam_reset(asr_ctc_beam *b) {
    b->free_list = -1;
    for (int i = b->cap - 1; i >= 0; i--) {
        b->nodes[i].sibling = b->free_list;
        b->free_list = i;
    }
    b->n_free = b->cap;
    b->root = new_node(b, -1, 0);
    node *r = &b->nodes[b->root];
    r->refs = 1;
    r->b = 0;
    r->nb = -INFINITY;
    const asr_ctc_fusion *f = &b->fusion;
    r->lex = f->lexicon ? ASR_LEXICON_ROOT : -1;
    r->hot = f->hot ? ASR_LEXICON_ROOT : -1;
    if (f->lm) asr_lm_begin(f->lm, &r->lm);
    b->ahead_root = f->lm && f->lexicon && asr_lexicon_size(f->lexicon)
                        ? f->lm_weight * asr_lexicon_best(f->lexicon, ASR_LEXICON_ROOT)
                        : 0;
    r->ahead = b->ahead_root;
    b->beam[0] = b->root;
    b->n_beam = 1;
    b->frame = 0;
    b->finished = 0;
    b->final_word = -1;
}

asr_status asr_ctc_beam_accept(asr_ctc_beam *b, const float *logprobs, size_t n_frames,
                               asr_ctc_chars *stable) {
    for (size_t f = 0; f < n_frames; f++, b->frame++) {
        asr_status st = reserve(b, b->n_beam * (b->vocab - 1) * (1 + b->phones));
        if (st != ASR_OK) return st;
        step(b, logprobs + f * (size_t)b->vocab);
        if ((st = advance_root(b, stable)) != ASR_OK) return st;
    }
    return ASR_OK;
}

/* The beam a partial shows: the best one with the word it ends in scored
 * as a finished word (by the LM in its context) where it can be one, in
 * place of the look-ahead the search ranks it by. The final result scores
 * the last word so; ranked by look-ahead alone, a partial such as "in you
 * york" became "in new york" only at the end (word emission before and
 * after: docs/DECODING.md). A phone partial's last word, a choice among
 * homophones, is in *word (-1 for characters). */
static int partial_beam(const asr_ctc_beam *b, int *word) {
    int best = b->beam[0];
    double best_score = -INFINITY;
    *word = -1;
    for (int k = 0; k < b->n_beam; k++) {
        const node *n = &b->nodes[b->beam[k]];
        double score = log_add(n->b, n->nb) + n->fused, last;
        asr_lm_state lm;
        int w = -1;
        /* As if more words followed (most partials are mid-sentence): as if
         * the utterance ended here, "to" showed as "two" until the next word. */
        if (b->phones ? n->sym != 0 && finish_phone_word(b, n, 0, &last, &lm, &w)
                      : word_pending(b, n) && finish_word(b, n, &last, &lm))
            score += last;
        else
            score += n->ahead;
        if (score > best_score) best_score = score, best = b->beam[k], *word = w;
    }
    return best;
}

asr_status asr_ctc_beam_tail(const asr_ctc_beam *b, asr_ctc_chars *tail) {
    tail->n = 0;
    int last_word = b->final_word, shown = b->beam[0];
    /* A phone partial's word shows once it is a word, so it is always
     * chosen here; a character partial is left as ranked without an LM. */
    if (!b->finished && (b->phones || b->fusion.lm)) shown = partial_beam(b, &last_word);
    return path_chars(b, b->root, shown, last_word, tail);
}

size_t asr_ctc_beam_node_count(const asr_ctc_beam *b) {
    return (size_t)b->cap;
}

void asr_ctc_beam_set_fusion(asr_ctc_beam *b, const asr_ctc_fusion *f) {
    b->fusion = *f;
    b->fusing = f->lm || f->lexicon || f->hot || f->phones;
    b->phones = f->phones;
    asr_ctc_beam_reset(b);
}

void asr_ctc_beam_finish(asr_ctc_beam *b) {
    b->finished = 1;
    if (!b->fusing) return;
    for (int k = 0; k < b->n_beam; k++) {
        const node *n = &b->nodes[b->beam[k]];
        double score = log_add(n->b, n->nb) + n->fused, last = 0;
        asr_lm_state lm = n->lm;
        int word = -1;
        int ended = 0; /* the sentence end is in last already */
        if (b->phones) {
            if (n->sym != 0 && !(ended = finish_phone_word(b, n, 1, &last, &lm, &word)))
                last = -INFINITY;
        } else if (word_pending(b, n) && !finish_word(b, n, &last, &lm)) {
            last = -INFINITY;
        }
        score += last;
        if (b->fusion.lm && !ended) score += b->fusion.lm_weight * asr_lm_end(b->fusion.lm, &lm);
        b->rank[k] = (ranked){score, k};
    }
    qsort(b->rank, (size_t)b->n_beam, sizeof *b->rank, by_score);
    /* With a restricted vocabulary every beam may end inside a non-word:
     * the best then ends at its last finished word. */
    if (b->rank[0].score == -INFINITY) {
        int a = b->beam[0];
        if (b->phones) {
            while (a != b->root && !b->nodes[a].word_start)
                a = b->nodes[a].parent;
            if (a != b->root) {
                b->final_word = b->nodes[a].prev_word;
                a = b->nodes[a].parent;
            }
        } else {
            while (a != b->root && word_pending(b, &b->nodes[a]))
                a = b->nodes[a].parent;
        }
        b->nodes[a].refs++;
        release(b, b->beam[0]);
        b->beam[0] = a;
        return;
    }
    for (int k = 0; k < b->n_beam; k++)
        b->cand[k] = b->beam[b->rank[k].pos];
    for (int k = 0; k < b->n_beam; k++)
        b->beam[k] = b->cand[k];
    if (b->phones) {
        double score;
        asr_lm_state lm;
        const node *n = &b->nodes[b->beam[0]];
        if (n->sym == 0 || !finish_phone_word(b, n, 1, &score, &lm, &b->final_word))
            b->final_word = -1;
    }
}
