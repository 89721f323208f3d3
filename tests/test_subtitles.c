/* Subtitle cues from transcripts (cli/subtitles.c): line and cue limits,
 * and times that never overlap or run backwards, whatever the word times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "subtitles.h"
#include "transcript.h"

/* Adds a segment of words "w0 w1 ..." given as (text, start, end). */
static void add(transcript *t, double offset, size_t n, const char *const *text, const float *start,
                const float *end) {
    asr_word *w = calloc(n, sizeof *w);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        w[i] = (asr_word){text[i], start[i], end[i], 0.9f};
    asr_result r = {"", w, n, 0.0};
    assert_true(transcript_add(t, &r, offset));
    free(w);
}

typedef struct {
    long long start, end; /* ms */
    int lines;
    char text[512]; /* lines joined by spaces */
} parsed_cue;

/* Parses SRT (or VTT) text back, cue by cue (blocks between blank lines),
 * checking the layout on the way. */
static size_t parse(char *text, int vtt, parsed_cue *cues, size_t max) {
    size_t n = 0;
    char *p = text;
    if (vtt) {
        assert_int_equal(strncmp(p, "WEBVTT\n\n", 8), 0);
        p += 8;
    }
    while (*p && n < max) {
        char *stop = strstr(p, "\n\n");
        assert_non_null(stop); /* every cue ends with a blank line */
        *stop = '\0';
        parsed_cue *c = &cues[n];
        char *save = NULL, *line = strtok_r(p, "\n", &save);
        if (!vtt) {
            assert_int_equal(atoi(line), (int)n + 1);
            line = strtok_r(NULL, "\n", &save);
        }
        int h1, m1, s1, ms1, h2, m2, s2, ms2;
        char sep1, sep2;
        assert_int_equal(sscanf(line, "%d:%d:%d%c%d --> %d:%d:%d%c%d", &h1, &m1, &s1, &sep1, &ms1,
                                &h2, &m2, &s2, &sep2, &ms2),
                         10);
        assert_int_equal(sep1, vtt ? '.' : ',');
        c->start = ((h1 * 60LL + m1) * 60 + s1) * 1000 + ms1;
        c->end = ((h2 * 60LL + m2) * 60 + s2) * 1000 + ms2;
        while ((line = strtok_r(NULL, "\n", &save))) {
            if (c->lines++) strcat(c->text, " ");
            strcat(c->text, line);
            if (strlen(line) > SUBTITLE_LINE_CHARS) assert_null(strchr(line, ' '));
        }
        assert_true(c->lines >= 1 && c->lines <= SUBTITLE_LINES);
        n++;
        p = stop + 2;
    }
    return n;
}

static char *render(const transcript *t, int vtt) {
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    assert_true(subtitles_write(f, t, vtt));
    fclose(f);
    return buf;
}

static void check_times(const parsed_cue *c, size_t n) {
    for (size_t k = 0; k < n; k++) {
        assert_true(c[k].start < c[k].end);
        if (k) assert_true(c[k - 1].end <= c[k].start);
    }
}

static void test_lines_and_cues(void **state) {
    (void)state;
    transcript t = {0};
    /* 14 words of 5-6 characters, 0.3 s apart: two lines of at most 42
     * characters per cue, then a new cue. */
    const char *text[14];
    float start[14], end[14];
    for (int i = 0; i < 14; i++) {
        text[i] = i % 2 ? "hello" : "worlds";
        start[i] = 0.3f * (float)i;
        end[i] = start[i] + 0.25f;
    }
    add(&t, 10.0, 14, text, start, end);
    static const char *const longer[] = {"a", "supercalifragilisticexpialidocious-and-then-some",
                                         "b"};
    static const float ls[] = {0, 0.5f, 1.0f}, le[] = {0.1f, 0.9f, 1.1f};
    add(&t, 20.0, 3, longer, ls, le);
    for (int vtt = 0; vtt <= 1; vtt++) {
        char *out = render(&t, vtt);
        parsed_cue cues[16] = {0};
        size_t n = parse(out, vtt, cues, 16);
        check_times(cues, n);
        assert_int_equal(cues[0].start, 10000);
        assert_int_equal(cues[0].lines, 2);
        /* every word once, in order */
        char all[2048] = "";
        for (size_t k = 0; k < n; k++)
            strcat(strcat(all, k ? " " : ""), cues[k].text);
        char *want = transcript_text(&t, TRANSCRIPT_ALL);
        assert_string_equal(all, want);
        free(want);
        /* a segment boundary always starts a cue */
        int found = 0;
        for (size_t k = 0; k < n; k++)
            found |= strncmp(cues[k].text, "a ", 2) == 0 || strcmp(cues[k].text, "a") == 0;
        assert_true(found);
        free(out);
    }
    transcript_free(&t);
}

/* Word times that touch, overlap, have no length or go back across
 * segments still give cues that run forward without overlapping. */
static void test_times_never_overlap(void **state) {
    (void)state;
    transcript t = {0};
    static const char *const a[] = {"one", "two"};
    static const float as[] = {1.0f, 1.0f}, ae[] = {1.0f, 1.0f};
    add(&t, 0.0, 2, a, as, ae);
    static const char *const b[] = {"three"};
    static const float bs[] = {0.5f}, be[] = {0.6f}; /* 1.1 s: inside the first cue's 0.7 s */
    add(&t, 0.6, 1, b, bs, be);
    static const char *const c[] = {"four"};
    static const float cs[] = {3.0f}, ce[] = {2.0f}; /* ends before it starts */
    add(&t, 0.0, 1, c, cs, ce);
    char *out = render(&t, 0);
    parsed_cue cues[8] = {0};
    size_t n = parse(out, 0, cues, 8);
    assert_int_equal(n, 3);
    check_times(cues, n);
    assert_int_equal(cues[0].start, 1000);
    assert_int_equal(cues[0].end, 1100); /* cut short by the next cue */
    assert_int_equal(cues[2].end - cues[2].start, 700);
    free(out);
    transcript_free(&t);
}

static void test_empty(void **state) {
    (void)state;
    transcript t = {0};
    char *srt = render(&t, 0), *vtt = render(&t, 1);
    assert_string_equal(srt, "");
    assert_string_equal(vtt, "WEBVTT\n\n");
    free(srt), free(vtt);
    asr_result none = {"", NULL, 0, 0.0};
    assert_true(transcript_add(&t, &none, 5.0)); /* adds no empty segment */
    assert_int_equal(t.n_segments, 0);
    transcript_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_cues),
        cmocka_unit_test(test_times_never_overlap),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
