/* CTC decoders on hand-made posteriors whose answers are known by
 * construction, and against a brute-force search over all label sequences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctc.h"
#include "decoder.h"

/* In patterns, '_' is the blank and 'e' stands for the two-byte "é". */
static const char *const VOCAB[] = {"", " ", "a", "b", "é"};
static const char PATTERN[] = "_ abe";
enum { V = 5, SPACE = 1 };

/* ---- posteriors ---------------------------------------------------------- */

static uint64_t rng_state;

static double uniform(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static int rand_int(int n) {
    return (int)(uniform() * n);
}

/* One frame: probability p on sym, the rest split at random over the others. */
static void random_frame(float *row, int vocab, int sym, double p) {
    double w[16], sum = 0;
    for (int c = 0; c < vocab; c++)
        sum += w[c] = c == sym ? 0 : -log(uniform());
    for (int c = 0; c < vocab; c++)
        row[c] = (float)log(c == sym ? p : (1 - p) * w[c] / sum);
}

/* Frames whose best symbols spell pattern, with peak[t] on them (or 0.9). */
static float *pattern_frames(const char *pattern, const double *peak) {
    size_t n = strlen(pattern);
    float *lp = malloc((n ? n : 1) * V * sizeof *lp);
    for (size_t t = 0; t < n; t++) {
        int sym = (int)(strchr(PATTERN, pattern[t]) - PATTERN);
        double p = peak ? peak[t] : 0.9;
        for (int c = 0; c < V; c++)
            lp[t * V + c] = (float)log(c == sym ? p : (1 - p) / (V - 1));
    }
    return lp;
}

/* Speech-like posteriors: blank runs, character runs and spaces, with the
 * spoken symbol at a peak in [lo, hi] (not always the best when lo < 0.5). */
static float *speechlike(int n_frames, int vocab, double lo, double hi) {
    float *lp = malloc((size_t)n_frames * vocab * sizeof *lp);
    for (int t = 0; t < n_frames;) {
        int sym = rand_int(2) ? 0 : (rand_int(4) ? 2 + rand_int(vocab - 2) : SPACE);
        for (int run = 1 + rand_int(sym ? 3 : 4); run > 0 && t < n_frames; run--, t++)
            random_frame(lp + (size_t)t * vocab, vocab, sym, lo + (hi - lo) * uniform());
    }
    return lp;
}

/* ---- decoding helpers ------------------------------------------------------ */

/* The symbol array is freed at once: the decoder must keep its own copy. */
static asr_decoder *new_decoder(int beam_size, float prune) {
    asr_decoder_params params = {beam_size, prune, 0};
    const char **symbols = malloc(sizeof VOCAB);
    memcpy(symbols, VOCAB, sizeof VOCAB);
    asr_decoder *d = asr_decoder_new(symbols, V, &params);
    free(symbols);
    assert_non_null(d);
    return d;
}

typedef struct {
    size_t n, n_stable;
    asr_decoded_word *w;
} words;

static void copy_words(words *out, const asr_decoded *r) {
    assert_non_null(r);
    out->w = malloc((r->n_words + 1) * sizeof *out->w);
    out->n = r->n_words;
    out->n_stable = r->n_stable;
    for (size_t i = 0; i < r->n_words; i++) {
        out->w[i] = r->words[i];
        out->w[i].text = strdup(r->words[i].text);
    }
}

static void free_words(words *w) {
    for (size_t i = 0; i < w->n; i++)
        free(w->w[i].text);
    free(w->w);
    *w = (words){0};
}

/* Keeps the stable words only. */
static void keep_stable(words *w) {
    for (size_t i = w->n_stable; i < w->n; i++)
        free(w->w[i].text);
    w->n = w->n_stable;
}

static void assert_same_words(const asr_decoded_word *a, const asr_decoded_word *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].text, b[i].text);
        assert_int_equal(a[i].start_frame, b[i].start_frame);
        assert_int_equal(a[i].end_frame, b[i].end_frame);
        assert_true(a[i].confidence == b[i].confidence);
    }
}

