/* Model file loading: a good file's contents, and every kind of bad file
 * (missing, empty, foreign, truncated, corrupted, inconsistent) rejected
 * with a message that names the file, without crashing or leaking. */
#include "gguf.h"
#include "model.h"
#include "test_util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define LSTM_FIXTURE "tests/fixtures/parity_lstm.gguf"

typedef struct {
    unsigned char *data;
    size_t size;
} blob;

static blob read_blob(const char *rel) {
    size_t n;
    float *f = test_read_f32(rel, &n); /* any file; sizes are multiples of 4 */
    blob b = {(unsigned char *)f, n * sizeof(float)};
    return b;
}

/* A scratch file path, unique to this process. */
static const char *tmp_path(void) {
    static char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/asr_test_model_%d.gguf", dir ? dir : "/tmp", (int)getpid());
    return path;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Loads data as a file; returns the model or NULL, and checks that a
 * failure names the file. */
static asr_model *load_bytes(const void *data, size_t n) {
    const char *path = tmp_path();
    write_file(path, data, n);
    asr_model *m = asr_model_load(path);
    if (!m && !strstr(asr_last_error(), path))
        fail_msg("error does not name the file: %s", asr_last_error());
    unlink(path);
    return m;
}

/* Loading must fail, with a message containing `expect`. */
static void assert_rejected(const void *data, size_t n, const char *expect) {
    asr_model *m = load_bytes(data, n);
    if (m) {
        asr_model_free(m);
        fail_msg("a bad file was accepted (expected \"%s\")", expect);
    }
    if (expect && !strstr(asr_last_error(), expect))
        fail_msg("message \"%s\" lacks \"%s\"", asr_last_error(), expect);
}

static size_t find(const blob *b, const char *needle) {
    size_t len = strlen(needle);
    for (size_t i = 0; i + len <= b->size; i++)
        if (memcmp(b->data + i, needle, len) == 0) return i;
    fail_msg("\"%s\" not found in the fixture", needle);
    return 0;
}

/* Offset of the value of a metadata key (after its u32 type). */
static size_t value_offset(const blob *b, const char *key) {
    return find(b, key) + strlen(key) + 4;
}

static void put_u32(unsigned char *p, uint32_t v) {
    memcpy(p, &v, 4);
}

static void put_u64(unsigned char *p, uint64_t v) {
    memcpy(p, &v, 8);
}

/* Bytes before the tensor data, and where the last tensor ends. */
static void file_layout(size_t *data_start, size_t *data_end) {
    asr_gguf *g = asr_gguf_open(test_path(LSTM_FIXTURE));
    assert_non_null(g);
    *data_start = g->size;
    *data_end = 0;
    for (size_t i = 0; i < g->n_tensors; i++) {
        size_t start = (size_t)((const unsigned char *)g->tensors[i].data - g->map);
        if (start < *data_start) *data_start = start;
        if (start + g->tensors[i].n_bytes > *data_end) *data_end = start + g->tensors[i].n_bytes;
    }
    asr_gguf_close(g);
}

/* The fixture with one more metadata entry, key = the 4 bytes at value (of
 * GGUF type `type`), inserted before the tensor infos; the data section
 * moves to the next multiple of the alignment (32), as a writer puts it. */
static blob with_kv(const char *key, uint32_t type, const void *value) {
    blob good = read_blob(LSTM_FIXTURE);
    size_t data_start, data_end;
    file_layout(&data_start, &data_end);
    size_t infos = find(&good, "cmvn.mean") - 8; /* the first tensor's name length */
    uint64_t n_tensors, n_kv, len;
    uint32_t dims;
    memcpy(&n_tensors, good.data + 8, 8);
    memcpy(&n_kv, good.data + 16, 8);
    size_t end = infos;
    for (uint64_t i = 0; i < n_tensors; i++) { /* name, rank, dims, type, offset */
        memcpy(&len, good.data + end, 8);
        memcpy(&dims, good.data + end + 8 + len, 4);
        end += 8 + len + 4 + 8 * dims + 4 + 8;
    }
    size_t klen = strlen(key), kv = 8 + klen + 4 + 4;
    size_t start = (end + kv + 31) / 32 * 32;
    blob b = {calloc(1, start + good.size - data_start), start + good.size - data_start};
    assert_non_null(b.data);
    memcpy(b.data, good.data, infos);
    put_u64(b.data + 16, n_kv + 1);
    put_u64(b.data + infos, klen);
    memcpy(b.data + infos + 8, key, klen);
    put_u32(b.data + infos + 8 + klen, type);
    memcpy(b.data + infos + 8 + klen + 4, value, 4);
    memcpy(b.data + infos + kv, good.data + infos, end - infos);
    memcpy(b.data + start, good.data + data_start, good.size - data_start);
    free(good.data);
    return b;
}

static void test_good_file(void **st) {
    (void)st;
    asr_model *m = asr_model_load(test_path(LSTM_FIXTURE));
    if (!m) fail_msg("%s", asr_last_error());
    asr_model_info info = asr_model_get_info(m);
    assert_string_equal(info.name, "parity-lstm");
    assert_string_equal(info.cell, "lstm");
    assert_int_equal(info.bidirectional, 0);
    assert_int_equal(info.num_layers, 2);
    assert_int_equal(info.hidden_size, 24);
    /* 4 gates x 24 x (inputs + hidden + 2 biases) per layer, then 29 x (24 + 1). */
    assert_int_equal(info.num_params, 96 * (180 + 24 + 2) + 96 * (24 + 24 + 2) + 29 * 25);
    assert_int_equal(info.sample_rate, 16000);
    assert_int_equal(info.frame_shift_ms, 30);
    assert_int_equal(info.vocab_size, 29);
    assert_true(info.lm_alpha == ASR_DEFAULT_LM_ALPHA); /* the file names none */
    assert_true(info.blank_penalty == 0.0f);            /* nor a blank penalty */
    assert_int_equal(asr_model_input_dim(m), 180);
    assert_int_equal(asr_model_vocab_size(m), 29);
    assert_int_equal(asr_model_is_bidirectional(m), 0);
    assert_string_equal(asr_model_symbol(m, 0), "");
    assert_string_equal(asr_model_symbol(m, 1), " ");
    assert_string_equal(asr_model_symbol(m, 2), "'");
    assert_string_equal(asr_model_symbol(m, 3), "a");
    assert_string_equal(asr_model_symbol(m, 28), "z");
    assert_null(asr_model_symbol(m, 29));
    assert_null(asr_model_symbol(m, -1));

    asr_feature_config fc = asr_model_feature_config(m);
    assert_int_equal(fc.sample_rate, 16000);
    assert_true(fc.frame_length_ms == 25.0f && fc.frame_shift_ms == 10.0f);
    assert_int_equal(fc.num_mel_bins, 40);
    assert_int_equal(fc.num_ceps, 20);
    assert_true(fc.low_freq == 20.0f && fc.high_freq == -400.0f);
    assert_true(fc.preemph == 0.97f && fc.cepstral_lifter == 22.0f);
    assert_int_equal(fc.delta_order, 2);
    assert_int_equal(fc.delta_window, 2);
    assert_int_equal(fc.stack, 3);
    assert_true(fc.cmvn_prior_frames == 200.0f);
    /* The utterance mean of real MFCCs: c0 is large, the rest smaller. */
    assert_non_null(fc.cmvn_mean);
    assert_true(fabsf(fc.cmvn_mean[0]) > 10.0f);
    for (int i = 0; i < 20; i++)
        assert_true(isfinite(fc.cmvn_mean[i]));

    const asr_model_net *net = asr_model_get_net(m);
    assert_int_equal(net->cell, ASR_CELL_LSTM);
    assert_int_equal(net->gates, 4);
    assert_int_equal(net->layers[0].input_size, 180);
    assert_int_equal(net->layers[1].input_size, 24);
    asr_model_free(m);

    m = asr_model_load(test_path("tests/fixtures/parity_bilstm.gguf"));
    assert_non_null(m);
    info = asr_model_get_info(m);
    assert_int_equal(info.bidirectional, 1);
    assert_int_equal(asr_model_get_net(m)->layers[2].input_size, 48);
    assert_int_equal(info.num_params,
                     2 * (96 * (180 + 24 + 2) + 96 * (48 + 24 + 2)) + 29 * (48 + 1));
    asr_model_free(m);

    asr_model_free(NULL);
    info = asr_model_get_info(NULL);
    assert_null(info.name);
    assert_int_equal(info.vocab_size, 0);
}

static void test_missing_empty_foreign(void **st) {
    (void)st;
    const char *missing = "/nonexistent/dir/model.gguf";
    assert_null(asr_model_load(missing));
    assert_non_null(strstr(asr_last_error(), missing));
    assert_null(asr_model_load(NULL));

    const char *dir = test_path("tests/fixtures");
    assert_null(asr_model_load(dir));
    assert_non_null(strstr(asr_last_error(), dir));

    assert_rejected("", 0, "empty");
    assert_rejected("GGUF", 4, "too short");
    assert_rejected("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\1\0\1\0\x80\x3e\0\0", 28, "not a GGUF file");

    blob b = read_blob(LSTM_FIXTURE);
    b.data[0] = 'g';
    assert_rejected(b.data, b.size, "not a GGUF file");

    /* Finding 5: a FIFO with no writer blocked the open forever. */
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/asr_test_fifo_%d.gguf", (int)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(20); /* a hang fails the test rather than stalling CI */
    assert_null(asr_model_load(fifo));
    alarm(0);
    assert_non_null(strstr(asr_last_error(), "is a FIFO (named pipe), not a regular file"));
    unlink(fifo);
    assert_null(asr_model_load("/dev/zero"));
    assert_non_null(strstr(asr_last_error(), "is a character device"));
    b.data[0] = 'G';
    put_u32(b.data + 4, 2);
    assert_rejected(b.data, b.size, "version 2");
    put_u32(b.data + 4, 4);
    assert_rejected(b.data, b.size, "version 4");
    free(b.data);
}

/* Cutting the file anywhere before the end of the last tensor must fail;
 * cutting the final padding may not. */
static void test_truncation(void **st) {
    (void)st;
    blob b = read_blob(LSTM_FIXTURE);
    size_t data_start, data_end;
    file_layout(&data_start, &data_end);
    assert_true(data_start > 1000 && data_end <= b.size);
    size_t tried = 0;
    for (size_t len = 0; len < b.size; len += len < data_start + 64 ? 1 : 97) {
        asr_model *m = load_bytes(b.data, len);
        /* Finding 8: a file cut in its metadata said "absurd metadata count". */
        if (len >= 24 && len < data_start && !strstr(asr_last_error(), "truncated"))
            fail_msg("truncated at %zu bytes: '%s' does not say so", len, asr_last_error());
        if (len < data_end) {
            if (m) fail_msg("truncated at %zu of %zu bytes but loaded", len, b.size);
        } else {
            assert_non_null(m);
            asr_model_free(m);
        }
        tried++;
    }
    printf("  %zu truncations tried (header %zu bytes, tensors end at %zu of %zu)\n", tried,
           data_start, data_end, b.size);
    free(b.data);
}

/* Random bytes changed in the header and metadata: either rejected with a
 * message or loaded into a model that runs. */
static void test_random_corruption(void **st) {
    (void)st;
    blob good = read_blob(LSTM_FIXTURE);
    size_t data_start, data_end;
    file_layout(&data_start, &data_end);
    unsigned char *bad = malloc(good.size);
    assert_non_null(bad);
    size_t n_x;
    float *x = test_read_f32("tests/fixtures/parity_input.f32", &n_x);
    float out[8 * 29];
    uint64_t seed = 0x9e3779b97f4a7c15u;
    int rejected = 0, loaded = 0;
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(bad, good.data, good.size);
        int flips = 1 + trial % 4;
        for (int k = 0; k < flips; k++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bad[(seed >> 16) % data_start] = (unsigned char)(seed >> 8);
        }
        asr_model *m = load_bytes(bad, good.size);
        if (!m) {
            rejected++;
            continue;
        }
        loaded++;
        asr_model_info info = asr_model_get_info(m);
        assert_true(info.num_layers >= 1 && info.hidden_size >= 1 && info.vocab_size >= 2);
        if (asr_model_input_dim(m) == 180) {
            asr_model_state *s = asr_model_state_new(m);
            assert_non_null(s);
            assert_int_equal(asr_model_forward(m, s, x, 8, out), ASR_OK);
            asr_model_state_free(s);
        }
        asr_model_free(m);
    }
    printf("  3000 corrupted headers: %d rejected, %d harmless\n", rejected, loaded);
    assert_true(rejected > 1500);
    free(x);
    free(bad);
    free(good.data);
}

