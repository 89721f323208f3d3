/* Pronunciation dictionaries (the shipped file, user files, G2P, bad input)
 * and the phone search through them, on hand-made phone posteriors whose
 * words are known by construction. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "decoder.h"
#include "dict.h"
#include "lm.h"
#include "test_util.h"

static const char *const PHONES[] = {"",   "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",
                                     "DH", "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH",
                                     "K",  "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",
                                     "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
enum { V = 40 };

static asr_dict *shipped(const char *user) {
    asr_dict *d = asr_dict_load(test_path("pretrained/en-cmudict.dict"), user);
    if (!d) fprintf(stderr, "%s\n", asr_last_error());
    assert_non_null(d);
    return d;
}

static const char *write_file(const char *name, const char *text, size_t n) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/asr_test_dict_%d_%s", (int)getpid(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return path;
}

/* ---- the dictionary ------------------------------------------------------- */

static void test_lookup_keeps_variants(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    char out[512];
    asr_pron_source src;
    assert_int_equal(asr_dict_pronounce(d, "tomato", out, sizeof out, &src), ASR_OK);
    assert_int_equal(src, ASR_PRON_DICT);
    assert_non_null(strchr(out, '\n')); /* two variants */
    assert_string_equal(strtok(out, "\n"), "T AH M EY T OW");
    assert_int_equal(asr_dict_pronounce(d, "hello", out, sizeof out, &src), ASR_OK);
    assert_non_null(strstr(out, "HH AH L OW"));
    /* Too small a buffer is an error, not a cut pronunciation. */
    assert_int_equal(asr_dict_pronounce(d, "hello", out, 4, &src), ASR_ERR_ARG);
    asr_dict_free(d);
}

static void test_g2p_pronounces_new_words(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    char out[512];
    asr_pron_source src;
    assert_int_equal(asr_dict_pronounce(d, "blorptastic", out, sizeof out, &src), ASR_OK);
    assert_int_equal(src, ASR_PRON_G2P);
    assert_true(strlen(out) >= 8); /* several phones */
    assert_int_equal(strncmp(out, "B L", 3), 0);
    /* Parts come from the dictionary: "x-ray" as "x" then "ray". */
    uint8_t ph[64];
    asr_pron x, ray;
    assert_true(asr_dict_lookup(d, "x", &x, 1, NULL) > 0);
    assert_true(asr_dict_lookup(d, "ray", &ray, 1, NULL) > 0);
    int n = asr_dict_guess(d, "x-ray", ph, sizeof ph);
    assert_int_equal(n, (int)(x.n + ray.n));
    assert_memory_equal(ph, x.phones, x.n);
    assert_memory_equal(ph + x.n, ray.phones, ray.n);
    /* Characters it cannot read: a clear error naming the word. */
    assert_int_equal(asr_dict_pronounce(d, "r2d2", out, sizeof out, &src), ASR_ERR_ARG);
    assert_non_null(strstr(asr_last_error(), "'r2d2'"));
    assert_int_equal(asr_dict_guess(d, "--", ph, sizeof ph), -1);
    asr_dict_free(d);
}

static void test_user_file_adds_and_overrides(void **state) {
    (void)state;
    const char text[] = "# mine\n"
                        "KUBERNETES K UW B ER N EH T IY Z\n"
                        "tomato(2) t ah0 m aa1 t ow2\n"
                        "\n"
                        ";;; cmudict comment\n";
    asr_dict *d = shipped(write_file("user.txt", text, sizeof text - 1));
    char out[512];
    asr_pron_source src;
    assert_int_equal(asr_dict_pronounce(d, "kubernetes", out, sizeof out, &src), ASR_OK);
    assert_int_equal(src, ASR_PRON_USER);
    assert_string_equal(out, "K UW B ER N EH T IY Z");
    /* The user's only variant replaces both of the dictionary's. */
    assert_int_equal(asr_dict_pronounce(d, "tomato", out, sizeof out, &src), ASR_OK);
    assert_int_equal(src, ASR_PRON_USER);
    assert_string_equal(out, "T AH M AA T OW");
    asr_dict_free(d);
}