/* Well-formed: non-empty words without spaces, ordered times, confidence in 0..1. */
static void assert_sane(const words *w, int n_frames) {
    for (size_t i = 0; i < w->n; i++) {
        const asr_decoded_word *x = &w->w[i];
        assert_true(x->text[0] && !strchr(x->text, ' '));
        assert_true(0 <= x->start_frame && x->start_frame < x->end_frame);
        assert_true(x->end_frame <= n_frames);
        if (i > 0) assert_true(w->w[i - 1].end_frame <= x->start_frame);
        assert_true(x->confidence >= 0 && x->confidence <= 1);
    }
}

/* Feeds chunks of chunk frames (0: random sizes, 0 included), finishes. */
static void decode(asr_decoder *d, const float *lp, int n_frames, int chunk, words *out) {
    for (int t = 0; t < n_frames;) {
        int n = chunk ? chunk : rand_int(12);
        if (n > n_frames - t) n = n_frames - t;
        assert_int_equal(asr_decoder_accept(d, lp + (size_t)t * V, (size_t)n), ASR_OK);
        t += n;
    }
    assert_int_equal(asr_decoder_finish(d), ASR_OK);
    copy_words(out, asr_decoder_best(d));
    assert_int_equal(out->n_stable, out->n);
}

/* Words joined by '|'. */
static const char *joined(const words *w) {
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < w->n; i++) {
        if (i) strcat(buf, "|");
        strcat(buf, w->w[i].text);
    }
    return buf;
}

/* Every symbol a search reports: stable ones, then the tail. */
static size_t search_chars(int beam_size, const float *lp, int n_frames, int vocab,
                           asr_ctc_chars *out) {
    asr_ctc_chars tail = {0};
    out->n = 0;
    if (beam_size == 0) {
        asr_ctc_greedy *g = asr_ctc_greedy_new(vocab, SPACE);
        assert_int_equal(asr_ctc_greedy_accept(g, lp, (size_t)n_frames, out), ASR_OK);
        assert_int_equal(asr_ctc_greedy_tail(g, &tail), ASR_OK);
        asr_ctc_greedy_free(g);
    } else {
        asr_ctc_beam *b = asr_ctc_beam_new(vocab, SPACE, beam_size, -INFINITY);
        assert_int_equal(asr_ctc_beam_accept(b, lp, (size_t)n_frames, out), ASR_OK);
        assert_int_equal(asr_ctc_beam_tail(b, &tail), ASR_OK);
        asr_ctc_beam_free(b);
    }
    for (size_t i = 0; i < tail.n; i++)
        assert_int_equal(asr_ctc_chars_push(out, tail.v[i]), ASR_OK);
    asr_ctc_chars_free(&tail);
    return out->n;
}

/* ---- greedy ---------------------------------------------------------------- */

static void test_greedy_collapse(void **state) {
    (void)state;
    /* Repeats merge unless a blank separates them; blanks vanish; any run
     * of spaces splits words and never makes an empty one. */
    static const char *const cases[][2] = {
        {"aa_a", "aa"},   {"aaa", "a"},          {"a_a", "aa"},   {"a__b", "ab"}, {"ab", "ab"},
        {"abab", "abab"}, {"ba_ab", "baab"},     {"e_ee", "éé"},  {"____", ""},   {"", ""},
        {"a  a", "a|a"},  {"  _a _ b  ", "a|b"}, {"a _ _ ", "a"}, {" ", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float *lp = pattern_frames(cases[i][0], NULL);
        asr_decoder *d = new_decoder(1, -10);
        words w;
        decode(d, lp, (int)strlen(cases[i][0]), 1000, &w);
        assert_string_equal(joined(&w), cases[i][1]);
        free_words(&w);
        asr_decoder_free(d);
        free(lp);
    }
}

/* Frames:      0    1    2    3    4    5    6    7    8    9    10   11   12   13   14 */
static const char TIMED[] = " _aab_ bb_b  ee";
static const double TIMED_PEAK[] = {.6, .9, .7, .95, .5, .9, .8, .6, .6, .9, .8, .9, .9, .4, .9};

static void test_greedy_times_and_confidence(void **state) {
    (void)state;
    float *lp = pattern_frames(TIMED, TIMED_PEAK);
    asr_decoder *d = new_decoder(1, -10);
    static const int stable_after[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2};
    for (int t = 0; t < 15; t++) {
        assert_int_equal(asr_decoder_accept(d, lp + t * V, 1), ASR_OK);
        assert_int_equal(asr_decoder_best(d)->n_stable, stable_after[t]);
    }
    const asr_decoded *r = asr_decoder_best(d);
    assert_int_equal(r->n_words, 3);
    assert_int_equal(asr_decoder_finish(d), ASR_OK);
    r = asr_decoder_best(d);
    assert_int_equal(r->n_words, 3);
    assert_int_equal(r->n_stable, 3);
    /* Start: first frame of the first character; end: one past the run of
     * the last one; confidence: mean posterior where each character began. */
    static const struct {
        const char *text;
        int start, end;
        double conf;
    } want[] = {{"ab", 2, 5, (.7 + .5) / 2}, {"bb", 7, 11, (.6 + .8) / 2}, {"é", 13, 15, .4}};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r->words[i].text, want[i].text);
        assert_int_equal(r->words[i].start_frame, want[i].start);
        assert_int_equal(r->words[i].end_frame, want[i].end);
        assert_float_equal(r->words[i].confidence, want[i].conf, 1e-6);
    }
    asr_decoder_free(d);
    free(lp);
}

