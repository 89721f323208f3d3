/*
 * asr.h - streaming speech recognition: the one public header.
 *
 * Complete example: transcribe a file fed in pieces, as audio arriving from
 * a device or a network would be, with the word LM the way `asr transcribe`
 * uses it (tests/test_install.sh builds it against the installed library:
 * cc example.c $(pkg-config --cflags --libs asr)).
 *
 * BEGIN EXAMPLE
 *     #include <asr.h>
 *     #include <stdio.h>
 *
 *     static int fail(void) {
 *         fprintf(stderr, "asr: %s\n", asr_last_error());
 *         return 1;
 *     }
 *
 *     // Usage: example MODEL LM AUDIO, e.g. with the installed data:
 *     // example /usr/share/asr/en-bilstm.gguf /usr/share/asr/en-3gram.lmbin talk.wav
 *     int main(int argc, char **argv) {
 *         if (argc != 4) return fprintf(stderr, "usage: example MODEL LM AUDIO\n"), 2;
 *         asr_model *model = asr_model_load(argv[1]);
 *         if (!model) return fail();
 *         asr_lm *lm = asr_lm_load(argv[2]);
 *         if (!lm) return fail();
 *         asr_audio audio;                       // float samples in [-1, 1], any rate
 *         if (asr_audio_read_file(argv[3], &audio) != ASR_OK) return fail();
 *
 *         // Start from the defaults (see "Structs that grow" below), then set
 *         // the LM: the beam width and LM weight follow the model and the LM
 *         // (beam 128, 256 for a bidirectional model; the model's tuned alpha).
 *         asr_stream_params params = asr_stream_default_params();
 *         params.lm = lm;
 *         // A phone model (asr_model_get_info(model).unit is "phones") also needs
 *         // params.dict = asr_dict_load(".../en-cmudict.dict", NULL);
 *         asr_stream *stream = asr_stream_new(model, &params);
 *         if (!stream) return fail();
 *
 *         size_t piece = (size_t)audio.sample_rate / 10; // any chunk size works
 *         for (size_t at = 0; at < audio.n; at += piece) {
 *             size_t n = audio.n - at < piece ? audio.n - at : piece;
 *             if (asr_stream_accept_waveform(stream, audio.sample_rate, audio.samples + at,
 *                                            n) != ASR_OK)
 *                 return fail();
 *             asr_partial p = asr_stream_partial(stream); // stable + unstable
 *             fprintf(stderr, "\r%s%s", p.stable, p.unstable);
 *         }
 *         if (asr_stream_finish(stream) != ASR_OK) return fail(); // the last word
 *         const asr_result *r = asr_stream_result(stream);
 *         fprintf(stderr, "\n");
 *         printf("%s\n", r->text);
 *         for (size_t i = 0; i < r->n_words; i++)
 *             printf("%s %.2f-%.2f (%.2f)\n", r->words[i].word, r->words[i].start,
 *                    r->words[i].end, r->words[i].confidence);
 *
 *         asr_stream_free(stream);
 *         asr_audio_free(&audio);
 *         asr_lm_free(lm);
 *         asr_model_free(model);
 *         return 0;
 *     }
 * END EXAMPLE
 *
 * Errors. Functions return an asr_status (or NULL); the reason is then in
 * asr_last_error(), a message kept per thread. The library never prints,
 * never exits and never aborts on bad input.
 *
 * Thread safety. A loaded asr_model is immutable: any number of threads and
 * streams may share it. An asr_stream holds all per-utterance state and must
 * be used by one thread at a time. asr_feature_extractor likewise.
 *
 * Ownership. Every _new/_load has a matching _free, which accepts NULL.
 * Pointers returned by asr_stream_partial() and asr_stream_result() belong to
 * the stream and stay valid until the next call that takes the same stream.
 *
 * Versions. libasr.so.MAJOR is the ABI: within one major version functions
 * and structs only stay or are added. asr_version() says which library was
 * loaded; ASR_VERSION_* which header a program was compiled with.
 *
 * Structs that grow. asr_stream_params and asr_feature_config may gain
 * fields, always at the end and with defaults that keep the old behaviour.
 * Always start from asr_stream_default_params() / asr_feature_default_config()
 * and set the fields you need by name (never a brace list, never memset),
 * so that a program stays correct when it is recompiled against a newer
 * header. A struct changing size is an ABI change: it happens only with a
 * new major version (a new soname), so an old binary never meets a library
 * that reads a larger struct than it passed. Structs the library hands out
 * (asr_model_info, asr_result, asr_word, asr_partial, asr_audio) are read
 * only, through their fields.
 */