static void expect_user_error(const char *name, const char *text, size_t n, const char *what) {
    const char *path = write_file(name, text, n);
    asr_dict *d = asr_dict_load(test_path("pretrained/en-cmudict.dict"), path);
    if (d) fprintf(stderr, "%s loaded\n", name);
    assert_null(d);
    const char *msg = asr_last_error();
    if (!strstr(msg, what) || !strstr(msg, path)) fprintf(stderr, "unexpected: %s\n", msg);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, what));
    unlink(path);
}

static void test_bad_user_files(void **state) {
    (void)state;
    expect_user_error("empty_pron.txt", "ok OW K EY\nlonely\n", 19,
                      ":2: 'lonely' has no pronunciation");
    expect_user_error("unknown.txt", "cat K AE T\ndog D QQ G\n", 22, ":2: unknown phone 'QQ'");
    expect_user_error("dup.txt", "cat K AE T\ncat(2) K AE T\n", 25, ":2: duplicate of line 1");
    static const char garbage[] = "cat K AE T\n\x01\x02\xff\xfe binary\n";
    expect_user_error("garbage.txt", garbage, sizeof garbage - 1, ":2: not text");
    static const char nul[] = "cat K\0AE T\n";
    expect_user_error("nul.txt", nul, sizeof nul - 1, ":1: not text");
    char *longline = malloc(5000);
    memset(longline, 'a', 4999);
    longline[4999] = '\n';
    expect_user_error("long.txt", longline, 5000, ":1: line longer than 4096 bytes");
    free(longline);
    /* Not a regular file: refused at once (a FIFO would block). */
    assert_null(asr_dict_load(test_path("pretrained/en-cmudict.dict"), "/tmp"));
    assert_non_null(strstr(asr_last_error(), "not a regular file"));
    char fifo[128];
    snprintf(fifo, sizeof fifo, "/tmp/asr_test_dict_%d.fifo", (int)getpid());
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(asr_dict_load(test_path("pretrained/en-cmudict.dict"), fifo));
    assert_non_null(strstr(asr_last_error(), "not a regular file"));
    unlink(fifo);
    /* Found by tests/fuzz/fuzz_pronunciations: an empty file (or only
     * comments) sorted a NULL array (undefined behaviour). It adds nothing. */
    const char *empty = write_file("empty.txt", "# nothing yet\n", 14);
    asr_dict *d = asr_dict_load(test_path("pretrained/en-cmudict.dict"), empty);
    if (!d) fail_msg("%s", asr_last_error());
    char out[256];
    assert_int_equal(asr_dict_pronounce(d, "cat", out, sizeof out, NULL), ASR_OK);
    asr_dict_free(d);
    unlink(empty);
    assert_null(asr_dict_load(test_path("pretrained/en-cmudict.dict"), "/nonexistent/prons.txt"));
    assert_non_null(strstr(asr_last_error(), "cannot open"));
}