/* One frame of P(blank) .6, P(a) .3: nothing without a penalty; with a
 * penalty of 1 the blank scores .6 / e = .22 < .3, so "a", whose confidence
 * is still its own posterior. The caller's frames are left as they were. */
static void test_blank_penalty(void **state) {
    (void)state;
    static const float probs[V] = {.6f, .05f, .3f, .03f, .02f};
    for (int beam = 1; beam <= 4; beam += 3) {
        for (int penalised = 0; penalised <= 1; penalised++) {
            float lp[V];
            for (int c = 0; c < V; c++)
                lp[c] = logf(probs[c]);
            asr_decoder_params params = {beam, -10, penalised ? 1.0f : 0.0f};
            asr_decoder *d = asr_decoder_new(VOCAB, V, &params);
            assert_non_null(d);
            assert_int_equal(asr_decoder_accept(d, lp, 1), ASR_OK);
            assert_int_equal(asr_decoder_finish(d), ASR_OK);
            const asr_decoded *r = asr_decoder_best(d);
            assert_int_equal(r->n_words, (size_t)penalised);
            if (penalised) {
                assert_string_equal(r->words[0].text, "a");
                assert_float_equal(r->words[0].confidence, .3, 1e-6);
            }
            assert_float_equal(lp[0], logf(.6f), 0);
            asr_decoder_free(d);
        }
    }
}

/* ---- beam search ------------------------------------------------------------ */

static void test_beam_beats_greedy(void **state) {
    (void)state;
    /* Two frames of P(blank) .4, P(a) .35, P(space) .25: the best path is
     * "__" (.16) but "a" collects aa, a_ and _a: .1225 + .14 + .14 = .4025,
     * more than any other labelling. */
    float lp[2 * V];
    for (int t = 0; t < 2; t++) {
        const double p[V] = {.4, .25, .35, 0, 0};
        for (int c = 0; c < V; c++)
            lp[t * V + c] = (float)log(p[c]);
    }
    words g, b;
    asr_decoder *d = new_decoder(1, -10);
    decode(d, lp, 2, 2, &g);
    assert_int_equal(g.n, 0);
    free_words(&g);
    asr_decoder_free(d);

    d = new_decoder(4, -INFINITY);
    decode(d, lp, 2, 1, &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.w[0].text, "a");
    assert_int_equal(b.w[0].start_frame, 0);
    assert_int_equal(b.w[0].end_frame, 2); /* aa outweighs a_ at frame 1 */
    assert_float_equal(b.w[0].confidence, .35, 1e-6);
    free_words(&b);
    asr_decoder_free(d);
}

