/* A progress line on stderr, redrawn in place: percent, audio time done,
 * speed as x real time and the time left. Only on a terminal. */
#ifndef ASR_CLI_PROGRESS_H
#define ASR_CLI_PROGRESS_H

typedef struct {
    int on;               /* stderr is a terminal and not --quiet */
    double t0;            /* monotonic start, seconds */
    double total_seconds; /* of audio; 0 if unknown */
    int files;
    int drawn; /* a line is on the screen */
} progress_line;

/* On only when `wanted` and stderr is a terminal. */
void progress_line_start(progress_line *p, int wanted, double total_seconds, int files);
/* Redraws the line: audio seconds done, files finished. */
void progress_line_draw(progress_line *p, double done_seconds, int files_done);
/* Clears the line (before other output, and at the end). */
void progress_line_clear(progress_line *p);
/* "1:02:03" or "2:03" into buf (32 bytes). */
const char *progress_clock(double seconds, char *buf);
double progress_now(void);

#endif