#ifndef ASR_H
#define ASR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASR_VERSION_MAJOR 0
#define ASR_VERSION_MINOR 1
#define ASR_VERSION_PATCH 0
#define ASR_STRINGIFY_(x) #x
#define ASR_STRINGIFY(x) ASR_STRINGIFY_(x)
#define ASR_VERSION_STRING                                                                         \
    ASR_STRINGIFY(ASR_VERSION_MAJOR)                                                               \
    "." ASR_STRINGIFY(ASR_VERSION_MINOR) "." ASR_STRINGIFY(ASR_VERSION_PATCH)

/* The library is built with hidden visibility: only what this header
 * declares with ASR_API is exported from libasr.so. */
#ifndef ASR_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define ASR_API __attribute__((visibility("default")))
#else
#define ASR_API
#endif
#endif

typedef enum {
    ASR_OK = 0,
    ASR_ERR_ARG,         /* a bad argument (NULL, negative size, bad rate) */
    ASR_ERR_IO,          /* a file could not be opened or read */
    ASR_ERR_FORMAT,      /* a file is corrupt, truncated or of the wrong kind */
    ASR_ERR_UNSUPPORTED, /* a valid but unsupported feature of a file */
    ASR_ERR_NOMEM,       /* an allocation failed */
    ASR_ERR_STATE,       /* a call out of order (audio after finish) */
    ASR_ERR_AUDIO        /* bad samples (NaN or Inf) */
} asr_status;

/* The version of the loaded library, "MAJOR.MINOR.PATCH". */
ASR_API const char *asr_version(void);

/* The last error message of the calling thread ("" if none). */
ASR_API const char *asr_last_error(void);
/* A short constant name for a status code ("format error" ...). */
ASR_API const char *asr_status_str(asr_status status);

/* ---- Model --------------------------------------------------------------- */

typedef struct asr_model asr_model;

/* Loads (memory-maps) a model file. Returns NULL on error. */
ASR_API asr_model *asr_model_load(const char *path);
ASR_API void asr_model_free(asr_model *model);

typedef struct {
    const char *name;    /* from the file, e.g. "en-lstm-2x320" */
    const char *cell;    /* "lstm", "gru" or "rnn" */
    const char *unit;    /* output symbols: "characters" or "phones" (these need an asr_dict) */
    int bidirectional;   /* 1: needs the whole utterance (see finish) */
    int num_layers;      /* recurrent layers */
    int hidden_size;     /* units per direction */
    size_t num_params;   /* weights and biases */
    int sample_rate;     /* rate the features are computed at */
    int frame_shift_ms;  /* one model step, after frame stacking */
    int vocab_size;      /* output symbols, blank first */
    float lm_alpha;      /* the LM weight tuned for this model (asr_stream_params.lm_alpha):
                            the file's asr.lm_alpha, else 0.8 */
    float blank_penalty; /* the blank penalty tuned for this model
                            (asr_stream_params.blank_penalty): the file's
                            asr.blank_penalty, else 0 */
} asr_model_info;

ASR_API asr_model_info asr_model_get_info(const asr_model *model);

/* ---- Language model ------------------------------------------------------ */

typedef struct asr_lm asr_lm;

/* Loads a word n-gram language model: the binary form written by
 * `asr lm-build` (memory-mapped: milliseconds) or an ARPA file, plain or
 * gzip-compressed (parsed into memory: seconds for a large one). Like a
 * model it is immutable and may be shared by any number of threads and
 * streams; it must outlive them. Returns NULL on error (a malformed ARPA
 * file's message names the line). See docs/LM.md. */
ASR_API asr_lm *asr_lm_load(const char *path);
ASR_API void asr_lm_free(asr_lm *lm);

