/* Audio read block by block: libsndfile files and raw PCM streams, mixed to
 * mono. Memory is one block whatever the length of the input. */
#include "audio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* Interleaved samples decoded per read: a block is 64 KiB of floats. */
enum { BLOCK_SAMPLES = 16384 };

struct asr_audio_reader {
    char *name;
    int rate, channels;
    size_t frames_read;
    int ended;
    /* libsndfile input */
    SNDFILE *sf;
    SF_INFO info;
    int fd;          /* ours to close after sf_close, or -1 */
    int exact;       /* info.frames is exact (not an MP3 estimate, not a pipe) */
    int first_error; /* the first decoding error: a later read clears sf_error() */
    /* raw PCM input */
    FILE *pcm;
    asr_pcm_format format;
    size_t frame_bytes, pending; /* bytes of a frame carried to the next read */
    unsigned long long bytes;
    unsigned char *raw;
    float *block; /* BLOCK_SAMPLES interleaved floats */
};

size_t asr_audio_find_nonfinite(const float *samples, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(samples[i])) return i + 1;
    return 0;
}

int asr_pcm_format_parse(const char *text, asr_pcm_format *out) {
    static const char *const names[] = {"s16", "s32", "f32", "u8"};
    for (int k = 0; k < 4; k++)
        if (text && !strcmp(text, names[k])) {
            *out = (asr_pcm_format)k;
            return 1;
        }
    return 0;
}

static int pcm_bytes(asr_pcm_format f) {
    return f == ASR_PCM_U8 ? 1 : f == ASR_PCM_S16 ? 2 : 4;
}

static const char *pcm_name(asr_pcm_format f) {
    static const char *const names[] = {"s16", "s32", "f32", "u8"};
    return names[f];
}

void asr_audio_reader_close(asr_audio_reader *r) {
    if (!r) return;
    if (r->sf) sf_close(r->sf);
    if (r->fd >= 0) close(r->fd);
    free(r->name);
    free(r->raw);
    free(r->block);
    free(r);
}

static asr_audio_reader *reader_new(const char *name) {
    asr_audio_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->fd = -1;
        r->name = strdup(name);
        r->block = malloc(BLOCK_SAMPLES * sizeof *r->block);
    }
    if (!r || !r->name || !r->block) {
        asr_audio_reader_close(r);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", name);
    }
    return r;
}

int asr_audio_reader_rate(const asr_audio_reader *r) {
    return r ? r->rate : 0;
}

double asr_audio_reader_seconds(const asr_audio_reader *r) {
    if (!r || !r->sf || !r->info.seekable || r->info.frames <= 0 || r->info.frames == SF_COUNT_MAX)
        return 0.0;
    return (double)r->info.frames / r->rate;
}

/* ---- libsndfile ------------------------------------------------------------ */

/* A named way out for formats libsndfile does not read (M4A, AAC, WMA ...). */
#define CONVERT_HINT                                                                               \
    " (WAV, FLAC, Ogg, MP3 and the other formats libsndfile reads are accepted; convert "          \
    "others first, e.g. 'ffmpeg -i IN -ac 1 -ar 16000 OUT.wav' or 'sox IN -c 1 OUT.wav')"

