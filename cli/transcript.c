#include "transcript.h"

#include <stdlib.h>
#include <string.h>

static int grow(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 1;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*items, n * size);
    if (!p) return 0;
    *items = p;
    *cap = n;
    return 1;
}

int transcript_add(transcript *t, const asr_result *r, double offset) {
    if (r->n_words == 0) return 1;
    if (!grow((void **)&t->segments, &t->cap_segments, t->n_segments + 1, sizeof *t->segments) ||
        !grow((void **)&t->words, &t->cap_words, t->n_words + r->n_words, sizeof *t->words))
        return 0;
    size_t first = t->n_words;
    for (size_t i = 0; i < r->n_words; i++) {
        const asr_word *w = &r->words[i];
        char *copy = strdup(w->word);
        if (!copy) {
            for (size_t k = first; k < t->n_words; k++)
                free((char *)t->words[k].word);
            t->n_words = first;
            return 0;
        }
        t->words[t->n_words++] =
            (asr_word){copy, (float)(w->start + offset), (float)(w->end + offset), w->confidence};
    }
    t->segments[t->n_segments++] = (transcript_segment){
        t->words[first].start, t->words[t->n_words - 1].end, first, r->n_words};
    return 1;
}

void transcript_clamp(transcript *t, double duration) {
    float end = (float)duration;
    for (size_t i = 0; i < t->n_words; i++) {
        if (t->words[i].start > end) t->words[i].start = end;
        if (t->words[i].end > end) t->words[i].end = end;
    }
    for (size_t k = 0; k < t->n_segments; k++) {
        if (t->segments[k].start > duration) t->segments[k].start = duration;
        if (t->segments[k].end > duration) t->segments[k].end = duration;
    }
}

char *transcript_text(const transcript *t, size_t k) {
    size_t from = 0, to = t->n_words;
    if (k != TRANSCRIPT_ALL) {
        from = t->segments[k].first_word;
        to = from + t->segments[k].n_words;
    }
    size_t len = 1;
    for (size_t i = from; i < to; i++)
        len += strlen(t->words[i].word) + 1;
    char *out = malloc(len), *p = out;
    if (!out) return NULL;
    for (size_t i = from; i < to; i++) {
        if (i > from) *p++ = ' ';
        size_t n = strlen(t->words[i].word);
        memcpy(p, t->words[i].word, n);
        p += n;
    }
    *p = '\0';
    return out;
}

void transcript_free(transcript *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_words; i++)
        free((char *)t->words[i].word);
    free(t->words);
    free(t->segments);
    *t = (transcript){0};
}
