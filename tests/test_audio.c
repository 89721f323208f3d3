/* Audio file and raw PCM input. The files are written at run time with
 * libsndfile into a temporary directory; the expected samples come from the
 * integers or floats written, not from reading them back some other way. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include "audio.h"

static char tmp_dir[4096];

static int make_tmp_dir(void **state) {
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/asr_test_audio_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp_dir(void **state) {
    (void)state;
    DIR *dir = opendir(tmp_dir);
    if (!dir) return -1;
    struct dirent *e;
    char path[8192];
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
            unlink(path);
        }
    closedir(dir);
    return rmdir(tmp_dir);
}

/* A path in the temporary directory; each call site passes its own buffer. */
static const char *tmp_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", tmp_dir, name);
    return buf;
}
#define TMP(buf, name) tmp_path(buf, sizeof buf, name)

static SNDFILE *create(const char *path, int format, int rate, int channels) {
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) fail_msg("cannot write %s: %s", path, sf_strerror(NULL));
    return sf;
}

static void write_shorts(const char *path, int format, int rate, int channels, const short *data,
                         sf_count_t frames) {
    SNDFILE *sf = create(path, format, rate, channels);
    assert_int_equal(sf_writef_short(sf, data, frames), frames);
    sf_close(sf);
}

static void write_floats(const char *path, int format, int rate, int channels, const float *data,
                         sf_count_t frames) {
    SNDFILE *sf = create(path, format, rate, channels);
    assert_int_equal(sf_writef_float(sf, data, frames), frames);
    sf_close(sf);
}

/* Deterministic 16-bit values that include both extremes. */
static short pattern16(size_t i, int channel) {
    if (i == 0) return channel ? 32767 : -32768;
    uint32_t x = (uint32_t)(i * 2654435761u) ^ (uint32_t)(channel * 40503u);
    return (short)((int)((x >> 8) & 0xffff) - 32768);
}

static void write_wav16(const char *path, int rate, int channels, sf_count_t frames) {
    short *data = malloc((size_t)frames * (size_t)channels * sizeof *data);
    assert_non_null(data);
    for (sf_count_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            data[(size_t)i * (size_t)channels + (size_t)c] = pattern16((size_t)i, c);
    write_shorts(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, channels, data, frames);
    free(data);
}

/* Whole file in memory, for patching headers. */
static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc(*size);
    assert_non_null(bytes);
    assert_int_equal(fread(bytes, 1, *size, f), *size);
    fclose(f);
    return bytes;
}

static void spill(const char *path, const unsigned char *bytes, size_t size) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    fclose(f);
}

/* Offset of a RIFF chunk's payload (after its 8-byte id and size). */
static size_t riff_chunk(const unsigned char *bytes, size_t size, const char *id) {
    assert_true(size >= 12 && !memcmp(bytes, "RIFF", 4) && !memcmp(bytes + 8, "WAVE", 4));
    size_t at = 12;
    while (at + 8 <= size) {
        uint32_t len = bytes[at + 4] | bytes[at + 5] << 8 | bytes[at + 6] << 16 |
                       (uint32_t)bytes[at + 7] << 24;
        if (!memcmp(bytes + at, id, 4)) return at + 8;
        at += 8 + len + (len & 1);
    }
    fail_msg("no %s chunk", id);
    return 0;
}

