/* Shared pieces of the `asr` command's subcommands. */
#ifndef ASR_CLI_H
#define ASR_CLI_H

#include <stdio.h>

#include "asr.h"

/* Exit codes shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

int cmd_transcribe(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Matches argv[*i] against --name (or -short when short_name is not 0) taking
 * a value as the next argument or after '='. Returns 1 and sets *value on a
 * match, 0 when argv[*i] is another option, -1 (after printing an error)
 * when the value is missing. Advances *i past a separate value. */
int opt_value(int argc, char **argv, int *i, const char *name, char short_name, const char **value);
/* Parses a whole decimal integer in lo..hi, or prints an error naming the
 * option and returns 0. */
int opt_int(const char *option, const char *text, long lo, long hi, int *out);

/* The model to use when --model is not given: $ASR_MODEL, else the first of
 * the names found in pretrained/ beside the executable (build/ or bin/) or in
 * the installed share/asr/. Returns a static buffer or NULL. */
const char *default_model_path(const char *const *names);

/* Loads a model, printing "asr: PATH: problem" on failure. */
asr_model *load_model_or_complain(const char *path);

/* Writes s as a JSON string literal. */
void json_string(FILE *out, const char *s);
/* {"file":...,"text":...,"duration":...,"words":[...]} without a newline. */
void json_result(FILE *out, const char *file, const asr_result *r);

#endif
