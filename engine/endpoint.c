#include "endpoint.h"

void asr_endpoint_init(asr_endpoint *e, int silence_ms, int max_utterance_ms, float step_ms) {
    *e = (asr_endpoint){
        .silence_ms = silence_ms, .max_utterance_ms = max_utterance_ms, .step_ms = step_ms};
}

void asr_endpoint_reset(asr_endpoint *e) {
    e->steps = 0;
    e->speech_end = 0;
}

void asr_endpoint_accept(asr_endpoint *e, const float *logprobs, size_t n_steps, int vocab) {
    for (size_t t = 0; t < n_steps; t++) {
        const float *row = logprobs + t * (size_t)vocab;
        int best = 0;
        for (int k = 1; k < vocab; k++)
            if (row[k] > row[best]) best = k;
        e->steps++;
        /* CTC puts blanks between and around its symbol spikes: the blank
         * winning step after step is what silence looks like to the model. */
        if (best != 0) e->speech_end = e->steps;
    }
}

float asr_endpoint_silence_ms(const asr_endpoint *e) {
    return (float)(e->steps - e->speech_end) * e->step_ms;
}

int asr_endpoint_detected(const asr_endpoint *e, size_t n_words) {
    /* Without a word there is nothing to finalise: silence and noise that
     * the decoder made nothing of never end an utterance. */
    if (n_words == 0) return 0;
    if (e->silence_ms > 0 && asr_endpoint_silence_ms(e) >= (float)e->silence_ms) return 1;
    return e->max_utterance_ms > 0 && (float)e->steps * e->step_ms >= (float)e->max_utterance_ms;
}
