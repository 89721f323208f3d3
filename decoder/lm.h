/* Word n-gram language models with backoff (internal side of asr_lm).
 *
 * One in-memory layout serves everything: it is exactly the binary file
 * that `asr lm-build` writes (docs/LM.md), so an ARPA file is parsed into
 * such an image on the heap, a binary file is memory-mapped and checked,
 * and writing is one fwrite. Log-probabilities are log10, as in ARPA. */
#ifndef ASR_LM_H
#define ASR_LM_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"
#include "lexicon.h"

#define ASR_LM_MAX_ORDER 6

/* What the LM has seen of a sentence: the last words, oldest first. */
typedef struct {
    int n;
    int32_t w[ASR_LM_MAX_ORDER - 1];
} asr_lm_state;

/* Parses an ARPA file (plain or gzip). Errors name the line. */
asr_lm *asr_lm_read_arpa(const char *path);
/* Writes the binary form. */
asr_status asr_lm_write(const asr_lm *lm, const char *path);

int asr_lm_order(const asr_lm *lm);
int32_t asr_lm_vocab_size(const asr_lm *lm);
/* n-grams of order 1..asr_lm_order(). */
uint64_t asr_lm_count(const asr_lm *lm, int order);
/* Bytes of the binary form. */
size_t asr_lm_bytes(const asr_lm *lm);
const char *asr_lm_word(const asr_lm *lm, int32_t id);
/* The id of a word, or -1 when it is not in the vocabulary. */
int32_t asr_lm_find(const asr_lm *lm, const char *word);
/* log10 P(word) of a word in the vocabulary. */
float asr_lm_unigram(const asr_lm *lm, int32_t id);
/* <unk>'s id, or -1. */
int32_t asr_lm_unk(const asr_lm *lm);

/* The state at the start of a sentence (after <s>). */
void asr_lm_begin(const asr_lm *lm, asr_lm_state *state);
/* log10 P(word | state) with backoff; *out (may be in) gets the state
 * after the word. word -1 (not in the vocabulary) scores as
 * asr_lm_oov_score() and leaves <unk> (or nothing) as the history. */
float asr_lm_score(const asr_lm *lm, const asr_lm_state *in, int32_t word, asr_lm_state *out);
/* log10 P(</s> | state); 0 if the LM has no </s>. */
float asr_lm_end(const asr_lm *lm, const asr_lm_state *state);
/* The score of a word outside the vocabulary: P(<unk>) when the LM has
 * <unk>, else that of its rarest word. */
float asr_lm_oov_score(const asr_lm *lm);
/* The decoder adds this per character of an out-of-vocabulary spelling: a
 * uniform spelling model over about 26 letters (log10 1/26), so that a long
 * run of garbled words costs more than the real words it could be split into. */
#define ASR_LM_OOV_PER_CHAR (-1.4)

/* The spoken words of the vocabulary (not <s>, </s>, <unk>) as a trie,
 * each with its id and unigram log10 probability; built at load. */
const asr_lexicon *asr_lm_lexicon(const asr_lm *lm);

/* A number no other LM of the process has had (1, 2, ...), unlike its
 * address, which a later LM may reuse: a key for what is built from it. */
uint64_t asr_lm_id(const asr_lm *lm);

typedef struct {
    int32_t vocab; /* keep the vocab most probable words (0: all) */
    /* Drop an n-gram of order k (2..) when P(h, w) * |log10 P(w | h) -
     * log10 P_backoff(w | h)| < threshold[k] (0: keep all); see docs/LM.md. */
    double threshold[ASR_LM_MAX_ORDER + 1];
} asr_lm_prune_params;

/* A pruned copy with its backoff weights recomputed so that every
 * distribution sums to one; dropped words' mass goes to <unk>. */
asr_lm *asr_lm_prune(const asr_lm *lm, const asr_lm_prune_params *params);

#endif
