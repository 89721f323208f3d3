/* Audio input: files and raw PCM streams, block by block or whole, and a
 * streaming resampler. */
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

/* ---- Reading block by block ----------------------------------------------
 * Memory is one 64 KiB block whatever the length of the input: what long
 * recordings and endless pipes are read with. */
typedef struct asr_audio_reader asr_audio_reader;

/* Raw PCM sample encodings, little-endian, channels interleaved. */
typedef enum { ASR_PCM_S16, ASR_PCM_S32, ASR_PCM_F32, ASR_PCM_U8 } asr_pcm_format;
/* "s16", "s32", "f32" or "u8"; 0 for anything else. */
int asr_pcm_format_parse(const char *text, asr_pcm_format *out);

/* Opens a regular file in any format libsndfile reads. Directories, FIFOs
 * and devices are refused without blocking (ASR_ERR_IO); the rest fails as
 * asr_audio_read_file() does, before any sample is read where the header
 * tells (a bad rate, a data chunk longer than the file). Messages start
 * with "path: "; a format libsndfile cannot read names ffmpeg and sox. */
asr_status asr_audio_reader_open_file(const char *path, asr_audio_reader **out);
/* Like asr_audio_reader_open_file() but also FIFOs and devices (libsndfile's
 * sf_open: a WAV written into a pipe reads to its end). */
asr_status asr_audio_reader_open_any(const char *path, asr_audio_reader **out);
/* Raw samples from f until its end (f stays open; name is used in
 * messages). A file format's header at the start (RIFF, FLAC, Ogg ...) is
 * refused with ASR_ERR_FORMAT, as is an input that ends mid-frame.
 * ASR_ERR_ARG: a rate, channel count or format out of range. */
asr_status asr_audio_reader_open_pcm(FILE *f, const char *name, asr_pcm_format format, int rate,
                                     int channels, asr_audio_reader **out);
int asr_audio_reader_rate(const asr_audio_reader *r);
/* Length from the header in seconds (an estimate for MP3); 0 if unknown. */
double asr_audio_reader_seconds(const asr_audio_reader *r);
/* Reads up to max mono frames into out; *n = 0 at the end. Problems that
 * show only while reading (truncation, a decoding error, NaN or Inf, no
 * audio at all) come back as errors, once; the reader then stays at its
 * end. The frame counts of MP3 files are estimates: read to the end. */
asr_status asr_audio_reader_read(asr_audio_reader *r, float *out, size_t max, size_t *n);
void asr_audio_reader_close(asr_audio_reader *r);

/* ---- Whole inputs in memory ----------------------------------------------
 * At most ASR_MAX_SECONDS of audio and ASR_MAX_WHOLE_SAMPLES samples (4
 * bytes each: 1 GiB), so that a bad header or an endless pipe fails with a
 * message instead of exhausting memory. */
#define ASR_MAX_SECONDS (4 * 3600)
#define ASR_MAX_WHOLE_SAMPLES (256u * 1024u * 1024u)

/* Reads anything libsndfile reads (WAV, FLAC, Ogg, MP3 ...), mixing channels
 * to mono (their mean); integer formats are scaled to [-1, 1). On failure
 * *out is empty and the message in asr_last_error() starts with "path: ".
 * ASR_ERR_IO: missing or unreadable file, a directory. ASR_ERR_FORMAT: not
 * audio, corrupt (a zero rate or channel count included), truncated (fewer
 * frames than the header promises) or no audio at all.
 * ASR_ERR_UNSUPPORTED: a rate outside ASR_MIN_RATE..ASR_MAX_RATE, more than
 * ASR_MAX_CHANNELS channels, more than the bounds above or an encoding
 * libsndfile cannot decode. ASR_ERR_AUDIO: a NaN or Inf sample. */
asr_status asr_audio_read_file(const char *path, asr_audio *out);

/* Reads raw signed 16-bit little-endian mono PCM from f until end of file
 * (f stays open). name is used in messages (NULL: "pcm16 input").
 * ASR_ERR_ARG: f NULL or a rate outside ASR_MIN_RATE..ASR_MAX_RATE.
 * ASR_ERR_FORMAT: no data, an odd number of bytes, or a file header. ASR_ERR_IO: a
 * read error. ASR_ERR_UNSUPPORTED: more than the bounds above. */
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