/* A word to favour (boost > 0) or to avoid (boost < 0): boost is added to
 * the log-score of a hypothesis for each time it contains the word. */
typedef struct {
    const char *word;
    float boost; /* natural-log units, e.g. 3 to 10 */
} asr_hotword;

/* ---- Pronunciation dictionary (phone models) ----------------------------- */

typedef struct asr_dict asr_dict;

/* Loads (memory-maps) a pronunciation dictionary file, e.g. the shipped
 * pretrained/en-cmudict.dict (CMUdict, every variant, and a G2P model for
 * words it lacks; docs/DICTIONARY.md), and, when user_path is not NULL, a
 * text file of "WORD PH PH ..." lines (CMUdict's format; '#' starts a
 * comment) whose words are added or replace all of the file's
 * pronunciations of that word. Needed by phone models (asr_model_info.unit
 * "phones"). Immutable, shareable like a model; must outlive the streams
 * that use it. Returns NULL on error (a bad user line is named by number). */
ASR_API asr_dict *asr_dict_load(const char *path, const char *user_path);
ASR_API void asr_dict_free(asr_dict *dict);

typedef enum { ASR_PRON_DICT, ASR_PRON_USER, ASR_PRON_G2P } asr_pron_source;

/* Writes the pronunciations of word (as the models write words: lower
 * case) into out, one per line, phones separated by spaces: the user
 * file's or the dictionary's variants, else the G2P model's one guess.
 * *source (may be NULL) says which. ASR_ERR_ARG when the word cannot be
 * pronounced (characters the G2P model does not know) or out is too small. */
ASR_API asr_status asr_dict_pronounce(const asr_dict *dict, const char *word, char *out,
                                      size_t size, asr_pron_source *source);

/* ---- Stream -------------------------------------------------------------- */

typedef struct asr_stream asr_stream;

/* The beam width asr_stream_params.beam_size 0 stands for with an LM: word
 * scores need more hypotheses alive than the 8 of a search without one.
 * 128 made fewer word errors on the dev set than 64 for the streaming phone
 * model with its blank penalty (real speech 47.4 -> 45.8%, synthetic voices
 * 30.0 -> 27.9%); with the prune at -10 (asr_stream_default_params) it
 * streams at about the CPU cost of 64 (docs/DECODING.md, "Beam width").
 * Bidirectional models decode a whole utterance at once, where a wider beam
 * costs only throughput: 256 made fewer word errors on the dev set than 128
 * (the file phone model: 32.67 -> 32.17%) for a third more CPU. */
#define ASR_LM_BEAM 128
#define ASR_LM_BEAM_WHOLE 256
/* The largest asr_stream_params.blank_penalty (natural-log units): at 20 a
 * blank is e^-20 times less likely, which no useful setting comes near. */
#define ASR_MAX_BLANK_PENALTY 20
/* The lowest asr_stream_params.beam_prune: below e^-100 nothing a model
 * says matters, and the search would expand every symbol of every frame. */
#define ASR_MIN_BEAM_PRUNE -100

typedef struct {
    int beam_size;    /* 1 = greedy; >1 = CTC prefix beam search of that width;
                         0 (default): 8, or with an LM ASR_LM_BEAM (ASR_LM_BEAM_WHOLE for
                         a bidirectional model) */
    float beam_prune; /* symbols with a log-prob below this in a frame are not
                         searched (the frame's best always is): ASR_MIN_BEAM_PRUNE..0,
                         default -10 (docs/DECODING.md, "Beam width") */
    /* Endpointing (live transcription), see asr_stream_is_endpoint(): */
    int endpoint_silence_ms;       /* trailing silence after speech that ends an utterance
                                      (default 800; 0 = no silence rule) */
    int endpoint_max_utterance_ms; /* force an endpoint after this long (default 20000;
                                      0 = never) */
    /* Word-level search (docs/LM.md). Any of lm, words or hotwords makes
     * the decoder a prefix beam search even at beam_size 1. The arrays and
     * strings are copied by asr_stream_new; lm must outlive the stream. */
    const asr_lm *lm;            /* n-gram LM for shallow fusion; NULL = none (default) */
    float lm_alpha;              /* LM weight; negative (default): the one tuned for the
                                    model, asr_model_info.lm_alpha */
    float lm_beta;               /* bonus per word, natural-log units (default 0) */
    const char *const *words;    /* n_words > 0: only these words (or phrases, which */
    size_t n_words;              /* add their words) can be recognised; spelled as the
                                    model spells (the shipped models: lower case) */
    const asr_hotword *hotwords; /* n_hotwords words to favour or avoid */
    size_t n_hotwords;
    /* Phone models only (and required there): the words' pronunciations. The
     * vocabulary is the word list if given, else the LM's words, else every
     * word of the dictionary; words the dictionary lacks are pronounced by its
     * G2P model. Must outlive the stream. */
    const asr_dict *dict;
    /* Subtracted from the blank's log-prob in every frame before decoding,
     * 0..20: the model emits a symbol where it hesitated, so fewer words are
     * deleted (docs/DECODING.md). Negative (default): the one tuned for the
     * model, asr_model_info.blank_penalty. */
    float blank_penalty;
} asr_stream_params;

