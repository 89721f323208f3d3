/* The streaming path with arbitrary samples, rates and chunk sizes, through
 * a tiny model (tests/fixtures/parity_rnn.gguf) so that it runs thousands
 * of inputs a second. Input: a byte choosing the rate, a byte the chunk
 * size, a byte the beam, then 16-bit samples; every 97th sample slot may
 * carry raw float bits (NaN, Inf, 1e20) to exercise the refusals. */
#include <string.h>

#include "asr.h"
#include "fuzz_util.h"

static asr_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    model = asr_model_load(fuzz_source_path("tests/fixtures/parity_rnn.gguf"));
    if (!model) {
        fprintf(stderr, "fuzz_stream: %s\n", asr_last_error());
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const int rates[] = {16000, 8000, 44100, 48000, 1000, 384000, 22050, 11025};
    if (size < 3) return 0;
    int rate = rates[data[0] % 8];
    size_t chunk = 1 + data[1] * 7u;
    asr_stream_params p = asr_stream_default_params();
    p.beam_size = 1 + data[2] % 8;
    p.endpoint_silence_ms = data[2] & 0x80 ? 0 : 200;
    data += 3, size -= 3;
    size_t n = size / 2;
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        int16_t v;
        memcpy(&v, data + 2 * i, 2);
        x[i] = v / 32768.0f;
        if (i % 97 == 96 && i * 2 + 4 <= size) memcpy(&x[i], data + 2 * i, 4);
    }
    asr_stream *s = asr_stream_new(model, &p);
    if (!s) abort();
    for (size_t at = 0; at < n; at += chunk) {
        size_t m = n - at < chunk ? n - at : chunk;
        asr_stream_accept_waveform(s, rate, x + at, m);
        asr_partial part = asr_stream_partial(s);
        if (!part.stable || !part.unstable) abort();
        if (asr_stream_is_endpoint(s)) {
            asr_stream_finish(s);
            asr_stream_result(s);
            asr_stream_reset(s);
        }
    }
    if (asr_stream_finish(s) != ASR_OK) abort(); /* refusals never break a stream */
    const asr_result *r = asr_stream_result(s);
    if (!r->text) abort();
    asr_stream_free(s);
    free(x);
    return 0;
}
