/* The user pronunciation file (asr_dict_load's user_path, decoder/dict.c)
 * over the shipped dictionary: refused naming a line, or words that
 * pronounce. */
#include "asr.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dict[4096];
    if (!dict[0]) snprintf(dict, sizeof dict, "%s", fuzz_source_path("pretrained/en-cmudict.dict"));
    asr_dict *d = asr_dict_load(dict, fuzz_file(data, size));
    if (!d) return 0;
    char out[1024], word[32];
    size_t n = 0;
    for (size_t i = 0; i < size && n < sizeof word - 1 && data[i] > ' '; i++)
        word[n++] = (char)data[i];
    word[n] = '\0';
    asr_dict_pronounce(d, word, out, sizeof out, NULL);
    asr_dict_pronounce(d, "tomato", out, sizeof out, NULL);
    asr_dict_free(d);
    return 0;
}
