/* Pronunciation dictionaries: the mapped file, the user's additions and the
 * G2P network (see dict.h and docs/DICTIONARY.md). */
#include "dict.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file_open.h"
#include "gguf.h"
#include "model.h"

#define FORMAT_VERSION 1
#define MAX_PHONES 255
#define MAX_G2P_LAYERS 4
#define MAX_LINE 4096

/* A word of the user file: its pronunciations are prons[first, first + n). */
typedef struct {
    char *word;
    size_t first, n;
} user_word;

struct asr_dict {
    asr_gguf *g;
    char **phones; /* [n_phones + 1]: phones[0] unused; inside the metadata */
    int n_phones;
    /* The file's tables, checked at load. */
    uint32_t n_words;
    const char *text;          /* NUL-terminated words in byte order */
    const int32_t *word_start; /* n_words + 1 offsets into text */
    const int32_t *word_pron;  /* n_words + 1: word i has prons [word_pron[i], word_pron[i+1]) */
    const int32_t *pron_start; /* n_prons + 1 offsets into pron_phones */
    const uint8_t *pron_phones;
    /* G2P network: bidirectional LSTM with CTC over the same phones. */
    asr_model_net g2p;
    asr_rnn_weights g2p_layers[2 * MAX_G2P_LAYERS];
    const char *letters;
    int repeat;
    /* The user file, sorted by word. */
    user_word *user;
    size_t n_user;
    asr_pron *user_prons;
    uint8_t *user_phones;
    /* What the decoder built from the dictionary, shared by its streams. */
    pthread_mutex_t cache_lock;
    asr_dict_cache cache;
};

/* ---- Loading the file --------------------------------------------------- */

/* A 1-D tensor of the given type; *n gets its length. */
static const void *table(const asr_gguf *g, unsigned char *used, const char *name,
                         asr_ggml_type type, uint64_t *n) {
    const asr_gguf_tensor *t = asr_gguf_find_tensor(g, name);
    if (!t) return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' is missing", g->path, name);
    used[t - g->tensors] = 1;
    if (t->type != type || t->n_dims != 1)
        return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' must be a 1-D %s table", g->path,
                              name, asr_ggml_type_name(type));
    if ((uintptr_t)t->data % 4)
        return asr_error_null(ASR_ERR_FORMAT, "%s: tensor '%s' is not aligned", g->path, name);
    *n = t->dims[0];
    return t->data;
}

/* offsets[0] == 0, strictly ascending (or ascending when empty_ok), steps
 * of at most max_step, offsets[n] == end. */
static int check_offsets(const asr_gguf *g, const char *name, const int32_t *offsets, uint64_t n,
                         uint64_t end, int64_t max_step) {
    if (offsets[0] != 0 || (uint64_t)offsets[n] != end) {
        asr_error(ASR_ERR_FORMAT, "%s: tensor '%s' does not span its table (corrupt file)", g->path,
                  name);
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        int64_t step = (int64_t)offsets[i + 1] - offsets[i];
        if (step < 1 || step > max_step) {
            asr_error(ASR_ERR_FORMAT,
                      "%s: tensor '%s' entry %llu has length %lld (1..%lld allowed)", g->path, name,
                      (unsigned long long)i, (long long)step, (long long)max_step);
            return -1;
        }
    }
    return 0;
}

static int read_phones(asr_dict *d) {
    const asr_gguf *g = d->g;
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, "asr.phones", ASR_GGUF_ARRAY);
    if (!kv) return -1;
    if (kv->array_type != ASR_GGUF_STRING || kv->array_len < 1 || kv->array_len > MAX_PHONES) {
        asr_error(ASR_ERR_FORMAT, "%s: asr.phones must be 1..%d strings", g->path, MAX_PHONES);
        return -1;
    }
    d->n_phones = (int)kv->array_len;
    d->phones = malloc(((size_t)d->n_phones + 1) * sizeof *d->phones);
    if (!d->phones) {
        asr_error(ASR_ERR_NOMEM, "%s: out of memory", g->path);
        return -1;
    }
    d->phones[0] = "";
    for (int i = 0; i < d->n_phones; i++) {
        d->phones[i + 1] = kv->strs[i];
        if (!kv->strs[i][0] || strpbrk(kv->strs[i], " \t\n")) {
            asr_error(ASR_ERR_FORMAT, "%s: asr.phones entry %d is empty or has white space",
                      g->path, i);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(kv->strs[i], kv->strs[j]) == 0) {
                asr_error(ASR_ERR_FORMAT, "%s: asr.phones lists '%s' twice", g->path, kv->strs[i]);
                return -1;
            }
    }
    return 0;
}

