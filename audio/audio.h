/* Audio input: whole files, raw PCM streams, and a streaming resampler. */
#ifndef ASR_AUDIO_H
#define ASR_AUDIO_H

#include <stddef.h>
#include <stdio.h>

#include "asr.h"

/* Mono float samples in [-1, 1]. */
typedef struct {
    float *samples; /* malloc'ed, owned by the caller: asr_audio_free() */
    size_t n;
    int sample_rate;
} asr_audio;

#define ASR_MIN_RATE 1000
#define ASR_MAX_RATE 384000
#define ASR_MAX_CHANNELS 64
/* Longest input accepted (4 hours), so that a bad header or an endless pipe
 * fails with a message instead of exhausting memory. */
#define ASR_MAX_SECONDS (4 * 3600)

/* Reads anything libsndfile reads (WAV, FLAC, Ogg ...), mixing channels to
 * mono (their mean); integer formats are scaled to [-1, 1). On failure *out
 * is empty and the message in asr_last_error() starts with "path: ".
 * ASR_ERR_IO: missing or unreadable file. ASR_ERR_FORMAT: not audio, corrupt
 * (a zero rate or channel count included), truncated (fewer frames than the
 * header promises) or no audio at all.
 * ASR_ERR_UNSUPPORTED: a rate outside ASR_MIN_RATE..ASR_MAX_RATE, more than
 * ASR_MAX_CHANNELS channels, longer than ASR_MAX_SECONDS or an encoding
 * libsndfile cannot decode. ASR_ERR_AUDIO: a NaN or Inf sample. */
asr_status asr_audio_read_file(const char *path, asr_audio *out);

/* Reads raw signed 16-bit little-endian mono PCM from f until end of file
 * (f stays open). name is used in messages (NULL: "pcm16 input").
 * ASR_ERR_ARG: f NULL or a rate outside ASR_MIN_RATE..ASR_MAX_RATE.
 * ASR_ERR_FORMAT: no data, or an odd number of bytes. ASR_ERR_IO: a read
 * error. ASR_ERR_UNSUPPORTED: more than ASR_MAX_SECONDS of audio. */
asr_status asr_audio_read_pcm16(FILE *f, int sample_rate, const char *name, asr_audio *out);

/* Frees the samples and empties *audio; accepts NULL and empty audio. */
void asr_audio_free(asr_audio *audio);

/* 0 if every sample is finite, else the index of the first bad one plus 1. */
size_t asr_audio_find_nonfinite(const float *samples, size_t n);

/* Streaming sample-rate converter (libsamplerate). The output does not
 * depend on how the input is cut into calls. */
typedef struct asr_resampler asr_resampler;

asr_resampler *asr_resampler_new(int in_rate, int out_rate);
void asr_resampler_free(asr_resampler *r);
/* Converts n input samples; end = 1 flushes the filter tail. *out points to
 * an internal buffer valid until the next call. */
asr_status asr_resampler_process(asr_resampler *r, const float *in, size_t n, int end,
                                 const float **out, size_t *n_out);
void asr_resampler_reset(asr_resampler *r);

#endif
