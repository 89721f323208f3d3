/* The CTC searches behind asr_decoder (internal). Both take log-probabilities
 * that the caller has already validated and report hypotheses as character
 * sequences; decoder.c turns those into words. */
#ifndef ASR_CTC_H
#define ASR_CTC_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"
#include "lexicon.h"
#include "lm.h"

/* One emitted symbol of a hypothesis (never the blank; spaces included). */
typedef struct {
    int sym;
    int start;     /* frame where it was emitted */
    int end;       /* one past the last frame of its run */
    float logprob; /* its log-prob at start */
    int word;      /* phone searches: the vocabulary word this symbol ends, else -1 */
} asr_ctc_char;

typedef struct {
    asr_ctc_char *v;
    size_t n, cap;
} asr_ctc_chars;

asr_status asr_ctc_chars_push(asr_ctc_chars *c, asr_ctc_char ch);
void asr_ctc_chars_free(asr_ctc_chars *c);

/* Both searches: _accept consumes n_frames rows of vocab_size log-probs and
 * appends to stable the characters that became final, always up to and
 * including a space (phone searches: up to the end of a word); _tail
 * replaces *tail with the best hypothesis after the stable characters. */

typedef struct asr_ctc_greedy asr_ctc_greedy;

asr_ctc_greedy *asr_ctc_greedy_new(int vocab_size, int space);
void asr_ctc_greedy_free(asr_ctc_greedy *g);
void asr_ctc_greedy_reset(asr_ctc_greedy *g);
asr_status asr_ctc_greedy_accept(asr_ctc_greedy *g, const float *logprobs, size_t n_frames,
                                 asr_ctc_chars *stable);
asr_status asr_ctc_greedy_tail(const asr_ctc_greedy *g, asr_ctc_chars *tail);

typedef struct asr_ctc_beam asr_ctc_beam;

/* A word boundary of the best beam this many frames old becomes stable:
 * beams that disagree with it are dropped. */
#define ASR_CTC_MAX_LAG 100

/* beam_size * vocab_size * 2 must fit in an int. */
asr_ctc_beam *asr_ctc_beam_new(int vocab_size, int space, int beam_size, float prune);
void asr_ctc_beam_free(asr_ctc_beam *b);
void asr_ctc_beam_reset(asr_ctc_beam *b);
asr_status asr_ctc_beam_accept(asr_ctc_beam *b, const float *logprobs, size_t n_frames,
                               asr_ctc_chars *stable);
asr_status asr_ctc_beam_tail(const asr_ctc_beam *b, asr_ctc_chars *tail);
/* Prefix-tree nodes allocated (live or recycled): stays bounded. */
size_t asr_ctc_beam_node_count(const asr_ctc_beam *b);

/* The words of a phone search (see asr_ctc_fusion.phones): lexicon word
 * ids are groups of homophones, group g holding the vocabulary words
 * group_words[group_first[g] .. group_first[g + 1]). */
typedef struct {
    const int32_t *group_first;
    const int32_t *group_words;
    const int32_t *word_lm;  /* per vocabulary word: LM id, -1 = not in the LM */
    const float *word_boost; /* per vocabulary word: hot-word boost (0: none) */
} asr_ctc_phone_words;

/* Word-level scoring of the beam search (shallow fusion); every part is
 * optional. Scores are natural logs, like the acoustic log-probs. */
typedef struct {
    const char *const *symbols; /* each symbol's spelling, for the tries */
    const asr_lm *lm;
    double lm_weight;           /* per log10 of LM probability: alpha * ln(10) */
    double word_bonus;          /* per word, with an LM (beta) */
    const asr_lexicon *lexicon; /* spellable words; ids are LM ids, scores log10 unigrams */
    int restrict_words;         /* 1: a partial word must stay a prefix of a lexicon word */
    const asr_lexicon *hot;     /* hot words; scores are their boosts */
    /* Phone models: the symbols are phones and words are not separated by a
     * symbol. lexicon is then a trie over pronunciations (bytes = symbol ids)
     * whose ids are homophone groups and whose scores are look-ahead
     * estimates already weighted (natural-log units); words must stay in it
     * (restrict_words and hot are not used), and a word ends wherever its
     * pronunciation is complete. */
    int phones;
    const asr_ctc_phone_words *phone_words;
} asr_ctc_fusion;

/* Before any frame (and kept across resets); *f and what it points to must
 * outlive the search. */
void asr_ctc_beam_set_fusion(asr_ctc_beam *b, const asr_ctc_fusion *f);
/* No more frames: scores each beam's last word and the end of the sentence
 * and reorders the beams, so that _tail gives the final best. */
void asr_ctc_beam_finish(asr_ctc_beam *b);

#endif
