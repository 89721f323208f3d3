/* Model files: GGUF v3 with the keys and tensors of docs/MODEL_FORMAT.md.
 * Every value is checked here, so inference can trust the network. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gemv_f16.h"
#include "gguf.h"
#include "model.h"

#define FORMAT_VERSION 1

struct asr_model {
    asr_gguf *gguf;
    const char *name;
    const char *cell_name;
    const char *unit; /* "characters" or "phones" */
    float lm_alpha;   /* the LM weight tuned for this model */
    float blank_penalty;
    asr_model_net net;
    asr_rnn_weights *layers;
    char **vocab; /* inside the gguf metadata */
    asr_feature_config features;
    size_t num_params;
    unsigned char *tensor_used; /* per file tensor, during loading */
};

static void *fail_key(const asr_gguf *g, const char *key, const char *what) {
    return asr_error_null(ASR_ERR_FORMAT, "%s: metadata '%s' %s", g->path, key, what);
}

static int get_f32(const asr_gguf *g, const char *key, float lo, float hi, float *out) {
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, key, ASR_GGUF_FLOAT32);
    if (!kv) return -1;
    /* Written so that NaN fails too. */
    if (!(kv->value.f >= lo && kv->value.f <= hi)) {
        asr_error(ASR_ERR_FORMAT, "%s: metadata '%s' = %g is outside %g..%g", g->path, key,
                  kv->value.f, lo, hi);
        return -1;
    }
    *out = (float)kv->value.f;
    return 0;
}

static int get_bool(const asr_gguf *g, const char *key, int *out) {
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, key, ASR_GGUF_BOOL);
    if (!kv) return -1;
    *out = (int)kv->value.u;
    return 0;
}

static const char *get_string(const asr_gguf *g, const char *key) {
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, key, ASR_GGUF_STRING);
    return kv ? kv->value.str : NULL;
}

static int read_features(asr_model *m) {
    const asr_gguf *g = m->gguf;
    asr_feature_config *f = &m->features;
    if (asr_gguf_get_u32(g, "asr.feature.sample_rate", 1000, 384000, &f->sample_rate) ||
        get_f32(g, "asr.feature.frame_length_ms", 1, 1000, &f->frame_length_ms) ||
        get_f32(g, "asr.feature.frame_shift_ms", 1, 1000, &f->frame_shift_ms) ||
        asr_gguf_get_u32(g, "asr.feature.num_mel_bins", 1, 1024, &f->num_mel_bins) ||
        asr_gguf_get_u32(g, "asr.feature.num_ceps", 1, (uint32_t)f->num_mel_bins, &f->num_ceps) ||
        get_f32(g, "asr.feature.low_freq", 0, 192000, &f->low_freq) ||
        get_f32(g, "asr.feature.high_freq", -192000, 192000, &f->high_freq) ||
        get_f32(g, "asr.feature.preemph", 0, 1, &f->preemph) ||
        get_f32(g, "asr.feature.cepstral_lifter", 0, 1000, &f->cepstral_lifter) ||
        asr_gguf_get_u32(g, "asr.feature.delta_order", 0, 2, &f->delta_order) ||
        asr_gguf_get_u32(g, "asr.feature.delta_window", 1, 16, &f->delta_window) ||
        asr_gguf_get_u32(g, "asr.feature.stack", 1, 16, &f->stack) ||
        get_f32(g, "asr.feature.cmvn_prior_frames", 0, 1e9f, &f->cmvn_prior_frames))
        return -1;
    int dim = f->num_ceps * (1 + f->delta_order) * f->stack;
    if (dim != m->net.input_dim) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: asr.input_dim is %d but the feature settings give %d "
                  "(num_ceps %d x (1 + delta_order %d) x stack %d)",
                  g->path, m->net.input_dim, dim, f->num_ceps, f->delta_order, f->stack);
        return -1;
    }
    return 0;
}

static int read_vocab(asr_model *m) {
    const asr_gguf *g = m->gguf;
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, "asr.vocab", ASR_GGUF_ARRAY);
    if (!kv) return -1;
    if (kv->array_type != ASR_GGUF_STRING) {
        fail_key(g, "asr.vocab", "must be an array of strings");
        return -1;
    }
    if (kv->array_len < 2 || kv->array_len > ASR_MODEL_MAX_VOCAB) {
        asr_error(ASR_ERR_FORMAT, "%s: asr.vocab has %llu symbols (2..%d allowed)", g->path,
                  (unsigned long long)kv->array_len, ASR_MODEL_MAX_VOCAB);
        return -1;
    }
    if (kv->strs[0][0] != '\0') {
        fail_key(g, "asr.vocab", "must start with the blank symbol \"\"");
        return -1;
    }
    m->vocab = kv->strs;
    m->net.vocab_size = (int)kv->array_len;
    return 0;
}