static void test_beam_times(void **state) {
    (void)state;
    /* A wide beam keeps "a" alive from frame 0 at 1%; the word's time is
     * still where it was spoken (frames 5-6). And on clear posteriors the
     * beam reports the greedy words, times and confidences. */
    float *lp =
        pattern_frames("_____aa__", (const double[]){.98, .98, .98, .98, .98, .98, .98, .98, .98});
    for (int beam = 1; beam <= 16; beam *= 4) {
        asr_decoder *d = new_decoder(beam, -INFINITY);
        words w;
        decode(d, lp, 9, 1, &w);
        assert_int_equal(w.n, 1);
        assert_string_equal(w.w[0].text, "a");
        assert_int_equal(w.w[0].start_frame, 5);
        assert_int_equal(w.w[0].end_frame, 7);
        assert_float_equal(w.w[0].confidence, .98, 1e-6);
        free_words(&w);
        asr_decoder_free(d);
    }
    free(lp);

    lp = pattern_frames(TIMED, NULL);
    words g, b;
    asr_decoder *d = new_decoder(1, -10);
    decode(d, lp, 15, 15, &g);
    asr_decoder_free(d);
    d = new_decoder(8, -INFINITY);
    decode(d, lp, 15, 15, &b);
    asr_decoder_free(d);
    assert_int_equal(b.n, 3);
    assert_int_equal(g.n, 3);
    assert_same_words(g.w, b.w, 3);
    free_words(&g);
    free_words(&b);
    free(lp);
}

static void test_beam1_equals_greedy(void **state) {
    (void)state;
    /* When the best symbol of every frame has p >= 0.8, a beam of one can
     * only follow the best path: no other prefix can outscore it. */
    rng_state = 1;
    for (int trial = 0; trial < 20; trial++) {
        int n_frames = 100 + rand_int(500);
        float *lp = speechlike(n_frames, V, 0.8, 0.995);
        asr_ctc_chars g = {0}, b = {0};
        size_t n = search_chars(0, lp, n_frames, V, &g);
        assert_true(n > 10);
        assert_int_equal(search_chars(1, lp, n_frames, V, &b), n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(g.v[i].sym, b.v[i].sym);
            assert_int_equal(g.v[i].start, b.v[i].start);
            assert_int_equal(g.v[i].end, b.v[i].end);
            assert_true(g.v[i].logprob == b.v[i].logprob);
        }
        asr_ctc_chars_free(&g);
        asr_ctc_chars_free(&b);
        free(lp);
    }
}

/* P(labels | posteriors) by the CTC forward algorithm (probabilities). */
static double ctc_prob(const float *lp, int n_frames, int vocab, const int *label, int n) {
    double alpha[2][16], *a = alpha[0], *next = alpha[1];
    int s_max = 2 * n + 1; /* blank, l1, blank, ..., ln, blank */
    for (int s = 0; s < s_max; s++)
        a[s] = 0;
    a[0] = exp(lp[0]);
    if (n) a[1] = exp(lp[label[0]]);
    for (int t = 1; t < n_frames; t++) {
        const float *row = lp + (size_t)t * vocab;
        for (int s = 0; s < s_max; s++) {
            int sym = s % 2 ? label[s / 2] : 0;
            double sum = a[s] + (s > 0 ? a[s - 1] : 0);
            if (s % 2 && s > 1 && label[s / 2 - 1] != sym) sum += a[s - 2];
            next[s] = sum * exp(row[sym]);
        }
        double *tmp = a;
        a = next;
        next = tmp;
    }
    return a[s_max - 1] + (n ? a[s_max - 2] : 0);
}

static void test_beam_matches_brute_force(void **state) {
    (void)state;
    /* Symbols "", " ", "a", "b"; T <= 6 frames. A beam wider than the number
     * of possible prefixes prunes nothing, so it must find the labelling of
     * highest total probability: checked by enumerating all of them. */
    enum { VB = 4 };
    rng_state = 7;
    for (int trial = 0; trial < 200; trial++) {
        int n_frames = 1 + rand_int(6);
        float lp[6 * VB];
        for (int t = 0; t < n_frames; t++)
            random_frame(lp + t * VB, VB, 0, 0.2 + 0.5 * uniform());
        int best[6] = {0}, n_best = 0, label[6] = {0};
        double p_best = -1, p_total = 0;
        for (int n = 0; n <= n_frames; n++) {
            int count = 1;
            for (int i = 0; i < n; i++)
                count *= VB - 1;
            for (int k = 0; k < count; k++) {
                for (int i = 0, x = k; i < n; i++, x /= VB - 1)
                    label[i] = 1 + x % (VB - 1);
                double p = ctc_prob(lp, n_frames, VB, label, n);
                p_total += p;
                if (p > p_best) {
                    p_best = p;
                    n_best = n;
                    memcpy(best, label, sizeof label);
                }
            }
        }
        assert_float_equal(p_total, 1.0, 1e-9); /* the forward algorithm is right */
        asr_ctc_chars got = {0};
        assert_int_equal(search_chars(2000, lp, n_frames, VB, &got), n_best);
        for (int i = 0; i < n_best; i++)
            assert_int_equal(got.v[i].sym, best[i]);
        asr_ctc_chars_free(&got);
    }
}

