/* A byte trie over a word list (internal). The beam search walks it one
 * symbol at a time to know whether a partial word can still become a word
 * (vocabulary restriction, LM look-ahead) and which word a finished one is
 * (LM word id, hot-word boost). Immutable once built: shareable by threads.
 *
 * Layout (breadth first, so that it can live in a memory-mapped LM file):
 * node 0 is the root; the children of node i are the nodes first[i] ..
 * first[i + 1] - 1, entered by the bytes byte[child]; word[i] is the word
 * ending at node i (-1: none); best[i] the highest score of the words at or
 * below node i. */
#ifndef ASR_LEXICON_H
#define ASR_LEXICON_H

#include <stddef.h>
#include <stdint.h>

/* The node of the empty prefix. */
#define ASR_LEXICON_ROOT 0

typedef struct {
    const char *word; /* bytes of the word, NUL-terminated, not empty */
    int32_t id;       /* caller's value for the word (e.g. its LM id), any */
    float score;      /* caller's value, e.g. a log-probability or a boost */
} asr_lexicon_entry;

typedef struct asr_lexicon asr_lexicon;

/* Builds the trie; the strings are not kept. A word given twice keeps the
 * entry with the higher score. Empty words and words longer than
 * ASR_LEXICON_MAX_WORD bytes are skipped. NULL on error. */
#define ASR_LEXICON_MAX_WORD 255
asr_lexicon *asr_lexicon_new(const asr_lexicon_entry *entries, size_t n);
void asr_lexicon_free(asr_lexicon *x);

/* A trie over arrays that someone else owns and has checked (a mapped LM):
 * first has n_nodes + 1 entries with first[0] = 1, first[i] > i, first
 * ascending and first[n_nodes] = n_nodes; word holds ids (no scores); best
 * is log10 x 1000. */
asr_lexicon *asr_lexicon_view(uint32_t n_nodes, const uint32_t *first, const uint8_t *byte,
                              const int32_t *word, const int16_t *best);

/* Words in the trie; nodes. */
size_t asr_lexicon_size(const asr_lexicon *x);
uint32_t asr_lexicon_nodes(const asr_lexicon *x);

/* Writes the layout into arrays of asr_lexicon_nodes() (+1 for first)
 * entries: word gets the entries' ids, best their scores x 1000, rounded
 * and clamped to int16 (for log10 probabilities). */
void asr_lexicon_export(const asr_lexicon *x, uint32_t *first, uint8_t *byte, int32_t *word,
                        int16_t *best);

/* The node reached from node by the bytes of s (a symbol's spelling), or -1
 * when no word continues that way. node must be a valid node (>= 0). */
int asr_lexicon_next(const asr_lexicon *x, int node, const char *s);

/* 1 when a word ends at node; then *id and *score get its entry's values
 * (a view has ids only: *score is 0). */
int asr_lexicon_word(const asr_lexicon *x, int node, int32_t *id, float *score);

/* The highest score of the words at or below node (the look-ahead);
 * -INFINITY (or, in a view, -32.767) when there are none. */
float asr_lexicon_best(const asr_lexicon *x, int node);

#endif