static void test_inconsistent_files(void **st) {
    (void)st;
    blob good = read_blob(LSTM_FIXTURE);
    blob b = {malloc(good.size), good.size};
    assert_non_null(b.data);

    /* hidden_size no longer matches the tensors. */
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.hidden_size"), 25);
    assert_rejected(b.data, b.size,
                    "tensor 'rnn.0.fwd.w_ih' has shape [96 x 180], expected [100 x 180]");

    /* A tensor of a type the loader does not widen (BF16). */
    memcpy(b.data, good.data, b.size);
    size_t name = find(&b, "out.bias");
    put_u32(b.data + name + 8 + 4 + 8, 30); /* after the name, rank and one dimension */
    assert_rejected(b.data, b.size, "tensor 'out.bias' has type BF16, expected F32 or F16");

    /* A tensor missing (renamed). */
    memcpy(b.data, good.data, b.size);
    b.data[name + 7] = 'z';
    assert_rejected(b.data, b.size, "tensor 'out.bias' is missing");

    /* A key of the wrong type (u32 -> i32). */
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.num_layers") - 4, 5);
    assert_rejected(b.data, b.size, "'asr.num_layers' is a i32, expected a u32");

    /* Absurd values and counts. */
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.num_layers"), 1000000);
    assert_rejected(b.data, b.size, "asr.num_layers");
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.num_layers"), 0);
    assert_rejected(b.data, b.size, "asr.num_layers");
    memcpy(b.data, good.data, b.size);
    put_u64(b.data + 8, (uint64_t)1 << 40);
    assert_rejected(b.data, b.size,
                    "corrupt: the header lists 23 metadata entries and 1099511627776 tensors");
    memcpy(b.data, good.data, b.size);
    put_u64(b.data + 16, UINT64_MAX);
    assert_rejected(b.data, b.size, "corrupt: the header lists 18446744073709551615 metadata");
    memcpy(b.data, good.data, b.size);
    put_u64(b.data + find(&b, "general.architecture") - 8, UINT64_MAX);
    assert_rejected(b.data, b.size, "truncated");

    /* Finding 8: feature settings each in range but unusable together were
     * found by asr_stream_new, as "mfcc: ..." without the file's name. */
    memcpy(b.data, good.data, b.size);
    float low = 9000; /* above the Nyquist frequency of 16 kHz audio */
    memcpy(b.data + value_offset(&b, "asr.feature.low_freq"), &low, 4);
    assert_rejected(b.data, b.size, "the feature settings (asr.feature.*) cannot be used: mfcc:");

    /* Feature settings that disagree with input_dim. */
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.feature.stack"), 2);
    assert_rejected(b.data, b.size, "asr.input_dim is 180 but the feature settings give 120");

    /* Not our architecture, not our version. */
    memcpy(b.data, good.data, b.size);
    memcpy(b.data + find(&b, "asr-ctc"), "asr-xyz", 7);
    assert_rejected(b.data, b.size, "architecture 'asr-xyz'");
    memcpy(b.data, good.data, b.size);
    put_u32(b.data + value_offset(&b, "asr.format_version"), 2);
    assert_rejected(b.data, b.size, "asr.format_version 2");

    /* An unknown cell. */
    memcpy(b.data, good.data, b.size);
    memcpy(b.data + value_offset(&b, "asr.cell") + 8, "lsxm", 4); /* after its length */
    assert_rejected(b.data, b.size, "asr.cell 'lsxm'");

    /* A non-finite weight. */
    asr_gguf *g = asr_gguf_open(test_path(LSTM_FIXTURE));
    assert_non_null(g);
    const asr_gguf_tensor *t = asr_gguf_find_tensor(g, "rnn.1.fwd.w_hh");
    assert_non_null(t);
    size_t at = (size_t)((const unsigned char *)t->data - g->map) + 4 * 17;
    asr_gguf_close(g);
    memcpy(b.data, good.data, b.size);
    float nan = NAN;
    memcpy(b.data + at, &nan, 4);
    assert_rejected(b.data, b.size, "tensor 'rnn.1.fwd.w_hh' has a non-finite value at element 17");

    /* The bidirectional flag turned off under a bidirectional model. */
    blob bi = read_blob("tests/fixtures/parity_bilstm.gguf");
    bi.data[value_offset(&bi, "asr.bidirectional")] = 0;
    assert_rejected(bi.data, bi.size, "rnn.1.fwd.w_ih");
    bi.data[value_offset(&bi, "asr.bidirectional")] = 2;
    assert_rejected(bi.data, bi.size, "bool");
    free(bi.data);

    free(b.data);
    free(good.data);
}

