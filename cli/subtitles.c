#include "subtitles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A cue ends before a word that follows a longer pause or that would make
 * it longer than this; it is shown at least MIN_SHOW_MS. */
#define PAUSE_MS 1000
#define MAX_CUE_MS 6000
#define MIN_SHOW_MS 700

typedef struct {
    size_t first, n, second_line; /* words; the first word of line 2 (or first + n) */
    long long start, end;         /* ms */
} cue;

static long long ms(float seconds) {
    return llround((double)seconds * 1000.0);
}

/* Cues of words[from..to), one segment, appended at *n. */
static void segment_cues(const transcript *t, size_t from, size_t to, cue *cues, size_t *n) {
    const asr_word *w = t->words;
    for (size_t i = from; i < to;) {
        cue c = {.first = i, .second_line = to};
        size_t line = 0, len = 0, j = i;
        for (; j < to; j++) {
            size_t k = strlen(w[j].word);
            if (j > i) {
                if (ms(w[j].start) - ms(w[j - 1].end) > PAUSE_MS) break;
                if (ms(w[j].end) - ms(w[i].start) > MAX_CUE_MS) break;
                if (len + 1 + k > SUBTITLE_LINE_CHARS) {
                    if (line + 1 == SUBTITLE_LINES) break;
                    line++, len = 0, c.second_line = j;
                }
            }
            len += (len ? 1 : 0) + k;
        }
        c.n = j - i;
        c.start = ms(w[i].start);
        c.end = ms(w[j - 1].end);
        cues[(*n)++] = c;
        i = j;
    }
}

static void timestamp(FILE *out, long long t, char sep) {
    fprintf(out, "%02lld:%02lld:%02lld%c%03lld", t / 3600000, t / 60000 % 60, t / 1000 % 60, sep,
            t % 1000);
}

static void words(FILE *out, const asr_word *w, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        fprintf(out, "%s%s", i > from ? " " : "", w[i].word);
}

int subtitles_write(FILE *out, const transcript *t, int vtt) {
    cue *cues = malloc((t->n_words ? t->n_words : 1) * sizeof *cues);
    if (!cues) return 0;
    size_t n = 0;
    for (size_t k = 0; k < t->n_segments; k++) {
        const transcript_segment *s = &t->segments[k];
        segment_cues(t, s->first_word, s->first_word + s->n_words, cues, &n);
    }
    /* Times: forward only, each cue shown a while, cut short by the next. */
    long long prev_end = 0;
    for (size_t k = 0; k < n; k++) {
        cue *c = &cues[k];
        if (c->start < prev_end) c->start = prev_end;
        if (c->end < c->start + MIN_SHOW_MS) c->end = c->start + MIN_SHOW_MS;
        if (k + 1 < n && cues[k + 1].start < c->end)
            c->end = cues[k + 1].start > c->start ? cues[k + 1].start : c->start + 1;
        prev_end = c->end;
    }
    if (vtt) fputs("WEBVTT\n\n", out);
    for (size_t k = 0; k < n; k++) {
        const cue *c = &cues[k];
        if (!vtt) fprintf(out, "%zu\n", k + 1);
        timestamp(out, c->start, vtt ? '.' : ',');
        fputs(" --> ", out);
        timestamp(out, c->end, vtt ? '.' : ',');
        fputc('\n', out);
        words(out, t->words, c->first, c->second_line);
        if (c->second_line < c->first + c->n) {
            fputc('\n', out);
            words(out, t->words, c->second_line, c->first + c->n);
        }
        fputs("\n\n", out);
    }
    free(cues);
    return 1;
}
