/* The streaming audio reader on bytes (audio/audio_reader.c, libsndfile), as
 * transcribe, eval and live --input use it: refused with a message, or finite
 * samples at a sane rate, in blocks whose memory does not grow with what the
 * header claims. (The whole-file reader, asr_audio_read_file, holds up to its
 * documented 1 GiB by design and is not fuzzed here.) */
#include <math.h>

#include "audio.h"
#include "fuzz_util.h"

enum { BLOCK = 4096, MAX_BLOCKS = 256 }; /* a million samples: enough for any path */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    asr_audio_reader *r = NULL;
    if (asr_audio_reader_open_file(fuzz_file(data, size), &r) != ASR_OK) return 0;
    int rate = asr_audio_reader_rate(r);
    if (rate < ASR_MIN_RATE || rate > ASR_MAX_RATE) abort();
    static float block[BLOCK];
    for (int b = 0; b < MAX_BLOCKS; b++) {
        size_t n = 0;
        if (asr_audio_reader_read(r, block, BLOCK, &n) != ASR_OK || n == 0) break;
        if (n > BLOCK) abort();
        for (size_t i = 0; i < n; i++)
            if (!isfinite(block[i])) abort();
    }
    asr_audio_reader_close(r);
    return 0;
}
