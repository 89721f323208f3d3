/* Percentiles and partial-to-final word matching of `asr bench`, on cases
 * worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench_stats.h"

static void percentiles_are_nearest_rank(void **state) {
    (void)state;
    const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_true(bench_percentile(v, 10, 50) == 5);
    assert_true(bench_percentile(v, 10, 90) == 9);
    assert_true(bench_percentile(v, 10, 99) == 10);
    assert_true(bench_percentile(v, 10, 100) == 10);
    assert_true(bench_percentile(v, 10, 1) == 1);
    assert_true(bench_percentile(v, 1, 50) == 1);
    assert_true(bench_percentile(v, 0, 50) == 0);
}

static void summary_sorts_and_averages(void **state) {
    (void)state;
    bench_series s = {0};
    /* 200 values 199..0: p99 is the 198th smallest, 197. */
    for (int i = 199; i >= 0; i--)
        assert_true(bench_series_add(&s, i));
    bench_summary m = bench_summarise(&s);
    assert_int_equal(m.count, 200);
    assert_true(m.p50 == 99 && m.p90 == 179 && m.p99 == 197 && m.max == 199);
    assert_true(m.mean == 99.5);
    bench_series_free(&s);
    assert_null(s.v);
    m = bench_summarise(&s);
    assert_int_equal(m.count, 0);
    assert_true(m.max == 0 && m.mean == 0);
}

static void splits_at_spaces(void **state) {
    (void)state;
    char text[] = "  the  cat sat ";
    char *w[8];
    assert_int_equal(bench_split_words(text, w, 8), 3);
    assert_string_equal(w[0], "the");
    assert_string_equal(w[2], "sat");
    char more[] = "a b c d";
    assert_int_equal(bench_split_words(more, w, 2), 2);
    char none[] = "";
    assert_int_equal(bench_split_words(none, w, 8), 0);
}

/* Matches words of hyp (a partial) against ref (the final) into m. */
static void match(const char *hyp, const char *ref, unsigned char *m) {
    char h[128], r[128];
    char *hw[16], *rw[16];
    strcpy(h, hyp), strcpy(r, ref);
    size_t nh = bench_split_words(h, hw, 16), nr = bench_split_words(r, rw, 16);
    assert_true(bench_match_words(hw, nh, rw, nr, m));
}

static void matches_partial_words_to_final(void **state) {
    (void)state;
    unsigned char m[6] = {0};
    const char *final = "the cat sat on the mat";
    /* A prefix: its words, nothing after. */
    match("the cat", final, m);
    assert_memory_equal(m, ((unsigned char[]){1, 1, 0, 0, 0, 0}), 6);
    /* A wrong word in the tail is not a match; the later right one is. */
    memset(m, 0, sizeof m);
    match("the hat sat", final, m);
    assert_memory_equal(m, ((unsigned char[]){1, 0, 1, 0, 0, 0}), 6);
    /* An inserted word does not shift the rest out of line. */
    memset(m, 0, sizeof m);
    match("uh the cat sat on", final, m);
    assert_memory_equal(m, ((unsigned char[]){1, 1, 1, 1, 0, 0}), 6);
    /* A repeated word matches once, in order: "the" here is the first. */
    memset(m, 0, sizeof m);
    match("the", final, m);
    assert_memory_equal(m, ((unsigned char[]){1, 0, 0, 0, 0, 0}), 6);
    /* Calls accumulate: earlier matches are kept. */
    match("cat sat on the mat", final, m);
    assert_memory_equal(m, ((unsigned char[]){1, 1, 1, 1, 1, 1}), 6);
    /* Empty sides. */
    memset(m, 0, sizeof m);
    match("", final, m);
    assert_memory_equal(m, ((unsigned char[]){0, 0, 0, 0, 0, 0}), 6);
    match("anything", "", m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_are_nearest_rank),
        cmocka_unit_test(summary_sorts_and_averages),
        cmocka_unit_test(splits_at_spaces),
        cmocka_unit_test(matches_partial_words_to_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
