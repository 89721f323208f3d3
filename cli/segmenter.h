/* Cutting a long recording into utterances, block by block, with the
 * engine's own endpointing (the rules of `asr live`): a unidirectional model
 * decoded greedily ("the detector") says where speech pauses. Memory is one
 * segment of audio, at most max_ms. */
#ifndef ASR_CLI_SEGMENTER_H
#define ASR_CLI_SEGMENTER_H

#include <stddef.h>

#include "asr.h"

typedef struct segmenter segmenter;

/* Receives each utterance: n samples at the segmenter's rate that start at
 * sample `start` of the recording; the last utterance of a recording that
 * stops mid-sound ends with up to 300 ms of silence that the recording
 * lacks (segmenter.c, TAIL_MS). */
typedef asr_status (*segment_fn)(const float *samples, size_t n, size_t start, void *ctx);

/* detector: a unidirectional model, or NULL to cut every max_ms (dict: for
 * a phone model, else NULL). rate: the
 * rate of the samples (the detector model's). A segment ends when the
 * detector has recognised a word and then silence_ms of blank (0: never),
 * or when it reaches max_ms (between the detector's last two words). Audio
 * in which the detector recognises nothing is dropped as it comes, all but
 * its last second, so silence makes no segments. NULL on error
 * (asr_last_error()). */
segmenter *segmenter_new(const asr_model *detector, const asr_dict *dict, int rate, int silence_ms,
                         int max_ms);
asr_status segmenter_accept(segmenter *s, const float *samples, size_t n, segment_fn fn, void *ctx);
/* The end of the recording: hands over what is left (fn NULL: drops it),
 * then starts afresh. */
asr_status segmenter_finish(segmenter *s, segment_fn fn, void *ctx);
void segmenter_free(segmenter *s);

#endif