static void put_le(unsigned char *p, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrites the rate or channel fields of a WAV's fmt chunk, keeping the
 * derived fields (byte rate, block align) consistent with them. */
static void patch_fmt(const char *path, uint32_t rate, uint16_t channels) {
    size_t size;
    unsigned char *b = slurp(path, &size);
    size_t fmt = riff_chunk(b, size, "fmt ");
    unsigned bits = b[fmt + 14] | b[fmt + 15] << 8;
    uint32_t align = channels * bits / 8;
    put_le(b + fmt + 2, channels, 2);
    put_le(b + fmt + 4, rate, 4);
    put_le(b + fmt + 8, rate * align, 4);
    put_le(b + fmt + 12, align, 2);
    spill(path, b, size);
    free(b);
}

static void assert_error_names(const char *path) {
    const char *msg = asr_last_error();
    if (strncmp(msg, path, strlen(path)) || strncmp(msg + strlen(path), ": ", 2))
        fail_msg("message does not start with \"%s: \": %s", path, msg);
}

static void assert_message_has(const char *part) {
    if (!strstr(asr_last_error(), part))
        fail_msg("message lacks \"%s\": %s", part, asr_last_error());
}

/* A read that must fail with status, leaving *out empty. */
static void expect_read_error(const char *path, asr_status status) {
    asr_audio audio = {.samples = (float *)1, .n = 7};
    asr_status got = asr_audio_read_file(path, &audio);
    if (got != status)
        fail_msg("%s: expected \"%s\", got \"%s\" (%s)", path, asr_status_str(status),
                 asr_status_str(got), asr_last_error());
    assert_null(audio.samples);
    assert_int_equal(audio.n, 0);
    assert_error_names(path);
}

static asr_audio read_ok(const char *path) {
    asr_audio audio;
    asr_status st = asr_audio_read_file(path, &audio);
    if (st != ASR_OK) fail_msg("%s: %s", path, asr_last_error());
    return audio;
}

/* ---- files that read ------------------------------------------------------ */

static void test_wav16_mono_exact(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "mono16.wav");
    write_wav16(path, 16000, 1, 1000);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 16000);
    assert_int_equal(a.n, 1000);
    for (size_t i = 0; i < a.n; i++)
        assert_true(a.samples[i] == pattern16(i, 0) / 32768.0f);
    assert_true(a.samples[0] == -1.0f);
    asr_audio_free(&a);
    assert_null(a.samples);
    assert_int_equal(a.n, 0);
    asr_audio_free(&a); /* twice is harmless */
    asr_audio_free(NULL);
}

static void test_wav24_stereo_mix(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "stereo24.wav");
    enum { N = 4410 };
    static int data[2 * N];
    int32_t v24[2 * N];
    for (size_t i = 0; i < 2 * N; i++) {
        uint32_t x = (uint32_t)(i * 2654435761u);
        v24[i] = (int32_t)((x >> 8) & 0xffffff) - 8388608;
        data[i] = v24[i] * 256; /* libsndfile keeps the top 24 of 32 bits */
    }
    SNDFILE *sf = create(path, SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 2);
    assert_int_equal(sf_writef_int(sf, data, N), N);
    sf_close(sf);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 44100);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++) {
        double want = (v24[2 * i] + (double)v24[2 * i + 1]) / 2 / 8388608.0;
        assert_true(fabs(a.samples[i] - want) <= 1e-7);
    }
    asr_audio_free(&a);
}

static void test_float_wav_six_channels(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "six.wav");
    enum { N = 800, C = 6 };
    static float data[N * C];
    for (size_t i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            data[i * C + c] = (float)(0.9 * sin(0.01 * (c + 1) * i + c));
    write_floats(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, C, data, N);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 8000);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++) {
        double want = 0;
        for (int c = 0; c < C; c++)
            want += 0.9 * sin(0.01 * (c + 1) * i + c) / C;
        assert_true(fabs(a.samples[i] - want) < 1e-6);
    }
    asr_audio_free(&a);
}

/* Float files are not clipped; the mean of huge finite values stays finite. */
static void test_float_wav_huge_values_mix(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "huge.wav");
    float data[4 * 3] = {3e38f, 3e38f, 3e38f, -3e38f, -3e38f, -3e38f, 2.0f, -4.0f, 8.0f, 0, 0, 0};
    write_floats(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 3, data, 4);
    asr_audio a = read_ok(path);
    assert_int_equal(a.n, 4);
    assert_true(a.samples[0] == 3e38f);
    assert_true(a.samples[1] == -3e38f);
    assert_true(a.samples[2] == 2.0f);
    assert_true(a.samples[3] == 0.0f);
    asr_audio_free(&a);
}

static void test_flac_8k_stereo(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "stereo.flac");
    enum { N = 8000 };
    static short data[2 * N];
    for (size_t i = 0; i < N; i++) {
        data[2 * i] = pattern16(i, 0);
        data[2 * i + 1] = pattern16(i, 1);
    }
    write_shorts(path, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 2, data, N);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 8000);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++) /* FLAC is lossless */
        assert_true(a.samples[i] == (float)((data[2 * i] + data[2 * i + 1]) / 2.0 / 32768.0));
    asr_audio_free(&a);
}

static void test_aiff_16k(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "mono.aiff");
    enum { N = 1600 };
    short data[N];
    for (size_t i = 0; i < N; i++)
        data[i] = pattern16(i, 0);
    write_shorts(path, SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 16000, 1, data, N);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 16000);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++)
        assert_true(a.samples[i] == data[i] / 32768.0f);
    asr_audio_free(&a);
}

