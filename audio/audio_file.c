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

/* Interleaved floats decoded per sf_readf_float call: memory stays at the
 * size of the mono result whatever the channel count. */
enum { BLOCK_SAMPLES = 16384 };

size_t asr_audio_find_nonfinite(const float *samples, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(samples[i])) return i + 1;
    return 0;
}

void asr_audio_free(asr_audio *audio) {
    if (!audio) return;
    free(audio->samples);
    *audio = (asr_audio){0};
}

/* Most samples a caller may hold for this rate (the duration limit, and
 * what a size_t can count on 32-bit machines). */
static size_t max_samples(int sample_rate) {
    double limit = (double)ASR_MAX_SECONDS * sample_rate;
    double room = (double)(SIZE_MAX / sizeof(float));
    return (size_t)(limit < room ? limit : room);
}

static asr_status too_long(const char *name, double frames, int sample_rate) {
    return asr_error(ASR_ERR_UNSUPPORTED,
                     "%s: too long: %.1f hours of audio (the limit is %d hours)", name,
                     frames / sample_rate / 3600.0, ASR_MAX_SECONDS / 3600);
}

static asr_status open_failure(const char *path) {
    /* sf_error(NULL) and sf_strerror(NULL) describe the last failed open. */
    int code = sf_error(NULL);
    const char *why = sf_strerror(NULL);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return asr_error(ASR_ERR_IO, "%s: is a directory", path);
        if (S_ISREG(st.st_mode) && st.st_size == 0)
            return asr_error(ASR_ERR_FORMAT, "%s: empty file (0 bytes)", path);
    }
    asr_status status = ASR_ERR_FORMAT;
    if (code == SF_ERR_SYSTEM) status = ASR_ERR_IO;
    if (code == SF_ERR_UNSUPPORTED_ENCODING) status = ASR_ERR_UNSUPPORTED;
    return asr_error(status, "%s: cannot read audio: %s", path, why);
}

/* Bytes per sample of the subtypes stored as plain arrays; 0 for the
 * compressed ones, whose size in bytes says nothing exact about frames. */
static int bytes_per_sample(int format) {
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_ULAW:
    case SF_FORMAT_ALAW: return 1;
    case SF_FORMAT_PCM_16: return 2;
    case SF_FORMAT_PCM_24: return 3;
    case SF_FORMAT_PCM_32:
    case SF_FORMAT_FLOAT: return 4;
    case SF_FORMAT_DOUBLE: return 8;
    }
    return 0;
}

/* Frames the header promises. libsndfile quietly shortens a WAV or AIFF data
 * chunk that runs past the end of the file (info->frames then counts only
 * what is there), so the declared chunk size is read back separately. */
static sf_count_t promised_frames(SNDFILE *sf, const SF_INFO *info) {
    int bps = bytes_per_sample(info->format);
    SF_CHUNK_INFO chunk = {0};
    uint32_t header = 0; /* bytes before the samples inside the chunk */
    switch (info->format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX: memcpy(chunk.id, "data", 4); break;
    case SF_FORMAT_AIFF:
        memcpy(chunk.id, "SSND", 4);
        header = 8;
        break;
    default: return info->frames;
    }
    chunk.id_size = 4;
    SF_CHUNK_ITERATOR *it = bps ? sf_get_chunk_iterator(sf, &chunk) : NULL;
    if (!it || sf_get_chunk_size(it, &chunk) != SF_ERR_NO_ERROR) return info->frames;
    /* 0 and 0xffffffff are what streaming writers put before the length is known. */
    if (chunk.datalen <= header || chunk.datalen == UINT32_MAX) return info->frames;
    sf_count_t frames = (sf_count_t)((chunk.datalen - header) / ((uint32_t)bps * info->channels));
    return frames > info->frames ? frames : info->frames;
}

/* Through a pipe the header's length is only an upper bound: streaming
 * writers put a placeholder there (libsndfile then reports 2^31 - 1 frames
 * for 16-bit WAV). */
static int length_known(const SF_INFO *info) {
    return info->seekable && info->frames != SF_COUNT_MAX;
}