/* ---- both decoders ---------------------------------------------------------- */

static void test_chunk_invariance_and_stable_growth(void **state) {
    (void)state;
    static const struct {
        int beam;
        float prune;
    } configs[] = {{1, -10}, {3, -5}, {8, -8}, {16, -INFINITY}};
    rng_state = 3;
    for (size_t k = 0; k < sizeof configs / sizeof configs[0]; k++) {
        for (int trial = 0; trial < 5; trial++) {
            int n_frames = 600;
            float *lp = speechlike(n_frames, V, 0.35, 0.95);
            asr_decoder *d = new_decoder(configs[k].beam, configs[k].prune);
            words all, one, some;
            decode(d, lp, n_frames, n_frames, &all);
            assert_true(all.n > 20);
            assert_sane(&all, n_frames);
            asr_decoder_reset(d);
            decode(d, lp, n_frames, 0, &some);
            assert_int_equal(some.n, all.n);
            assert_same_words(all.w, some.w, all.n);

            /* Frame by frame: stable words never change and only grow. */
            asr_decoder_reset(d);
            words stable = {0};
            for (int t = 0; t < n_frames; t++) {
                assert_int_equal(asr_decoder_accept(d, lp + (size_t)t * V, 1), ASR_OK);
                words now;
                copy_words(&now, asr_decoder_best(d));
                assert_true(now.n_stable >= stable.n);
                assert_same_words(stable.w, now.w, stable.n);
                free_words(&stable);
                keep_stable(&now);
                stable = now;
            }
            assert_int_equal(asr_decoder_finish(d), ASR_OK);
            copy_words(&one, asr_decoder_best(d));
            assert_int_equal(one.n, all.n);
            assert_same_words(all.w, one.w, all.n);
            assert_same_words(stable.w, one.w, stable.n);
            /* The stable words lag the frames by a bounded amount. */
            for (size_t i = stable.n; i < all.n; i++)
                assert_true(all.w[i].end_frame + 2 * ASR_CTC_MAX_LAG > n_frames);
            free_words(&stable);
            free_words(&all);
            free_words(&some);
            free_words(&one);
            asr_decoder_free(d);
            free(lp);
        }
    }
}

static void test_beam_memory_bounded(void **state) {
    (void)state;
    rng_state = 11;
    int n_frames = 20000;
    float *lp = speechlike(n_frames, V, 0.35, 0.95);
    asr_ctc_beam *b = asr_ctc_beam_new(V, SPACE, 16, -INFINITY);
    asr_ctc_chars stable = {0};
    assert_int_equal(asr_ctc_beam_accept(b, lp, 2000, &stable), ASR_OK);
    size_t early = asr_ctc_beam_node_count(b);
    assert_int_equal(asr_ctc_beam_accept(b, lp + 2000 * V, (size_t)n_frames - 2000, &stable),
                     ASR_OK);
    /* Thousands of symbols handed out; the tree holds only the unstable tail. */
    assert_true(stable.n > 3000);
    assert_true(asr_ctc_beam_node_count(b) <= 4 * early);
    assert_true(asr_ctc_beam_node_count(b) < stable.n / 2);
    asr_ctc_chars_free(&stable);
    asr_ctc_beam_free(b);
    free(lp);
}

