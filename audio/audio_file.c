/* Whole-file audio input: libsndfile files and raw 16-bit PCM streams. */
#include "audio.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

/* Most samples a caller may hold for this rate: the duration limit and
 * the memory bound. */
static size_t max_samples(int sample_rate) {
    double limit = (double)ASR_MAX_SECONDS * sample_rate;
    double room = (double)ASR_MAX_WHOLE_SAMPLES;
    if (room > (double)(SIZE_MAX / sizeof(float))) room = (double)(SIZE_MAX / sizeof(float));
    return (size_t)(limit < room ? limit : room);
}

static asr_status too_long(const char *name, double frames, int sample_rate) {
    return asr_error(ASR_ERR_UNSUPPORTED,
                     "%s: too long to hold in memory: %.1f hours of audio at %d Hz (the limit is "
                     "%zu samples: %.1f hours; 'asr transcribe' streams files of any length)",
                     name, frames / sample_rate / 3600.0, sample_rate, max_samples(sample_rate),
                     (double)max_samples(sample_rate) / sample_rate / 3600.0);
}

void asr_audio_free(asr_audio *audio) {
    if (!audio) return;
    free(audio->samples);
    *audio = (asr_audio){0};
}

/* Reads everything r has into *out, within max_samples(). Closes r. */
static asr_status read_all(asr_audio_reader *r, const char *name, asr_audio *out) {
    int rate = asr_audio_reader_rate(r);
    size_t limit = max_samples(rate);
    double header = asr_audio_reader_seconds(r) * rate;
    asr_status st = ASR_OK;
    if (header > (double)limit) st = too_long(name, header, rate);
    /* A length in the header sizes the buffer at once; otherwise it doubles. */
    size_t cap = header >= 1.0 ? (size_t)header + 1 : 65536, n = 0;
    if (cap > limit) cap = limit;
    float *samples = st == ASR_OK ? malloc(cap * sizeof *samples) : NULL;
    if (st == ASR_OK && !samples)
        st = asr_error(ASR_ERR_NOMEM, "%s: out of memory for %zu samples", name, cap);
    while (st == ASR_OK) {
        if (n == cap) {
            size_t got, probe_n;
            float probe;
            if (cap == limit) { /* one more sample means too long */
                st = asr_audio_reader_read(r, &probe, 1, &probe_n);
                if (st == ASR_OK && probe_n) st = too_long(name, (double)n + 1, rate);
                break;
            }
            got = cap > limit / 2 ? limit : cap * 2;
            float *bigger = realloc(samples, got * sizeof *samples);
            if (!bigger) {
                st = asr_error(ASR_ERR_NOMEM, "%s: out of memory for %zu samples", name, got);
                break;
            }
            samples = bigger;
            cap = got;
        }
        size_t got = 0;
        st = asr_audio_reader_read(r, samples + n, cap - n, &got);
        if (st != ASR_OK || got == 0) break;
        n += got;
    }
    asr_audio_reader_close(r);
    if (st != ASR_OK) {
        free(samples);
        return st;
    }
    if (n < cap) {
        float *fit = realloc(samples, (n ? n : 1) * sizeof *samples);
        if (fit) samples = fit;
    }
    *out = (asr_audio){.samples = samples, .n = n, .sample_rate = rate};
    return ASR_OK;
}

asr_status asr_audio_read_file(const char *path, asr_audio *out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_read_file: out is NULL");
    *out = (asr_audio){0};
    if (!path) return asr_error(ASR_ERR_ARG, "asr_audio_read_file: path is NULL");
    asr_audio_reader *r;
    asr_status st = asr_audio_reader_open_any(path, &r);
    return st == ASR_OK ? read_all(r, path, out) : st;
}

asr_status asr_audio_read_pcm16(FILE *f, int sample_rate, const char *name, asr_audio *out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_read_pcm16: out is NULL");
    *out = (asr_audio){0};
    if (!name) name = "pcm16 input";
    asr_audio_reader *r;
    asr_status st = asr_audio_reader_open_pcm(f, name, ASR_PCM_S16, sample_rate, 1, &r);
    return st == ASR_OK ? read_all(r, name, out) : st;
}
