/* Inference: stacked LSTM / GRU / tanh-RNN layers (uni- or bidirectional),
 * then a dense layer and log-softmax, following PyTorch's equations.
 *
 * Per block of steps and per layer direction, one GEMM computes the input
 * projections of every step; only the recurrent GEMV is sequential. */
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gemv_f16.h"
#include "model.h"
#include "vecmath.h"

/* Steps per block for unidirectional models: long enough for an efficient
 * GEMM, short enough that scratch memory stays small and bounded. */
#define BLOCK_STEPS 64

struct asr_model_state {
    const asr_model_net *net;
    size_t cap;   /* steps the block buffers hold */
    float *h;     /* num_layers x num_dirs x hidden */
    float *c;     /* same, LSTM cell state */
    float *tmp;   /* max(gates * hidden, vocab) */
    float *in;    /* cap x input_dim: normalised input */
    float *io[2]; /* cap x num_dirs * hidden: layer outputs, alternating */
    float *proj;  /* cap x gates * hidden: gate pre-activations */
};

static size_t max_size(size_t a, size_t b) {
    return a > b ? a : b;
}

static int ensure_capacity(asr_model_state *s, size_t steps) {
    if (steps <= s->cap) return 0;
    const asr_model_net *net = s->net;
    size_t hd = (size_t)net->num_dirs * (size_t)net->hidden_size;
    size_t gh = (size_t)net->gates * (size_t)net->hidden_size;
    size_t widest = max_size(max_size(hd, gh), (size_t)net->input_dim);
    if (steps > SIZE_MAX / sizeof(float) / widest) return -1;
    float *in = realloc(s->in, steps * (size_t)net->input_dim * sizeof(float));
    if (in) s->in = in;
    float *io0 = realloc(s->io[0], steps * hd * sizeof(float));
    if (io0) s->io[0] = io0;
    float *io1 = realloc(s->io[1], steps * hd * sizeof(float));
    if (io1) s->io[1] = io1;
    float *proj = realloc(s->proj, steps * gh * sizeof(float));
    if (proj) s->proj = proj;
    if (!in || !io0 || !io1 || !proj) return -1;
    s->cap = steps;
    return 0;
}

asr_model_state *asr_model_state_new(const asr_model *model) {
    if (!model) return asr_error_null(ASR_ERR_ARG, "asr_model_state_new: model is NULL");
    return asr_net_state_new(asr_model_get_net(model));
}

asr_model_state *asr_net_state_new(const asr_model_net *net) {
    asr_model_state *s = calloc(1, sizeof *s);
    if (!s) return asr_error_null(ASR_ERR_NOMEM, "out of memory for the model state");
    s->net = net;
    size_t n_state = (size_t)net->num_layers * (size_t)net->num_dirs * (size_t)net->hidden_size;
    size_t gh = (size_t)net->gates * (size_t)net->hidden_size;
    s->h = calloc(n_state, sizeof(float));
    s->c = calloc(n_state, sizeof(float));
    s->tmp = calloc(max_size(gh, (size_t)net->vocab_size), sizeof(float));
    /* Bidirectional buffers grow to the utterance in asr_model_forward. */
    if (!s->h || !s->c || !s->tmp || (net->num_dirs == 1 && ensure_capacity(s, BLOCK_STEPS))) {
        asr_model_state_free(s);
        return asr_error_null(ASR_ERR_NOMEM, "out of memory for the model state");
    }
    return s;
}

void asr_model_state_free(asr_model_state *state) {
    if (!state) return;
    free(state->h);
    free(state->c);
    free(state->tmp);
    free(state->in);
    free(state->io[0]);
    free(state->io[1]);
    free(state->proj);
    free(state);
}

void asr_model_state_reset(asr_model_state *state) {
    if (!state) return;
    const asr_model_net *net = state->net;
    size_t n_state = (size_t)net->num_layers * (size_t)net->num_dirs * (size_t)net->hidden_size;
    memset(state->h, 0, n_state * sizeof(float));
    memset(state->c, 0, n_state * sizeof(float));
}

/* Below this many rows, one GEMV per row beats OpenBLAS's GEMM, whose
 * packing of the weights costs about as much as 5 GEMVs (1280 x 320, one
 * core): live audio arrives in 100 ms chunks, 3-4 steps of 30 ms. */
#define GEMV_ROWS 6

/* c (m x n) += a (m x k) * b (n x k)^T. */
static void gemm_nt(size_t m, size_t n, size_t k, const float *a, const float *b, float *c) {
    if (m <= GEMV_ROWS)
        for (size_t i = 0; i < m; i++)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0f, b, (int)k, a + i * k, 1,
                        1.0f, c + i * n, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, a,
                    (int)k, b, (int)k, 1.0f, c, (int)n);
}

/* y (rows) += w_hh h. */
static void recurrent_gemv(const asr_rnn_weights *w, int rows, int hidden, const float *h,
                           float *y) {
    if (w->w_hh_f16)
        asr_gemv_f16((size_t)rows, (size_t)hidden, w->w_hh_f16, h, y);
    else
        cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, hidden, 1.0f, w->w_hh, hidden, h, 1, 1.0f, y,
                    1);
}

static void lstm_step(const asr_rnn_weights *w, int hidden, float *g, float *h, float *c,
                      float *tmp) {
    int H = hidden;
    recurrent_gemv(w, 4 * H, H, h, g);
    asr_vec_sigmoid(g, g, (size_t)(2 * H)); /* input and forget gates */
    asr_vec_tanh(g + 2 * H, g + 2 * H, (size_t)H);
    asr_vec_sigmoid(g + 3 * H, g + 3 * H, (size_t)H);
    for (int j = 0; j < H; j++)
        c[j] = g[H + j] * c[j] + g[j] * g[2 * H + j];
    asr_vec_tanh(tmp, c, (size_t)H);
    for (int j = 0; j < H; j++)
        h[j] = g[3 * H + j] * tmp[j];
}

