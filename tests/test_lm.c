/* The n-gram LM (ARPA, binary, queries, pruning), the lexicon trie and the
 * beam search's word scoring: LM fusion, restricted vocabulary, hot words. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "decoder.h"
#include "lexicon.h"
#include "lm.h"
#include "model.h"
#include "test_util.h"

/* ---- helpers ---------------------------------------------------------------- */

static char tmp_dir[] = "/tmp/asr_test_lm_XXXXXX";

static const char *tmp_file(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return path;
}

static const char *write_text(const char *name, const char *text) {
    const char *path = tmp_file(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static asr_lm *tiny(void) {
    asr_lm *lm = asr_lm_load(test_path("tests/fixtures/lm_tiny.arpa"));
    if (!lm) fail_msg("%s", asr_last_error());
    return lm;
}

/* log10 P(word | words before it), from the start of a sentence. */
static float score_after(const asr_lm *lm, const char *history, const char *word) {
    asr_lm_state s;
    asr_lm_begin(lm, &s);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", history);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
        asr_lm_score(lm, &s, asr_lm_find(lm, w), &s);
    return !strcmp(word, "</s>") ? asr_lm_end(lm, &s)
                                 : asr_lm_score(lm, &s, asr_lm_find(lm, word), &s);
}

/* Every query the tests make, checked by hand from lm_tiny.arpa. */
static void assert_tiny_scores(const asr_lm *lm) {
    assert_float_equal(score_after(lm, "", "the"), -0.4, 1e-6);          /* 2-gram */
    assert_float_equal(score_after(lm, "the", "cat"), -0.1, 1e-6);       /* 3-gram */
    assert_float_equal(score_after(lm, "the", "sat"), -1.324, 1e-6);     /* -.2 -.3 -.824 */
    assert_float_equal(score_after(lm, "the cat", "mat"), -1.3, 1e-6);   /* -.1 -.2 -1 */
    assert_float_equal(score_after(lm, "cat sat", "on"), -0.75, 1e-6);   /* -.15 -.6 */
    assert_float_equal(score_after(lm, "on the", "</s>"), -1.049, 1e-6); /* -.05 -.3 -.699 */
    /* "mat on" is no 2-gram: no backoff weight, straight to P(the | on). */
    assert_float_equal(score_after(lm, "mat on", "the"), -0.2, 1e-6);
}

/* ---- ARPA and binary ------------------------------------------------------------- */

static void test_arpa_queries(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    assert_int_equal(asr_lm_order(lm), 3);
    assert_int_equal(asr_lm_vocab_size(lm), 7);
    assert_int_equal(asr_lm_count(lm, 2), 6);
    assert_int_equal(asr_lm_count(lm, 3), 2);
    assert_int_equal(asr_lm_find(lm, "dog"), -1);
    assert_string_equal(asr_lm_word(lm, asr_lm_find(lm, "cat")), "cat");
    assert_tiny_scores(lm);
    /* A word outside the vocabulary scores as the rarest word (mat, on). */
    assert_float_equal(asr_lm_oov_score(lm), -1.0, 1e-6);
    assert_float_equal(score_after(lm, "the", "dog"), -1.0, 1e-6);
    asr_lm_free(lm);
}

static void test_gzip_and_binary_agree(void **state) {
    (void)state;
    size_t n;
    char *text = read_all(test_path("tests/fixtures/lm_tiny.arpa"), &n);
    gzFile gz = gzopen(tmp_file("tiny.arpa.gz"), "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)n), (int)n);
    gzclose(gz);
    free(text);
    asr_lm *lm = asr_lm_load(tmp_file("tiny.arpa.gz"));
    assert_non_null(lm);
    assert_tiny_scores(lm);
    assert_int_equal(asr_lm_write(lm, tmp_file("tiny.lmbin")), ASR_OK);
    asr_lm_free(lm);
    lm = asr_lm_load(tmp_file("tiny.lmbin"));
    if (!lm) fail_msg("%s", asr_last_error());
    assert_tiny_scores(lm);
    assert_int_equal(asr_lm_vocab_size(lm), 7);
    asr_lm_free(lm);
}

/* Loading path must fail with a message containing want. */
static void assert_load_error(const char *path, const char *want) {
    asr_lm *lm = asr_lm_load(path);
    if (lm) fail_msg("%s loaded; expected an error with '%s'", path, want);
    if (!strstr(asr_last_error(), want))
        fail_msg("error '%s' does not contain '%s'", asr_last_error(), want);
}

static const char *const GOOD_HEAD = "\\data\\\nngram 1=3\nngram 2=2\n\n"
                                     "\\1-grams:\n-1\t</s>\n-99\t<s>\t-0.5\n-1\tyes\t-0.1\n\n";

static void test_malformed_arpa_names_the_line(void **state) {
    (void)state;
    char text[1024];
    struct {
        const char *body, *want;
    } cases[] = {
        {"\\2-grams:\n-0.5\t<s> yes\nabc\tyes </s>\n\n\\end\\\n",
         ":12: expected a log10 probability, got 'abc"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes dog\n\n\\end\\\n",
         ":12: the word 'dog' is not among the 1-grams"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes\n\n\\end\\\n",
         ":12: expected 2 words after the probability, got 1"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes </s> -0.1 7\n\n\\end\\\n",
         ":12: unexpected '7' after the 2-gram"},
        {"\\2-grams:\n-0.5\t<s> yes\n\n\\end\\\n", ":13: 1 2-grams, but \\data\\ declares 2"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes </s>\n-0.5\t<s> </s>\n\\end\\\n",
         ":13: more 2-grams than the 2 that \\data\\ declares"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes </s>\n",
         ":12: unexpected end of file in the 2-grams"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\t<s> yes\n\n\\end\\\n",
         ":12: the 2-gram is listed twice (also on line 11)"},
        {"\\3-grams:\n", ":10: expected '\\2-grams:', got '\\3-grams:'"},
        {"\\2-grams:\n-0.5\t<s> yes\n-0.5\tyes </s>\n\n\\end\n", ":14: expected '\\end\\'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s%s", GOOD_HEAD, cases[i].body);
        assert_load_error(write_text("bad.arpa", text), cases[i].want);
    }
    assert_load_error(
        write_text("bad.arpa", "\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 a\n\n\\end\\\n"),
        ":6: the 1-gram 'a' is listed twice (also on line 5)");
    assert_load_error(write_text("bad.arpa", "\\data\\\nngram 2=2\n"),
                      ":2: expected the count of 1-grams");
    assert_load_error(write_text("bad.arpa", "hello\n"), "no \\data\\ line");
    assert_load_error(
        write_text("bad.arpa",
                   "\\data\\\nngram 1=2\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1 "
                   "a\n-1 b\n\n\\2-grams:\n-1 a b\n\n\\3-grams:\n-1 b a b\n\n\\end\\\n"),
        ":14: the 3-gram's context (its first 2 words) is not among the 2-grams");
    assert_load_error(tmp_file("missing.arpa"), "cannot open");
    /* A gzip file cut short. */
    gzFile gz = gzopen(tmp_file("cut.arpa.gz"), "wb");
    gzprintf(gz, "\\data\\\nngram 1=20000\n\n\\1-grams:\n");
    for (int i = 0; i < 20000; i++)
        gzprintf(gz, "-4.3\tw%d\n", i);
    gzprintf(gz, "\n\\end\\\n");
    gzclose(gz);
    size_t n;
    char *bytes = read_all(tmp_file("cut.arpa.gz"), &n);
    FILE *f = fopen(tmp_file("cut.arpa.gz"), "wb");
    fwrite(bytes, 1, n / 2, f);
    fclose(f);
    free(bytes);
    assert_load_error(tmp_file("cut.arpa.gz"), "unexpected end of file");
}

/* Peak resident memory of this process so far, in MiB. */
static double peak_rss_mib(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}

/* Finding 1: a 60-byte file declaring 10^8 words took 1 GB before failing.
 * The arrays now grow with what is read. */
static void test_lying_header_allocates_nothing(void **state) {
    (void)state;
    double before = peak_rss_mib();
    assert_load_error(write_text("bad.arpa", "\\data\\\nngram 1=100000000\nngram 2=400000000\n\n"
                                             "\\1-grams:\n-1 a\n-1 b\n\n\\end\\\n"),
                      ":9: 2 1-grams, but \\data\\ declares 100000000");
    assert_load_error(write_text("bad.arpa", "\\data\\\nngram 1=2\nngram 2=400000000\n\n"
                                             "\\1-grams:\n-1 a\n-1 b\n\n\\2-grams:\n-1 a b\n\n"
                                             "\\end\\\n"),
                      ":12: 1 2-grams, but \\data\\ declares 400000000");
    double grown = peak_rss_mib() - before;
    if (grown > 32) fail_msg("loading a lying header raised peak memory by %.0f MiB", grown);
}

/* Finding 1: one endless line was buffered up to 1 GiB, then reported as
 * "out of memory". */
static void test_long_line_is_refused(void **state) {
    (void)state;
    size_t n = 4u << 20;
    char *text = malloc(n + 64);
    strcpy(text, "\\data\\\nngram 1=1\n\n\\1-grams:\n-1 ");
    size_t at = strlen(text);
    memset(text + at, 'a', n - at);
    strcpy(text + n, "\n\n\\end\\\n");
    double before = peak_rss_mib();
    assert_load_error(write_text("bad.arpa", text), ":5: line longer than 64 KiB");
    free(text);
    assert_true(peak_rss_mib() - before < 16);
}

/* Finding 5: a FIFO with no writer blocked asr_lm_load forever. */
static void test_fifo_is_refused(void **state) {
    (void)state;
    const char *fifo = tmp_file("fifo.arpa");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(20); /* a hang fails the test instead of stalling CI */
    assert_load_error(fifo, "is a FIFO (named pipe), not a regular file");
    assert_null(asr_dict_load(fifo, NULL));
    assert_non_null(strstr(asr_last_error(), "not a regular file"));
    alarm(0);
    assert_load_error("/dev/zero", "is a character device, not a regular file");
    assert_load_error(tmp_dir, "is a directory, not a regular file");
}

/* Finding 10: lm-build wrote OUT.tmp with fopen, following a symlink
 * planted there; now a new file with an unpredictable name is renamed
 * over the target. */
static void test_write_does_not_follow_planted_symlink(void **state) {
    (void)state;
    const char *victim = write_text("victim", "precious\n");
    char out[256], planted[300];
    snprintf(out, sizeof out, "%s", tmp_file("out.lmbin"));
    snprintf(planted, sizeof planted, "%s.tmp", out);
    unlink(planted);
    assert_int_equal(symlink(victim, planted), 0);
    asr_lm *lm = tiny();
    assert_int_equal(asr_lm_write(lm, out), ASR_OK);
    asr_lm_free(lm);
    size_t n;
    char *text = read_all(tmp_file("victim"), &n);
    assert_string_equal(text, "precious\n");
    free(text);
    struct stat st;
    assert_int_equal(lstat(out, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0644);
    lm = asr_lm_load(out);
    if (!lm) fail_msg("%s", asr_last_error());
    assert_tiny_scores(lm);
    asr_lm_free(lm);
    /* A folder that does not exist is named. */
    lm = tiny();
    assert_int_equal(asr_lm_write(lm, tmp_file("no/such/dir.lmbin")), ASR_ERR_IO);
    assert_non_null(strstr(asr_last_error(), "cannot create a file beside it"));
    asr_lm_free(lm);
    unlink(planted);
}

static void test_corrupt_binary(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    assert_int_equal(asr_lm_write(lm, tmp_file("ok.lmbin")), ASR_OK);
    asr_lm_free(lm);
    size_t n;
    char *good = read_all(tmp_file("ok.lmbin"), &n);
    char *bad = malloc(n);
    struct {
        size_t at, len; /* bytes kept (truncation) or changed */
        int truncate;
        const char *want;
    } cases[] = {
        {n - 9, 0, 1, "truncated"}, {100, 0, 1, "truncated: 100 bytes, shorter than the header"},
        {8, 1, 0, "version"},                               /* version byte */
        {12, 1, 0, "order"},                                /* order */
        {16, 1, 0, "vocabulary"},   {128, 1, 0, "corrupt"}, /* the first vocabulary offset */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, good, n);
        size_t len = n;
        if (cases[i].truncate)
            len = cases[i].at;
        else
            bad[cases[i].at] ^= 0x5a;
        FILE *f = fopen(tmp_file("bad.lmbin"), "wb");
        fwrite(bad, 1, len, f);
        fclose(f);
        assert_load_error(tmp_file("bad.lmbin"), cases[i].want);
    }
    /* The word trie ends the file: 15 nodes (root, c, m, o, s, t, ca, ...)
     * of first (u32 x 16), word (i32), best (i16), byte (u8), each padded
     * to 8 bytes. A word id past the vocabulary is refused. */
    memcpy(bad, good, n);
    int32_t big = 1000;
    memcpy(bad + n - 16 - 32 - 64 + 4 * 3, &big, sizeof big);
    FILE *f = fopen(tmp_file("bad.lmbin"), "wb");
    fwrite(bad, 1, n, f);
    fclose(f);
    assert_load_error(tmp_file("bad.lmbin"), "corrupt: the word trie is malformed");
    /* Trailing bytes, and every single-byte change of the arrays: never a
     * crash, and either an error or a model that still answers. */
    f = fopen(tmp_file("bad.lmbin"), "wb");
    fwrite(good, 1, n, f);
    fwrite("x", 1, 1, f);
    fclose(f);
    assert_load_error(tmp_file("bad.lmbin"), "after the end");
    for (size_t at = 128; at < n; at++) {
        memcpy(bad, good, n);
        bad[at] = (char)0xff;
        f = fopen(tmp_file("bad.lmbin"), "wb");
        fwrite(bad, 1, n, f);
        fclose(f);
        lm = asr_lm_load(tmp_file("bad.lmbin"));
        if (lm) score_after(lm, "the cat", "sat"), score_after(lm, "on", "the");
        asr_lm_free(lm);
    }
    free(good);
    free(bad);
}

/* ---- pruning ----------------------------------------------------------------------- */

/* The sum of P(w | history) over the words that can follow (not <s>). */
static double total_prob(const asr_lm *lm, const char *history) {
    double sum = 0;
    for (int32_t w = 0; w < asr_lm_vocab_size(lm); w++) {
        const char *word = asr_lm_word(lm, w);
        if (strcmp(word, "<s>") != 0) sum += pow(10, score_after(lm, history, word));
    }
    return sum;
}

static void test_prune_vocab_and_renormalise(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    asr_lm_prune_params p = {.vocab = 3}; /* the, cat, sat */
    asr_lm *small = asr_lm_prune(lm, &p);
    if (!small) fail_msg("%s", asr_last_error());
    /* <s>, </s>, <unk> (new, with the dropped words' mass) and three words. */
    assert_int_equal(asr_lm_vocab_size(small), 6);
    assert_int_equal(asr_lm_find(small, "mat"), -1);
    assert_int_equal(asr_lm_find(small, "on"), -1);
    assert_true(asr_lm_unk(small) >= 0);
    assert_float_equal(asr_lm_unigram(small, asr_lm_unk(small)), log10(0.2), 1e-3);
    /* The n-grams with dropped words are gone. */
    assert_int_equal(asr_lm_count(small, 2), 3); /* <s> the, the cat, cat sat */
    assert_int_equal(asr_lm_count(small, 3), 2);
    /* Kept n-grams keep their probabilities. */
    assert_float_equal(score_after(small, "the", "cat"), -0.1, 1e-6);
    /* Every history's distribution sums to one again. */
    const char *histories[] = {"", "the", "cat", "the cat", "cat sat", "sat"};
    for (size_t i = 0; i < sizeof histories / sizeof *histories; i++)
        assert_float_equal(total_prob(small, histories[i]), 1.0, 5e-3);
    /* It survives the round trip through a file. */
    assert_int_equal(asr_lm_write(small, tmp_file("small.lmbin")), ASR_OK);
    asr_lm *back = asr_lm_load(tmp_file("small.lmbin"));
    assert_non_null(back);
    assert_float_equal(score_after(back, "cat", "sat"), score_after(small, "cat", "sat"), 1e-6);
    asr_lm_free(back);
    asr_lm_free(small);
    asr_lm_free(lm);
}

static void test_prune_thresholds(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    asr_lm_prune_params keep_all = {0}, drop = {0};
    drop.threshold[3] = 1.0; /* every 3-gram */
    asr_lm *same = asr_lm_prune(lm, &keep_all), *two = asr_lm_prune(lm, &drop);
    assert_non_null(same);
    assert_non_null(two);
    assert_int_equal(asr_lm_count(same, 3), 2);
    assert_int_equal(asr_lm_count(two, 3), 0);
    assert_int_equal(asr_lm_count(two, 2), 6);
    /* P(cat | <s> the) now backs off to P(cat | the), with a new weight
     * that keeps the distribution normalised. */
    assert_true(fabs(score_after(two, "the", "cat") - (-0.1)) > 0.01);
    assert_float_equal(total_prob(two, "the"), 1.0, 5e-3);
    assert_float_equal(total_prob(two, "the cat"), 1.0, 5e-3);
    drop.threshold[2] = 1.0; /* and every 2-gram */
    asr_lm *one = asr_lm_prune(lm, &drop);
    assert_int_equal(asr_lm_count(one, 2), 0);
    assert_float_equal(total_prob(one, "the"), 1.0, 5e-3);
    asr_lm_free(one);
    asr_lm_free(two);
    asr_lm_free(same);
    asr_lm_free(lm);
}

/* ---- lexicon ------------------------------------------------------------------------- */

static void test_lexicon(void **state) {
    (void)state;
    asr_lexicon_entry e[] = {{"three", 3, -1.0f}, {"tree", 7, -2.0f}, {"the", 1, -0.5f},
                             {"three", 9, -3.0f}, {"", 0, 0.0f},      {"é", 5, -4.0f}};
    asr_lexicon *x = asr_lexicon_new(e, sizeof e / sizeof *e);
    assert_non_null(x);
    assert_int_equal(asr_lexicon_size(x), 4); /* duplicate and empty word dropped */
    int t = asr_lexicon_next(x, ASR_LEXICON_ROOT, "t");
    assert_true(t > 0);
    assert_float_equal(asr_lexicon_best(x, t), -0.5, 0);
    int th = asr_lexicon_next(x, t, "h");
    int32_t id;
    float score;
    assert_false(asr_lexicon_word(x, th, &id, &score));
    int the = asr_lexicon_next(x, th, "e");
    assert_true(asr_lexicon_word(x, the, &id, &score));
    assert_int_equal(id, 1);
    int thr = asr_lexicon_next(x, th, "r");
    assert_float_equal(asr_lexicon_best(x, thr), -1.0, 0); /* the better "three" */
    assert_true(asr_lexicon_word(x, asr_lexicon_next(x, thr, "ee"), &id, &score));
    assert_int_equal(id, 3);
    assert_int_equal(asr_lexicon_next(x, t, "x"), -1);
    assert_true(asr_lexicon_word(x, asr_lexicon_next(x, ASR_LEXICON_ROOT, "é"), &id, NULL));
    assert_int_equal(id, 5);
    asr_lexicon_free(x);
}

/* ---- decoding with words ---------------------------------------------------------------- */

static const char *const SYMBOLS[] = {"",  " ", "'", "a", "b", "c", "d", "e", "f", "g",
                                      "h", "i", "j", "k", "l", "m", "n", "o", "p", "q",
                                      "r", "s", "t", "u", "v", "w", "x", "y", "z"};
enum { V = 29 };

/* One frame per spec: "c=.5 m=.45" ('_' the blank, '|' the space); the rest
 * of the mass is spread over the other symbols. */
static float *frames(const char *const *spec, int n) {
    float *lp = malloc((size_t)n * V * sizeof *lp);
    for (int t = 0; t < n; t++) {
        double p[V] = {0}, left = 1;
        int named = 0;
        for (const char *s = spec[t]; *s; s++) {
            if (*s == ' ') continue;
            int sym = *s == '_' ? 0 : *s == '|' ? 1 : *s == '\'' ? 2 : *s - 'a' + 3;
            p[sym] = strtod(s + 2, (char **)&s);
            left -= p[sym];
            named++;
            s--;
        }
        for (int c = 0; c < V; c++)
            lp[t * V + c] = (float)log(p[c] > 0 ? p[c] : left / (V - named));
    }
    return lp;
}

/* The final text of decoding the frames, words joined by spaces. */
static char *decode(const float *lp, int n, int beam, const asr_decoder_words *w) {
    asr_decoder_params params = {.beam_size = beam, .beam_prune = -20};
    asr_decoder *d = asr_decoder_new_words(SYMBOLS, V, &params, w);
    if (!d) fail_msg("%s", asr_last_error());
    assert_int_equal(asr_decoder_accept(d, lp, (size_t)n), ASR_OK);
    assert_int_equal(asr_decoder_finish(d), ASR_OK);
    const asr_decoded *r = asr_decoder_best(d);
    static char out[256];
    out[0] = '\0';
    for (size_t i = 0; i < r->n_words; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "",
                 r->words[i].text);
    asr_decoder_free(d);
    return out;
}

static void test_restricted_vocabulary(void **state) {
    (void)state;
    /* Greedy reads "tree"; the 'h' of "three" is there, weaker. */
    const char *spec[] = {"t=.9", "r=.6 h=.35", "r=.9", "e=.9", "_=.9", "e=.9"};
    float *lp = frames(spec, 6);
    assert_string_equal(decode(lp, 6, 1, NULL), "tree");
    assert_string_equal(decode(lp, 6, 8, NULL), "tree");
    const char *digits[] = {"zero", "one", "two",   "three", "four",
                            "five", "six", "seven", "eight", "nine"};
    asr_decoder_words w = {.words = digits, .n_words = 10};
    assert_string_equal(decode(lp, 6, 8, &w), "three");
    /* Phrases add their words; nothing outside them is recognised. */
    const char *phrases[] = {"turn on", "lights  off", "tree"};
    w = (asr_decoder_words){.words = phrases, .n_words = 3};
    assert_string_equal(decode(lp, 6, 8, &w), "tree");
    const char *spec2[] = {"o=.9", "f=.5 n=.45", "_=.9", "|=.9", "o=.8", "n=.6 f=.35"};
    float *lp2 = frames(spec2, 6);
    assert_string_equal(decode(lp2, 6, 8, NULL), "of on");
    assert_string_equal(decode(lp2, 6, 8, &w), "on on");
    /* Cut off inside a word: the unfinished word is left out. */
    const char *spec3[] = {"o=.9", "n=.9", "e=.9", "|=.9", "o=.9", "n=.9"};
    float *lp3 = frames(spec3, 6);
    const char *one[] = {"one"};
    w = (asr_decoder_words){.words = one, .n_words = 1};
    assert_string_equal(decode(lp3, 6, 8, &w), "one");
    free(lp3);
    /* Words the symbols cannot spell are refused. */
    const char *bad[] = {"Three"};
    w = (asr_decoder_words){.words = bad, .n_words = 1};
    asr_decoder_params params = {.beam_size = 4, .beam_prune = -20};
    assert_null(asr_decoder_new_words(SYMBOLS, V, &params, &w));
    assert_non_null(strstr(asr_last_error(), "'Three' cannot be spelled"));
    free(lp);
    free(lp2);
}

static void test_hotwords(void **state) {
    (void)state;
    const char *spec[] = {"c=.9", "a=.9", "t=.6 p=.35", "_=.9"};
    float *lp = frames(spec, 4);
    assert_string_equal(decode(lp, 4, 8, NULL), "cat");
    asr_hotword cap = {"cap", 3.0f}, weak = {"cap", 0.2f}, avoid = {"cat", -3.0f};
    asr_decoder_words w = {.hotwords = &cap, .n_hotwords = 1};
    assert_string_equal(decode(lp, 4, 8, &w), "cap");
    assert_string_equal(decode(lp, 4, 1, &w), "cap"); /* a beam of one scores words too */
    w.hotwords = &weak;                               /* less than log(.6 / .35) */
    assert_string_equal(decode(lp, 4, 8, &w), "cat");
    w.hotwords = &avoid;
    assert_string_equal(decode(lp, 4, 8, &w), "cap");
    asr_hotword two_words = {"ca t", 1};
    w.hotwords = &two_words;
    asr_decoder_params params = {.beam_size = 4, .beam_prune = -20};
    assert_null(asr_decoder_new_words(SYMBOLS, V, &params, &w));
    free(lp);
}

static void test_lm_fusion(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    /* "the mat" by a nose; the LM prefers "the cat" (-0.1 against -0.9). */
    const char *spec[] = {"t=.9", "h=.9", "e=.9", "|=.9", "m=.5 c=.45", "a=.9", "t=.9", "_=.9"};
    float *lp = frames(spec, 8);
    assert_string_equal(decode(lp, 8, 8, NULL), "the mat");
    asr_decoder_words w = {.lm = lm, .lm_alpha = 0.5f, .lm_beta = 0.0f};
    assert_string_equal(decode(lp, 8, 8, &w), "the cat");
    w.lm_alpha = 0.0f; /* no weight: the acoustics decide */
    assert_string_equal(decode(lp, 8, 8, &w), "the mat");
    /* A spelling outside the vocabulary loses to one inside it. */
    const char *spec2[] = {"t=.9", "h=.9", "e=.9", "|=.9", "c=.9", "e=.5 a=.45", "t=.9", "_=.9"};
    float *lp2 = frames(spec2, 8);
    assert_string_equal(decode(lp2, 8, 8, NULL), "the cet");
    w.lm_alpha = 0.5f;
    assert_string_equal(decode(lp2, 8, 8, &w), "the cat");
    /* A run of letters the LM does not know pays per character, so real
     * words win even where the space between them is weak. */
    const char *spec3[] = {"t=.9", "h=.9", "e=.9", "_=.6 |=.3", "c=.9", "a=.9", "t=.9", "_=.9"};
    float *lp3 = frames(spec3, 8);
    assert_string_equal(decode(lp3, 8, 8, NULL), "thecat");
    assert_string_equal(decode(lp3, 8, 8, &w), "the cat");
    free(lp3);
    /* With a restricted vocabulary outside the LM too. */
    const char *words[] = {"cet", "the"};
    w.words = words, w.n_words = 2;
    assert_string_equal(decode(lp2, 8, 8, &w), "the cet");
    free(lp);
    free(lp2);
    asr_lm_free(lm);
}

/* Random speech-like posteriors over a few letters. */
static float *random_frames(int n, uint64_t seed) {
    float *lp = malloc((size_t)n * V * sizeof *lp);
    const char *letters = "_|_|_aeiotcmhsn";
    for (int t = 0; t < n; t++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        char c = letters[(seed >> 33) % strlen(letters)];
        double peak = 0.4 + 0.55 * (double)((seed >> 20) & 1023) / 1023.0;
        int sym = c == '_' ? 0 : c == '|' ? 1 : c - 'a' + 3;
        for (int k = 0; k < V; k++)
            lp[t * V + k] = (float)log(k == sym ? peak : (1 - peak) / (V - 1));
    }
    return lp;
}

static void test_streaming_with_lm(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    asr_hotword hot = {"cat", 2.0f};
    asr_decoder_words w = {
        .lm = lm, .lm_alpha = 0.8f, .lm_beta = 0.5f, .hotwords = &hot, .n_hotwords = 1};
    asr_decoder_params params = {.beam_size = 16, .beam_prune = -12};
    enum { N = 1500 };
    float *lp = random_frames(N, 42);
    char *whole = NULL;
    for (int chunk = 1; chunk <= 64; chunk *= 4) {
        asr_decoder *d = asr_decoder_new_words(SYMBOLS, V, &params, &w);
        assert_non_null(d);
        char stable[65536] = "";
        size_t n_stable = 0;
        for (int t = 0; t < N; t += chunk) {
            int n = N - t < chunk ? N - t : chunk;
            assert_int_equal(asr_decoder_accept(d, lp + (size_t)t * V, (size_t)n), ASR_OK);
            const asr_decoded *r = asr_decoder_best(d);
            /* Stable words stay: the earlier ones are a prefix of the later. */
            assert_true(r->n_stable >= n_stable);
            for (size_t i = 0; i < n_stable; i++)
                assert_non_null(r->words[i].text);
            for (size_t i = n_stable; i < r->n_stable; i++)
                snprintf(stable + strlen(stable), sizeof stable - strlen(stable), "%s ",
                         r->words[i].text);
            n_stable = r->n_stable;
        }
        assert_int_equal(asr_decoder_finish(d), ASR_OK);
        const asr_decoded *r = asr_decoder_best(d);
        char final[65536] = "";
        for (size_t i = 0; i < r->n_words; i++)
            snprintf(final + strlen(final), sizeof final - strlen(final), "%s ", r->words[i].text);
        assert_true(n_stable > 10); /* words became stable while streaming */
        assert_memory_equal(final, stable, strlen(stable));
        if (!whole)
            whole = strdup(final);
        else
            assert_string_equal(final, whole); /* however the frames were cut */
        asr_decoder_free(d);
    }
    free(whole);
    free(lp);
    asr_lm_free(lm);
}

static void test_stream_api(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    asr_model *m = asr_model_load(test_path("tests/fixtures/parity_lstm.gguf"));
    assert_non_null(m);
    asr_stream_params p = asr_stream_default_params();
    p.lm = lm;
    asr_stream *s = asr_stream_new(m, &p);
    assert_non_null(s);
    float x[1600] = {0};
    for (int i = 0; i < 1600; i++)
        x[i] = 0.1f * sinf((float)i * 0.3f) * (float)(i % 97) / 97.0f;
    assert_int_equal(asr_stream_accept_waveform(s, 16000, x, 1600), ASR_OK);
    assert_int_equal(asr_stream_finish(s), ASR_OK);
    assert_non_null(asr_stream_result(s)->text);
    asr_stream_free(s);
    p.lm_alpha = NAN;
    assert_null(asr_stream_new(m, &p));
    p.lm_alpha = 0.5f;
    const float bad_penalty[] = {NAN, ASR_MAX_BLANK_PENALTY + 0.5f};
    for (int i = 0; i < 2; i++) {
        p.blank_penalty = bad_penalty[i];
        assert_null(asr_stream_new(m, &p));
        assert_non_null(strstr(asr_last_error(), "blank penalty"));
    }
    p.blank_penalty = 2.0f;
    assert_non_null(s = asr_stream_new(m, &p));
    asr_stream_free(s);
    const float bad_prune[] = {NAN, 0.5f, ASR_MIN_BEAM_PRUNE - 1.0f};
    for (int i = 0; i < 3; i++) {
        p.beam_prune = bad_prune[i];
        assert_null(asr_stream_new(m, &p));
        assert_non_null(strstr(asr_last_error(), "beam prune"));
    }
    p.beam_prune = ASR_MIN_BEAM_PRUNE;
    assert_non_null(s = asr_stream_new(m, &p));
    asr_stream_free(s);
    const char *words[] = {"one"};
    p.lm_alpha = 0.5f, p.words = words, p.n_words = 1;
    assert_non_null(s = asr_stream_new(m, &p));
    asr_stream_free(s);
    asr_model_free(m);
    asr_lm_free(lm);
}

/* The defaults that stand for the model's values (beam_size 0, lm_alpha < 0,
 * blank_penalty < 0):
 * what asr_stream_new uses, also without params. */
static void test_stream_params_follow_the_model(void **state) {
    (void)state;
    asr_lm *lm = tiny();
    asr_model *uni = asr_model_load(test_path("pretrained/en-lstm-phones.gguf"));
    asr_model *bi = asr_model_load(test_path("tests/fixtures/parity_bilstm.gguf"));
    assert_true(uni && bi);
    asr_stream_params p = asr_stream_default_params();
    assert_int_equal(p.beam_size, 0);
    assert_true(p.lm_alpha < 0);
    asr_stream_params got = asr_stream_params_for(uni, &p);
    assert_int_equal(got.beam_size, 8); /* no LM */
    assert_float_equal(got.lm_alpha, asr_model_get_info(uni).lm_alpha, 0);
    assert_float_equal(got.lm_alpha, 0.7f, 1e-6); /* tuned, in the file */
    assert_true(p.blank_penalty < 0);
    assert_float_equal(got.blank_penalty, asr_model_get_info(uni).blank_penalty, 0);
    assert_float_equal(asr_stream_params_for(bi, &p).blank_penalty, 0, 0); /* none in the file */
    p.lm = lm;
    assert_int_equal(asr_stream_params_for(uni, &p).beam_size, ASR_LM_BEAM);
    assert_int_equal(asr_stream_params_for(bi, &p).beam_size, ASR_LM_BEAM_WHOLE);
    assert_float_equal(asr_stream_params_for(bi, &p).lm_alpha, ASR_DEFAULT_LM_ALPHA, 0);
    p.beam_size = 1, p.lm_alpha = 0, p.blank_penalty = 0.5f; /* given: kept */
    got = asr_stream_params_for(bi, &p);
    assert_int_equal(got.beam_size, 1);
    assert_float_equal(got.lm_alpha, 0, 0);
    assert_float_equal(got.blank_penalty, 0.5f, 0);
    assert_int_equal(asr_stream_params_for(uni, NULL).beam_size, 8);
    asr_model_free(uni);
    asr_model_free(bi);
    asr_lm_free(lm);
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"tiny.arpa.gz", "tiny.lmbin",  "bad.arpa",  "cut.arpa.gz", "ok.lmbin",
                           "bad.lmbin",    "small.lmbin", "fifo.arpa", "victim",      "out.lmbin"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(tmp_file(names[i]));
    return rmdir(tmp_dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arpa_queries),
        cmocka_unit_test(test_gzip_and_binary_agree),
        cmocka_unit_test(test_malformed_arpa_names_the_line),
        cmocka_unit_test(test_lying_header_allocates_nothing),
        cmocka_unit_test(test_long_line_is_refused),
        cmocka_unit_test(test_fifo_is_refused),
        cmocka_unit_test(test_write_does_not_follow_planted_symlink),
        cmocka_unit_test(test_corrupt_binary),
        cmocka_unit_test(test_prune_vocab_and_renormalise),
        cmocka_unit_test(test_prune_thresholds),
        cmocka_unit_test(test_lexicon),
        cmocka_unit_test(test_restricted_vocabulary),
        cmocka_unit_test(test_hotwords),
        cmocka_unit_test(test_lm_fusion),
        cmocka_unit_test(test_streaming_with_lm),
        cmocka_unit_test(test_stream_api),
        cmocka_unit_test(test_stream_params_follow_the_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
