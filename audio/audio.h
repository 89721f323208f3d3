/* Audio input: whole files, raw PCM streams, and a streaming resampler. */
#ifndef ASR_AUDIO_H
#define ASR_AUDIO_H

#include <stddef.h>
#include <stdio.h>

#include "asr.h"

#define ASR_MIN_RATE 1000
#define ASR_MAX_RATE 384000
#define ASR_MAX_CHANNELS 64
/* Longest input accepted (4 hours), so that a bad header or an endless pipe
 * fails with a message instead of exhausting memory. */
#define ASR_MAX_SECONDS (4 * 3600)

/* asr_audio_read_file() and asr_audio_free() are public (asr.h). */

/* Reads raw signed 16-bit little-endian mono PCM from f until end of file
 * (f stays open). name is used in messages (NULL: "pcm16 input").
 * ASR_ERR_ARG: f NULL or a rate outside ASR_MIN_RATE..ASR_MAX_RATE.
 * ASR_ERR_FORMAT: no data, or an odd number of bytes. ASR_ERR_IO: a read
 * error. ASR_ERR_UNSUPPORTED: more than ASR_MAX_SECONDS of audio. */
asr_status asr_audio_read_pcm16(FILE *f, int sample_rate, const char *name, asr_audio *out);

/* 0 if every sample is finite, else the index of the first bad one plus 1. */
size_t asr_audio_find_nonfinite(const float *samples, size_t n);

/* The resampler (asr_resampler_*) is public too (asr.h). */

#endif
