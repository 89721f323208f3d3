/* Summary statistics and word matching for `asr bench`. */
#ifndef ASR_CLI_BENCH_STATS_H
#define ASR_CLI_BENCH_STATS_H

#include <stddef.h>

/* A growable list of measurements. Zero-initialise; free with
 * bench_series_free(). */
typedef struct {
    double *v;
    size_t n, cap;
} bench_series;

/* Appends x. Returns 0 when out of memory (x is then dropped). */
int bench_series_add(bench_series *s, double x);
void bench_series_free(bench_series *s);

typedef struct {
    size_t count;
    double mean, p50, p90, p99, max;
} bench_summary;

/* Nearest-rank percentile (0 < p <= 100) of n sorted values: the smallest
 * value with at least p% of the values at or below it. 0 when n is 0. */
double bench_percentile(const double *sorted, size_t n, double p);

/* Sorts the series in place and summarises it (all zero when empty). */
bench_summary bench_summarise(bench_series *s);

/* Splits text at spaces, in place, into at most max words. Returns the
 * number of words. */
size_t bench_split_words(char *text, char **words, size_t max);

/* Aligns hyp to ref with the fewest word edits and sets matched[j] = 1 for
 * every ref word j paired with an equal hyp word (other entries are left
 * as they are, so calls accumulate). Returns 0 when out of memory. */
int bench_match_words(char *const *hyp, size_t n_hyp, char *const *ref, size_t n_ref,
                      unsigned char *matched);

#endif