static int read_words(asr_dict *d, unsigned char *used) {
    const asr_gguf *g = d->g;
    uint64_t n_text, n_starts, n_word_prons, n_pron_starts, n_phones;
    const char *text = table(g, used, "dict.text", ASR_GGML_I8, &n_text);
    const int32_t *starts = text ? table(g, used, "dict.word_start", ASR_GGML_I32, &n_starts) : 0;
    const int32_t *word_pron =
        starts ? table(g, used, "dict.word_pron", ASR_GGML_I32, &n_word_prons) : NULL;
    const int32_t *pron_start =
        word_pron ? table(g, used, "dict.pron_start", ASR_GGML_I32, &n_pron_starts) : NULL;
    const uint8_t *phones =
        pron_start ? table(g, used, "dict.pron_phones", ASR_GGML_I8, &n_phones) : NULL;
    if (!phones) return -1;
    if (n_starts < 2 || n_starts > INT32_MAX || n_word_prons != n_starts || n_pron_starts < 2 ||
        n_text > INT32_MAX || n_phones > INT32_MAX) {
        asr_error(ASR_ERR_FORMAT, "%s: the dictionary's tables disagree in size (corrupt file)",
                  g->path);
        return -1;
    }
    uint64_t n_words = n_starts - 1, n_prons = n_pron_starts - 1;
    if (check_offsets(g, "dict.word_start", starts, n_words, n_text, ASR_DICT_MAX_WORD + 1) ||
        check_offsets(g, "dict.word_pron", word_pron, n_words, n_prons, n_prons) ||
        check_offsets(g, "dict.pron_start", pron_start, n_prons, n_phones, ASR_DICT_MAX_PRON))
        return -1;
    for (uint64_t i = 0; i < n_words; i++) {
        const char *w = text + starts[i];
        size_t len = (size_t)(starts[i + 1] - starts[i]) - 1;
        if (len == 0 || w[len] != '\0' || memchr(w, '\0', len) ||
            (i > 0 && strcmp(text + starts[i - 1], w) >= 0)) {
            asr_error(ASR_ERR_FORMAT,
                      "%s: word %llu is empty, not terminated or out of order (corrupt file)",
                      g->path, (unsigned long long)i);
            return -1;
        }
    }
    for (uint64_t i = 0; i < n_phones; i++)
        if (phones[i] < 1 || phones[i] > d->n_phones) {
            asr_error(ASR_ERR_FORMAT, "%s: phone id %d at %llu is outside 1..%d (corrupt file)",
                      g->path, phones[i], (unsigned long long)i, d->n_phones);
            return -1;
        }
    d->n_words = (uint32_t)n_words;
    d->text = text;
    d->word_start = starts;
    d->word_pron = word_pron;
    d->pron_start = pron_start;
    d->pron_phones = phones;
    return 0;
}

static int read_g2p(asr_dict *d, unsigned char *used) {
    asr_gguf *g = d->g;
    const asr_gguf_kv *letters = asr_gguf_find_typed(g, "g2p.letters", ASR_GGUF_STRING);
    if (!letters) return -1;
    d->letters = letters->value.str;
    size_t n_letters = strlen(d->letters);
    for (size_t i = 0; i < n_letters; i++)
        if (strchr(d->letters + i + 1, d->letters[i]) || d->letters[i] == '-' ||
            d->letters[i] == '.') {
            asr_error(ASR_ERR_FORMAT, "%s: g2p.letters has '%c' twice or a separator", g->path,
                      d->letters[i]);
            return -1;
        }
    asr_model_net *net = &d->g2p;
    if (n_letters == 0 || asr_gguf_get_u32(g, "g2p.repeat", 1, 8, &d->repeat) ||
        asr_gguf_get_u32(g, "g2p.num_layers", 1, MAX_G2P_LAYERS, &net->num_layers) ||
        asr_gguf_get_u32(g, "g2p.hidden_size", 1, 4096, &net->hidden_size)) {
        if (n_letters == 0) asr_error(ASR_ERR_FORMAT, "%s: g2p.letters is empty", g->path);
        return -1;
    }
    net->cell = ASR_CELL_LSTM;
    net->gates = 4;
    net->num_dirs = 2;
    net->input_dim = (int)n_letters + d->repeat;
    net->vocab_size = d->n_phones + 1;
    return asr_net_read(g, "g2p.", net, d->g2p_layers, used, NULL);
}

