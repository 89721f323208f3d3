/* Word and character error counts for `asr eval`. */
#ifndef ASR_CLI_WER_H
#define ASR_CLI_WER_H

#include <stddef.h>

/* Lower case, a-z and apostrophes kept, everything else a word break,
 * single spaces, no leading/trailing space. Returns a new string. */
char *wer_normalise(const char *text);

typedef struct {
    size_t substitutions, deletions, insertions;
    size_t ref_len; /* words or characters of the reference */
} edit_counts;

/* Levenshtein alignment of hypothesis to reference, over words (split on
 * spaces) or over characters (spaces included). Inputs normalised. */
edit_counts wer_count_words(const char *ref, const char *hyp);
edit_counts wer_count_chars(const char *ref, const char *hyp);

#endif
