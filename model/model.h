/* Acoustic model: loading (model_file.c) and inference (recurrent.c). */
#ifndef ASR_MODEL_H
#define ASR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"

/* The LM weight of models that do not name one (asr.lm_alpha): the value
 * tuned on the dev set for the character models (training/tune_lm.py). */
#define ASR_DEFAULT_LM_ALPHA 0.8f

/* Feature settings the model was trained with; cmvn_mean points into the
 * model and lives as long as it. */
asr_feature_config asr_model_feature_config(const asr_model *model);
int asr_model_input_dim(const asr_model *model);
int asr_model_vocab_size(const asr_model *model);
/* Output symbol text: "" for blank (id 0), " " for the word separator. */
const char *asr_model_symbol(const asr_model *model, int id);
int asr_model_is_bidirectional(const asr_model *model);
/* 1: the outputs are phones (words need a pronunciation dictionary), 0:
 * characters (a word is its spelling). */
int asr_model_has_phones(const asr_model *model);

/* Per-stream recurrent state and scratch buffers. */
typedef struct asr_model_state asr_model_state;

asr_model_state *asr_model_state_new(const asr_model *model);
void asr_model_state_free(asr_model_state *state);
void asr_model_state_reset(asr_model_state *state);

/* Runs n_steps feature vectors (n_steps x input_dim, row-major) through the
 * network and writes n_steps x vocab_size log-probabilities. Unidirectional
 * models carry their state over to the next call; bidirectional models must
 * be given the whole utterance in one call (each call starts from a zero
 * state). Fails only on bad arguments or, bidirectional, out of memory. */
asr_status asr_model_forward(const asr_model *model, asr_model_state *state, const float *x,
                             size_t n_steps, float *logprobs);

/* ---- The network as the loader found it (model_file.c -> recurrent.c) --- */

typedef enum { ASR_CELL_RNN, ASR_CELL_GRU, ASR_CELL_LSTM } asr_cell;

/* One direction of one recurrent layer in PyTorch's layout: the gates are
 * stacked along the rows (LSTM i, f, g, o; GRU r, z, n; RNN one tanh). */
typedef struct {
    int input_size;
    const float *w_ih;        /* gates * hidden x input_size, row-major */
    const float *w_hh;        /* gates * hidden x hidden; NULL when w_hh_f16 is set */
    const uint16_t *w_hh_f16; /* the same as float16 (gemv_f16.h), or NULL */
    const float *b_ih;        /* gates * hidden */
    const float *b_hh;        /* gates * hidden */
} asr_rnn_weights;

typedef struct {
    asr_cell cell;
    int gates; /* 4 (LSTM), 3 (GRU) or 1 (RNN) */
    int num_layers;
    int num_dirs; /* 2: each layer outputs concat(forward, backward) */
    int hidden_size;
    int input_dim;
    int vocab_size;
    const float *input_mean;       /* input_dim; features are (x - mean) * inv_std */
    const float *input_inv_std;    /* input_dim */
    const asr_rnn_weights *layers; /* num_layers x num_dirs, forward first */
    const float *out_weight;       /* vocab_size x num_dirs * hidden_size */
    const float *out_bias;         /* vocab_size */
} asr_model_net;

/* Weights point into the mapped file and live as long as the model. */
const asr_model_net *asr_model_get_net(const asr_model *model);

/* The same inference for any network of this shape (the G2P model of a
 * pronunciation dictionary is one): the state keeps net, which must outlive
 * it. */
asr_model_state *asr_net_state_new(const asr_model_net *net);
asr_status asr_net_forward(asr_model_state *state, const float *x, size_t n_steps, float *logprobs);

/* Reads the tensors of a network whose hyperparameters (cell, gates,
 * num_layers, num_dirs, hidden_size, input_dim, vocab_size) are set in
 * *net: "<prefix>input.mean", "<prefix>rnn.L.fwd.w_ih" ... "<prefix>out.bias"
 * (docs/MODEL_FORMAT.md). layers has num_layers x num_dirs entries; used[i]
 * is set for each file tensor read; *num_params (may be NULL) adds up the
 * weights. -1 with the error set (naming path) on failure. */
struct asr_gguf;
int asr_net_read(struct asr_gguf *g, const char *prefix, asr_model_net *net,
                 asr_rnn_weights *layers, unsigned char *used, size_t *num_params);

/* Limits the loader enforces (docs/MODEL_FORMAT.md). */
#define ASR_MODEL_MAX_LAYERS 16
#define ASR_MODEL_MAX_HIDDEN 8192
#define ASR_MODEL_MAX_INPUT 65536
#define ASR_MODEL_MAX_VOCAB 65536

#endif
