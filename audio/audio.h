/* Audio input: files and raw PCM streams, block by block or whole, and a
 * streaming resampler. */
#ifndef ASR_AUDIO_H
#define ASR_AUDIO_H

#include <stddef.h>
#include <stdio.h>

#include "asr.h"

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

/* asr_audio_read_file() and asr_audio_free() are public (asr.h); whole
 * files are read within the bounds above. */

/* Reads raw signed 16-bit little-endian mono PCM from f until end of file
 * (f stays open). name is used in messages (NULL: "pcm16 input").
 * ASR_ERR_ARG: f NULL or a rate outside ASR_MIN_RATE..ASR_MAX_RATE.
 * ASR_ERR_FORMAT: no data, an odd number of bytes, or a file header. ASR_ERR_IO: a
 * read error. ASR_ERR_UNSUPPORTED: more than the bounds above. */
asr_status asr_audio_read_pcm16(FILE *f, int sample_rate, const char *name, asr_audio *out);

/* 0 if every sample is finite, else the index of the first bad one plus 1. */
size_t asr_audio_find_nonfinite(const float *samples, size_t n);

/* The resampler (asr_resampler_*) is public too (asr.h). */

#endif
