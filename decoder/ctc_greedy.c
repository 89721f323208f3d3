/* Greedy CTC decoding: the best symbol of each frame, repeats collapsed,
 * blanks dropped. */
#include <stdlib.h>

#include "ctc.h"
#include "error.h"

struct asr_ctc_greedy {
    int vocab, space;
    int frame;          /* frames consumed */
    int prev;           /* best symbol of the previous frame */
    asr_ctc_chars tail; /* characters since the last space */
};

asr_ctc_greedy *asr_ctc_greedy_new(int vocab_size, int space) {
    asr_ctc_greedy *g = calloc(1, sizeof *g);
    if (!g) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the greedy decoder");
    g->vocab = vocab_size;
    g->space = space;
    return g;
}

void asr_ctc_greedy_free(asr_ctc_greedy *g) {
    if (!g) return;
    asr_ctc_chars_free(&g->tail);
    free(g);
}

void asr_ctc_greedy_reset(asr_ctc_greedy *g) {
    g->frame = 0;
    g->prev = 0;
    g->tail.n = 0;
}

asr_status asr_ctc_greedy_accept(asr_ctc_greedy *g, const float *logprobs, size_t n_frames,
                                 asr_ctc_chars *stable) {
    for (size_t f = 0; f < n_frames; f++, g->frame++) {
        const float *lp = logprobs + f * (size_t)g->vocab;
        int best = 0;
        for (int c = 1; c < g->vocab; c++)
            if (lp[c] > lp[best]) best = c;
        if (best != 0 && best == g->prev) {
            /* A space's run does not matter: it left the tail when emitted. */
            if (best != g->space) g->tail.v[g->tail.n - 1].end = g->frame + 1;
        } else if (best != 0) {
            asr_ctc_char ch = {best, g->frame, g->frame + 1, lp[best], -1};
            asr_status st = asr_ctc_chars_push(&g->tail, ch);
            if (st != ASR_OK) return st;
            if (best == g->space) {
                /* Nothing before a space can change any more. */
                for (size_t i = 0; i < g->tail.n; i++)
                    if ((st = asr_ctc_chars_push(stable, g->tail.v[i])) != ASR_OK) return st;
                g->tail.n = 0;
            }
        }
        g->prev = best;
    }
    return ASR_OK;
}

asr_status asr_ctc_greedy_tail(const asr_ctc_greedy *g, asr_ctc_chars *tail) {
    tail->n = 0;
    for (size_t i = 0; i < g->tail.n; i++) {
        asr_status st = asr_ctc_chars_push(tail, g->tail.v[i]);
        if (st != ASR_OK) return st;
    }
    return ASR_OK;
}
