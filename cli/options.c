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

/* The directories searched for models and data, in order: $ASR_DATA_DIR,
 * then share/asr of the installation (bin/../share/asr), then the source
 * tree's pretrained/ (build/../pretrained) and pretrained/ beside the
 * executable. Returns how many were written into dirs. */
enum { MAX_DATA_DIRS = 4 };
static int data_dirs(char dirs[MAX_DATA_DIRS][PATH_MAX]) {
    int n = 0;
    const char *env = getenv("ASR_DATA_DIR");
    if (env && *env) snprintf(dirs[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX], parent[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return n;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    /* Named as real paths (/usr/share/asr, not /usr/bin/../share/asr). */
    char up[PATH_MAX + 4];
    snprintf(up, sizeof up, "%s/..", exe);
    if (!realpath(up, parent)) return n;
    static const char *const under_parent[] = {"share/asr", "pretrained"};
    for (size_t d = 0; d < 2; d++)
        if (snprintf(dirs[n], PATH_MAX, "%s/%s", parent, under_parent[d]) < PATH_MAX) n++;
    if (snprintf(dirs[n], PATH_MAX, "%s/pretrained", exe) < PATH_MAX) n++;
    return n;
}

/* name in the first data directory that has it, written into path. */
static const char *find_in_data_dirs(const char *name, char *path) {
    char dirs[MAX_DATA_DIRS][PATH_MAX];
    int n = data_dirs(dirs);
    for (int d = 0; d < n; d++) {
        int len = snprintf(path, ASR_PATH_MAX, "%s/%s", dirs[d], name);
        if (len < ASR_PATH_MAX && readable(path)) return path;
    }
    return NULL;
}

const char *data_search_places(const char *name) {
    static char text[MAX_DATA_DIRS * (PATH_MAX + 4) + 64];
    char dirs[MAX_DATA_DIRS][PATH_MAX];
    int n = data_dirs(dirs);
    size_t at = 0;
    if (!getenv("ASR_DATA_DIR") || !*getenv("ASR_DATA_DIR"))
        at += (size_t)snprintf(text, sizeof text, "$ASR_DATA_DIR (not set), ");
    for (int d = 0; d < n && at < sizeof text; d++)
        at += (size_t)snprintf(text + at, sizeof text - at, "%s%s/", d ? ", " : "", dirs[d]);
    if (at < sizeof text) snprintf(text + at, sizeof text - at, " for %s", name);
    return text;
}

const char *default_model_path(const char *const *names) {
    const char *env = getenv("ASR_MODEL");
    if (env && *env) return env;
    static char path[ASR_PATH_MAX];
    for (size_t k = 0; names[k]; k++)
        if (find_in_data_dirs(names[k], path)) return path;
    char wanted[256] = "";
    for (size_t k = 0, at = 0; names[k] && at < sizeof wanted; k++)
        at += (size_t)snprintf(wanted + at, sizeof wanted - at, "%s%s", k ? " or " : "", names[k]);
    fprintf(stderr, "asr: no model found: looked in %s; pass --model FILE or set ASR_MODEL\n",
            data_search_places(wanted));
    return NULL;
}

const char *default_data_path(const char *env_name, const char *name, char *buf) {
    const char *env = getenv(env_name);
    if (env) return *env ? env : NULL; /* ASR_LM= (empty) means none */
    return find_in_data_dirs(name, buf);
}

asr_model *load_model_or_complain(const char *path) {
    if (!path) return NULL; /* default_model_path() said where it looked */
    asr_model *m = asr_model_load(path);
    if (!m) fprintf(stderr, "asr: %s\n", asr_last_error());
    return m;
}

asr_model *load_streaming_model_or_complain(const char *command, const char *path,
                                            const char *advice) {
    asr_model *m = load_model_or_complain(path);
    if (m && asr_model_get_info(m).bidirectional) {
        fprintf(stderr,
                "asr %s: %s is bidirectional: it needs the whole recording before it can say "
                "anything, so it cannot %s.\n",
                command, path, advice);
        asr_model_free(m);
        return NULL;
    }
    return m;
}
