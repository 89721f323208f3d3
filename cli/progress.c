#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void progress_line_start(progress_line *p, int wanted, double total_seconds, int files) {
    *p = (progress_line){.on = wanted && isatty(STDERR_FILENO),
                         .t0 = progress_now(),
                         .total_seconds = total_seconds,
                         .files = files};
}

const char *progress_clock(double seconds, char *buf) {
    int s = seconds > 0 && seconds < 1e8 ? (int)lround(seconds) : 0;
    if (s >= 3600)
        snprintf(buf, 32, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, 32, "%d:%02d", s / 60, s % 60);
    return buf;
}

void progress_line_draw(progress_line *p, double done, int files_done) {
    if (!p->on) return;
    double wall = progress_now() - p->t0;
    double speed = wall > 0 ? done / wall : 0;
    char a[32], b[32], c[32];
    fputs("\r\033[K", stderr);
    if (p->total_seconds > 0) {
        /* MP3 lengths are estimates: never claim 100% before the end. */
        double frac = done < p->total_seconds ? done / p->total_seconds : 0.99;
        fprintf(stderr, "%3.0f%%  %s of %s audio", floor(100 * frac), progress_clock(done, a),
                progress_clock(p->total_seconds, b));
        if (speed > 0 && done > 0)
            fprintf(stderr, "  %.1fx real time  ETA %s", speed,
                    progress_clock((p->total_seconds - done) / speed, c));
    } else {
        fprintf(stderr, "%s of audio", progress_clock(done, a));
        if (speed > 0 && done > 0) fprintf(stderr, "  %.1fx real time", speed);
    }
    if (p->files > 1) fprintf(stderr, "  [%d/%d files]", files_done, p->files);
    fflush(stderr);
    p->drawn = 1;
}

void progress_line_clear(progress_line *p) {
    if (!p->on || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
}
