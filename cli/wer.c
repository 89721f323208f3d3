#include "wer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *wer_normalise(const char *text) {
    char *out = malloc(strlen(text) + 1), *p = out;
    if (!out) return NULL;
    int pending_space = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
        int c = tolower(*s);
        if ((c >= 'a' && c <= 'z') || c == '\'') {
            if (pending_space && p > out) *p++ = ' ';
            pending_space = 0;
            *p++ = (char)c;
        } else {
            pending_space = 1;
        }
    }
    *p = '\0';
    return out;
}

/* Tokens as (start, length) pairs into the text. */
typedef struct {
    const char **start;
    size_t *len, n;
} tokens;

static tokens split(const char *s, int words) {
    size_t cap = strlen(s) + 1;
    tokens t = {malloc(cap * sizeof(char *)), malloc(cap * sizeof(size_t)), 0};
    if (!t.start || !t.len) return t;
    for (const char *p = s; *p;) {
        if (!words) {
            t.start[t.n] = p, t.len[t.n++] = 1, p++;
            continue;
        }
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *e = strchr(p, ' ');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        t.start[t.n] = p, t.len[t.n++] = k;
        p += k;
    }
    return t;
}

static int same(const tokens *a, size_t i, const tokens *b, size_t j) {
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* Standard dynamic programme, keeping the operation counts of the cheapest
 * path (ties prefer substitution, then deletion). */
static edit_counts align(const char *ref, const char *hyp, int words) {
    tokens r = split(ref, words), h = split(hyp, words);
    edit_counts out = {0, 0, 0, r.n};
    size_t cols = h.n + 1;
    edit_counts *prev = malloc(cols * sizeof *prev), *cur = malloc(cols * sizeof *cur);
    if (r.start && r.len && h.start && h.len && prev && cur) {
        for (size_t j = 0; j < cols; j++)
            prev[j] = (edit_counts){0, 0, j, 0};
        for (size_t i = 1; i <= r.n; i++) {
            cur[0] = (edit_counts){0, i, 0, 0};
            for (size_t j = 1; j < cols; j++) {
                edit_counts sub = prev[j - 1], del = prev[j], ins = cur[j - 1];
                int match = same(&r, i - 1, &h, j - 1);
                size_t cs = sub.substitutions + sub.deletions + sub.insertions + !match;
                size_t cd = del.substitutions + del.deletions + del.insertions + 1;
                size_t ci = ins.substitutions + ins.deletions + ins.insertions + 1;
                if (cs <= cd && cs <= ci)
                    sub.substitutions += !match, cur[j] = sub;
                else if (cd <= ci)
                    del.deletions++, cur[j] = del;
                else
                    ins.insertions++, cur[j] = ins;
            }
            edit_counts *t = prev;
            prev = cur, cur = t;
        }
        out = prev[h.n];
        out.ref_len = r.n;
    }
    free(prev), free(cur);
    free(r.start), free(r.len), free(h.start), free(h.len);
    return out;
}

edit_counts wer_count_words(const char *ref, const char *hyp) {
    return align(ref, hyp, 1);
}
edit_counts wer_count_chars(const char *ref, const char *hyp) {
    return align(ref, hyp, 0);
}
