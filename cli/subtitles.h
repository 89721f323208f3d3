/* Subtitles from a transcript: SubRip (.srt) and WebVTT (.vtt). */
#ifndef ASR_CLI_SUBTITLES_H
#define ASR_CLI_SUBTITLES_H

#include <stdio.h>

#include "transcript.h"

/* Longest line and most lines of a cue (the usual broadcast limits). */
#define SUBTITLE_LINE_CHARS 42
#define SUBTITLE_LINES 2

/* Writes the cues: words grouped within a segment into at most
 * SUBTITLE_LINES lines of at most SUBTITLE_LINE_CHARS characters (a longer
 * word stands alone), a new cue after a pause or 6 s; timed from the
 * words, shown at least 0.7 s, never overlapping, never going backwards.
 * 0 when out of memory. */
int subtitles_write(FILE *out, const transcript *t, int vtt);

#endif