/* ---- The user file ------------------------------------------------------ */

typedef struct {
    char *word;
    size_t at, n; /* phones in the scratch array */
    int line;
} user_line;

static int by_word(const void *pa, const void *pb) {
    const user_line *a = pa, *b = pb;
    int c = strcmp(a->word, b->word);
    return c ? c : a->line - b->line;
}

static int phone_id(const asr_dict *d, const char *name, size_t len) {
    /* Stress marks (AH0, AH1) are CMUdict's; the phone set has none. */
    if (len > 1 && name[len - 1] >= '0' && name[len - 1] <= '2') len--;
    for (int i = 1; i <= d->n_phones; i++) {
        const char *p = d->phones[i];
        size_t k = 0;
        while (k < len && p[k] && (p[k] == name[k] || (p[k] ^ 32) == name[k]))
            k++;
        if (k == len && !p[k]) return i;
    }
    return 0;
}

/* 1 when s[0..n) is UTF-8 without control characters. */
static int clean_text(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        if (len == 0 || i + len > n || (len == 1 && (c < 0x20 || c == 0x7f)) ||
            (len == 2 && c < 0xc2))
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

static FILE *open_regular(const char *path) {
    struct stat st;
    int fd = asr_open_regular(path, &st);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", path);
    }
    return f;
}

/* One line without its newline into buf (MAX_LINE + 2 bytes), NUL bytes
 * included; *len > MAX_LINE when it is longer. 0 at the end of the file. */
static int read_line(FILE *f, char *buf, size_t *len) {
    int c;
    size_t n = 0;
    while ((c = getc(f)) != EOF && c != '\n')
        if (n <= MAX_LINE) buf[n++] = (char)c;
    buf[n] = '\0';
    *len = n;
    return c != EOF || n > 0;
}