static void test_reset(void **state) {
    (void)state;
    rng_state = 5;
    float *x = speechlike(300, V, 0.4, 0.95), *y = speechlike(300, V, 0.4, 0.95);
    for (int beam = 1; beam <= 8; beam += 7) {
        asr_decoder *fresh = new_decoder(beam, -8), *used = new_decoder(beam, -8);
        words a, b, c;
        decode(used, x, 300, 7, &a);
        asr_decoder_reset(used);
        assert_int_equal(asr_decoder_best(used)->n_words, 0);
        decode(used, y, 300, 7, &b);
        decode(fresh, y, 300, 300, &c);
        assert_int_equal(b.n, c.n);
        assert_same_words(b.w, c.w, b.n);
        free_words(&a);
        free_words(&b);
        free_words(&c);
        asr_decoder_free(fresh);
        asr_decoder_free(used);
    }
    free(x);
    free(y);
}

static void test_bad_args(void **state) {
    (void)state;
    asr_decoder_params ok = {4, -10, 0}, zero = {0, -10, 0}, nan_prune = {4, NAN, 0},
                       inf_penalty = {4, -10, INFINITY};
    static const char *const no_blank[] = {"a", " ", "b"};
    static const char *const no_space[] = {"", "a", "b"};
    static const char *const two_blanks[] = {"", " ", ""};
    static const char *const null_sym[] = {"", " ", NULL};
    assert_null(asr_decoder_new(NULL, V, &ok));
    assert_true(strlen(asr_last_error()) > 0);
    assert_null(asr_decoder_new(VOCAB, V, NULL));
    assert_null(asr_decoder_new(VOCAB, 1, &ok));
    assert_null(asr_decoder_new(VOCAB, V, &zero));
    assert_non_null(strstr(asr_last_error(), "beam_size"));
    assert_null(asr_decoder_new(VOCAB, V, &nan_prune));
    assert_null(asr_decoder_new(VOCAB, V, &inf_penalty));
    assert_non_null(strstr(asr_last_error(), "blank penalty"));
    assert_null(asr_decoder_new(no_blank, 3, &ok));
    assert_non_null(strstr(asr_last_error(), "blank"));
    assert_null(asr_decoder_new(no_space, 3, &ok));
    assert_non_null(strstr(asr_last_error(), "\" \""));
    assert_null(asr_decoder_new(two_blanks, 3, &ok));
    assert_null(asr_decoder_new(null_sym, 3, &ok));

    for (int beam = 1; beam <= 4; beam += 3) {
        asr_decoder *d = new_decoder(beam, -10);
        float lp[2 * V];
        for (int c = 0; c < 2 * V; c++)
            lp[c] = logf(1.0f / V);
        lp[V + 3] = NAN;
        assert_int_equal(asr_decoder_accept(d, lp, 2), ASR_ERR_ARG);
        assert_non_null(strstr(asr_last_error(), "frame 1"));
        lp[V + 3] = INFINITY;
        assert_int_equal(asr_decoder_accept(d, lp, 2), ASR_ERR_ARG);
        assert_int_equal(asr_decoder_accept(d, NULL, 1), ASR_ERR_ARG);
        assert_int_equal(asr_decoder_accept(d, NULL, 0), ASR_OK);
        /* A rejected call changed nothing: the good frame decodes as usual. */
        assert_int_equal(asr_decoder_accept(d, lp, 1), ASR_OK);
        assert_int_equal(asr_decoder_finish(d), ASR_OK);
        assert_int_equal(asr_decoder_finish(d), ASR_OK);
        assert_int_equal(asr_decoder_accept(d, lp, 1), ASR_ERR_STATE);
        assert_int_equal(asr_decoder_best(d)->n_words, 0);
        asr_decoder_free(d);
    }
    assert_int_equal(asr_decoder_accept(NULL, NULL, 0), ASR_ERR_ARG);
    assert_int_equal(asr_decoder_finish(NULL), ASR_ERR_ARG);
    assert_null(asr_decoder_best(NULL));
    asr_decoder_reset(NULL);
    asr_decoder_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_collapse),
        cmocka_unit_test(test_greedy_times_and_confidence),
        cmocka_unit_test(test_blank_penalty),
        cmocka_unit_test(test_beam_beats_greedy),
        cmocka_unit_test(test_beam_times),
        cmocka_unit_test(test_beam1_equals_greedy),
        cmocka_unit_test(test_beam_matches_brute_force),
        cmocka_unit_test(test_chunk_invariance_and_stable_growth),
        cmocka_unit_test(test_beam_memory_bounded),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
