#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bench_series_add(bench_series *s, double x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) return 0;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 1;
}

void bench_series_free(bench_series *s) {
    free(s->v);
    *s = (bench_series){0};
}

double bench_percentile(const double *sorted, size_t n, double p) {
    if (n == 0) return 0.0;
    double rank = ceil(p / 100.0 * (double)n);
    size_t k = rank < 1.0 ? 0 : (size_t)rank - 1;
    return sorted[k < n ? k : n - 1];
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_summary bench_summarise(bench_series *s) {
    bench_summary r = {0};
    if (s->n == 0) return r;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    double sum = 0.0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    r.count = s->n;
    r.mean = sum / (double)s->n;
    r.p50 = bench_percentile(s->v, s->n, 50);
    r.p90 = bench_percentile(s->v, s->n, 90);
    r.p99 = bench_percentile(s->v, s->n, 99);
    r.max = s->v[s->n - 1];
    return r;
}

size_t bench_split_words(char *text, char **words, size_t max) {
    size_t n = 0;
    char *save = NULL;
    for (char *w = strtok_r(text, " ", &save); w && n < max; w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    return n;
}

int bench_match_words(char *const *hyp, size_t n_hyp, char *const *ref, size_t n_ref,
                      unsigned char *matched) {
    size_t cols = n_ref + 1;
    unsigned *d = malloc((n_hyp + 1) * cols * sizeof *d);
    if (!d) return 0;
    /* d[i][j]: edits turning hyp[0..i) into ref[0..j). */
    for (size_t i = 0; i <= n_hyp; i++)
        for (size_t j = 0; j <= n_ref; j++) {
            unsigned *c = &d[i * cols + j];
            if (i == 0 || j == 0) {
                *c = (unsigned)(i + j);
                continue;
            }
            unsigned sub = d[(i - 1) * cols + j - 1] + (strcmp(hyp[i - 1], ref[j - 1]) != 0);
            unsigned del = d[(i - 1) * cols + j] + 1, ins = d[i * cols + j - 1] + 1;
            *c = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    /* Walk back. Among equally good paths, leave the latest ref words
     * unmatched: a partial is mostly a prefix of the final, so a word it
     * shares with two places of the final belongs to the earlier one. */
    for (size_t i = n_hyp, j = n_ref; i > 0 && j > 0;) {
        unsigned here = d[i * cols + j];
        int same = strcmp(hyp[i - 1], ref[j - 1]) == 0;
        if (here == d[i * cols + j - 1] + 1) {
            j--;
        } else if (here == d[(i - 1) * cols + j - 1] + (same ? 0u : 1u)) {
            if (same) matched[j - 1] = 1;
            i--, j--;
        } else {
            i--;
        }
    }
    free(d);
    return 1;
}