/* Parses "WORD PH PH ..." lines into d->user. */
static asr_status read_user(asr_dict *d, const char *path) {
    FILE *f = open_regular(path);
    if (!f) return ASR_ERR_IO;
    user_line *lines = NULL;
    uint8_t *phones = NULL;
    size_t n = 0, cap = 0, n_ph = 0, cap_ph = 0;
    char buf[MAX_LINE + 2];
    int line = 0;
    asr_status st = ASR_OK;
    size_t len;
    while (st == ASR_OK && read_line(f, buf, &len)) {
        line++;
        if (len > MAX_LINE) {
            st =
                asr_error(ASR_ERR_FORMAT, "%s:%d: line longer than %d bytes", path, line, MAX_LINE);
            break;
        }
        if (len && buf[len - 1] == '\r') buf[--len] = '\0';
        if (strlen(buf) != len || !clean_text((const unsigned char *)buf, len)) {
            st = asr_error(ASR_ERR_FORMAT, "%s:%d: not text (control characters or invalid UTF-8)",
                           path, line);
            break;
        }
        char *s = buf + strspn(buf, " \t");
        if (!*s || *s == '#' || strncmp(s, ";;;", 3) == 0) continue;
        size_t wlen = strcspn(s, " \t");
        char *word = s;
        s += wlen;
        /* CMUdict marks variants: "read(2)". */
        if (wlen > 3 && word[wlen - 1] == ')') {
            size_t k = wlen - 1;
            while (k > 0 && word[k - 1] >= '0' && word[k - 1] <= '9')
                k--;
            if (k > 1 && k < wlen - 1 && word[k - 1] == '(') wlen = k - 1;
        }
        if (wlen > ASR_DICT_MAX_WORD) {
            st = asr_error(ASR_ERR_FORMAT, "%s:%d: word longer than %d bytes", path, line,
                           ASR_DICT_MAX_WORD);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            user_line *v = realloc(lines, cap * sizeof *v);
            if (!v) {
                st = asr_error(ASR_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            lines = v;
        }
        user_line *u = &lines[n];
        *u = (user_line){NULL, n_ph, 0, line};
        if (!(u->word = malloc(wlen + 1))) {
            st = asr_error(ASR_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        for (size_t k = 0; k < wlen; k++) /* lower case, as the models write words */
            u->word[k] = word[k] >= 'A' && word[k] <= 'Z' ? (char)(word[k] | 32) : word[k];
        u->word[wlen] = '\0';
        n++;
        for (;;) {
            s += strspn(s, " \t");
            size_t plen = strcspn(s, " \t");
            if (plen == 0) break;
            int id = phone_id(d, s, plen);
            if (!id) {
                st = asr_error(
                    ASR_ERR_FORMAT,
                    "%s:%d: unknown phone '%.*s' for '%s' (the phones are CMUdict's: AA AE AH ...)",
                    path, line, (int)plen, s, u->word);
                break;
            }
            if (u->n == ASR_DICT_MAX_PRON) {
                st = asr_error(ASR_ERR_FORMAT, "%s:%d: more than %d phones", path, line,
                               ASR_DICT_MAX_PRON);
                break;
            }
            if (n_ph == cap_ph) {
                cap_ph = cap_ph ? 2 * cap_ph : 1024;
                uint8_t *v = realloc(phones, cap_ph);
                if (!v) {
                    st = asr_error(ASR_ERR_NOMEM, "%s: out of memory", path);
                    break;
                }
                phones = v;
            }
            phones[n_ph++] = (uint8_t)id;
            u->n++;
            s += plen;
        }
        if (st == ASR_OK && u->n == 0)
            st = asr_error(ASR_ERR_FORMAT,
                           "%s:%d: '%s' has no pronunciation (expected WORD PH PH ...)", path, line,
                           u->word);
    }
    if (st == ASR_OK && ferror(f)) st = asr_error(ASR_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st == ASR_OK) {
        if (n) qsort(lines, n, sizeof *lines, by_word); /* lines is NULL for an empty file */
        size_t words = 0;
        for (size_t i = 0; i < n && st == ASR_OK; i++) {
            if (i == 0 || strcmp(lines[i].word, lines[i - 1].word) != 0) words++;
            for (size_t j = i; j-- > 0 && strcmp(lines[j].word, lines[i].word) == 0;)
                if (lines[j].n == lines[i].n &&
                    memcmp(phones + lines[j].at, phones + lines[i].at, lines[i].n) == 0)
                    st = asr_error(ASR_ERR_FORMAT, "%s:%d: duplicate of line %d ('%s')", path,
                                   lines[i].line, lines[j].line, lines[i].word);
        }
        d->user = st == ASR_OK ? calloc(words ? words : 1, sizeof *d->user) : NULL;
        d->user_prons = st == ASR_OK ? malloc((n ? n : 1) * sizeof *d->user_prons) : NULL;
        if (st == ASR_OK && (!d->user || !d->user_prons))
            st = asr_error(ASR_ERR_NOMEM, "%s: out of memory", path);
        for (size_t i = 0; st == ASR_OK && i < n; i++) {
            if (d->n_user == 0 || strcmp(lines[i].word, d->user[d->n_user - 1].word) != 0) {
                d->user[d->n_user++] = (user_word){lines[i].word, i, 0};
                lines[i].word = NULL; /* now the dictionary's */
            }
            d->user[d->n_user - 1].n++;
            d->user_prons[i] = (asr_pron){NULL, lines[i].n};
        }
        d->user_phones = phones;
        phones = NULL;
        for (size_t i = 0; st == ASR_OK && i < n; i++)
            d->user_prons[i].phones = d->user_phones + lines[i].at;
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i].word);
    free(lines);
    free(phones);
    return st;
}

/* ---- Public -------------------------------------------------------------- */

void asr_dict_free(asr_dict *d) {
    if (!d) return;
    if (d->cache.free_fn) d->cache.free_fn(d->cache.data);
    pthread_mutex_destroy(&d->cache_lock);
    for (size_t i = 0; i < d->n_user; i++)
        free(d->user[i].word);
    free(d->user);
    free(d->user_prons);
    free(d->user_phones);
    free(d->phones);
    asr_gguf_close(d->g);
    free(d);
}

asr_dict *asr_dict_load(const char *path, const char *user_path) {
    if (!path) return asr_error_null(ASR_ERR_ARG, "asr_dict_load: path is NULL");
    asr_gguf *g = asr_gguf_open(path);
    if (!g) return NULL;
    asr_dict *d = calloc(1, sizeof *d);
    unsigned char *used = calloc(g->n_tensors ? g->n_tensors : 1, 1);
    if (!d || !used) {
        free(d), free(used);
        asr_gguf_close(g);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", path);
    }
    d->g = g;
    pthread_mutex_init(&d->cache_lock, NULL);
    const asr_gguf_kv *arch = asr_gguf_find_typed(g, "general.architecture", ASR_GGUF_STRING);
    const asr_gguf_kv *version =
        arch ? asr_gguf_find_typed(g, "asr.format_version", ASR_GGUF_UINT32) : NULL;
    int ok = version != NULL;
    if (ok && strcmp(arch->value.str, "asr-dict") != 0) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: not a pronunciation dictionary (architecture '%s', expected 'asr-dict')",
                  path, arch->value.str);
        ok = 0;
    }
    if (ok && version->value.u != FORMAT_VERSION) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: dictionary format version %llu is not supported", path,
                  (unsigned long long)version->value.u);
        ok = 0;
    }
    ok = ok && !read_phones(d) && !read_words(d, used) && !read_g2p(d, used);
    for (size_t i = 0; ok && i < g->n_tensors; i++)
        if (!used[i]) {
            asr_error(ASR_ERR_FORMAT, "%s: unexpected tensor '%s'", path, g->tensors[i].name);
            ok = 0;
        }
    free(used);
    if (ok && user_path && read_user(d, user_path) != ASR_OK) ok = 0;
    if (!ok) {
        asr_dict_free(d);
        return NULL;
    }
    return d;
}