static asr_status check_header(const char *path, SNDFILE *sf, const SF_INFO *info) {
    if (info->samplerate <= 0)
        return asr_error(ASR_ERR_FORMAT, "%s: invalid sample rate %d Hz", path, info->samplerate);
    if (info->samplerate < ASR_MIN_RATE || info->samplerate > ASR_MAX_RATE)
        return asr_error(ASR_ERR_UNSUPPORTED, "%s: sample rate %d Hz is outside %d..%d Hz", path,
                         info->samplerate, ASR_MIN_RATE, ASR_MAX_RATE);
    if (info->channels <= 0)
        return asr_error(ASR_ERR_FORMAT, "%s: invalid channel count %d", path, info->channels);
    if (info->channels > ASR_MAX_CHANNELS)
        return asr_error(ASR_ERR_UNSUPPORTED, "%s: %d channels (at most %d are supported)", path,
                         info->channels, ASR_MAX_CHANNELS);
    if (!length_known(info)) return ASR_OK; /* checked while reading */
    if (info->frames <= 0) return asr_error(ASR_ERR_FORMAT, "%s: no audio", path);
    sf_count_t promised = promised_frames(sf, info);
    if ((double)promised > (double)max_samples(info->samplerate))
        return too_long(path, (double)promised, info->samplerate);
    if (promised > info->frames)
        return asr_error(ASR_ERR_FORMAT, "%s: truncated: expected %lld frames, got %lld", path,
                         (long long)promised, (long long)info->frames);
    return ASR_OK;
}

static asr_status nonfinite_error(const char *path, const float *block, size_t index, size_t frame0,
                                  int channels, int sample_rate) {
    float v = block[index];
    size_t frame = frame0 + index / (size_t)channels;
    const char *what = isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    if (channels == 1)
        return asr_error(ASR_ERR_AUDIO, "%s: sample %zu (at %.6f s) is %s", path, frame,
                         (double)frame / sample_rate, what);
    return asr_error(ASR_ERR_AUDIO, "%s: sample %zu (at %.6f s) of channel %d is %s", path, frame,
                     (double)frame / sample_rate, (int)(index % (size_t)channels), what);
}

static void mix_to_mono(const float *in, size_t frames, int channels, float *out) {
    if (channels == 1) {
        memcpy(out, in, frames * sizeof *out);
        return;
    }
    for (size_t f = 0; f < frames; f++) {
        double sum = 0; /* in double: the mean of finite floats stays finite */
        for (int c = 0; c < channels; c++)
            sum += in[f * (size_t)channels + (size_t)c];
        out[f] = (float)(sum / channels);
    }
}

static asr_status read_mono(const char *path, SNDFILE *sf, const SF_INFO *info, asr_audio *out) {
    int channels = info->channels;
    int known = length_known(info);
    size_t limit = max_samples(info->samplerate);
    /* Unknown lengths grow the buffer up to the header's bound and the limit. */
    size_t bound = limit;
    if (info->frames <= 0)
        bound = 0;
    else if ((double)info->frames < (double)limit)
        bound = (size_t)info->frames;
    size_t cap = known || bound < 65536 ? bound : 65536;
    if (cap == 0) cap = 1;
    size_t block_frames = BLOCK_SAMPLES / (size_t)channels;
    float *mono = malloc(cap * sizeof *mono);
    float *block = malloc(BLOCK_SAMPLES * sizeof *block);
    asr_status status = ASR_OK;
    size_t n = 0;
    int code = 0; /* the first decoding error: a later read clears sf_error() */
    if (!mono || !block) {
        status = asr_error(ASR_ERR_NOMEM, "%s: out of memory for %zu samples", path, cap);
        goto done;
    }
    for (;;) {
        if (n == cap) {
            if (known || n >= bound) {
                if (!known && n == limit && sf_readf_float(sf, block, 1) > 0)
                    status = too_long(path, (double)n + 1, info->samplerate);
                break;
            }
            size_t grown = cap > bound / 2 ? bound : cap * 2;
            float *bigger = realloc(mono, grown * sizeof *mono);
            if (!bigger) {
                status = asr_error(ASR_ERR_NOMEM, "%s: out of memory for %zu samples", path, grown);
                break;
            }
            mono = bigger;
            cap = grown;
        }
        size_t want = cap - n < block_frames ? cap - n : block_frames;
        sf_count_t got = sf_readf_float(sf, block, (sf_count_t)want);
        if (!code) code = sf_error(sf);
        if (got <= 0) break;
        size_t bad = asr_audio_find_nonfinite(block, (size_t)got * (size_t)channels);
        if (bad) {
            status = nonfinite_error(path, block, bad - 1, n, channels, info->samplerate);
            break;
        }
        mix_to_mono(block, (size_t)got, channels, mono + n);
        n += (size_t)got;
    }
    if (status != ASR_OK) goto done;
    if (known && n < (size_t)info->frames) {
        status = asr_error(ASR_ERR_FORMAT, "%s: truncated: expected %lld frames, got %zu%s%s", path,
                           (long long)info->frames, n, code ? ": " : "",
                           code ? sf_error_number(code) : "");
    } else if (code) {
        status = asr_error(ASR_ERR_FORMAT, "%s: decoding failed after %zu frames: %s", path, n,
                           sf_error_number(code));
    } else if (n == 0) {
        status = asr_error(ASR_ERR_FORMAT, "%s: no audio", path);
    }
    if (status == ASR_OK && n < cap) {
        float *fit = realloc(mono, n * sizeof *mono);
        if (fit) mono = fit;
    }
done:
    free(block);
    if (status != ASR_OK) {
        free(mono);
        return status;
    }
    *out = (asr_audio){.samples = mono, .n = n, .sample_rate = info->samplerate};
    return ASR_OK;
}

