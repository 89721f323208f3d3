#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int opt_value(int argc, char **argv, int *i, const char *name, char short_name,
              const char **value) {
    const char *arg = argv[*i];
    size_t len = strlen(name);
    int is_long = strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, len) == 0;
    if (is_long && arg[2 + len] == '=') {
        *value = arg + 3 + len;
        return 1;
    }
    int is_short = short_name && arg[0] == '-' && arg[1] == short_name && arg[2] == '\0';
    if (!(is_long && arg[2 + len] == '\0') && !is_short) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "asr: option %s needs a value\n", arg);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int opt_int(const char *option, const char *text, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "asr: %s expects a whole number from %ld to %ld, not '%s'\n", option, lo,
                hi, text);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int readable(const char *path) {
    return access(path, R_OK) == 0;
}

/* name in pretrained/ beside the executable (build/ or bin/) or in the
 * installed share/asr/, written into path; NULL if not found. */
static const char *beside_executable(const char *name, char *path) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    static const char *const dirs[] = {"../pretrained", "../share/asr", "pretrained"};
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) {
        snprintf(path, ASR_PATH_MAX, "%s/%s/%s", exe, dirs[d], name);
        if (readable(path)) return path;
    }
    return NULL;
}

const char *default_model_path(const char *const *names) {
    const char *env = getenv("ASR_MODEL");
    if (env && *env) return env;
    static char path[ASR_PATH_MAX];
    for (size_t k = 0; names[k]; k++)
        if (beside_executable(names[k], path)) return path;
    return NULL;
}

const char *default_data_path(const char *env_name, const char *name, char *buf) {
    const char *env = getenv(env_name);
    if (env) return *env ? env : NULL; /* ASR_LM= (empty) means none */
    return beside_executable(name, buf);
}

asr_model *load_model_or_complain(const char *path) {
    if (!path) {
        fprintf(stderr, "asr: no model found: pass --model FILE or set ASR_MODEL\n");
        return NULL;
    }
    asr_model *m = asr_model_load(path);
    if (!m) fprintf(stderr, "asr: %s\n", asr_last_error());
    return m;
}