static asr_status open_failure(const char *path, int size_known_zero) {
    /* sf_error(NULL) and sf_strerror(NULL) describe the last failed open. */
    int code = sf_error(NULL);
    const char *why = sf_strerror(NULL);
    if (size_known_zero) return asr_error(ASR_ERR_FORMAT, "%s: empty file (0 bytes)", path);
    if (code == SF_ERR_SYSTEM) return asr_error(ASR_ERR_IO, "%s: cannot read audio: %s", path, why);
    asr_status status = code == SF_ERR_UNSUPPORTED_ENCODING ? ASR_ERR_UNSUPPORTED : ASR_ERR_FORMAT;
    return asr_error(status, "%s: cannot read audio: %s%s", path, why, CONVERT_HINT);
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

/* A WAV's fmt chunk gives each frame's size twice: as the block align and
 * through the bit width. libsndfile reads by the bit width alone, so when
 * the two disagree one of them lies and half the readings are noise (16-bit
 * samples labelled 24-bit, or mono labelled stereo): refuse, naming both.
 * Only the plain sample formats are checked (in ADPCM the block align is a
 * block's size); through a pipe, where the chunk cannot be read back, the
 * file is read as libsndfile reads it. */
static asr_status check_wav_frame_size(const char *name, SNDFILE *sf, const SF_INFO *info) {
    int type = info->format & SF_FORMAT_TYPEMASK;
    /* Reading the chunk back seeks: on a pipe it would eat samples. */
    if ((type != SF_FORMAT_WAV && type != SF_FORMAT_WAVEX) || !info->seekable) return ASR_OK;
    SF_CHUNK_INFO chunk = {.id = "fmt ", .id_size = 4};
    SF_CHUNK_ITERATOR *it = sf_get_chunk_iterator(sf, &chunk);
    unsigned char fmt[40] = {0};
    if (!it || sf_get_chunk_size(it, &chunk) != SF_ERR_NO_ERROR || chunk.datalen < 16 ||
        chunk.datalen > 4096)
        return ASR_OK;
    unsigned char *all = malloc(chunk.datalen);
    if (!all) return ASR_ERR_NOMEM;
    chunk.data = all;
    int got = sf_get_chunk_data(it, &chunk) == SF_ERR_NO_ERROR;
    if (got) memcpy(fmt, all, chunk.datalen < sizeof fmt ? chunk.datalen : sizeof fmt);
    free(all);
    if (!got) return ASR_OK;
    unsigned tag = fmt[0] | fmt[1] << 8, channels = fmt[2] | fmt[3] << 8;
    unsigned align = fmt[12] | fmt[13] << 8, bits = fmt[14] | fmt[15] << 8;
    if (tag == 0xFFFE && chunk.datalen >= 26) tag = fmt[24] | fmt[25] << 8; /* the subformat */
    if (tag != 1 && tag != 3) return ASR_OK; /* integer PCM, IEEE float */
    unsigned need = channels * ((bits + 7) / 8);
    if (align == 0 || align == need) return ASR_OK; /* 0: a sloppy writer; libsndfile mends it */
    return asr_error(ASR_ERR_FORMAT,
                     "%s: the WAV header contradicts itself: %u-bit samples in %u channel%s "
                     "make %u-byte frames, but its block align says %u: the file is damaged "
                     "or mislabelled",
                     name, bits, channels, channels == 1 ? "" : "s", need, align);
}

static asr_status check_format(const char *name, int rate, int channels) {
    if (rate <= 0) return asr_error(ASR_ERR_FORMAT, "%s: invalid sample rate %d Hz", name, rate);
    if (rate < ASR_MIN_RATE || rate > ASR_MAX_RATE)
        return asr_error(ASR_ERR_UNSUPPORTED, "%s: sample rate %d Hz is outside %d..%d Hz", name,
                         rate, ASR_MIN_RATE, ASR_MAX_RATE);
    if (channels <= 0)
        return asr_error(ASR_ERR_FORMAT, "%s: invalid channel count %d", name, channels);
    if (channels > ASR_MAX_CHANNELS)
        return asr_error(ASR_ERR_UNSUPPORTED, "%s: %d channels (at most %d are supported)", name,
                         channels, ASR_MAX_CHANNELS);
    return ASR_OK;
}

/* Through a pipe the header's length is only an upper bound: streaming
 * writers put a placeholder there (libsndfile then reports 2^31 - 1 frames
 * for 16-bit WAV). MP3 has no length field: libsndfile estimates one. */
static int length_exact(const SF_INFO *info) {
    return info->seekable && info->frames != SF_COUNT_MAX &&
           (info->format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;
}

static asr_status check_header(asr_audio_reader *r) {
    const SF_INFO *info = &r->info;
    asr_status st = check_format(r->name, info->samplerate, info->channels);
    if (st == ASR_OK) st = check_wav_frame_size(r->name, r->sf, info);
    if (st != ASR_OK || !r->exact) return st; /* the rest is checked while reading */
    if (info->frames <= 0) return asr_error(ASR_ERR_FORMAT, "%s: no audio", r->name);
    sf_count_t promised = promised_frames(r->sf, info);
    if (promised > info->frames)
        return asr_error(ASR_ERR_FORMAT,
                         "%s: truncated: expected %lld frames, got %lld (cut short, or still "
                         "being written)",
                         r->name, (long long)promised, (long long)info->frames);
    return ASR_OK;
}

/* Takes over sf (and fd when >= 0) whatever happens. */
static asr_status from_sndfile(const char *path, SNDFILE *sf, const SF_INFO *info, int fd,
                               asr_audio_reader **out) {
    asr_audio_reader *r = reader_new(path);
    if (!r) {
        sf_close(sf);
        if (fd >= 0) close(fd);
        return ASR_ERR_NOMEM;
    }
    r->sf = sf;
    r->fd = fd;
    r->info = *info;
    r->rate = info->samplerate;
    r->channels = info->channels;
    r->exact = length_exact(info);
    asr_status st = check_header(r);
    if (st != ASR_OK) {
        asr_audio_reader_close(r);
        return st;
    }
    *out = r;
    return ASR_OK;
}

asr_status asr_audio_reader_open_file(const char *path, asr_audio_reader **out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_reader_open_file: out is NULL");
    *out = NULL;
    if (!path) return asr_error(ASR_ERR_ARG, "asr_audio_reader_open_file: path is NULL");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return asr_error(ASR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    const char *refuse = NULL;
    if (fstat(fd, &st) != 0)
        refuse = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        refuse = "is a directory";
    else if (S_ISFIFO(st.st_mode))
        refuse = "is a FIFO (named pipe), not a file: pipe raw PCM to '-' instead";
    else if (!S_ISREG(st.st_mode))
        refuse = "is not a regular file";
    if (!refuse && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        refuse = strerror(errno);
    if (refuse) {
        close(fd);
        return asr_error(ASR_ERR_IO, "%s: %s", path, refuse);
    }
    SF_INFO info = {0};
    SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, 0);
    if (!sf) {
        asr_status status = open_failure(path, st.st_size == 0);
        close(fd);
        return status;
    }
    return from_sndfile(path, sf, &info, fd, out);
}

asr_status asr_audio_reader_open_any(const char *path, asr_audio_reader **out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_reader_open_any: out is NULL");
    *out = NULL;
    if (!path) return asr_error(ASR_ERR_ARG, "asr_audio_reader_open_any: path is NULL");
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        struct stat st;
        int is_file = stat(path, &st) == 0;
        if (is_file && S_ISDIR(st.st_mode))
            return asr_error(ASR_ERR_IO, "%s: is a directory", path);
        return open_failure(path, is_file && S_ISREG(st.st_mode) && st.st_size == 0);
    }
    return from_sndfile(path, sf, &info, -1, out);
}

static asr_status nonfinite_error(const asr_audio_reader *r, size_t index) {
    float v = r->block[index];
    size_t frame = r->frames_read + index / (size_t)r->channels;
    const char *what = isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    if (r->channels == 1)
        return asr_error(ASR_ERR_AUDIO, "%s: sample %zu (at %.6f s) is %s", r->name, frame,
                         (double)frame / r->rate, what);
    return asr_error(ASR_ERR_AUDIO, "%s: sample %zu (at %.6f s) of channel %d is %s", r->name,
                     frame, (double)frame / r->rate, (int)(index % (size_t)r->channels), what);
}

/* What the end of the input says about the whole: nothing wrong, or why
 * the audio read is not what the file holds. */
static asr_status sndfile_end(asr_audio_reader *r) {
    int code = r->first_error;
    if (r->exact && (sf_count_t)r->frames_read < r->info.frames)
        return asr_error(ASR_ERR_FORMAT, "%s: truncated: expected %lld frames, got %zu%s%s",
                         r->name, (long long)r->info.frames, r->frames_read, code ? ": " : "",
                         code ? sf_error_number(code) : "");
    if (code)
        return asr_error(ASR_ERR_FORMAT, "%s: decoding failed after %zu frames: %s", r->name,
                         r->frames_read, sf_error_number(code));
    return ASR_OK;
}

static sf_count_t sndfile_block(asr_audio_reader *r, size_t frames) {
    sf_count_t got = sf_readf_float(r->sf, r->block, (sf_count_t)frames);
    if (!r->first_error) r->first_error = sf_error(r->sf);
    return got;
}

/* ---- raw PCM ----------------------------------------------------------------- */

asr_status asr_audio_reader_open_pcm(FILE *f, const char *name, asr_pcm_format format, int rate,
                                     int channels, asr_audio_reader **out) {
    if (!out) return asr_error(ASR_ERR_ARG, "asr_audio_reader_open_pcm: out is NULL");
    *out = NULL;
    if (!name) name = "pcm input";
    if (!f) return asr_error(ASR_ERR_ARG, "%s: no input stream", name);
    if ((unsigned)format > ASR_PCM_U8)
        return asr_error(ASR_ERR_ARG, "%s: unknown raw PCM format %d", name, (int)format);
    if (rate < ASR_MIN_RATE || rate > ASR_MAX_RATE)
        return asr_error(ASR_ERR_ARG, "%s: sample rate %d Hz is outside %d..%d Hz", name, rate,
                         ASR_MIN_RATE, ASR_MAX_RATE);
    if (channels < 1 || channels > ASR_MAX_CHANNELS)
        return asr_error(ASR_ERR_ARG, "%s: %d channels: 1..%d are supported", name, channels,
                         ASR_MAX_CHANNELS);
    asr_audio_reader *r = reader_new(name);
    if (!r) return ASR_ERR_NOMEM;
    r->pcm = f;
    r->format = format;
    r->rate = rate;
    r->channels = channels;
    r->frame_bytes = (size_t)pcm_bytes(format) * (size_t)channels;
    r->raw = malloc(BLOCK_SAMPLES * 4);
    if (!r->raw) {
        asr_audio_reader_close(r);
        return asr_error(ASR_ERR_NOMEM, "%s: out of memory", name);
    }
    *out = r;
    return ASR_OK;
}

/* A file format's signature at the start of what should be raw samples. */
static const char *container_name(const unsigned char *b, size_t n) {
    static const struct {
        const char *magic, *name;
    } known[] = {{"RIFF", "WAV (RIFF)"}, {"RIFX", "WAV (RIFX)"}, {"RF64", "WAV (RF64)"},
                 {"FORM", "AIFF"},       {"fLaC", "FLAC"},       {"OggS", "Ogg"},
                 {"ID3", "MP3 (ID3)"},   {".snd", "AU"}};
    for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
        size_t len = strlen(known[k].magic);
        if (n >= len && !memcmp(b, known[k].magic, len)) return known[k].name;
    }
    return NULL;
}

static float pcm_sample(asr_pcm_format f, const unsigned char *p) {
    switch (f) {
    case ASR_PCM_U8: return ((float)p[0] - 128.0f) / 128.0f;
    case ASR_PCM_S16: return (float)(int16_t)(p[0] | p[1] << 8) / 32768.0f;
    case ASR_PCM_S32: {
        uint32_t u = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
        return (float)((double)(int32_t)u / 2147483648.0);
    }
    case ASR_PCM_F32: {
        uint32_t u = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
        float v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    }
    return 0.0f;
}

/* Decodes up to `frames` frames into r->block; 0 at the end of the input
 * or on an error (*st says which). */
static size_t pcm_block(asr_audio_reader *r, size_t frames, asr_status *st) {
    size_t want = frames * r->frame_bytes;
    size_t have = r->pending;
    while (have < want) {
        size_t got = fread(r->raw + have, 1, want - have, r->pcm);
        if (got == 0) break;
        if (r->bytes == 0 && have == 0) {
            const char *kind = container_name(r->raw, got);
            if (kind) {
                *st = asr_error(ASR_ERR_FORMAT,
                                "%s: starts with a %s header: this is an audio file, not raw "
                                "PCM; give its name instead of '-'",
                                r->name, kind);
                return 0;
            }
        }
        r->bytes += got;
        have += got;
    }
    if (have < want && ferror(r->pcm)) {
        *st = asr_error(ASR_ERR_IO, "%s: read error: %s", r->name, strerror(errno));
        return 0;
    }
    size_t whole = have / r->frame_bytes, used = whole * r->frame_bytes;
    size_t samples = whole * (size_t)r->channels, width = (size_t)pcm_bytes(r->format);
    for (size_t i = 0; i < samples; i++)
        r->block[i] = pcm_sample(r->format, r->raw + i * width);
    r->pending = have - used;
    memmove(r->raw, r->raw + used, r->pending);
    if (whole == 0 && r->pending) {
        *st = asr_error(ASR_ERR_FORMAT,
                        "%s: ends mid-frame: %llu bytes is not a whole number of %zu-byte frames "
                        "(%s, %d channel%s)",
                        r->name, r->bytes, r->frame_bytes, pcm_name(r->format), r->channels,
                        r->channels == 1 ? "" : "s");
        return 0;
    }
    return whole;
}

/* ---- reading ------------------------------------------------------------------ */

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

asr_status asr_audio_reader_read(asr_audio_reader *r, float *out, size_t max, size_t *n) {
    if (!n) return asr_error(ASR_ERR_ARG, "asr_audio_reader_read: n is NULL");
    *n = 0;
    if (!r || (!out && max > 0)) return asr_error(ASR_ERR_ARG, "asr_audio_reader_read: NULL");
    if (r->ended || max == 0) return ASR_OK;
    size_t frames = BLOCK_SAMPLES / (size_t)r->channels;
    if (frames > max) frames = max;
    asr_status st = ASR_OK;
    size_t got = 0;
    if (r->sf) {
        sf_count_t k = sndfile_block(r, frames);
        got = k > 0 ? (size_t)k : 0;
    } else {
        got = pcm_block(r, frames, &st);
    }
    if (st == ASR_OK && got == 0) {
        r->ended = 1;
        if (r->sf) st = sndfile_end(r);
        if (st == ASR_OK && r->frames_read == 0)
            st = asr_error(ASR_ERR_FORMAT, "%s: no audio", r->name);
    }
    if (st != ASR_OK) {
        r->ended = 1;
        return st;
    }
    size_t bad = asr_audio_find_nonfinite(r->block, got * (size_t)r->channels);
    if (bad) {
        r->ended = 1;
        return nonfinite_error(r, bad - 1);
    }
    mix_to_mono(r->block, got, r->channels, out);
    r->frames_read += got;
    *n = got;
    return ASR_OK;
}