/* Vorbis is lossy: compare the decoded tone with the ideal one. */
static void test_ogg_vorbis_44k_stereo(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "tone.ogg");
    enum { N = 44100 };
    static float data[2 * N];
    for (size_t i = 0; i < N; i++) {
        float v = (float)(0.5 * sin(2 * M_PI * 440.0 * i / 44100.0));
        data[2 * i] = 1.2f * v; /* channels differ; their mean is the tone */
        data[2 * i + 1] = 0.8f * v;
    }
    write_floats(path, SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, 2, data, N);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, 44100);
    assert_int_equal(a.n, N);
    double dot = 0, aa = 0, bb = 0;
    for (size_t i = 1000; i < N - 1000; i++) {
        double ideal = 0.5 * sin(2 * M_PI * 440.0 * i / 44100.0);
        dot += a.samples[i] * ideal;
        aa += (double)a.samples[i] * a.samples[i];
        bb += ideal * ideal;
    }
    assert_true(dot / sqrt(aa * bb) > 0.999);
    assert_true(fabs(sqrt(aa / bb) - 1) < 0.05);
    asr_audio_free(&a);
}

static void test_rate_and_channel_limits_accepted(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "edge_low.wav");
    write_wav16(path, ASR_MIN_RATE, 1, 10);
    asr_audio a = read_ok(path);
    assert_int_equal(a.sample_rate, ASR_MIN_RATE);
    asr_audio_free(&a);
    TMP(path, "edge_high.wav");
    write_wav16(path, ASR_MAX_RATE, 1, 10);
    a = read_ok(path);
    assert_int_equal(a.sample_rate, ASR_MAX_RATE);
    asr_audio_free(&a);
    TMP(path, "edge_channels.wav");
    write_wav16(path, 16000, ASR_MAX_CHANNELS, 10);
    a = read_ok(path);
    assert_int_equal(a.n, 10);
    double want = 0;
    for (int c = 0; c < ASR_MAX_CHANNELS; c++)
        want += pattern16(3, c) / 32768.0;
    assert_true(fabs(a.samples[3] - want / ASR_MAX_CHANNELS) < 1e-7);
    asr_audio_free(&a);
}

/* A streaming writer's WAV (length placeholder 0xffffffff) through a pipe:
 * the length is unknown until the end, and the buffer must grow. */
static void test_wav_through_pipe(void **state) {
    (void)state;
    char wav[8192], fifo[8192];
    TMP(wav, "piped.wav");
    TMP(fifo, "pipe");
    enum { N = 100000 };
    write_wav16(wav, 16000, 1, N);
    size_t size;
    unsigned char *bytes = slurp(wav, &size);
    put_le(bytes + riff_chunk(bytes, size, "data") - 4, UINT32_MAX, 4);
    put_le(bytes + 4, UINT32_MAX, 4);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(fifo, O_WRONLY);
        size_t at = 0;
        while (fd >= 0 && at < size) {
            ssize_t w = write(fd, bytes + at, size - at);
            if (w <= 0) break;
            at += (size_t)w;
        }
        _exit(at == size ? 0 : 1);
    }
    asr_audio a;
    asr_status st = asr_audio_read_file(fifo, &a);
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    free(bytes);
    if (st != ASR_OK) fail_msg("%s", asr_last_error());
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++)
        assert_true(a.samples[i] == pattern16(i, 0) / 32768.0f);
    asr_audio_free(&a);
}

/* ---- files that must be refused ------------------------------------------- */

static void test_missing_file(void **state) {
    (void)state;
    char path[8192];
    expect_read_error(TMP(path, "does_not_exist.wav"), ASR_ERR_IO);
    expect_read_error(tmp_dir, ASR_ERR_IO); /* a directory */
}

static void test_no_audio(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "empty.wav");
    write_wav16(path, 16000, 1, 0);
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("no audio");
}

static void test_zero_byte_file(void **state) {
    (void)state;
    char path[8192];
    spill(TMP(path, "zero.wav"), (const unsigned char *)"", 0);
    expect_read_error(path, ASR_ERR_FORMAT);
}

static void test_text_file(void **state) {
    (void)state;
    char path[8192];
    const char *text = "This is not audio, whatever its name says.\n";
    spill(TMP(path, "text.wav"), (const unsigned char *)text, strlen(text));
    expect_read_error(path, ASR_ERR_FORMAT);
}

static void cut_bytes(const char *path, off_t bytes) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - bytes), 0);
}