static int read_hparams(asr_model *m) {
    const asr_gguf *g = m->gguf;
    const char *arch = get_string(g, "general.architecture");
    if (!arch) return -1;
    if (strcmp(arch, "asr-ctc") != 0) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: architecture '%s' is not 'asr-ctc'", g->path, arch);
        return -1;
    }
    const asr_gguf_kv *version = asr_gguf_find_typed(g, "asr.format_version", ASR_GGUF_UINT32);
    if (!version) return -1;
    if (version->value.u != FORMAT_VERSION) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: asr.format_version %llu is not supported (expected %d)",
                  g->path, (unsigned long long)version->value.u, FORMAT_VERSION);
        return -1;
    }
    m->name = get_string(g, "general.name");
    m->cell_name = get_string(g, "asr.cell");
    if (!m->name || !m->cell_name) return -1;
    /* Absent in the first model files, which are all character models. */
    m->unit = asr_gguf_find_kv(g, "asr.unit") ? get_string(g, "asr.unit") : "characters";
    if (!m->unit) return -1;
    if (strcmp(m->unit, "characters") != 0 && strcmp(m->unit, "phones") != 0) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: asr.unit '%s' is not 'characters' or 'phones'", g->path,
                  m->unit);
        return -1;
    }
    /* Optional: the LM weight the dev set prefers for this model. */
    m->lm_alpha = ASR_DEFAULT_LM_ALPHA;
    if (asr_gguf_find_kv(g, "asr.lm_alpha") && get_f32(g, "asr.lm_alpha", 0, 10, &m->lm_alpha))
        return -1;
    /* Optional: the blank penalty the dev set prefers (0: none). */
    m->blank_penalty = 0.0f;
    if (asr_gguf_find_kv(g, "asr.blank_penalty") &&
        get_f32(g, "asr.blank_penalty", 0, ASR_MAX_BLANK_PENALTY, &m->blank_penalty))
        return -1;
    asr_model_net *net = &m->net;
    if (strcmp(m->cell_name, "lstm") == 0) {
        net->cell = ASR_CELL_LSTM;
        net->gates = 4;
    } else if (strcmp(m->cell_name, "gru") == 0) {
        net->cell = ASR_CELL_GRU;
        net->gates = 3;
    } else if (strcmp(m->cell_name, "rnn") == 0) {
        net->cell = ASR_CELL_RNN;
        net->gates = 1;
    } else {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: asr.cell '%s' is not lstm, gru or rnn", g->path,
                  m->cell_name);
        return -1;
    }
    int bidirectional;
    if (get_bool(g, "asr.bidirectional", &bidirectional) ||
        asr_gguf_get_u32(g, "asr.num_layers", 1, ASR_MODEL_MAX_LAYERS, &net->num_layers) ||
        asr_gguf_get_u32(g, "asr.hidden_size", 1, ASR_MODEL_MAX_HIDDEN, &net->hidden_size) ||
        asr_gguf_get_u32(g, "asr.input_dim", 1, ASR_MODEL_MAX_INPUT, &net->input_dim))
        return -1;
    net->num_dirs = bidirectional ? 2 : 1;
    return read_vocab(m) || read_features(m) ? -1 : 0;
}

/* The F32 or F16 tensor of PyTorch shape [rows] (cols == 0) or [rows x
 * cols], checked finite; GGUF lists dimensions innermost first, so a matrix
 * is stored as dims {cols, rows}. NULL with the error set otherwise. */