static void test_bad_dictionary_files(void **state) {
    (void)state;
    /* A model file is GGUF too, but not a dictionary. */
    assert_null(asr_dict_load(test_path("pretrained/en-lstm.gguf"), NULL));
    assert_non_null(strstr(asr_last_error(), "not a pronunciation dictionary"));
    /* Truncated copies at several lengths, and flipped bytes in the tables. */
    FILE *f = fopen(test_path("pretrained/en-cmudict.dict"), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    const long cuts[] = {0, 10, 200, 4000, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        const char *path = write_file("cut.dict", data, (size_t)cuts[i]);
        assert_null(asr_dict_load(path, NULL));
        assert_non_null(strstr(asr_last_error(), path));
        unlink(path);
    }
    /* Garbage over the word tables (they sit after the header and metadata). */
    char *bad = malloc((size_t)size);
    unsigned seed = 1;
    int refused = 0;
    for (int trial = 0; trial < 20; trial++) {
        memcpy(bad, data, (size_t)size);
        for (int k = 0; k < 64; k++) {
            seed = seed * 1103515245u + 12345u;
            bad[4096 + (long)(seed >> 8) % (size - 4096)] ^= (char)(1 + (seed & 0x7f));
        }
        const char *path = write_file("flip.dict", bad, (size_t)size);
        asr_dict *d = asr_dict_load(path, NULL);
        if (!d) refused++;
        /* Whatever loads must be usable without crashing. */
        char out[256];
        if (d) asr_dict_pronounce(d, "hello", out, sizeof out, NULL);
        if (d) asr_dict_pronounce(d, "zqxjv", out, sizeof out, NULL);
        asr_dict_free(d);
        unlink(path);
    }
    assert_true(refused > 0);
    free(bad);
    free(data);
}

/* ---- the phone search ----------------------------------------------------- */

static int phone_id(const char *name) {
    for (int i = 1; i < V; i++)
        if (!strcmp(PHONES[i], name)) return i;
    fail_msg("no phone %s", name);
    return 0;
}

/* Posteriors of the phones in text ("HH AH L OW | W ER L D"; '|' = a pause
 * of blanks): each phone 3 frames at 0.9, a blank frame after each. */
static float *phone_frames(const char *text, size_t *n_frames) {
    float *lp = malloc(4096 * V * sizeof *lp);
    size_t t = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        int sym = strcmp(tok, "|") == 0 ? 0 : phone_id(tok);
        for (int k = 0; k < (sym ? 4 : 6); k++, t++) {
            int s = k == 3 ? 0 : sym;
            for (int c = 0; c < V; c++)
                lp[t * V + c] = (float)log(c == s ? 0.9 : 0.1 / (V - 1));
        }
    }
    *n_frames = t;
    return lp;
}

static asr_decoder *phone_decoder(const asr_dict *d, int beam, const char *const *words,
                                  size_t n_words, const asr_hotword *hot, size_t n_hot) {
    asr_decoder_params p = {beam, -12.0f, 0};
    asr_decoder_words w = {.words = words,
                           .n_words = n_words,
                           .hotwords = hot,
                           .n_hotwords = n_hot,
                           .phones = 1,
                           .dict = d};
    asr_decoder *dec = asr_decoder_new_words(PHONES, V, &p, &w);
    if (!dec) fprintf(stderr, "%s\n", asr_last_error());
    return dec;
}