/* The hidden projection stays separate: its n part is scaled by r. */
static void gru_step(const asr_rnn_weights *w, int hidden, float *g, float *h, float *tmp) {
    int H = hidden;
    memcpy(tmp, w->b_hh, (size_t)(3 * H) * sizeof(float));
    recurrent_gemv(w, 3 * H, H, h, tmp);
    for (int j = 0; j < 2 * H; j++)
        g[j] += tmp[j];
    asr_vec_sigmoid(g, g, (size_t)(2 * H)); /* reset and update gates */
    for (int j = 0; j < H; j++)
        g[2 * H + j] += g[j] * tmp[2 * H + j];
    asr_vec_tanh(g + 2 * H, g + 2 * H, (size_t)H);
    for (int j = 0; j < H; j++)
        h[j] = (1.0f - g[H + j]) * g[2 * H + j] + g[H + j] * h[j];
}

static void rnn_step(const asr_rnn_weights *w, int hidden, float *g, float *h) {
    recurrent_gemv(w, hidden, hidden, h, g);
    asr_vec_tanh(h, g, (size_t)hidden);
}

/* One direction of one layer over a block of steps; writes its half of
 * each output row. */
static void run_direction(const asr_model_net *net, asr_model_state *s, int layer, int dir,
                          const float *in, size_t steps, float *out) {
    const asr_rnn_weights *w = &net->layers[layer * net->num_dirs + dir];
    int H = net->hidden_size;
    size_t gh = (size_t)net->gates * (size_t)H;
    size_t out_stride = (size_t)net->num_dirs * (size_t)H;
    /* Biases first, then the GEMM accumulates onto them. GRU keeps b_hh
     * for the step, LSTM and RNN fold it in here. */
    for (size_t t = 0; t < steps; t++) {
        float *p = s->proj + t * gh;
        memcpy(p, w->b_ih, gh * sizeof(float));
        if (net->cell != ASR_CELL_GRU)
            for (size_t j = 0; j < gh; j++)
                p[j] += w->b_hh[j];
    }
    gemm_nt(steps, gh, (size_t)w->input_size, in, w->w_ih, s->proj);

    size_t offset = ((size_t)layer * (size_t)net->num_dirs + (size_t)dir) * (size_t)H;
    float *h = s->h + offset;
    float *c = s->c + offset;
    for (size_t i = 0; i < steps; i++) {
        size_t t = dir ? steps - 1 - i : i;
        float *g = s->proj + t * gh;
        switch (net->cell) {
        case ASR_CELL_LSTM: lstm_step(w, H, g, h, c, s->tmp); break;
        case ASR_CELL_GRU: gru_step(w, H, g, h, s->tmp); break;
        case ASR_CELL_RNN: rnn_step(w, H, g, h); break;
        }
        memcpy(out + t * out_stride + (size_t)dir * (size_t)H, h, (size_t)H * sizeof(float));
    }
}

static void run_block(const asr_model_net *net, asr_model_state *s, const float *x, size_t steps,
                      float *logprobs) {
    size_t D = (size_t)net->input_dim;
    for (size_t t = 0; t < steps; t++)
        for (size_t j = 0; j < D; j++)
            s->in[t * D + j] = (x[t * D + j] - net->input_mean[j]) * net->input_inv_std[j];
    const float *in = s->in;
    for (int l = 0; l < net->num_layers; l++) {
        float *out = s->io[l & 1];
        for (int d = 0; d < net->num_dirs; d++)
            run_direction(net, s, l, d, in, steps, out);
        in = out;
    }
    int hd = net->num_dirs * net->hidden_size;
    size_t V = (size_t)net->vocab_size;
    for (size_t t = 0; t < steps; t++)
        memcpy(logprobs + t * V, net->out_bias, V * sizeof(float));
    gemm_nt(steps, V, (size_t)hd, in, net->out_weight, logprobs);
    asr_vec_log_softmax(logprobs, steps, V, s->tmp);
}

asr_status asr_model_forward(const asr_model *model, asr_model_state *state, const float *x,
                             size_t n_steps, float *logprobs) {
    if (!model || !state || (n_steps && (!x || !logprobs)))
        return asr_error(ASR_ERR_ARG, "asr_model_forward: NULL argument");
    if (state->net != asr_model_get_net(model))
        return asr_error(ASR_ERR_ARG, "asr_model_forward: the state belongs to another model");
    return asr_net_forward(state, x, n_steps, logprobs);
}

asr_status asr_net_forward(asr_model_state *state, const float *x, size_t n_steps,
                           float *logprobs) {
    if (n_steps == 0) return ASR_OK;
    const asr_model_net *net = state->net;
    if (net->num_dirs == 2) {
        /* The backward pass needs the end first: each call is a whole
         * utterance, from a zero state. */
        if (n_steps > INT32_MAX || ensure_capacity(state, n_steps))
            return asr_error(ASR_ERR_NOMEM, "out of memory for %zu steps of a bidirectional model",
                             n_steps);
        asr_model_state_reset(state);
        run_block(net, state, x, n_steps, logprobs);
        return ASR_OK;
    }
    size_t D = (size_t)net->input_dim, V = (size_t)net->vocab_size;
    for (size_t start = 0; start < n_steps; start += BLOCK_STEPS) {
        size_t steps = n_steps - start < BLOCK_STEPS ? n_steps - start : BLOCK_STEPS;
        run_block(net, state, x + start * D, steps, logprobs + start * V);
    }
    return ASR_OK;
}