static void test_truncated_wav(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "cut.wav");
    write_wav16(path, 16000, 2, 1000); /* 4 bytes a frame */
    cut_bytes(path, 1201);             /* 300 frames and a quarter */
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("truncated: expected 1000 frames, got 699");
}

/* Rewrites one 16-bit field of a WAV's fmt chunk (12: block align, 14: bit
 * width, 2: channels), leaving the rest as it was. */
static void patch_fmt_field(const char *path, size_t offset, unsigned value) {
    size_t size;
    unsigned char *b = slurp(path, &size);
    put_le(b + riff_chunk(b, size, "fmt ") + offset, value, 2);
    spill(path, b, size);
    free(b);
}

/* libsndfile reads by the bit width and ignores the block align: when they
 * disagree, half the readings are noise, so the file is refused. */
static void test_wav_header_contradicts_itself(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "lying.wav");
    write_wav16(path, 16000, 1, 1000);
    patch_fmt_field(path, 14, 24); /* 16-bit samples labelled 24-bit */
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has(
        "24-bit samples in 1 channel make 3-byte frames, but its block align says 2");
    write_wav16(path, 16000, 1, 1000);
    patch_fmt_field(path, 2, 2); /* mono labelled stereo */
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("2 channels make 4-byte frames, but its block align says 2");
    write_wav16(path, 16000, 1, 1000);
    patch_fmt_field(path, 12, 4);
    expect_read_error(path, ASR_ERR_FORMAT);
    asr_audio_reader *r = NULL;
    assert_int_equal(asr_audio_reader_open_file(path, &r), ASR_ERR_FORMAT);
    assert_null(r);
    /* A block align of 0 (a sloppy writer) says nothing: libsndfile mends it. */
    write_wav16(path, 16000, 1, 1000);
    patch_fmt_field(path, 12, 0);
    asr_audio a = read_ok(path);
    assert_int_equal(a.n, 1000);
    asr_audio_free(&a);
}