ASR_API asr_stream_params asr_stream_default_params(void);
/* The parameters a stream over model gets from params (NULL: the defaults):
 * beam_size 0, a negative lm_alpha and a negative blank_penalty replaced by
 * the values they stand for,
 * the rest as given. What asr_stream_new uses; for showing them. */
ASR_API asr_stream_params asr_stream_params_for(const asr_model *model,
                                                const asr_stream_params *params);

/* Creates a stream over a model, which must outlive the stream. params may
 * be NULL for the defaults. Returns NULL on error. */
ASR_API asr_stream *asr_stream_new(const asr_model *model, const asr_stream_params *params);
ASR_API void asr_stream_free(asr_stream *stream);

/* Feeds n mono samples in [-1, 1] at any rate from 1000 to 384000 Hz; the
 * rate must stay the same within one utterance. The result does not depend
 * on how the audio is cut into calls. NaN or Inf samples, and samples
 * beyond +-100 (not audio: 16-bit integers passed as floats, garbage),
 * are rejected with ASR_ERR_AUDIO and nothing of that call is used: the
 * stream goes on as if the call had not been made. Louder audio up to
 * +-100 is taken as it is (float files may peak above 1). */
ASR_API asr_status asr_stream_accept_waveform(asr_stream *stream, int sample_rate,
                                              const float *samples, size_t n);

/* Ends the utterance: flushes the resampler, the feature pipeline and the
 * decoder. Bidirectional models do all their work here. */
ASR_API asr_status asr_stream_finish(asr_stream *stream);

/* Clears all state so the stream can take a new utterance. */
ASR_API void asr_stream_reset(asr_stream *stream);

typedef struct {
    const char *stable;   /* never rewritten by later audio */
    const char *unstable; /* may still change; appended after stable */
} asr_partial;

ASR_API asr_partial asr_stream_partial(asr_stream *stream);

typedef struct {
    const char *word;
    float start, end; /* seconds from the start of the utterance */
    float confidence; /* 0..1 */
} asr_word;

typedef struct {
    const char *text; /* words joined by single spaces */
    const asr_word *words;
    size_t n_words;
    double audio_seconds; /* audio taken so far */
} asr_result;

/* The best transcript so far (final after asr_stream_finish). */
ASR_API const asr_result *asr_stream_result(asr_stream *stream);

/* Endpointing, for live audio: 1 when the current utterance has ended, so
 * that the caller finalises it (asr_stream_finish, asr_stream_result) and
 * starts the next (asr_stream_reset). Only once at least one word has been
 * recognised, then either when the trailing silence (the time since the
 * model last output a non-blank symbol) reaches endpoint_silence_ms, or when
 * the utterance (audio the model has scored) reaches
 * endpoint_max_utterance_ms. Never during silence with no words, so there
 * are no empty finals. Checked after each asr_stream_accept_waveform; its
 * resolution is one model step. 0 after finish, and for bidirectional
 * models until finish (they recognise nothing before it). */
ASR_API int asr_stream_is_endpoint(asr_stream *stream);