static const asr_gguf_tensor *find_tensor(const asr_gguf *g, unsigned char *used,
                                          const char *prefix, const char *base, int rows,
                                          int cols) {
    char name[ASR_GGUF_MAX_NAME + 1];
    snprintf(name, sizeof name, "%s%s", prefix, base);
    const asr_gguf_tensor *t = asr_gguf_find_tensor(g, name);
    if (!t) return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' is missing", g->path, name);
    used[t - g->tensors] = 1;
    if (t->type != ASR_GGML_F32 && t->type != ASR_GGML_F16)
        return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' has type %s, expected F32 or F16",
                              g->path, name, asr_ggml_type_name(t->type));
    int ok = cols ? t->n_dims == 2 && t->dims[0] == (uint64_t)cols && t->dims[1] == (uint64_t)rows
                  : t->n_dims == 1 && t->dims[0] == (uint64_t)rows;
    if (!ok) {
        char got[128] = "";
        size_t len = 0;
        for (uint32_t i = t->n_dims; i-- > 0 && len < sizeof got;)
            len +=
                (size_t)snprintf(got + len, sizeof got - len, "%s%llu",
                                 i + 1 == t->n_dims ? "" : " x ", (unsigned long long)t->dims[i]);
        if (cols)
            return asr_error_null(ASR_ERR_FORMAT,
                                  "%s: tensor '%s' has shape [%s], expected [%d x %d]", g->path,
                                  name, got, rows, cols);
        return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' has shape [%s], expected [%d]",
                              g->path, name, got, rows);
    }
    /* Only an alignment below 4 in the file could break this. */
    if ((uintptr_t)t->data % _Alignof(float))
        return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' is not aligned for floats", g->path,
                              name);
    for (uint64_t i = 0; i < t->n_elements; i++) {
        int finite;
        if (t->type == ASR_GGML_F32) {
            finite = isfinite(((const float *)t->data)[i]);
        } else { /* all exponent bits set: inf or NaN */
            const unsigned char *h = (const unsigned char *)t->data + 2 * i;
            finite = (h[1] & 0x7c) != 0x7c;
        }
        if (!finite)
            return asr_error_null(ASR_ERR_FORMAT,
                                  "%s: tensor '%s' has a non-finite value at element %llu", g->path,
                                  name, (unsigned long long)i);
    }
    return t;
}

/* Such a tensor as floats (F16 widened). */
static const float *get_tensor(asr_gguf *g, unsigned char *used, const char *prefix,
                               const char *base, int rows, int cols) {
    const asr_gguf_tensor *t = find_tensor(g, used, prefix, base, rows, cols);
    return t ? asr_gguf_floats(g, t) : NULL;
}

/* A recurrent matrix: F16 kept as it is where this CPU multiplies by it
 * fast (*halves set, *floats NULL: the GEMV of each step reads half the
 * bytes), else as floats (*floats set). -1 with the error set on failure. */
static int get_recurrent(asr_gguf *g, unsigned char *used, const char *prefix, const char *base,
                         int rows, int cols, const float **floats, const uint16_t **halves) {
    const asr_gguf_tensor *t = find_tensor(g, used, prefix, base, rows, cols);
    if (!t) return -1;
    *floats = NULL;
    *halves = NULL;
    if (t->type == ASR_GGML_F16 && asr_gemv_f16_available())
        *halves = t->data;
    else if (!(*floats = asr_gguf_floats(g, t)))
        return -1;
    return 0;
}

static int read_layer(asr_gguf *g, const char *prefix, asr_model_net *net, asr_rnn_weights *w,
                      int layer, int dir, unsigned char *used, size_t *num_params) {
    int gh = net->gates * net->hidden_size;
    w->input_size = layer == 0 ? net->input_dim : net->num_dirs * net->hidden_size;
    const char *d = dir ? "bwd" : "fwd";
    char name[ASR_GGUF_MAX_NAME + 1];
    snprintf(name, sizeof name, "rnn.%d.%s.w_ih", layer, d);
    if (!(w->w_ih = get_tensor(g, used, prefix, name, gh, w->input_size))) return -1;
    snprintf(name, sizeof name, "rnn.%d.%s.w_hh", layer, d);
    if (get_recurrent(g, used, prefix, name, gh, net->hidden_size, &w->w_hh, &w->w_hh_f16))
        return -1;
    snprintf(name, sizeof name, "rnn.%d.%s.b_ih", layer, d);
    if (!(w->b_ih = get_tensor(g, used, prefix, name, gh, 0))) return -1;
    snprintf(name, sizeof name, "rnn.%d.%s.b_hh", layer, d);
    if (!(w->b_hh = get_tensor(g, used, prefix, name, gh, 0))) return -1;
    *num_params += (size_t)gh * ((size_t)w->input_size + (size_t)net->hidden_size + 2);
    return 0;
}