static void test_truncated_float_wav_and_aiff(void **state) {
    (void)state;
    char path[8192];
    float data[500] = {0};
    write_floats(TMP(path, "cut_float.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, data, 500);
    cut_bytes(path, 400);
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("truncated: expected 500 frames, got 400");
    write_floats(TMP(path, "cut.aiff"), SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 16000, 1, data, 500);
    cut_bytes(path, 200);
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("truncated: expected 500 frames, got 400");
}

static void test_truncated_flac_and_ogg(void **state) {
    (void)state;
    char path[8192];
    enum { N = 32000 };
    static float data[N];
    for (size_t i = 0; i < N; i++)
        data[i] = (float)(0.5 * sin(0.05 * i) * sin(0.0007 * i));
    write_floats(TMP(path, "cut.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, data, N);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    cut_bytes(path, st.st_size / 3);
    expect_read_error(path, ASR_ERR_FORMAT);
    assert_message_has("truncated: expected 32000 frames");
    write_floats(TMP(path, "cut.ogg"), SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, data, N);
    assert_int_equal(stat(path, &st), 0);
    cut_bytes(path, st.st_size / 3);
    expect_read_error(path, ASR_ERR_FORMAT);
}

static void test_nan_and_inf(void **state) {
    (void)state;
    char path[8192];
    enum { N = 20000 };
    static float data[2 * N];
    for (size_t i = 0; i < 2 * N; i++)
        data[i] = (float)sin(0.01 * i);
    data[160] = NAN;
    write_floats(TMP(path, "nan.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, data, N);
    expect_read_error(path, ASR_ERR_AUDIO);
    assert_message_has("sample 160 (at 0.010000 s) is NaN");

    data[160] = 0;
    data[2 * 500 + 1] = INFINITY; /* frame 500 of a stereo file, channel 1 */
    write_floats(TMP(path, "inf.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 2, data, N);
    expect_read_error(path, ASR_ERR_AUDIO);
    assert_message_has("sample 500 (at 0.031250 s) of channel 1 is +Inf");

    data[2 * 500 + 1] = 0;
    data[2 * 16000] = -INFINITY; /* past the first block the reader decodes */
    write_floats(TMP(path, "ninf.wav"), SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 16000, 2, data, N);
    expect_read_error(path, ASR_ERR_AUDIO);
    assert_message_has("sample 16000 (at 1.000000 s) of channel 0 is -Inf");
}

static void test_absurd_sample_rates(void **state) {
    (void)state;
    char path[8192];
    write_wav16(TMP(path, "rate0.wav"), 16000, 1, 100);
    patch_fmt(path, 0, 1);
    expect_read_error(path, ASR_ERR_FORMAT);

    write_wav16(TMP(path, "rate5m.wav"), 16000, 1, 100);
    patch_fmt(path, 5000000, 1);
    expect_read_error(path, ASR_ERR_UNSUPPORTED);
    assert_message_has("5000000 Hz");

    write_wav16(TMP(path, "rate999.wav"), 16000, 1, 100);
    patch_fmt(path, ASR_MIN_RATE - 1, 1);
    expect_read_error(path, ASR_ERR_UNSUPPORTED);
}

static void test_absurd_channel_counts(void **state) {
    (void)state;
    char path[8192];
    write_wav16(TMP(path, "ch1000.wav"), 16000, 10, 100);
    patch_fmt(path, 16000, 1000);
    expect_read_error(path, ASR_ERR_UNSUPPORTED);
    assert_message_has("1000 channels");

    write_wav16(TMP(path, "ch65.wav"), 16000, 5, 130);
    patch_fmt(path, 16000, ASR_MAX_CHANNELS + 1);
    expect_read_error(path, ASR_ERR_UNSUPPORTED);

    write_wav16(TMP(path, "ch0.wav"), 16000, 1, 100);
    patch_fmt(path, 16000, 0);
    expect_read_error(path, ASR_ERR_FORMAT);
}

/* A header promising more than ASR_MAX_SECONDS, backed by a sparse file so
 * that nothing is written: refused before any sample is read. */
static void test_too_long(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "long.wav");
    short one = 0;
    write_shorts(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, ASR_MIN_RATE, 1, &one, 1);
    size_t size;
    unsigned char *b = slurp(path, &size);
    uint32_t data_bytes = 2u * (ASR_MAX_SECONDS * ASR_MIN_RATE + 1);
    size_t data = riff_chunk(b, size, "data");
    put_le(b + data - 4, data_bytes, 4);
    put_le(b + 4, (uint32_t)(data - 8) + data_bytes, 4);
    spill(path, b, data);
    free(b);
    assert_int_equal(truncate(path, (off_t)(data + data_bytes)), 0);
    expect_read_error(path, ASR_ERR_UNSUPPORTED);
    assert_message_has("too long");
}

static void test_bad_arguments(void **state) {
    (void)state;
    asr_audio a;
    assert_int_equal(asr_audio_read_file(NULL, &a), ASR_ERR_ARG);
    assert_null(a.samples);
    assert_int_equal(asr_audio_read_file("x.wav", NULL), ASR_ERR_ARG);
    assert_int_equal(asr_audio_read_pcm16(stdin, 16000, "x", NULL), ASR_ERR_ARG);
}

/* ---- raw 16-bit PCM --------------------------------------------------------- */

static FILE *memory_file(const unsigned char *bytes, size_t size) {
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    rewind(f);
    return f;
}

static void test_pcm16_reads_little_endian(void **state) {
    (void)state;
    /* More than one internal read, and an odd split point on the way. */
    enum { N = 70001 };
    unsigned char *bytes = malloc(2 * N);
    assert_non_null(bytes);
    for (size_t i = 0; i < N; i++) {
        uint16_t u = (uint16_t)pattern16(i, 0);
        bytes[2 * i] = (unsigned char)(u & 0xff);
        bytes[2 * i + 1] = (unsigned char)(u >> 8);
    }
    FILE *f = memory_file(bytes, 2 * N);
    asr_audio a;
    assert_int_equal(asr_audio_read_pcm16(f, 22050, "stdin", &a), ASR_OK);
    fclose(f);
    assert_int_equal(a.sample_rate, 22050);
    assert_int_equal(a.n, N);
    for (size_t i = 0; i < N; i++)
        assert_true(a.samples[i] == pattern16(i, 0) / 32768.0f);
    assert_true(a.samples[0] == -1.0f);

    /* The same samples in a WAV read through libsndfile: same floats. */
    char path[8192];
    write_wav16(TMP(path, "same.wav"), 22050, 1, N);
    asr_audio w = read_ok(path);
    assert_int_equal(w.n, a.n);
    assert_memory_equal(w.samples, a.samples, a.n * sizeof *a.samples);
    asr_audio_free(&w);
    asr_audio_free(&a);
    free(bytes);
}

static void test_pcm16_errors(void **state) {
    (void)state;
    asr_audio a;
    unsigned char three[3] = {1, 2, 3};
    FILE *f = memory_file(three, 3);
    assert_int_equal(asr_audio_read_pcm16(f, 16000, "odd-input", &a), ASR_ERR_FORMAT);
    assert_null(a.samples);
    assert_error_names("odd-input");
    assert_message_has("ends mid-frame: 3 bytes");
    fclose(f);

    f = memory_file(three, 0);
    assert_int_equal(asr_audio_read_pcm16(f, 16000, "empty-input", &a), ASR_ERR_FORMAT);
    assert_error_names("empty-input");
    assert_message_has("no audio");

    rewind(f);
    assert_int_equal(asr_audio_read_pcm16(f, 0, "rate-input", &a), ASR_ERR_ARG);
    assert_error_names("rate-input");
    assert_int_equal(asr_audio_read_pcm16(f, ASR_MAX_RATE + 1, "rate-input", &a), ASR_ERR_ARG);
    assert_error_names("rate-input");
    fclose(f);

    assert_int_equal(asr_audio_read_pcm16(NULL, 16000, "no-file", &a), ASR_ERR_ARG);
    assert_error_names("no-file");
    f = memory_file(three, 2);
    assert_int_equal(asr_audio_read_pcm16(f, 16000, NULL, &a), ASR_OK);
    assert_int_equal(a.n, 1);
    assert_true(a.samples[0] == (1 + 2 * 256) / 32768.0f);
    asr_audio_free(&a);
    fclose(f);
}

/* An endless input stops at ASR_MAX_SECONDS with a message, not by
 * exhausting memory. */
static void test_pcm16_endless_input(void **state) {
    (void)state;
    FILE *f = fopen("/dev/zero", "rb");
    if (!f) skip();
    asr_audio a;
    assert_int_equal(asr_audio_read_pcm16(f, ASR_MIN_RATE, "/dev/zero", &a), ASR_ERR_UNSUPPORTED);
    fclose(f);
    assert_null(a.samples);
    assert_error_names("/dev/zero");
    assert_message_has("too long");
}

/* ---- reading block by block ------------------------------------------------ */

/* Reads everything r has, max frames per call, into a new buffer. */
static float *read_blocks(asr_audio_reader *r, size_t max, size_t *n, asr_status *st) {
    size_t cap = 1 << 16;
    float *all = malloc(cap * sizeof *all);
    assert_non_null(all);
    *n = 0;
    for (;;) {
        if (*n + max > cap) {
            cap *= 2;
            all = realloc(all, cap * sizeof *all);
            assert_non_null(all);
        }
        size_t got = 0;
        *st = asr_audio_reader_read(r, all + *n, max, &got);
        if (*st != ASR_OK || got == 0) break;
        *n += got;
    }
    return all;
}

static void test_reader_blocks_match_whole_file(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "blocks.wav");
    write_wav16(path, 44100, 3, 50000);
    asr_audio whole = read_ok(path);
    asr_audio_reader *r;
    assert_int_equal(asr_audio_reader_open_file(path, &r), ASR_OK);
    assert_int_equal(asr_audio_reader_rate(r), 44100);
    assert_true(fabs(asr_audio_reader_seconds(r) - 50000 / 44100.0) < 1e-9);
    size_t n;
    asr_status st;
    float *got = read_blocks(r, 777, &n, &st); /* an odd block size */
    assert_int_equal(st, ASR_OK);
    assert_int_equal(n, whole.n);
    assert_memory_equal(got, whole.samples, n * sizeof *got);
    size_t more = 1;
    assert_int_equal(asr_audio_reader_read(r, got, 10, &more), ASR_OK); /* stays at its end */
    assert_int_equal(more, 0);
    asr_audio_reader_close(r);
    free(got);
    asr_audio_free(&whole);
}

/* Each raw format, two channels: the mean of the pair, scaled as
 * libsndfile scales the same encoding in a WAV file. */
static void test_reader_raw_formats(void **state) {
    (void)state;
    static const struct {
        asr_pcm_format format;
        const char *name;
        unsigned char bytes[16]; /* two frames: (L, R), (L, R) */
        float want[2];
    } cases[] = {
        {ASR_PCM_S16,
         "s16",
         {0x00, 0x80, 0xff, 0x7f, 0x00, 0x40, 0x00, 0x40},
         {(-32768 + 32767) / 2.0f / 32768.0f, 0.5f}},
        {ASR_PCM_U8, "u8", {0x00, 0xff, 0xc0, 0xc0}, {(-1.0f + 127 / 128.0f) / 2, 0.5f}},
        {ASR_PCM_S32,
         "s32",
         {0, 0, 0, 0x80, 0, 0, 0, 0x40, 0, 0, 0, 0xc0, 0, 0, 0, 0xc0},
         {-0.25f, -0.5f}},
        {ASR_PCM_F32,
         "f32",
         {0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xbf, 0, 0, 0, 0xbf},
         {0.5f, -0.5f}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        asr_pcm_format parsed;
        assert_true(asr_pcm_format_parse(cases[k].name, &parsed));
        assert_int_equal(parsed, cases[k].format);
        size_t width = cases[k].format == ASR_PCM_U8 ? 1 : cases[k].format == ASR_PCM_S16 ? 2 : 4;
        FILE *f = fmemopen((void *)cases[k].bytes, 4 * width, "rb");
        asr_audio_reader *r;
        assert_int_equal(asr_audio_reader_open_pcm(f, "raw", cases[k].format, 8000, 2, &r), ASR_OK);
        float out[4];
        size_t n;
        assert_int_equal(asr_audio_reader_read(r, out, 4, &n), ASR_OK);
        assert_int_equal(n, 2);
        for (int i = 0; i < 2; i++)
            if (fabsf(out[i] - cases[k].want[i]) > 1e-7f)
                fail_msg("%s frame %d: %g, expected %g", cases[k].name, i, out[i],
                         cases[k].want[i]);
        assert_int_equal(asr_audio_reader_read(r, out, 4, &n), ASR_OK);
        assert_int_equal(n, 0);
        asr_audio_reader_close(r);
        fclose(f);
    }
    asr_pcm_format ignored;
    assert_false(asr_pcm_format_parse("s24", &ignored));
    assert_false(asr_pcm_format_parse(NULL, &ignored));
}

static asr_status read_raw(const void *bytes, size_t size, asr_pcm_format format, int channels) {
    FILE *f = fmemopen((void *)bytes, size, "rb");
    assert_non_null(f);
    asr_audio_reader *r;
    asr_status st = asr_audio_reader_open_pcm(f, "stdin", format, 16000, channels, &r);
    if (st == ASR_OK) {
        size_t n;
        float *all = read_blocks(r, 4096, &n, &st);
        free(all);
        asr_audio_reader_close(r);
    }
    fclose(f);
    return st;
}

static void test_reader_raw_errors(void **state) {
    (void)state;
    static const unsigned char wav[] = "RIFF\x24\0\0\0WAVEfmt ";
    assert_int_equal(read_raw(wav, sizeof wav - 1, ASR_PCM_S16, 1), ASR_ERR_FORMAT);
    assert_error_names("stdin");
    assert_message_has("WAV (RIFF) header");
    static const unsigned char flac[] = "fLaC\0\0\0\x22";
    assert_int_equal(read_raw(flac, sizeof flac - 1, ASR_PCM_F32, 1), ASR_ERR_FORMAT);
    assert_message_has("FLAC header");
    static const unsigned char five[5] = {1, 2, 3, 4, 5};
    assert_int_equal(read_raw(five, 5, ASR_PCM_S16, 2), ASR_ERR_FORMAT);
    assert_message_has("ends mid-frame: 5 bytes is not a whole number of 4-byte frames");
    assert_int_equal(read_raw(five, 0, ASR_PCM_U8, 1), ASR_ERR_FORMAT);
    assert_message_has("no audio");
    float nan_pair[2] = {0.0f, NAN};
    assert_int_equal(read_raw(nan_pair, sizeof nan_pair, ASR_PCM_F32, 2), ASR_ERR_AUDIO);
    assert_message_has("of channel 1 is NaN");
    asr_audio_reader *r;
    assert_int_equal(asr_audio_reader_open_pcm(stdin, "x", ASR_PCM_S16, 16000, 0, &r), ASR_ERR_ARG);
    assert_int_equal(asr_audio_reader_open_pcm(stdin, "x", (asr_pcm_format)9, 16000, 1, &r),
                     ASR_ERR_ARG);
    assert_int_equal(asr_audio_reader_open_pcm(stdin, "x", ASR_PCM_S16, 999, 1, &r), ASR_ERR_ARG);
}

/* Directories and FIFOs are refused at once: no writer is waited for. */
static void test_reader_refuses_fifo_and_directory(void **state) {
    (void)state;
    char fifo[8192];
    TMP(fifo, "refused_fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    asr_audio_reader *r = (asr_audio_reader *)1;
    assert_int_equal(asr_audio_reader_open_file(fifo, &r), ASR_ERR_IO);
    assert_null(r);
    assert_error_names(fifo);
    assert_message_has("is a FIFO");
    assert_int_equal(asr_audio_reader_open_file(tmp_dir, &r), ASR_ERR_IO);
    assert_message_has("is a directory");
    assert_int_equal(asr_audio_reader_open_file("/dev/null", &r), ASR_ERR_IO);
    assert_message_has("not a regular file");
}

static void test_reader_unknown_format_names_converters(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "talk.m4a");
    static const unsigned char m4a[] = "\0\0\0\x20"
                                       "ftypM4A \0\0\0\0M4A mp42isom\0\0\0\0";
    spill(path, m4a, sizeof m4a - 1);
    asr_audio_reader *r;
    assert_int_equal(asr_audio_reader_open_file(path, &r), ASR_ERR_FORMAT);
    assert_error_names(path);
    assert_message_has("ffmpeg");
    assert_message_has("sox");
}

/* MP3 (libsndfile 1.1+ with LAME): the frame count is an estimate, so the
 * reader reads to the end and never calls it truncated. */
static void test_reader_mp3_reads_to_the_end(void **state) {
    (void)state;
    char path[8192];
    TMP(path, "stereo.mp3");
    enum { N = 44100 * 2 };
    SF_INFO info = {
        .samplerate = 44100, .channels = 2, .format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) skip(); /* a libsndfile without MP3 encoding */
    static float data[2 * N];
    for (size_t i = 0; i < N; i++)
        data[2 * i] = data[2 * i + 1] = 0.3f * sinf((float)i * 0.05f);
    assert_int_equal(sf_writef_float(sf, data, N), N);
    sf_close(sf);
    asr_audio_reader *r;
    asr_status st = asr_audio_reader_open_file(path, &r);
    if (st != ASR_OK) fail_msg("%s", asr_last_error());
    size_t n;
    float *got = read_blocks(r, 5000, &n, &st);
    if (st != ASR_OK) fail_msg("%s", asr_last_error());
    /* The encoder adds a frame of delay and padding: about 1152 samples. */
    assert_true(n >= N && n <= N + 4 * 1152);
    free(got);
    asr_audio_reader_close(r);
}

static void test_find_nonfinite(void **state) {
    (void)state;
    float x[5] = {0, 1, -1, 3e38f, -3e38f};
    assert_int_equal(asr_audio_find_nonfinite(x, 5), 0);
    assert_int_equal(asr_audio_find_nonfinite(NULL, 0), 0);
    x[4] = NAN;
    assert_int_equal(asr_audio_find_nonfinite(x, 5), 5);
    assert_int_equal(asr_audio_find_nonfinite(x, 4), 0);
    x[1] = -INFINITY;
    assert_int_equal(asr_audio_find_nonfinite(x, 5), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav16_mono_exact),
        cmocka_unit_test(test_wav24_stereo_mix),
        cmocka_unit_test(test_float_wav_six_channels),
        cmocka_unit_test(test_float_wav_huge_values_mix),
        cmocka_unit_test(test_flac_8k_stereo),
        cmocka_unit_test(test_aiff_16k),
        cmocka_unit_test(test_ogg_vorbis_44k_stereo),
        cmocka_unit_test(test_rate_and_channel_limits_accepted),
        cmocka_unit_test(test_wav_through_pipe),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_no_audio),
        cmocka_unit_test(test_zero_byte_file),
        cmocka_unit_test(test_text_file),
        cmocka_unit_test(test_truncated_wav),
        cmocka_unit_test(test_wav_header_contradicts_itself),
        cmocka_unit_test(test_truncated_float_wav_and_aiff),
        cmocka_unit_test(test_truncated_flac_and_ogg),
        cmocka_unit_test(test_nan_and_inf),
        cmocka_unit_test(test_absurd_sample_rates),
        cmocka_unit_test(test_absurd_channel_counts),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_pcm16_reads_little_endian),
        cmocka_unit_test(test_pcm16_errors),
        cmocka_unit_test(test_pcm16_endless_input),
        cmocka_unit_test(test_find_nonfinite),
        cmocka_unit_test(test_reader_blocks_match_whole_file),
        cmocka_unit_test(test_reader_raw_formats),
        cmocka_unit_test(test_reader_raw_errors),
        cmocka_unit_test(test_reader_refuses_fifo_and_directory),
        cmocka_unit_test(test_reader_unknown_format_names_converters),
        cmocka_unit_test(test_reader_mp3_reads_to_the_end),
    };
    return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
