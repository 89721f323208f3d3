/* Endpoint detection: has the speaker finished an utterance? Fed with the
 * acoustic model's log-probabilities step by step; see
 * asr_stream_is_endpoint() in asr.h for the rules. */
#ifndef ASR_ENDPOINT_H
#define ASR_ENDPOINT_H

#include <stddef.h>

typedef struct {
    int silence_ms;       /* 0: no silence rule */
    int max_utterance_ms; /* 0: no length rule */
    float step_ms;        /* one model step */
    size_t steps;         /* steps seen this utterance */
    size_t speech_end;    /* one past the last step whose best symbol is not blank */
} asr_endpoint;

void asr_endpoint_init(asr_endpoint *e, int silence_ms, int max_utterance_ms, float step_ms);
/* Forgets the utterance; keeps the settings. */
void asr_endpoint_reset(asr_endpoint *e);
/* n_steps x vocab log-probabilities; symbol 0 is the blank. */
void asr_endpoint_accept(asr_endpoint *e, const float *logprobs, size_t n_steps, int vocab);
/* Trailing silence in ms: time since the last non-blank step (or since the
 * start when there was none). */
float asr_endpoint_silence_ms(const asr_endpoint *e);
/* 1 when the utterance has ended, given how many words are recognised. */
int asr_endpoint_detected(const asr_endpoint *e, size_t n_words);

#endif
