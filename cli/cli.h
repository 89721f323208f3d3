/* Shared pieces of the `asr` command's subcommands. */
#ifndef ASR_CLI_H
#define ASR_CLI_H

#include <stdio.h>

#include "asr.h"
#include "transcript.h"

/* Exit codes shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

/* Restarts asr with OpenBLAS's fast kernels where it chose slow ones for
 * a CPU it does not know (blas_kernels.c); returns when there is nothing to do. */
void use_fast_blas_kernels(char **argv);

int cmd_transcribe(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_pronounce(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_client(int argc, char **argv);

/* Matches argv[*i] against --name (or -short when short_name is not 0) taking
 * a value as the next argument or after '='. Returns 1 and sets *value on a
 * match, 0 when argv[*i] is another option, -1 (after printing an error)
 * when the value is missing. Advances *i past a separate value. */
int opt_value(int argc, char **argv, int *i, const char *name, char short_name, const char **value);
/* Parses a whole decimal integer in lo..hi, or prints an error naming the
 * option and returns 0. */
int opt_int(const char *option, const char *text, long lo, long hi, int *out);

/* Where models and data files are found (docs/LIBRARY.md): the option, else
 * the variable ($ASR_MODEL, $ASR_LM, $ASR_DICT), else the first data
 * directory that has the file: $ASR_DATA_DIR, share/asr of the installation
 * (bin/../share/asr), the source tree's pretrained/ (build/../pretrained),
 * pretrained/ beside the executable. */

/* The model to use when --model is not given: $ASR_MODEL, else the first of
 * names found in a data directory. Returns a static buffer, or NULL after
 * printing where it looked. */
const char *default_model_path(const char *const *names);

/* The default models for files (transcribe, eval), most accurate first
 * (pretrained/MODEL_CARD.md). */
#define FILE_MODEL_NAMES                                                                           \
    { "en-bilstm-phones.gguf", "en-bilstm.gguf", "en-lstm.gguf", NULL }
/* The default models for streaming (live, serve, bench): the phone model,
 * whose words come as early as the character model's (MODEL_CARD.md). */
#define STREAMING_MODEL_NAMES                                                                      \
    { "en-lstm-phones.gguf", "en-lstm.gguf", NULL }

/* A data file (LM, dictionary): $env_name (empty: none), else name found
 * in a data directory, written into buf (ASR_PATH_MAX bytes). NULL if none. */
#define ASR_PATH_MAX 4160
const char *default_data_path(const char *env_name, const char *name, char *buf);

/* "DIR/, DIR/ ... for NAME": the data directories, for messages (a static
 * buffer, overwritten by the next call). */
const char *data_search_places(const char *name);

/* Loads a model, printing "asr: PATH: problem" on failure; NULL path: NULL
 * (default_model_path() has already said why). */
/* Loads a model, printing "asr: PATH: problem" on failure. */
asr_model *load_model_or_complain(const char *path);
/* The same, refusing a bidirectional model with "it cannot ADVICE" (for
 * the commands that stream: live, serve). */
asr_model *load_streaming_model_or_complain(const char *command, const char *path,
                                            const char *advice);

/* The LM options of transcribe and eval (cli/lm_build.c). */
#define ASR_DEFAULT_LM "en-3gram.lmbin"
#define ASR_DEFAULT_DICT "en-cmudict.dict"
/* The library's default beams with an LM (asr.h), for help texts. */
#define ASR_STRINGIFY_(x) #x
#define ASR_STRINGIFY(x) ASR_STRINGIFY_(x)
#define ASR_LM_BEAM_TEXT ASR_STRINGIFY(ASR_LM_BEAM)
#define ASR_LM_BEAM_WHOLE_TEXT ASR_STRINGIFY(ASR_LM_BEAM_WHOLE)
#define LM_OPTIONS_HELP                                                                            \
    "  --lm FILE      word n-gram LM for the beam search: binary (asr lm-build) or ARPA\n"         \
    "                 (default: $ASR_LM, else " ASR_DEFAULT_LM " in a data directory:\n"           \
    "                 $ASR_DATA_DIR, share/asr, pretrained/; see man asr)\n"                       \
    "  --no-lm        no LM (then --beam 1 is greedy decoding)\n"                                  \
    "  --alpha X      LM weight (default: the model's, 0.8 unless its file says)\n"                \
    "  --beta X       bonus per word with an LM, in log units (default 0)\n"                       \
    "  --blank-penalty X  subtracted from the blank's log-prob in every frame, 0..20:\n"           \
    "                 fewer deleted words where the model hesitates (default: the\n"               \
    "                 model's, 0 unless its file says)\n"                                          \
    "  --beam-prune X symbols with a log-prob below X in a frame are not searched (the\n"          \
    "                 frame's best always is), -100..0 (default -10): lower is wider\n"            \
    "                 and slower\n"                                                                \
    "  --words FILE   recognise only the words (or phrases: their words) listed one per\n"         \
    "                 line in FILE, e.g. the digits; '#' starts a comment line\n"                  \
    "  --hotword W[:B] favour word W by B (log units, default 5; negative: avoid it);\n"           \
    "                 may be repeated\n"                                                           \
    "  --dict FILE    pronunciation dictionary for phone models (default: $ASR_DICT,\n"            \
    "                 else " ASR_DEFAULT_DICT " in a data directory)\n"                            \
    "  --pronunciations FILE  extra or replacement pronunciations for phone models,\n"             \
    "                 'WORD PH PH ...' per line as in CMUdict\n"

typedef struct {
    const char *lm_path, *words_path, *dict_path, *pron_path;
    int no_lm, alpha_set, beta_set, blank_set, prune_set, n_hot;
    float alpha, beta, blank_penalty, beam_prune;
    asr_hotword *hot;
    /* Filled by lm_options_apply: */
    asr_lm *lm;
    asr_dict *dict;
    char **words;
    size_t n_words;
} lm_options;

/* Like opt_value for the LM options: 1 (taken), 0 (another option), -1
 * (error printed). */
int lm_option(int argc, char **argv, int *i, lm_options *o);
/* Loads the LM and the word list into params and checks them against the
 * model (words it cannot spell); 0 after printing an error. */
int lm_options_apply(lm_options *o, const asr_model *model, asr_stream_params *params);
void lm_options_free(lm_options *o);
int cmd_lm_build(int argc, char **argv);
int cmd_lm_ppl(int argc, char **argv);

/* Writes s as a JSON string literal; bytes that are not UTF-8 become U+FFFD. */
void json_string(FILE *out, const char *s);
/* {"file","text","duration","segments":[{"start","end","text","words"}],
 * "words"} without a newline; times from the start of the file. 0 when out
 * of memory. */
int json_transcript(FILE *out, const char *file, const transcript *t);

#endif