asr_dict_cache *asr_dict_cache_lock(const asr_dict *d) {
    asr_dict *m = (asr_dict *)d; /* the cache is the one thing that changes */
    pthread_mutex_lock(&m->cache_lock);
    return &m->cache;
}

void asr_dict_cache_unlock(const asr_dict *d) {
    pthread_mutex_unlock(&((asr_dict *)d)->cache_lock);
}

int asr_dict_n_phones(const asr_dict *d) {
    return d->n_phones;
}

const char *asr_dict_phone(const asr_dict *d, int id) {
    return id >= 1 && id <= d->n_phones ? d->phones[id] : NULL;
}

static const user_word *find_user(const asr_dict *d, const char *word) {
    size_t lo = 0, hi = d->n_user;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d->user[mid].word, word);
        if (c == 0) return &d->user[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static size_t file_prons(const asr_dict *d, uint32_t w, asr_pron *out, size_t max) {
    size_t n = (size_t)(d->word_pron[w + 1] - d->word_pron[w]);
    for (size_t k = 0; k < n && k < max; k++) {
        int32_t p = d->word_pron[w] + (int32_t)k;
        out[k] = (asr_pron){d->pron_phones + d->pron_start[p],
                            (size_t)(d->pron_start[p + 1] - d->pron_start[p])};
    }
    return n;
}

size_t asr_dict_lookup(const asr_dict *d, const char *word, asr_pron *out, size_t max,
                       asr_pron_source *source) {
    const user_word *u = find_user(d, word);
    if (u) {
        for (size_t k = 0; k < u->n && k < max; k++)
            out[k] = d->user_prons[u->first + k];
        if (source) *source = ASR_PRON_USER;
        return u->n;
    }
    uint32_t lo = 0, hi = d->n_words;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d->text + d->word_start[mid], word);
        if (c == 0) {
            if (source) *source = ASR_PRON_DICT;
            return file_prons(d, mid, out, max);
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The network on one part of a spelling; appends to out. */
static int g2p_part(const asr_dict *d, const char *part, size_t len, uint8_t *out, size_t max,
                    size_t *n_out) {
    const asr_model_net *net = &d->g2p;
    size_t steps = len * (size_t)d->repeat, D = (size_t)net->input_dim;
    size_t V = (size_t)net->vocab_size, n_letters = strlen(d->letters);
    float *x = calloc(steps * D, sizeof *x);
    float *lp = malloc(steps * V * sizeof *lp);
    asr_model_state *state = asr_net_state_new(net);
    int rc = -1;
    if (!x || !lp || !state) {
        asr_error(ASR_ERR_NOMEM, "out of memory for the G2P model");
        goto done;
    }
    for (size_t i = 0; i < len; i++)
        for (int r = 0; r < d->repeat; r++) {
            size_t t = i * (size_t)d->repeat + (size_t)r;
            x[t * D + (size_t)(strchr(d->letters, part[i]) - d->letters)] = 1;
            x[t * D + n_letters + (size_t)r] = 1;
        }
    if (asr_net_forward(state, x, steps, lp) != ASR_OK) goto done;
    int prev = 0;
    for (size_t t = 0; t < steps; t++) {
        int best = 0;
        for (size_t c = 1; c < V; c++)
            if (lp[t * V + c] > lp[t * V + (size_t)best]) best = (int)c;
        if (best && best != prev && *n_out < max) out[(*n_out)++] = (uint8_t)best;
        prev = best;
    }
    rc = 0;
done:
    free(x), free(lp);
    asr_model_state_free(state);
    return rc;
}

int asr_dict_guess(const asr_dict *d, const char *word, uint8_t *out, size_t max) {
    size_t n = 0, letters = 0, len = strlen(word);
    if (len > ASR_DICT_MAX_WORD)
        return asr_error(ASR_ERR_ARG, "the word '%.40s...' is too long to pronounce", word), -1;
    for (size_t i = 0; i < len; i++)
        if (word[i] != '-' && word[i] != '.') {
            if (!word[i] || !strchr(d->letters, word[i]))
                return asr_error(ASR_ERR_ARG,
                                 "the word '%s' cannot be pronounced: it is not in the "
                                 "dictionary and '%c' is not a letter the G2P model knows (%s)",
                                 word, word[i], d->letters),
                       -1;
            letters++;
        }
    if (letters == 0)
        return asr_error(ASR_ERR_ARG, "the word '%s' cannot be pronounced: no letters", word), -1;
    /* "x-ray": each part as the dictionary says it, else as the network guesses. */
    for (const char *s = word; *s;) {
        size_t plen = strcspn(s, "-.");
        if (plen) {
            char part[ASR_DICT_MAX_WORD + 1];
            memcpy(part, s, plen);
            part[plen] = '\0';
            asr_pron p;
            if (asr_dict_lookup(d, part, &p, 1, NULL)) {
                for (size_t k = 0; k < p.n && n < max; k++)
                    out[n++] = p.phones[k];
            } else if (g2p_part(d, part, plen, out, max, &n)) {
                return -1;
            }
        }
        s += plen;
        s += strspn(s, "-.");
    }
    if (n == 0)
        return asr_error(ASR_ERR_ARG,
                         "the word '%s' cannot be pronounced (the G2P model gave no phones)", word),
               -1;
    return (int)n;
}

asr_status asr_dict_each(const asr_dict *d, asr_dict_fn fn, void *ctx) {
    asr_pron prons[64];
    for (uint32_t w = 0; w < d->n_words; w++) {
        const char *word = d->text + d->word_start[w];
        if (find_user(d, word)) continue;
        size_t n = file_prons(d, w, prons, 64);
        asr_status st = fn(ctx, word, prons, n < 64 ? n : 64);
        if (st != ASR_OK) return st;
    }
    for (size_t i = 0; i < d->n_user; i++) {
        asr_status st = fn(ctx, d->user[i].word, d->user_prons + d->user[i].first, d->user[i].n);
        if (st != ASR_OK) return st;
    }
    return ASR_OK;
}

asr_status asr_dict_pronounce(const asr_dict *d, const char *word, char *out, size_t size,
                              asr_pron_source *source) {
    if (!d || !word || !out || size == 0)
        return asr_error(ASR_ERR_ARG, "asr_dict_pronounce: NULL argument");
    asr_pron prons[16];
    uint8_t guess[ASR_DICT_MAX_PRON];
    size_t n = asr_dict_lookup(d, word, prons, 16, source);
    if (n == 0) {
        int k = asr_dict_guess(d, word, guess, sizeof guess);
        if (k < 0) return ASR_ERR_ARG;
        prons[0] = (asr_pron){guess, (size_t)k};
        n = 1;
        if (source) *source = ASR_PRON_G2P;
    }
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 16; i++)
        for (size_t k = 0; k < prons[i].n; k++) {
            const char *ph = d->phones[prons[i].phones[k]];
            int w = snprintf(out + at, size - at, "%s%s", k ? " " : i ? "\n" : "", ph);
            if (w < 0 || (size_t)w >= size - at)
                return asr_error(ASR_ERR_ARG, "asr_dict_pronounce: %zu bytes are too few", size);
            at += (size_t)w;
        }
    return ASR_OK;
}