static void text_of(const asr_decoded *r, char *out, size_t size) {
    out[0] = '\0';
    for (size_t i = 0; i < r->n_words; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", r->words[i].text);
}

static void test_phone_search_finds_words(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    size_t n;
    float *lp = phone_frames("HH AH L OW | W ER L D | | HH AH L OW", &n);
    static const char *const words[] = {"hello", "world", "word", "hollow"};
    for (int beam = 1; beam <= 16; beam *= 4) {
        asr_decoder *dec = phone_decoder(d, beam, words, 4, NULL, 0);
        assert_non_null(dec);
        assert_int_equal(asr_decoder_accept(dec, lp, n), ASR_OK);
        assert_int_equal(asr_decoder_finish(dec), ASR_OK);
        const asr_decoded *r = asr_decoder_best(dec);
        char text[256];
        text_of(r, text, sizeof text);
        assert_string_equal(text, "hello world hello");
        /* Times: in order, within the audio, each word after the last. */
        for (size_t i = 0; i < r->n_words; i++) {
            assert_true(r->words[i].start_frame < r->words[i].end_frame);
            assert_true(r->words[i].end_frame <= (int)n);
            if (i) assert_true(r->words[i].start_frame >= r->words[i - 1].end_frame);
            assert_true(r->words[i].confidence > 0.5f && r->words[i].confidence <= 1.0f);
        }
        assert_int_equal(r->words[1].start_frame, 22); /* W after 16 + 6 frames */
        asr_decoder_free(dec);
    }
    free(lp);
    asr_dict_free(d);
}

/* Results must not depend on how the frames are cut into calls, and words
 * become stable as the audio goes on. */
static void test_phone_search_chunk_invariance(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    size_t n;
    float *lp = phone_frames("DH AH | K AE T | S AE T | AA N | DH AH | M AE T | | | | | | | | | | "
                             "| | | | | | | | | | | | | | | | | DH AH | D AO G",
                             &n);
    char ref[256] = "";
    for (size_t chunk = 1; chunk <= n; chunk = chunk * 3 + 1) {
        asr_decoder *dec = phone_decoder(d, 8, NULL, 0, NULL, 0); /* every dictionary word */
        assert_non_null(dec);
        size_t stable_seen = 0;
        for (size_t t = 0; t < n; t += chunk) {
            size_t m = n - t < chunk ? n - t : chunk;
            assert_int_equal(asr_decoder_accept(dec, lp + t * V, m), ASR_OK);
            const asr_decoded *r = asr_decoder_best(dec);
            assert_true(r->n_stable >= stable_seen);
            stable_seen = r->n_stable;
        }
        assert_true(stable_seen >= 3); /* the long pause made the first words final */
        assert_int_equal(asr_decoder_finish(dec), ASR_OK);
        char text[256];
        text_of(asr_decoder_best(dec), text, sizeof text);
        if (!ref[0]) {
            snprintf(ref, sizeof ref, "%s", text);
            /* Homophones and splits are the search's choice without an LM;
             * the number of words and the sounds are not. */
            assert_true(strlen(ref) > 10);
        }
        assert_string_equal(text, ref);
        asr_decoder_free(dec);
    }
    free(lp);
    asr_dict_free(d);
}

static void test_phone_hotwords_and_g2p_words(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    size_t n;
    /* "zorblax": not in the dictionary; the G2P model pronounces it, and so
     * do the posteriors below (made from its own pronunciation). */
    uint8_t ph[64];
    int k = asr_dict_guess(d, "zorblax", ph, sizeof ph);
    assert_true(k > 3);
    char text[512] = "";
    for (int i = 0; i < k; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? " " : "",
                 asr_dict_phone(d, ph[i]));
    float *lp = phone_frames(text, &n);
    static const char *const words[] = {"zorblax", "hello"};
    asr_decoder *dec = phone_decoder(d, 4, words, 2, NULL, 0);
    assert_non_null(dec);
    assert_int_equal(asr_decoder_accept(dec, lp, n), ASR_OK);
    assert_int_equal(asr_decoder_finish(dec), ASR_OK);
    char out[256];
    text_of(asr_decoder_best(dec), out, sizeof out);
    assert_string_equal(out, "zorblax");
    asr_decoder_free(dec);
    free(lp);

    /* A hot word wins over a homophone: "their" vs "there". */
    lp = phone_frames("DH EH R", &n);
    static const char *const pair[] = {"there", "their"};
    for (int h = 0; h < 2; h++) {
        asr_hotword hot = {pair[h], 5.0f};
        dec = phone_decoder(d, 4, pair, 2, &hot, 1);
        assert_non_null(dec);
        assert_int_equal(asr_decoder_accept(dec, lp, n), ASR_OK);
        assert_int_equal(asr_decoder_finish(dec), ASR_OK);
        text_of(asr_decoder_best(dec), out, sizeof out);
        assert_string_equal(out, pair[h]);
        asr_decoder_free(dec);
    }
    free(lp);

    /* A word that cannot be pronounced is named, never dropped. */
    static const char *const bad[] = {"hello", "c3po"};
    assert_null(phone_decoder(d, 4, bad, 2, NULL, 0));
    assert_non_null(strstr(asr_last_error(), "'c3po'"));
    asr_dict_free(d);
}

static void test_phone_set_mismatch(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    const char *symbols[V];
    memcpy(symbols, PHONES, sizeof symbols);
    symbols[5] = "XX"; /* AW replaced */
    asr_decoder_params p = {4, -12.0f, 0};
    asr_decoder_words w = {.phones = 1, .dict = d};
    assert_null(asr_decoder_new_words(symbols, V, &p, &w));
    assert_non_null(strstr(asr_last_error(), "different phone sets"));
    /* A phone model without a dictionary. */
    w.dict = NULL;
    assert_null(asr_decoder_new_words(PHONES, V, &p, &w));
    assert_non_null(strstr(asr_last_error(), "dictionary"));
    asr_dict_free(d);
}

/* Streams without a word list share the vocabulary the dictionary keeps
 * (built from the LM's words); an LM loaded later, perhaps at the freed
 * one's address, must get its own, as must another LM weight. */
static const char *unigram_lm(const char *name, const char *w1, const char *w2, const char *w3) {
    char text[512];
    snprintf(text, sizeof text,
             "\\data\\\nngram 1=5\n\n\\1-grams:\n-1.0\t<s>\n-1.0\t</s>\n-0.3\t%s\n"
             "-0.6\t%s\n-2.5\t%s\n\n\\end\\\n",
             w1, w2, w3);
    return write_file(name, text, strlen(text));
}

static void decode_with_lm(const asr_dict *d, const asr_lm *lm, float alpha, const char *phones,
                           const char *want) {
    asr_decoder_params p = {8, -12.0f, 0};
    asr_decoder_words w = {.lm = lm, .lm_alpha = alpha, .phones = 1, .dict = d};
    asr_decoder *dec = asr_decoder_new_words(PHONES, V, &p, &w);
    if (!dec) fprintf(stderr, "%s\n", asr_last_error());
    assert_non_null(dec);
    size_t n;
    float *lp = phone_frames(phones, &n);
    assert_int_equal(asr_decoder_accept(dec, lp, n), ASR_OK);
    assert_int_equal(asr_decoder_finish(dec), ASR_OK);
    char text[256];
    text_of(asr_decoder_best(dec), text, sizeof text);
    assert_string_equal(text, want);
    free(lp);
    asr_decoder_free(dec);
}

static void test_shared_vocabulary_follows_the_lm(void **state) {
    (void)state;
    asr_dict *d = shipped(NULL);
    asr_lm *a = asr_lm_load(unigram_lm("a.arpa", "bear", "the", "bare"));
    assert_non_null(a);
    decode_with_lm(d, a, 1.0f, "B EH R", "bear"); /* homophones: the LM picks */
    decode_with_lm(d, a, 1.0f, "B EH R", "bear"); /* from the cache */
    decode_with_lm(d, a, 0.5f, "DH AH", "the");
    asr_lm_free(a);
    asr_lm *b = asr_lm_load(unigram_lm("b.arpa", "bare", "cat", "bear"));
    assert_non_null(b);
    decode_with_lm(d, b, 1.0f, "B EH R", "bare");
    decode_with_lm(d, b, 1.0f, "K AE T", "cat"); /* a word only b has */
    asr_lm_free(b);
    asr_dict_free(d);
}

/* The last word's homophone is chosen with the sentence end: "to" starts
 * more sentences here, but "two" ends far more of them. */
static void test_last_homophone_weighs_the_sentence_end(void **state) {
    (void)state;
    static const char arpa[] = "\\data\\\nngram 1=5\nngram 2=4\n\n\\1-grams:\n"
                               "-1.0\t<s>\t-0.5\n-1.0\t</s>\n-0.5\tto\t-0.5\n-0.8\ttwo\t-0.5\n"
                               "-1.0\tcat\t-0.5\n\n\\2-grams:\n-0.3\t<s> to\n-0.6\t<s> two\n"
                               "-3.0\tto </s>\n-0.5\ttwo </s>\n\n\\end\\\n";
    asr_dict *d = shipped(NULL);
    asr_lm *lm = asr_lm_load(write_file("to_two.arpa", arpa, strlen(arpa)));
    if (!lm) fail_msg("%s", asr_last_error());
    decode_with_lm(d, lm, 1.0f, "T UW", "two");
    asr_lm_free(lm);
    asr_dict_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_keeps_variants),
        cmocka_unit_test(test_g2p_pronounces_new_words),
        cmocka_unit_test(test_user_file_adds_and_overrides),
        cmocka_unit_test(test_bad_user_files),
        cmocka_unit_test(test_bad_dictionary_files),
        cmocka_unit_test(test_phone_search_finds_words),
        cmocka_unit_test(test_phone_search_chunk_invariance),
        cmocka_unit_test(test_phone_hotwords_and_g2p_words),
        cmocka_unit_test(test_phone_set_mismatch),
        cmocka_unit_test(test_shared_vocabulary_follows_the_lm),
        cmocka_unit_test(test_last_homophone_weighs_the_sentence_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
