/* Pronunciation dictionaries (internal side of asr_dict, docs/DICTIONARY.md).
 *
 * A dictionary file is a GGUF file (architecture "asr-dict") that is
 * memory-mapped and checked once at load: the phone set, the words in byte
 * order with all their pronunciations, and a small G2P network for words
 * it lacks. A user file of plain-text pronunciations, parsed at load, adds
 * words or replaces all the pronunciations of words the file has. */
#ifndef ASR_DICT_H
#define ASR_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"

/* Phones a pronunciation may have (longer ones are refused). */
#define ASR_DICT_MAX_PRON 64
/* Bytes of a word. */
#define ASR_DICT_MAX_WORD 255

/* A pronunciation: phone ids 1..asr_dict_n_phones(). */
typedef struct {
    const uint8_t *phones;
    size_t n;
} asr_pron;

int asr_dict_n_phones(const asr_dict *d);
/* The name of phone id 1..n ("AA"). */
const char *asr_dict_phone(const asr_dict *d, int id);

/* The pronunciations of word (exactly as spelled): the user file's if it
 * has the word, else the dictionary's. Writes up to max of them and returns
 * how many there are (0: not listed); *source gets where they came from. */
size_t asr_dict_lookup(const asr_dict *d, const char *word, asr_pron *out, size_t max,
                       asr_pron_source *source);

/* The G2P model's pronunciation of a word spelled with its letters (a-z
 * and the apostrophe; a hyphen or a full stop separates parts that are
 * pronounced one after the other, as in "x-ray" or "a."). Writes up to max
 * phone ids and returns how many, or -1 (error set, naming the word) when
 * the spelling has other characters or no letters. */
int asr_dict_guess(const asr_dict *d, const char *word, uint8_t *out, size_t max);

/* Calls fn for every word with its pronunciations (the user file's where
 * it has them), in no particular order; stops at the first status that is
 * not ASR_OK and returns it. */
typedef asr_status (*asr_dict_fn)(void *ctx, const char *word, const asr_pron *prons, size_t n);
asr_status asr_dict_each(const asr_dict *d, asr_dict_fn fn, void *ctx);

/* Room for what the decoder builds from a dictionary and shares between
 * the streams that use it (vocabulary.c): free_fn(data) runs when the
 * dictionary is freed. Taken under the dictionary's lock: lock returns
 * the slot, which is the caller's until unlock. */
typedef struct {
    void *data;
    void (*free_fn)(void *data);
} asr_dict_cache;
asr_dict_cache *asr_dict_cache_lock(const asr_dict *d);
void asr_dict_cache_unlock(const asr_dict *d);

#endif
