/* The audio file reader on bytes (audio/audio_file.c, libsndfile):
 * refused with a message, or finite samples at a sane rate. */
#include <math.h>

#include "audio.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    asr_audio a = {0};
    if (asr_audio_read_file(fuzz_file(data, size), &a) == ASR_OK) {
        if (a.sample_rate < ASR_MIN_RATE || a.sample_rate > ASR_MAX_RATE) abort();
        for (size_t i = 0; i < a.n; i++)
            if (!isfinite(a.samples[i])) abort();
    }
    asr_audio_free(&a);
    return 0;
}