asr_status asr_audio_read_file(const char *path, asr_audio *out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_read_file: out is NULL");
    *out = (asr_audio){0};
    if (!path) return asr_error(ASR_ERR_ARG, "asr_audio_read_file: path is NULL");
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return open_failure(path);
    asr_status status = check_header(path, sf, &info);
    if (status == ASR_OK) status = read_mono(path, sf, &info, out);
    sf_close(sf);
    return status;
}

asr_status asr_audio_read_pcm16(FILE *f, int sample_rate, const char *name, asr_audio *out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_read_pcm16: out is NULL");
    *out = (asr_audio){0};
    if (!name) name = "pcm16 input";
    if (!f) return asr_error(ASR_ERR_ARG, "%s: no input stream", name);
    if (sample_rate < ASR_MIN_RATE || sample_rate > ASR_MAX_RATE)
        return asr_error(ASR_ERR_ARG, "%s: sample rate %d Hz is outside %d..%d Hz", name,
                         sample_rate, ASR_MIN_RATE, ASR_MAX_RATE);
    size_t limit = max_samples(sample_rate);
    unsigned char buf[32768];
    size_t pending = 0; /* an odd byte carried over to the next read */
    unsigned long long bytes = 0;
    float *samples = NULL;
    size_t n = 0, cap = 0;
    asr_status status = ASR_OK;
    for (;;) {
        size_t got = fread(buf + pending, 1, sizeof buf - pending, f);
        if (got == 0) break;
        bytes += got;
        size_t avail = pending + got, m = avail / 2;
        if (m > limit - n) {
            status = too_long(name, (double)n + (double)m, sample_rate);
            break;
        }
        if (n + m > cap) {
            size_t grown = cap ? cap : 16384;
            while (grown < n + m)
                grown = grown > limit / 2 ? limit : grown * 2;
            float *bigger = realloc(samples, grown * sizeof *samples);
            if (!bigger) {
                status = asr_error(ASR_ERR_NOMEM, "%s: out of memory for %zu samples", name, grown);
                break;
            }
            samples = bigger;
            cap = grown;
        }
        for (size_t i = 0; i < m; i++) {
            int v = buf[2 * i] | buf[2 * i + 1] << 8;
            if (v >= 32768) v -= 65536;
            samples[n + i] = (float)v / 32768.0f; /* libsndfile's scaling of 16-bit files */
        }
        n += m;
        pending = avail & 1;
        if (pending) buf[0] = buf[avail - 1];
    }
    if (status == ASR_OK && ferror(f))
        status = asr_error(ASR_ERR_IO, "%s: read error: %s", name, strerror(errno));
    else if (status == ASR_OK && pending)
        status = asr_error(ASR_ERR_FORMAT, "%s: odd number of bytes (%llu): not 16-bit samples",
                           name, bytes);
    else if (status == ASR_OK && n == 0)
        status = asr_error(ASR_ERR_FORMAT, "%s: no audio", name);
    if (status != ASR_OK) {
        free(samples);
        return status;
    }
    *out = (asr_audio){.samples = samples, .n = n, .sample_rate = sample_rate};
    return ASR_OK;
}
