/* Model and dictionary files (GGUF): any bytes are refused with a message
 * or give a model that streams audio. */
#include "asr.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size);
    asr_model *m = asr_model_load(path);
    if (m) {
        asr_stream_params p = asr_stream_default_params();
        p.beam_size = 4;
        asr_stream *s = asr_stream_new(m, &p); /* phone models refuse: no dictionary */
        if (s) {
            float x[3200];
            for (size_t i = 0; i < 3200; i++)
                x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
            asr_stream_accept_waveform(s, 16000, x, 3200);
            asr_stream_partial(s);
            asr_stream_finish(s);
            asr_stream_result(s);
            asr_stream_free(s);
        }
        asr_model_free(m);
    }
    asr_dict *d = asr_dict_load(path, NULL);
    if (d) {
        char out[512];
        asr_dict_pronounce(d, "hello", out, sizeof out, NULL);
        asr_dict_pronounce(d, "zyxq", out, sizeof out, NULL);
        asr_dict_free(d);
    }
    return 0;
}
