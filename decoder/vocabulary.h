/* The words a phone search can recognise (internal): each with its LM id
 * and hot-word boost, their pronunciations in the model's phone ids, and
 * the prefix tree over those pronunciations that the beam search walks
 * (homophones share a leaf: a group). */
#ifndef ASR_VOCABULARY_H
#define ASR_VOCABULARY_H

#include "ctc.h"
#include "decoder.h"
#include "lexicon.h"

typedef struct asr_vocabulary asr_vocabulary;

/* symbols: the model's outputs (phone names, blank first), which must be
 * exactly the dictionary's phones. The words: w->words if any (plus the hot
 * words), else the LM's, else every word of w->dict, plus the hot words; a
 * word the dictionary lacks is pronounced by its G2P model, and one that
 * cannot be pronounced is an error naming it. NULL on error. Without a
 * word list or hot words the result is shared: the dictionary keeps it for
 * later streams with the same symbols, LM and LM weight, and it is never
 * changed after it is built (safe to use from several threads). */
asr_vocabulary *asr_vocabulary_new(const char *const *symbols, int vocab_size,
                                   const asr_decoder_words *w);
/* Drops the caller's reference. */
void asr_vocabulary_free(asr_vocabulary *v);

/* Trie scores are the best look-ahead of the words below a node: LM weight
 * x log10 unigram (with an LM) plus the positive part of the boost. */
const asr_lexicon *asr_vocabulary_trie(const asr_vocabulary *v);
const asr_ctc_phone_words *asr_vocabulary_words(const asr_vocabulary *v);
const char *asr_vocabulary_word(const asr_vocabulary *v, int word);
size_t asr_vocabulary_size(const asr_vocabulary *v);

#endif