/* Weight matrices stored as F16 (export.py --weights f16) are widened
 * exactly, subnormals and signed zeros included; a half infinity or NaN is
 * refused like an F32 one. The parity of the F16 fixture is in test_layers. */
static void test_f16_weights(void **st) {
    (void)st;
    const char *f16 = "tests/fixtures/parity_bilstm_f16.gguf";
    asr_model *m = asr_model_load(test_path(f16));
    assert_non_null(m);
    asr_model *m32 = asr_model_load(test_path("tests/fixtures/parity_bilstm.gguf"));
    assert_non_null(m32);
    assert_int_equal(asr_model_get_info(m).num_params, asr_model_get_info(m32).num_params);
    asr_model_free(m32);
    asr_model_free(m);

    asr_gguf *g = asr_gguf_open(test_path(f16));
    assert_non_null(g);
    const asr_gguf_tensor *t = asr_gguf_find_tensor(g, "rnn.0.fwd.w_hh");
    assert_non_null(t);
    assert_int_equal(t->type, ASR_GGML_F16);
    size_t at = (size_t)((const unsigned char *)t->data - g->map);
    asr_gguf_close(g);
    const uint16_t halves[] = {0x0001, 0x03ff, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x3555, 0x0400};
    const float want[] = {0x1p-24f, 0x3ffp-24f, -0.0f,       1.0f,
                          -2.0f,    65504.0f,   0x1.554p-2f, 0x1p-14f};
    blob b = read_blob(f16);
    for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
        b.data[at + 2 * i] = (unsigned char)(halves[i] & 0xff);
        b.data[at + 2 * i + 1] = (unsigned char)(halves[i] >> 8);
    }
    write_file(tmp_path(), b.data, b.size);
    g = asr_gguf_open(tmp_path());
    assert_non_null(g);
    t = asr_gguf_find_tensor(g, "rnn.0.fwd.w_hh");
    assert_null(t->floats); /* widened only when asked */
    const float *floats = asr_gguf_floats(g, t);
    assert_non_null(floats);
    assert_ptr_equal(asr_gguf_floats(g, t), floats);
    for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
        if (floats[i] != want[i] || signbit(floats[i]) != signbit(want[i]))
            fail_msg("half 0x%04x widened to %a, expected %a", halves[i], (double)floats[i],
                     (double)want[i]);
    }
    asr_gguf_close(g);
    unlink(tmp_path());

    const uint16_t bad[] = {0x7c00, 0xfc00, 0x7e00}; /* +inf, -inf, NaN */
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b.data[at + 2 * 17] = (unsigned char)(bad[i] & 0xff);
        b.data[at + 2 * 17 + 1] = (unsigned char)(bad[i] >> 8);
        assert_rejected(b.data, b.size,
                        "tensor 'rnn.0.fwd.w_hh' has a non-finite value at element 17");
    }
    free(b.data);
}

