/* A long recording's transcript: segments (utterances) of words with times
 * from the start of the recording. */
#ifndef ASR_CLI_TRANSCRIPT_H
#define ASR_CLI_TRANSCRIPT_H

#include <stddef.h>

#include "asr.h"

typedef struct {
    double start, end; /* the first word's start, the last word's end, seconds */
    size_t first_word, n_words;
} transcript_segment;

typedef struct {
    transcript_segment *segments;
    size_t n_segments, cap_segments;
    asr_word *words; /* every segment's words in order; the strings are owned */
    size_t n_words, cap_words;
    double duration; /* seconds of audio read */
} transcript;

/* Appends the words of r, shifted by offset seconds, as one segment; a
 * result without words adds nothing. 0 when out of memory. */
int transcript_add(transcript *t, const asr_result *r, double offset);
/* Segment k's words joined by single spaces, or every word's when k is
 * (size_t)-1; malloc'ed, NULL when out of memory. */
char *transcript_text(const transcript *t, size_t k);
/* Ends words (and segments) that reach past the recording's end at it: the
 * segmenter may add silence after a recording that stops mid-word. */
void transcript_clamp(transcript *t, double duration);
#define TRANSCRIPT_ALL ((size_t)-1)
void transcript_free(transcript *t);

#endif