/* Acoustic model output so far: frames x vocab_size log-probabilities,
 * row-major, owned by the stream. Kept only when keep is set before audio
 * is fed (for parity tests and alignment); otherwise *n_frames is 0. */
ASR_API void asr_stream_keep_logprobs(asr_stream *stream, int keep);
ASR_API const float *asr_stream_logprobs(const asr_stream *stream, size_t *n_frames);

/* ---- Audio (the stream resamples by itself) ------------------------------ */

/* Mono float samples in [-1, 1]. */
typedef struct {
    float *samples; /* malloc'ed, owned by the caller: asr_audio_free() */
    size_t n;
    int sample_rate;
} asr_audio;

/* Reads anything libsndfile reads (WAV, FLAC, Ogg ...), mixing channels to
 * mono (their mean); integer formats are scaled to [-1, 1). On failure *out
 * is empty and the message in asr_last_error() starts with "path: ".
 * ASR_ERR_IO: missing or unreadable file. ASR_ERR_FORMAT: not audio, corrupt
 * (a zero rate or channel count included), truncated (fewer frames than the
 * header promises) or no audio at all. ASR_ERR_UNSUPPORTED: a rate outside
 * 1000..384000 Hz, more than 64 channels, longer than 4 hours or 256 M
 * samples (1 GiB), or an encoding libsndfile cannot decode. ASR_ERR_AUDIO: a NaN or Inf sample. */
ASR_API asr_status asr_audio_read_file(const char *path, asr_audio *out);

/* Frees the samples and empties *audio; accepts NULL and empty audio. */
ASR_API void asr_audio_free(asr_audio *audio);

/* The streaming sample-rate converter (libsamplerate) the stream uses; the
 * output does not depend on how the input is cut into calls. */
typedef struct asr_resampler asr_resampler;

ASR_API asr_resampler *asr_resampler_new(int in_rate, int out_rate);
ASR_API void asr_resampler_free(asr_resampler *r);
/* Converts n input samples; end = 1 flushes the filter tail. *out points to
 * an internal buffer valid until the next call. */
ASR_API asr_status asr_resampler_process(asr_resampler *r, const float *in, size_t n, int end,
                                         const float **out, size_t *n_out);
ASR_API void asr_resampler_reset(asr_resampler *r);

/* ---- Feature extraction (used by the training tools through ctypes) ------ */

typedef struct {
    int sample_rate;         /* 16000 */
    float frame_length_ms;   /* 25 */
    float frame_shift_ms;    /* 10 */
    int num_mel_bins;        /* 40 */
    int num_ceps;            /* 20 */
    float low_freq;          /* 20 Hz */
    float high_freq;         /* 0 = Nyquist; negative = offset from Nyquist */
    float preemph;           /* 0.97 */
    float cepstral_lifter;   /* 22 */
    int delta_order;         /* 0, 1 or 2: appended deltas */
    int delta_window;        /* 2 */
    int stack;               /* frames stacked into one model step */
    float cmvn_prior_frames; /* weight of cmvn_mean; 0 disables CMVN */
    const float *cmvn_mean;  /* num_ceps values, copied; NULL disables CMVN */
} asr_feature_config;

ASR_API asr_feature_config asr_feature_default_config(void);

typedef struct asr_feature_extractor asr_feature_extractor;

ASR_API asr_feature_extractor *asr_feature_extractor_new(const asr_feature_config *config);
ASR_API void asr_feature_extractor_free(asr_feature_extractor *fe);
/* Values per output step: num_ceps * (1 + delta_order) * stack. */
ASR_API int asr_feature_extractor_dim(const asr_feature_extractor *fe);
/* Samples at config.sample_rate, in [-1, 1]. */
ASR_API asr_status asr_feature_extractor_accept(asr_feature_extractor *fe, const float *samples,
                                                size_t n);
/* No more audio: releases the frames held back for deltas. */
ASR_API asr_status asr_feature_extractor_finish(asr_feature_extractor *fe);
/* Copies up to max_steps ready steps into out (max_steps x dim); returns
 * how many were copied. Steps are handed out once. */
ASR_API size_t asr_feature_extractor_read(asr_feature_extractor *fe, float *out, size_t max_steps);

#ifdef __cplusplus
}
#endif

#endif