/* asr.lm_alpha, the LM weight tuned for a model: optional, an f32 in 0..10. */
static void test_lm_alpha(void **st) {
    (void)st;
    float alpha = 0.7f;
    blob b = with_kv("asr.lm_alpha", ASR_GGUF_FLOAT32, &alpha);
    asr_model *m = load_bytes(b.data, b.size);
    if (!m) fail_msg("%s", asr_last_error());
    assert_true(asr_model_get_info(m).lm_alpha == 0.7f);
    /* The weights are where they were: the same network. */
    assert_int_equal(asr_model_get_info(m).num_params,
                     96 * (180 + 24 + 2) + 96 * (24 + 24 + 2) + 29 * 25);
    asr_model_free(m);
    free(b.data);

    const float bad[] = {NAN, INFINITY, -0.1f, 10.5f};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = with_kv("asr.lm_alpha", ASR_GGUF_FLOAT32, &bad[i]);
        assert_rejected(b.data, b.size, "metadata 'asr.lm_alpha' = ");
        free(b.data);
    }
    uint32_t seven = 7;
    b = with_kv("asr.lm_alpha", ASR_GGUF_UINT32, &seven);
    assert_rejected(b.data, b.size, "'asr.lm_alpha' is a u32, expected a f32");
    free(b.data);
}

