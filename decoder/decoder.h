/* CTC decoding of log-probabilities into words, incrementally. */
#ifndef ASR_DECODER_H
#define ASR_DECODER_H

#include <stddef.h>

#include "asr.h"

typedef struct {
    int beam_size;    /* 1 = greedy (unless words are scored) */
    float beam_prune; /* symbols below this log-prob are not expanded */
    /* Subtracted from each frame's blank log-prob before the search (finite;
     * 0 = none): fewer deletions where the model is unsure (docs/DECODING.md). */
    float blank_penalty;
} asr_decoder_params;

/* Word-level scoring (docs/LM.md): the fields of asr_stream_params of the
 * same names. Any of lm, words, hotwords makes the decoder a beam search. */
typedef struct {
    const asr_lm *lm;
    float lm_alpha, lm_beta;
    const char *const *words;
    size_t n_words;
    const asr_hotword *hotwords;
    size_t n_hotwords;
    /* Phone models: the symbols are phones, words come from dict (and the
     * search is always a beam search through its pronunciations). */
    int phones;
    const asr_dict *dict;
} asr_decoder_words;

/* A decoded word; times are model steps (frames after stacking). */
typedef struct {
    char *text;
    int start_frame; /* first frame of its first character */
    int end_frame;   /* one past the last frame of its last character */
    float confidence;
} asr_decoded_word;

typedef struct {
    asr_decoded_word *words;
    size_t n_words;
    size_t n_stable; /* words[0..n_stable) will never change */
} asr_decoded;

typedef struct asr_decoder asr_decoder;

/* symbols[0] is the blank; the symbol " " separates words (character
 * models). The array is copied, the strings are not: they must outlive the
 * decoder. */
asr_decoder *asr_decoder_new(const char *const *symbols, int vocab_size,
                             const asr_decoder_params *params);
/* The same with word-level scoring (words may be NULL: none). The word
 * lists are copied; the LM must outlive the decoder. */
asr_decoder *asr_decoder_new_words(const char *const *symbols, int vocab_size,
                                   const asr_decoder_params *params,
                                   const asr_decoder_words *words);
void asr_decoder_free(asr_decoder *d);
void asr_decoder_reset(asr_decoder *d);
/* Consumes n_frames x vocab_size log-probabilities; work is proportional
 * to n_frames, not to the utterance so far. */
asr_status asr_decoder_accept(asr_decoder *d, const float *logprobs, size_t n_frames);
/* No more frames: every word becomes stable. */
asr_status asr_decoder_finish(asr_decoder *d);
/* The best hypothesis so far; owned by the decoder, valid until the next
 * call that takes it. */
const asr_decoded *asr_decoder_best(asr_decoder *d);

#endif