int asr_net_read(asr_gguf *g, const char *prefix, asr_model_net *net, asr_rnn_weights *layers,
                 unsigned char *used, size_t *num_params) {
    size_t params = 0;
    net->layers = layers;
    if (!(net->input_mean = get_tensor(g, used, prefix, "input.mean", net->input_dim, 0)) ||
        !(net->input_inv_std = get_tensor(g, used, prefix, "input.inv_std", net->input_dim, 0)))
        return -1;
    for (int l = 0; l < net->num_layers; l++)
        for (int d = 0; d < net->num_dirs; d++)
            if (read_layer(g, prefix, net, &layers[l * net->num_dirs + d], l, d, used, &params))
                return -1;
    int out_in = net->num_dirs * net->hidden_size;
    if (!(net->out_weight = get_tensor(g, used, prefix, "out.weight", net->vocab_size, out_in)) ||
        !(net->out_bias = get_tensor(g, used, prefix, "out.bias", net->vocab_size, 0)))
        return -1;
    params += (size_t)net->vocab_size * ((size_t)out_in + 1);
    if (num_params) *num_params += params;
    return 0;
}

static int read_tensors(asr_model *m) {
    asr_model_net *net = &m->net;
    asr_gguf *g = m->gguf;
    m->tensor_used = calloc(g->n_tensors ? g->n_tensors : 1, 1);
    m->layers = calloc((size_t)(net->num_layers * net->num_dirs), sizeof *m->layers);
    if (!m->tensor_used || !m->layers) {
        asr_error(ASR_ERR_NOMEM, "%s: out of memory", g->path);
        return -1;
    }
    if (!(m->features.cmvn_mean =
              get_tensor(g, m->tensor_used, "", "cmvn.mean", m->features.num_ceps, 0)) ||
        asr_net_read(g, "", net, m->layers, m->tensor_used, &m->num_params))
        return -1;
    /* A tensor the metadata does not account for means the two disagree. */
    for (size_t i = 0; i < g->n_tensors; i++)
        if (!m->tensor_used[i]) {
            asr_error(ASR_ERR_FORMAT, "%s: unexpected tensor '%s' for this configuration", g->path,
                      g->tensors[i].name);
            return -1;
        }
    return 0;
}

/* Feature settings within their ranges can still disagree (a low_freq
 * above the Nyquist frequency): found here, naming the file, rather than
 * by every stream made from it. */
static int check_features(const asr_model *m) {
    asr_feature_extractor *fe = asr_feature_extractor_new(&m->features);
    if (fe) {
        asr_feature_extractor_free(fe);
        return 0;
    }
    char why[400];
    snprintf(why, sizeof why, "%s", asr_last_error());
    asr_error(ASR_ERR_FORMAT, "%s: the feature settings (asr.feature.*) cannot be used: %s",
              m->gguf->path, why);
    return -1;
}

asr_model *asr_model_load(const char *path) {
    asr_gguf *g = asr_gguf_open(path);
    if (!g) return NULL;
    asr_model *m = calloc(1, sizeof *m);
    if (!m) {
        asr_gguf_close(g);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", path);
    }
    m->gguf = g;
    if (read_hparams(m) || read_tensors(m) || check_features(m)) {
        asr_model_free(m);
        return NULL;
    }
    free(m->tensor_used);
    m->tensor_used = NULL;
    return m;
}

void asr_model_free(asr_model *model) {
    if (!model) return;
    asr_gguf_close(model->gguf);
    free(model->layers);
    free(model->tensor_used);
    free(model);
}

asr_model_info asr_model_get_info(const asr_model *model) {
    asr_model_info info = {0};
    if (!model) return info;
    info.name = model->name;
    info.cell = model->cell_name;
    info.unit = model->unit;
    info.bidirectional = model->net.num_dirs == 2;
    info.num_layers = model->net.num_layers;
    info.hidden_size = model->net.hidden_size;
    info.num_params = model->num_params;
    info.sample_rate = model->features.sample_rate;
    info.frame_shift_ms = (int)lroundf(model->features.frame_shift_ms * model->features.stack);
    info.vocab_size = model->net.vocab_size;
    info.lm_alpha = model->lm_alpha;
    info.blank_penalty = model->blank_penalty;
    return info;
}

asr_feature_config asr_model_feature_config(const asr_model *model) {
    return model->features;
}

int asr_model_input_dim(const asr_model *model) {
    return model->net.input_dim;
}

int asr_model_vocab_size(const asr_model *model) {
    return model->net.vocab_size;
}

const char *asr_model_symbol(const asr_model *model, int id) {
    if (id < 0 || id >= model->net.vocab_size) return NULL;
    return model->vocab[id];
}

int asr_model_has_phones(const asr_model *model) {
    return strcmp(model->unit, "phones") == 0;
}

int asr_model_is_bidirectional(const asr_model *model) {
    return model->net.num_dirs == 2;
}

const asr_model_net *asr_model_get_net(const asr_model *model) {
    return &model->net;
}
