/* LM files, ARPA (plain or gzip) and binary: refused with a message, or an
 * LM whose every query stays in bounds, which writes a binary form that
 * loads again and prunes. */
#include <string.h>

#include "asr.h"
#include "fuzz_util.h"
#include "lm.h"

static void query(const asr_lm *lm) {
    int32_t n = asr_lm_vocab_size(lm);
    asr_lm_state s;
    asr_lm_begin(lm, &s);
    for (int32_t i = -1; i < n && i < 64; i++) {
        asr_lm_score(lm, &s, i, &s);
        asr_lm_find(lm, asr_lm_word(lm, i < 0 ? 0 : i));
    }
    asr_lm_end(lm, &s);
    asr_lm_find(lm, "the");
    asr_lm_oov_score(lm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    asr_lm *lm = asr_lm_load(fuzz_file(data, size));
    if (!lm) return 0;
    query(lm);
    asr_lm_prune_params p = {.vocab = 3, .threshold = {0, 0, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3}};
    asr_lm *pruned = asr_lm_prune(lm, &p);
    if (pruned) query(pruned);
    asr_lm_free(pruned);
    /* The binary form of anything accepted must load back. */
    char out[64];
    snprintf(out, sizeof out, "/tmp/asr-fuzz-lm-%d.lmbin", (int)getpid());
    if (asr_lm_write(lm, out) == ASR_OK) {
        asr_lm *again = asr_lm_load(out);
        if (!again) abort();
        query(again);
        asr_lm_free(again);
        unlink(out);
    }
    asr_lm_free(lm);
    return 0;
}