/* asr.blank_penalty, the blank penalty tuned for a model: optional (0 when
 * absent: test_good_file), an f32 in 0..ASR_MAX_BLANK_PENALTY. */
static void test_blank_penalty(void **st) {
    (void)st;
    float penalty = 1.5f;
    blob b = with_kv("asr.blank_penalty", ASR_GGUF_FLOAT32, &penalty);
    asr_model *m = load_bytes(b.data, b.size);
    if (!m) fail_msg("%s", asr_last_error());
    assert_true(asr_model_get_info(m).blank_penalty == 1.5f);
    asr_model_free(m);
    free(b.data);

    const float bad[] = {NAN, INFINITY, -0.5f, ASR_MAX_BLANK_PENALTY + 1.0f};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = with_kv("asr.blank_penalty", ASR_GGUF_FLOAT32, &bad[i]);
        assert_rejected(b.data, b.size, "metadata 'asr.blank_penalty' = ");
        free(b.data);
    }
    b = with_kv("asr.blank_penalty", ASR_GGUF_UINT32, &(uint32_t){1});
    assert_rejected(b.data, b.size, "'asr.blank_penalty' is a u32, expected a f32");
    free(b.data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),          cmocka_unit_test(test_missing_empty_foreign),
        cmocka_unit_test(test_truncation),         cmocka_unit_test(test_random_corruption),
        cmocka_unit_test(test_inconsistent_files), cmocka_unit_test(test_f16_weights),
        cmocka_unit_test(test_lm_alpha),           cmocka_unit_test(test_blank_penalty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
