/* Word n-gram LMs: ARPA parsing, the binary image, backoff queries, pruning.
 *
 * The image is a forward trie in sorted arrays (SRILM's and KenLM's "trie"
 * layout): level k holds the (k+1)-grams sorted by their words; an entry's
 * children (the n-grams one word longer) are a contiguous range of the next
 * level, found through its child offset and searched by binary search on
 * the last word. Every offset is checked when a file is attached, so a
 * corrupt file fails there and queries never read outside the arrays. */
#include "lm.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "file_open.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the binary LM format is little-endian: add byte swapping for this machine"
#endif

static const char MAGIC[8] = {'A', 'S', 'R', 'N', 'G', 'R', 'A', 'M'};
enum { VERSION = 1, HEADER_BYTES = 128 };
/* log10 values are stored as int16 thousandths: 0.0005 rounding error at
 * most, -32.767 at the lowest (ARPA's -99 for <s> is clamped to it). */
#define SCALE 1000.0
/* ARPA lines are an n-gram each: far shorter than this (the buffer's
 * limit; a binary file read as text would otherwise fill memory). */
#define MAX_LINE (64 * 1024)

typedef struct {
    char magic[8];
    uint32_t version, order, vocab, word_bytes;
    uint64_t text_bytes, file_bytes;
    uint64_t counts[ASR_LM_MAX_ORDER];
    uint64_t trie_nodes; /* the spoken words' trie, for the decoder */
} header;

/* Byte offsets of the arrays in the image. */
typedef struct {
    size_t word_off, text, words[ASR_LM_MAX_ORDER], prob[ASR_LM_MAX_ORDER], bo[ASR_LM_MAX_ORDER],
        child[ASR_LM_MAX_ORDER], trie_first, trie_word, trie_best, trie_byte, total;
} layout;

typedef struct {
    uint64_t n;
    const uint16_t *w16; /* one of the two, for levels above the first */
    const uint32_t *w32;
    const int16_t *prob, *bo; /* bo and child: levels below the last */
    const uint32_t *child;    /* n + 1 offsets into the next level */
} level;

struct asr_lm {
    int order;
    int32_t vocab;
    const uint32_t *word_off; /* vocab + 1 offsets into text */
    const char *text;
    level lv[ASR_LM_MAX_ORDER];
    int32_t bos, eos, unk;
    float oov;
    asr_lexicon *lexicon;
    uint8_t *image;
    size_t bytes;
    int mapped;  /* munmap rather than free */
    uint64_t id; /* unique in the process: what was built from it can be recognised */
};

static atomic_uint_fast64_t last_id;

static int16_t quant(double v) {
    double q = round(v * SCALE);
    return (int16_t)(q > 32767 ? 32767 : q < -32767 ? -32767 : q);
}

static double dequant(int16_t q) {
    return q / SCALE;
}

/* ---- layout ------------------------------------------------------------- */

static int put(size_t *at, uint64_t count, size_t size, size_t *off) {
    if (count > (SIZE_MAX / 2 - *at) / size) return 0;
    *off = *at;
    *at = (*at + (size_t)count * size + 7) & ~(size_t)7;
    return 1;
}

static int make_layout(const header *h, layout *L) {
    memset(L, 0, sizeof *L);
    size_t at = HEADER_BYTES;
    if (!put(&at, (uint64_t)h->vocab + 1, 4, &L->word_off) || !put(&at, h->text_bytes, 1, &L->text))
        return 0;
    for (uint32_t k = 0; k < h->order; k++) {
        uint64_t n = h->counts[k];
        if (k > 0 && !put(&at, n, h->word_bytes, &L->words[k])) return 0;
        if (!put(&at, n, 2, &L->prob[k])) return 0;
        if (k + 1 < h->order && (!put(&at, n, 2, &L->bo[k]) || !put(&at, n + 1, 4, &L->child[k])))
            return 0;
    }
    uint64_t t = h->trie_nodes;
    if (!put(&at, t + 1, 4, &L->trie_first) || !put(&at, t, 4, &L->trie_word) ||
        !put(&at, t, 2, &L->trie_best) || !put(&at, t, 1, &L->trie_byte))
        return 0;
    L->total = at;
    return 1;
}

/* ---- attaching an image --------------------------------------------------- */

static uint32_t word_at(const level *L, uint64_t i) {
    return L->w16 ? L->w16[i] : L->w32[i];
}

const char *asr_lm_word(const asr_lm *lm, int32_t id) {
    return id >= 0 && id < lm->vocab ? lm->text + lm->word_off[id] : NULL;
}

int32_t asr_lm_find(const asr_lm *lm, const char *word) {
    int32_t lo = 0, hi = lm->vocab;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(lm->text + lm->word_off[mid], word);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int is_special(const asr_lm *lm, int32_t id) {
    return id == lm->bos || id == lm->eos || id == lm->unk;
}

static int is_special_word(const char *w) {
    return !strcmp(w, "<s>") || !strcmp(w, "</s>") || !strcmp(w, "<unk>") || !strcmp(w, "<UNK>");
}

/* The trie of the spoken words of a vocabulary (sorted words with their
 * stored unigram log-probabilities), for a new image. */
static asr_lexicon *vocab_trie(const char *const *words, const int16_t *prob, int32_t n) {
    asr_lexicon_entry *e = malloc((size_t)(n ? n : 1) * sizeof *e);
    if (!e) return asr_error_null(ASR_ERR_NOMEM, "out of memory for %d LM words", n);
    size_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (!is_special_word(words[i]))
            e[m++] = (asr_lexicon_entry){words[i], i, prob[i] / 1000.0f};
    asr_lexicon *x = asr_lexicon_new(e, m);
    free(e);
    return x;
}

void asr_lm_free(asr_lm *lm) {
    if (!lm) return;
    asr_lexicon_free(lm->lexicon);
    if (lm->mapped)
        munmap(lm->image, lm->bytes);
    else
        free(lm->image);
    free(lm);
}

/* Checks an image and points an asr_lm into it; on success the LM owns the
 * image, on failure the caller still does. */
static asr_lm *attach(uint8_t *image, size_t bytes, int mapped, const char *name) {
    header h;
    if (bytes < HEADER_BYTES)
        return asr_error_null(ASR_ERR_FORMAT, "%s: truncated: %zu bytes, shorter than the header",
                              name, bytes);
    memcpy(&h, image, sizeof h);
    if (memcmp(h.magic, MAGIC, sizeof MAGIC) != 0)
        return asr_error_null(ASR_ERR_FORMAT, "%s: not a binary LM", name);
    if (h.version != VERSION)
        return asr_error_null(ASR_ERR_UNSUPPORTED,
                              "%s: binary LM version %u; this build reads version %d (rebuild it "
                              "with 'asr lm-build')",
                              name, h.version, VERSION);
    if (h.order < 1 || h.order > ASR_LM_MAX_ORDER)
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: order %u is outside 1..%d", name,
                              h.order, ASR_LM_MAX_ORDER);
    if (h.vocab < 1 || h.vocab > INT32_MAX - 1 || h.counts[0] != h.vocab)
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: vocabulary of %u words", name, h.vocab);
    if (h.trie_nodes < 1 || h.trie_nodes > INT32_MAX - 1)
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: a word trie of %llu nodes", name,
                              (unsigned long long)h.trie_nodes);
    if (h.word_bytes != 4 && !(h.word_bytes == 2 && h.vocab <= 65536))
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: %u-byte word ids for %u words", name,
                              h.word_bytes, h.vocab);
    for (int k = 0; k < ASR_LM_MAX_ORDER; k++)
        if ((k >= (int)h.order && h.counts[k] != 0) || h.counts[k] >= UINT32_MAX)
            return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: %llu %d-grams", name,
                                  (unsigned long long)h.counts[k], k + 1);
    layout L;
    if (!make_layout(&h, &L) || L.total != h.file_bytes)
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: the header's sizes do not add up",
                              name);
    if (bytes < L.total)
        return asr_error_null(ASR_ERR_FORMAT, "%s: truncated: %zu bytes, the header describes %zu",
                              name, bytes, L.total);
    if (bytes > L.total)
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: %zu bytes after the end of the model",
                              name, bytes - L.total);

    asr_lm *lm = calloc(1, sizeof *lm);
    if (!lm) return asr_error_null(ASR_ERR_NOMEM, "out of memory");
    lm->id = atomic_fetch_add(&last_id, 1) + 1;
    lm->order = (int)h.order;
    lm->vocab = (int32_t)h.vocab;
    lm->word_off = (const uint32_t *)(image + L.word_off);
    lm->text = (const char *)(image + L.text);
    for (int k = 0; k < lm->order; k++) {
        level *v = &lm->lv[k];
        v->n = h.counts[k];
        if (k > 0 && h.word_bytes == 2) v->w16 = (const uint16_t *)(image + L.words[k]);
        if (k > 0 && h.word_bytes == 4) v->w32 = (const uint32_t *)(image + L.words[k]);
        v->prob = (const int16_t *)(image + L.prob[k]);
        if (k + 1 < lm->order) {
            v->bo = (const int16_t *)(image + L.bo[k]);
            v->child = (const uint32_t *)(image + L.child[k]);
        }
    }

    const char *bad = NULL;
    const uint32_t *off = lm->word_off;
    if (off[0] != 0 || off[h.vocab] != h.text_bytes)
        bad = "the vocabulary size disagrees with the header";
    for (uint32_t i = 0; !bad && i < h.vocab; i++) {
        if (off[i + 1] <= off[i] + 1 || off[i + 1] > h.text_bytes)
            bad = "a vocabulary offset is out of range";
        else if (memchr(lm->text + off[i], '\0', off[i + 1] - off[i]) != lm->text + off[i + 1] - 1)
            bad = "a vocabulary word is malformed";
        else if (i > 0 && strcmp(lm->text + off[i - 1], lm->text + off[i]) >= 0)
            bad = "the vocabulary is not sorted";
    }
    for (int k = 0; !bad && k + 1 < lm->order; k++) {
        const uint32_t *c = lm->lv[k].child;
        if (c[0] != 0 || c[lm->lv[k].n] != lm->lv[k + 1].n)
            bad = "the n-gram links are out of range";
        for (uint64_t i = 0; !bad && i < lm->lv[k].n; i++)
            if (c[i + 1] < c[i]) bad = "the n-gram links are out of range";
    }
    /* The trie: children after their parent, in range; known words. */
    uint32_t nodes = (uint32_t)h.trie_nodes;
    const uint32_t *first = (const uint32_t *)(image + L.trie_first);
    const int32_t *tword = (const int32_t *)(image + L.trie_word);
    if (!bad && (first[0] != 1 || first[nodes] != nodes)) bad = "the word trie is malformed";
    for (uint32_t i = 0; !bad && i < nodes; i++)
        if (first[i] <= i || first[i + 1] < first[i] || tword[i] < -1 ||
            tword[i] >= (int32_t)h.vocab)
            bad = "the word trie is malformed";
    if (bad) {
        free(lm);
        return asr_error_null(ASR_ERR_FORMAT, "%s: corrupt: %s", name, bad);
    }

    lm->bos = asr_lm_find(lm, "<s>");
    lm->eos = asr_lm_find(lm, "</s>");
    lm->unk = asr_lm_find(lm, "<unk>");
    if (lm->unk < 0) lm->unk = asr_lm_find(lm, "<UNK>");
    /* <unk>'s probability, else the rarest word's (ARPA's -99 marks words
     * never predicted, like <s>). */
    double oov = 0;
    for (int32_t i = 0; i < lm->vocab; i++) {
        double p = dequant(lm->lv[0].prob[i]);
        if (!is_special(lm, i) && p > -32 && p < oov) oov = p;
    }
    if (lm->unk >= 0 && dequant(lm->lv[0].prob[lm->unk]) > -32)
        oov = dequant(lm->lv[0].prob[lm->unk]);
    lm->oov = (float)(oov < 0 ? oov : -10.0);
    lm->lexicon = asr_lexicon_view(nodes, first, image + L.trie_byte, tword,
                                   (const int16_t *)(image + L.trie_best));
    if (!lm->lexicon) {
        free(lm);
        return NULL;
    }
    lm->image = image;
    lm->bytes = bytes;
    lm->mapped = mapped;
    return lm;
}

/* ---- queries --------------------------------------------------------------- */

/* The child of entry e (level k) for word w, or -1. */
static int64_t find_child(const asr_lm *lm, int k, uint64_t e, uint32_t w) {
    const level *C = &lm->lv[k + 1];
    uint64_t lo = lm->lv[k].child[e], hi = lm->lv[k].child[e + 1];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint32_t x = word_at(C, mid);
        if (x == w) return (int64_t)mid;
        if (x < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The entry of the n-gram words[0..m), m <= order, or -1. */
static int64_t find_ngram(const asr_lm *lm, const int32_t *words, int m) {
    if (words[0] < 0 || words[0] >= lm->vocab) return -1;
    int64_t e = words[0];
    for (int j = 1; j < m && e >= 0; j++)
        e = words[j] < 0 ? -1 : find_child(lm, j - 1, (uint64_t)e, (uint32_t)words[j]);
    return e;
}

void asr_lm_begin(const asr_lm *lm, asr_lm_state *s) {
    s->n = lm->bos >= 0 && lm->order > 1;
    s->w[0] = lm->bos;
}

float asr_lm_score(const asr_lm *lm, const asr_lm_state *in, int32_t word, asr_lm_state *out) {
    int32_t h[ASR_LM_MAX_ORDER];
    int c = in->n < 0 ? 0 : in->n > lm->order - 1 ? lm->order - 1 : in->n;
    memcpy(h, in->w + (in->n > c ? in->n - c : 0), (size_t)c * sizeof *h);
    if (word < 0 || word >= lm->vocab) {
        out->n = lm->unk >= 0 && lm->order > 1;
        out->w[0] = lm->unk;
        return lm->oov;
    }
    /* The longest n-gram ending in word that exists, plus the backoff
     * weights of the longer contexts that exist. */
    double acc = 0;
    for (int j = c; j >= 0; j--) {
        if (j == 0) {
            acc += dequant(lm->lv[0].prob[word]);
            break;
        }
        int64_t e = find_ngram(lm, h + c - j, j);
        if (e < 0) continue;
        int64_t f = find_child(lm, j - 1, (uint64_t)e, (uint32_t)word);
        if (f >= 0) {
            acc += dequant(lm->lv[j].prob[f]);
            break;
        }
        acc += dequant(lm->lv[j - 1].bo[e]);
    }
    h[c] = word;
    int keep = c + 1 < lm->order - 1 ? c + 1 : lm->order - 1;
    out->n = keep;
    memmove(out->w, h + c + 1 - keep, (size_t)keep * sizeof *h);
    return (float)acc;
}

float asr_lm_end(const asr_lm *lm, const asr_lm_state *s) {
    asr_lm_state tmp;
    return lm->eos >= 0 ? asr_lm_score(lm, s, lm->eos, &tmp) : 0.0f;
}

float asr_lm_oov_score(const asr_lm *lm) {
    return lm->oov;
}

int asr_lm_order(const asr_lm *lm) {
    return lm->order;
}

int32_t asr_lm_vocab_size(const asr_lm *lm) {
    return lm->vocab;
}

uint64_t asr_lm_count(const asr_lm *lm, int order) {
    return order >= 1 && order <= lm->order ? lm->lv[order - 1].n : 0;
}

size_t asr_lm_bytes(const asr_lm *lm) {
    return lm->bytes;
}

float asr_lm_unigram(const asr_lm *lm, int32_t id) {
    return id >= 0 && id < lm->vocab ? (float)dequant(lm->lv[0].prob[id]) : lm->oov;
}

int32_t asr_lm_unk(const asr_lm *lm) {
    return lm->unk;
}

uint64_t asr_lm_id(const asr_lm *lm) {
    return lm->id;
}

const asr_lexicon *asr_lm_lexicon(const asr_lm *lm) {
    return lm->lexicon;
}

/* ---- building images --------------------------------------------------------- */

/* A zeroed image with its header filled in; the arrays are the caller's to fill. */
static uint8_t *new_image(header *h, layout *L, int order, const uint64_t *counts,
                          uint64_t text_bytes, const asr_lexicon *trie) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MAGIC, sizeof MAGIC);
    h->version = VERSION;
    h->order = (uint32_t)order;
    h->vocab = (uint32_t)counts[0];
    h->word_bytes = counts[0] <= 65536 ? 2 : 4;
    h->text_bytes = text_bytes;
    for (int k = 0; k < order; k++)
        h->counts[k] = counts[k];
    h->trie_nodes = asr_lexicon_nodes(trie);
    if (counts[0] > INT32_MAX - 1 || text_bytes > UINT32_MAX || !make_layout(h, L))
        return asr_error_null(ASR_ERR_FORMAT, "language model too large");
    h->file_bytes = L->total;
    uint8_t *image = calloc(1, L->total);
    if (!image) return asr_error_null(ASR_ERR_NOMEM, "out of memory for a %zu-byte LM", L->total);
    memcpy(image, h, sizeof *h);
    asr_lexicon_export(trie, (uint32_t *)(image + L->trie_first), image + L->trie_byte,
                       (int32_t *)(image + L->trie_word), (int16_t *)(image + L->trie_best));
    return image;
}

static void set_word(uint8_t *image, const header *h, const layout *L, int k, uint64_t i,
                     uint32_t w) {
    if (h->word_bytes == 2)
        ((uint16_t *)(image + L->words[k]))[i] = (uint16_t)w;
    else
        ((uint32_t *)(image + L->words[k]))[i] = w;
}

asr_status asr_lm_write(const asr_lm *lm, const char *path) {
    /* Written to a new file beside the target (mkstemp: a name nobody can
     * predict or plant a symlink at) and renamed over it: a failed build
     * never leaves half a file, and a process that has the old file mapped
     * keeps it intact (docs/ROBUSTNESS.md). */
    char *tmp = malloc(strlen(path) + 8);
    if (!tmp) return asr_error(ASR_ERR_NOMEM, "out of memory");
    sprintf(tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        asr_status st =
            asr_error(ASR_ERR_IO, "%s: cannot create a file beside it: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    FILE *f = fdopen(fd, "wb");
    int ok = f && fchmod(fd, 0644) == 0 && fwrite(lm->image, 1, lm->bytes, f) == lm->bytes;
    int err = errno;
    if (f)
        ok = (fclose(f) == 0) && ok;
    else
        close(fd);
    if (ok && rename(tmp, path) != 0) ok = 0, err = errno;
    if (!ok) {
        asr_status st = asr_error(ASR_ERR_IO, "%s: cannot write: %s", path, strerror(err));
        remove(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    return ASR_OK;
}

/* ---- ARPA ------------------------------------------------------------------------ */

typedef struct {
    uint32_t w[ASR_LM_MAX_ORDER];
    float prob, bo;
    uint32_t line;
} raw_ngram;

typedef struct {
    gzFile f;
    const char *path;
    char *buf;
    size_t cap;
    unsigned long line;
} reader;

/* The next line, without its end of line, in r->buf: 1, or 0 at the end of
 * the file, or -1 on a read error or a line too long. */
static int next_line(reader *r) {
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 2) {
            if (r->cap >= MAX_LINE) {
                asr_error(ASR_ERR_FORMAT,
                          "%s:%lu: line longer than %d KiB: not an ARPA language model", r->path,
                          r->line + 1, MAX_LINE / 1024);
                return -1;
            }
            size_t cap = r->cap ? 2 * r->cap : 4096;
            char *b = realloc(r->buf, cap);
            if (!b) {
                asr_error(ASR_ERR_NOMEM, "%s:%lu: out of memory for a line", r->path, r->line + 1);
                return -1;
            }
            r->buf = b;
            r->cap = cap;
        }
        if (!gzgets(r->f, r->buf + len, (int)(r->cap - len))) {
            int err;
            const char *msg = gzerror(r->f, &err);
            if (err != Z_OK) {
                asr_error(err == Z_ERRNO ? ASR_ERR_IO : ASR_ERR_FORMAT, "%s:%lu: %s", r->path,
                          r->line + 1, err == Z_ERRNO ? strerror(errno) : msg);
                return -1;
            }
            if (len == 0) return 0;
            break;
        }
        len += strlen(r->buf + len);
        if ((len > 0 && r->buf[len - 1] == '\n') || gzeof(r->f)) break;
    }
    r->line++;
    while (len > 0 && (r->buf[len - 1] == '\n' || r->buf[len - 1] == '\r'))
        len--;
    r->buf[len] = '\0';
    return 1;
}

static const char *skip_space(const char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A finite number followed by white space or the end. */
static int parse_number(const char **s, float *out) {
    const char *p = skip_space(*s);
    char *end;
    errno = 0;
    float v = strtof(p, &end);
    if (end == p || !isfinite(v) || (*end && *end != ' ' && *end != '\t')) return 0;
    *out = v;
    *s = end;
    return 1;
}

static size_t token(const char **s) {
    const char *p = skip_space(*s);
    size_t n = strcspn(p, " \t");
    *s = p;
    return n;
}

typedef struct {
    reader r;
    int order;
    uint64_t declared[ASR_LM_MAX_ORDER + 1];
    /* The arrays grow with what is read, not with what \\data\\ declares,
     * so that a lying header cannot make the reader allocate. */
    uint64_t cap1, cap[ASR_LM_MAX_ORDER + 1];
    /* 1-grams, by position in the file */
    char *text;
    size_t text_len, text_cap;
    uint64_t *text_off;
    float *prob1, *bo1;
    uint32_t *line1;
    int32_t *hash;
    size_t hash_mask;
    uint32_t *rank;   /* position -> id (sorted order) */
    uint32_t *order1; /* id -> position */
    raw_ngram *ngrams[ASR_LM_MAX_ORDER + 1];
} arpa;

static uint64_t hash_str(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The slot of word s[0..n): holding its position, or -1 (free). */
static int32_t *hash_slot(arpa *a, const char *s, size_t n) {
    for (size_t i = hash_str(s, n) & a->hash_mask;; i = (i + 1) & a->hash_mask) {
        int32_t *slot = &a->hash[i];
        if (*slot < 0) return slot;
        const char *w = a->text + a->text_off[*slot];
        if (strncmp(w, s, n) == 0 && w[n] == '\0') return slot;
    }
}

typedef struct {
    const char *s;
    uint32_t pos;
} named;

static int by_name(const void *pa, const void *pb) {
    const named *a = pa, *b = pb;
    int c = strcmp(a->s, b->s);
    return c ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int tuple_cmp(const uint32_t *x, const uint32_t *y, int k) {
    for (int j = 0; j < k; j++)
        if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
    return 0;
}

static int by_tuple(const void *pa, const void *pb) {
    /* Unused words are zero, so comparing all of them is comparing k. */
    return tuple_cmp(((const raw_ngram *)pa)->w, ((const raw_ngram *)pb)->w, ASR_LM_MAX_ORDER);
}

#define FAIL(...) (asr_error(ASR_ERR_FORMAT, __VA_ARGS__), -1)

/* Room for n elements of size bytes in *p (capacity *cap, in elements). */
static int grow(void *p, uint64_t *cap, uint64_t n, size_t size) {
    if (n < *cap) return 0;
    uint64_t want = *cap ? 2 * *cap : 1024;
    void **slot = p;
    void *q = want <= SIZE_MAX / size ? realloc(*slot, (size_t)want * size) : NULL;
    if (!q)
        return asr_error(ASR_ERR_NOMEM, "out of memory for %llu n-grams", (unsigned long long)want),
               -1;
    *slot = q;
    *cap = want;
    return 0;
}

/* The pos-th 1-gram's word; duplicates are found once all are read. */
static int add_unigram(arpa *a, const char *w, size_t n, uint64_t pos) {
    if (pos >= a->cap1) {
        uint64_t cap = a->cap1, c;
        if ((c = cap, grow(&a->text_off, &c, pos, sizeof *a->text_off)) ||
            (c = cap, grow(&a->prob1, &c, pos, sizeof *a->prob1)) ||
            (c = cap, grow(&a->bo1, &c, pos, sizeof *a->bo1)) ||
            (c = cap, grow(&a->line1, &c, pos, sizeof *a->line1)))
            return -1;
        a->cap1 = c;
    }
    if (a->text_len + n + 1 > a->text_cap) {
        size_t cap = 2 * (a->text_len + n + 1) + 4096;
        char *t = realloc(a->text, cap);
        if (!t) return asr_error(ASR_ERR_NOMEM, "out of memory for the vocabulary"), -1;
        a->text = t;
        a->text_cap = cap;
    }
    memcpy(a->text + a->text_len, w, n);
    a->text[a->text_len + n] = '\0';
    a->text_off[pos] = a->text_len;
    a->text_len += n + 1;
    return 0;
}

/* One n-gram line of the section of k-grams, the pos-th. */
static int parse_ngram(arpa *a, int k, uint64_t pos, const char *s) {
    const char *path = a->r.path;
    unsigned long line = a->r.line;
    float prob, bo = 0;
    if (!parse_number(&s, &prob))
        return FAIL("%s:%lu: expected a log10 probability, got '%.40s'", path, line, s);
    raw_ngram g = {.line = (uint32_t)line};
    for (int j = 0; j < k; j++) {
        size_t n = token(&s);
        if (n == 0)
            return FAIL("%s:%lu: expected %d word%s after the probability, got %d", path, line, k,
                        k > 1 ? "s" : "", j);
        if (k == 1) {
            if (add_unigram(a, s, n, pos)) return -1;
        } else {
            int32_t *slot = hash_slot(a, s, n);
            if (*slot < 0)
                return FAIL("%s:%lu: the word '%.*s' is not among the 1-grams", path, line, (int)n,
                            s);
            g.w[j] = a->rank[*slot];
        }
        s += n;
    }
    s = skip_space(s);
    if (*s && !parse_number(&s, &bo))
        return FAIL("%s:%lu: expected a backoff weight or the end of the line, got '%.40s'", path,
                    line, s);
    s = skip_space(s);
    if (*s) return FAIL("%s:%lu: unexpected '%.40s' after the %d-gram", path, line, s, k);
    if (k == 1) {
        a->prob1[pos] = prob;
        a->bo1[pos] = bo;
        a->line1[pos] = (uint32_t)line;
    } else {
        if (grow(&a->ngrams[k], &a->cap[k], pos, sizeof *a->ngrams[k])) return -1;
        g.prob = prob;
        g.bo = bo;
        a->ngrams[k][pos] = g;
    }
    return 0;
}

/* Gives the 1-grams their ids (their rank in byte order), refuses
 * duplicates and builds the hash from words to positions. */
static int rank_unigrams(arpa *a) {
    uint64_t n = a->declared[1];
    size_t hash_size = 1;
    while (hash_size < 2 * n)
        hash_size *= 2;
    a->hash_mask = hash_size - 1;
    a->hash = malloc(hash_size * sizeof *a->hash);
    a->rank = malloc(n * sizeof *a->rank);
    a->order1 = malloc(n * sizeof *a->order1);
    named *v = malloc(n * sizeof *v);
    if (!a->hash || !a->rank || !a->order1 || !v) {
        free(v);
        return asr_error(ASR_ERR_NOMEM, "out of memory for %llu words", (unsigned long long)n), -1;
    }
    int sorted = 1;
    for (uint64_t i = 0; i < n; i++) {
        v[i] = (named){a->text + a->text_off[i], (uint32_t)i};
        if (i > 0 && strcmp(v[i - 1].s, v[i].s) > 0) sorted = 0;
    }
    if (!sorted) qsort(v, n, sizeof *v, by_name);
    for (uint64_t i = 1; i < n; i++)
        if (strcmp(v[i - 1].s, v[i].s) == 0) {
            int fail = FAIL("%s:%u: the 1-gram '%s' is listed twice (also on line %u)", a->r.path,
                            a->line1[v[i].pos], v[i].s, a->line1[v[i - 1].pos]);
            free(v);
            return fail;
        }
    memset(a->hash, 0xff, hash_size * sizeof *a->hash);
    for (uint64_t i = 0; i < n; i++) {
        a->order1[i] = v[i].pos;
        a->rank[v[i].pos] = (uint32_t)i;
        *hash_slot(a, v[i].s, strlen(v[i].s)) = (int32_t)v[i].pos;
    }
    free(v);
    return 0;
}

static int parse_arpa(arpa *a) {
    reader *r = &a->r;
    int got;
    while ((got = next_line(r)) > 0 && strcmp(skip_space(r->buf), "\\data\\") != 0)
        ;
    if (got < 0) return -1;
    if (got == 0) return FAIL("%s: no \\data\\ line: not an ARPA language model", r->path);
    while ((got = next_line(r)) > 0) {
        const char *s = skip_space(r->buf);
        if (!*s) continue;
        if (*s == '\\') break;
        int k, used = 0;
        unsigned long long n;
        if (sscanf(s, "ngram %d=%llu%n", &k, &n, &used) != 2 || *skip_space(s + used))
            return FAIL("%s:%lu: expected 'ngram N=COUNT', got '%.40s'", r->path, r->line, s);
        if (k != a->order + 1 || k > ASR_LM_MAX_ORDER)
            return FAIL("%s:%lu: expected the count of %d-grams (orders 1..%d), got %d-grams",
                        r->path, r->line, a->order + 1, ASR_LM_MAX_ORDER, k);
        if (n >= UINT32_MAX || (k == 1 && n >= INT32_MAX / 2))
            return FAIL("%s:%lu: %llu %d-grams is too many", r->path, r->line, n, k);
        if (n == 0) return FAIL("%s:%lu: no %d-grams", r->path, r->line, k);
        a->declared[k] = n;
        a->order = k;
    }
    if (got < 0) return -1;
    if (a->order == 0)
        return FAIL("%s:%lu: no 'ngram N=COUNT' lines after \\data\\", r->path, r->line);

    for (int k = 1; k <= a->order; k++) {
        if (got == 0)
            return FAIL("%s:%lu: unexpected end of file: expected '\\%d-grams:'", r->path, r->line,
                        k);
        char want[32];
        snprintf(want, sizeof want, "\\%d-grams:", k);
        if (strcmp(skip_space(r->buf), want) != 0)
            return FAIL("%s:%lu: expected '%s', got '%.40s'", r->path, r->line, want,
                        skip_space(r->buf));
        uint64_t n = 0;
        while ((got = next_line(r)) > 0) {
            const char *s = skip_space(r->buf);
            if (!*s) continue;
            if (*s == '\\') break;
            if (n == a->declared[k])
                return FAIL("%s:%lu: more %d-grams than the %llu that \\data\\ declares", r->path,
                            r->line, k, (unsigned long long)a->declared[k]);
            if (parse_ngram(a, k, n++, s)) return -1;
        }
        if (got < 0) return -1;
        if (got == 0)
            return FAIL("%s:%lu: unexpected end of file in the %d-grams (no \\end\\)", r->path,
                        r->line, k);
        if (n != a->declared[k])
            return FAIL("%s:%lu: %llu %d-grams, but \\data\\ declares %llu", r->path, r->line,
                        (unsigned long long)n, k, (unsigned long long)a->declared[k]);
        if (k == 1 && rank_unigrams(a)) return -1;
    }
    if (strcmp(skip_space(r->buf), "\\end\\") != 0)
        return FAIL("%s:%lu: expected '\\end\\', got '%.40s'", r->path, r->line,
                    skip_space(r->buf));
    return 0;
}

/* Sorts the k-grams, finds each one's context among the (k-1)-grams and
 * fills the parents' child offsets. */
static int link_level(arpa *a, int k, uint8_t *image, const layout *L) {
    raw_ngram *g = a->ngrams[k];
    uint64_t n = a->declared[k], np = a->declared[k - 1];
    int sorted = 1;
    for (uint64_t i = 1; i < n && sorted; i++)
        sorted = tuple_cmp(g[i - 1].w, g[i].w, k) < 0;
    if (!sorted) qsort(g, n, sizeof *g, by_tuple);
    for (uint64_t i = 1; i < n; i++)
        if (tuple_cmp(g[i - 1].w, g[i].w, k) == 0)
            return FAIL("%s:%u: the %d-gram is listed twice (also on line %u)", a->r.path,
                        g[i].line > g[i - 1].line ? g[i].line : g[i - 1].line, k,
                        g[i].line > g[i - 1].line ? g[i - 1].line : g[i].line);
    uint32_t *child = (uint32_t *)(image + L->child[k - 2]);
    uint64_t p = 0, c = 0;
    for (uint64_t i = 0; i < n; i++) {
        /* Contexts: 1-grams are their ids; longer ones are sorted tuples. */
        for (;;) {
            int cmp;
            if (k == 2)
                cmp = p < g[i].w[0] ? -1 : p > g[i].w[0];
            else
                cmp = p < np ? tuple_cmp(a->ngrams[k - 1][p].w, g[i].w, k - 1) : 1;
            if (cmp >= 0) {
                if (cmp > 0 || p >= np)
                    return FAIL("%s:%u: the %d-gram's context (its first %d words) is not "
                                "among the %d-grams",
                                a->r.path, g[i].line, k, k - 1, k - 1);
                break;
            }
            child[++p] = (uint32_t)c;
        }
        c++;
    }
    while (p < np)
        child[++p] = (uint32_t)c;
    return 0;
}

static asr_lm *pack_arpa(arpa *a) {
    uint64_t counts[ASR_LM_MAX_ORDER] = {0};
    for (int k = 1; k <= a->order; k++)
        counts[k - 1] = a->declared[k];
    /* The words in id order and their stored unigram log-probabilities. */
    const char **words = malloc(counts[0] * sizeof *words);
    int16_t *prob1 = malloc(counts[0] * sizeof *prob1);
    asr_lexicon *trie = NULL;
    if (words && prob1) {
        for (uint64_t id = 0; id < counts[0]; id++) {
            words[id] = a->text + a->text_off[a->order1[id]];
            prob1[id] = quant(a->prob1[a->order1[id]]);
        }
        trie = vocab_trie(words, prob1, (int32_t)counts[0]);
    } else {
        asr_error(ASR_ERR_NOMEM, "out of memory");
    }
    free(words), free(prob1);
    header h;
    layout L;
    uint8_t *image = trie ? new_image(&h, &L, a->order, counts, a->text_len, trie) : NULL;
    asr_lexicon_free(trie);
    if (!image) return NULL;
    uint32_t *off = (uint32_t *)(image + L.word_off);
    char *text = (char *)(image + L.text);
    uint64_t at = 0;
    int16_t *prob = (int16_t *)(image + L.prob[0]);
    int16_t *bo = a->order > 1 ? (int16_t *)(image + L.bo[0]) : NULL;
    for (uint64_t id = 0; id < counts[0]; id++) {
        uint32_t pos = a->order1[id];
        const char *w = a->text + a->text_off[pos];
        size_t n = strlen(w) + 1;
        off[id] = (uint32_t)at;
        memcpy(text + at, w, n);
        at += n;
        prob[id] = quant(a->prob1[pos]);
        if (bo) bo[id] = quant(a->bo1[pos]);
    }
    off[counts[0]] = (uint32_t)at;
    for (int k = 2; k <= a->order; k++) {
        if (link_level(a, k, image, &L)) {
            free(image);
            return NULL;
        }
        prob = (int16_t *)(image + L.prob[k - 1]);
        bo = k < a->order ? (int16_t *)(image + L.bo[k - 1]) : NULL;
        for (uint64_t i = 0; i < counts[k - 1]; i++) {
            const raw_ngram *g = &a->ngrams[k][i];
            set_word(image, &h, &L, k - 1, i, g->w[k - 1]);
            prob[i] = quant(g->prob);
            if (bo) bo[i] = quant(g->bo);
        }
    }
    asr_lm *lm = attach(image, L.total, 0, a->r.path);
    if (!lm) free(image);
    return lm;
}

asr_lm *asr_lm_read_arpa(const char *path) {
    if (!path) return asr_error_null(ASR_ERR_ARG, "LM path is NULL");
    arpa a = {.r = {.path = path}};
    struct stat st;
    int fd = asr_open_regular(path, &st);
    if (fd < 0) return NULL;
    a.r.f = gzdopen(fd, "rb");
    if (!a.r.f) {
        close(fd);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", path);
    }
    gzbuffer(a.r.f, 1 << 17);
    asr_lm *lm = parse_arpa(&a) == 0 ? pack_arpa(&a) : NULL;
    gzclose(a.r.f);
    free(a.r.buf);
    free(a.text), free(a.text_off), free(a.prob1), free(a.bo1), free(a.line1), free(a.hash);
    free(a.rank), free(a.order1);
    for (int k = 0; k <= ASR_LM_MAX_ORDER; k++)
        free(a.ngrams[k]);
    return lm;
}

/* ---- loading ----------------------------------------------------------------------- */

asr_lm *asr_lm_load(const char *path) {
    if (!path) return asr_error_null(ASR_ERR_ARG, "LM path is NULL");
    struct stat st;
    char magic[sizeof MAGIC];
    int fd = asr_open_regular(path, &st);
    if (fd < 0) return NULL;
    if (st.st_size == 0) {
        close(fd);
        return asr_error_null(ASR_ERR_FORMAT, "%s: empty file", path);
    }
    if (pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
        memcmp(magic, MAGIC, sizeof MAGIC) != 0) {
        close(fd);
        return asr_lm_read_arpa(path); /* plain or gzip text */
    }
    if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        close(fd);
        return asr_error_null(ASR_ERR_FORMAT, "%s: too large to map", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED)
        return asr_error_null(ASR_ERR_IO, "%s: cannot map: %s", path, strerror(err));
    asr_lm *lm = attach(map, (size_t)st.st_size, 1, path);
    if (!lm) munmap(map, (size_t)st.st_size);
    return lm;
}

/* ---- pruning ------------------------------------------------------------------------- */

typedef struct {
    const asr_lm *lm;
    uint8_t *keep[ASR_LM_MAX_ORDER];
    int target;
    double threshold;
    int32_t h[ASR_LM_MAX_ORDER];
} pruner;

static int has_kept_children(const pruner *p, int k, uint64_t e) {
    const uint32_t *c = p->lm->lv[k].child;
    for (uint64_t i = c[e]; i < c[e + 1]; i++)
        if (p->keep[k + 1][i]) return 1;
    return 0;
}

/* Visits the kept descendants of entry e (level k, words h[0..k], log10
 * P(h) = chain) down to level target and prunes there. */
static void prune_under(pruner *p, int k, uint64_t e, double chain) {
    if (k + 1 >= p->lm->order || k + 1 >= ASR_LM_MAX_ORDER) return;
    const level *P = &p->lm->lv[k], *C = &p->lm->lv[k + 1];
    for (uint64_t i = P->child[e]; i < P->child[e + 1]; i++) {
        if (!p->keep[k + 1][i]) continue;
        p->h[k + 1] = (int32_t)word_at(C, i);
        double prob = dequant(C->prob[i]), joint = chain + prob;
        if (k + 1 < p->target) {
            prune_under(p, k + 1, i, joint);
            continue;
        }
        if (k + 2 < p->lm->order && has_kept_children(p, k + 1, i)) continue;
        asr_lm_state s = {.n = k}, after;
        memcpy(s.w, p->h + 1, (size_t)k * sizeof *s.w);
        double backoff = dequant(P->bo[e]) + asr_lm_score(p->lm, &s, p->h[k + 1], &after);
        if (pow(10, joint) * fabs(prob - backoff) < p->threshold) p->keep[k + 1][i] = 0;
    }
}

/* Recomputes the backoff weights of the level-target entries below entry e
 * (level k, words h[0..k]); lower levels must be done already. */
static void renormalise_under(asr_lm *lm, int k, uint64_t e, int32_t *h, int target) {
    if (k + 1 >= lm->order || k + 1 >= ASR_LM_MAX_ORDER) return;
    level *P = &lm->lv[k];
    const level *C = &lm->lv[k + 1];
    if (k < target) {
        for (uint64_t i = P->child[e]; i < P->child[e + 1]; i++) {
            h[k + 1] = (int32_t)word_at(C, i);
            renormalise_under(lm, k + 1, i, h, target);
        }
        return;
    }
    double num = 1, den = 1;
    asr_lm_state s = {.n = k}, after;
    memcpy(s.w, h + 1, (size_t)k * sizeof *s.w);
    for (uint64_t i = P->child[e]; i < P->child[e + 1]; i++) {
        num -= pow(10, dequant(C->prob[i]));
        den -= pow(10, asr_lm_score(lm, &s, (int32_t)word_at(C, i), &after));
    }
    double bo = P->child[e] == P->child[e + 1] ? 0 : log10(fmax(num, 1e-9) / fmax(den, 1e-9));
    /* The image is this function's own heap copy. */
    ((int16_t *)P->bo)[e] = quant(bo);
}

static asr_lm *prune_copy(const asr_lm *lm, pruner *p, const uint8_t *keep_word) {
    /* Words outside the vocabulary are one word, <unk>, that takes their mass. */
    double dropped = 0, unk_mass = lm->unk >= 0 ? pow(10, dequant(lm->lv[0].prob[lm->unk])) : 0;
    for (int32_t i = 0; i < lm->vocab; i++)
        if (!keep_word[i]) dropped += pow(10, dequant(lm->lv[0].prob[i]));
    int add_unk = dropped > 0 && lm->unk < 0;
    const char *unk_word = "<unk>";
    uint64_t counts[ASR_LM_MAX_ORDER] = {0}, text_bytes = 0;
    for (int32_t i = 0; i < lm->vocab; i++)
        if (keep_word[i]) counts[0]++, text_bytes += strlen(asr_lm_word(lm, i)) + 1;
    if (add_unk) counts[0]++, text_bytes += strlen(unk_word) + 1;
    uint64_t *rank[ASR_LM_MAX_ORDER] = {0}; /* kept entries before each one */
    asr_lm *out = NULL;
    int32_t *new_id = malloc((size_t)lm->vocab * sizeof *new_id);
    int ok = new_id != NULL;
    for (int k = 1; ok && k < lm->order; k++) {
        rank[k] = malloc((lm->lv[k].n + 1) * sizeof *rank[k]);
        if (!(ok = rank[k] != NULL)) break;
        rank[k][0] = 0;
        for (uint64_t i = 0; i < lm->lv[k].n; i++)
            rank[k][i + 1] = rank[k][i] + p->keep[k][i];
        counts[k] = rank[k][lm->lv[k].n];
    }
    /* The new vocabulary in order (<unk> in its place), for the trie. */
    const char **vw = ok ? malloc(counts[0] * sizeof *vw) : NULL;
    int16_t *vp = vw ? malloc(counts[0] * sizeof *vp) : NULL;
    asr_lexicon *trie = NULL;
    if (vp) {
        uint64_t x = 0;
        int unk_done = !add_unk;
        for (int32_t i = 0; i <= lm->vocab; i++) {
            const char *w = i < lm->vocab ? asr_lm_word(lm, i) : NULL;
            if (!unk_done && (!w || strcmp(unk_word, w) < 0)) {
                vw[x] = unk_word, vp[x++] = quant(log10(dropped));
                unk_done = 1;
            }
            if (w && keep_word[i]) vw[x] = w, vp[x++] = lm->lv[0].prob[i];
        }
        trie = vocab_trie(vw, vp, (int32_t)counts[0]);
    } else if (ok) {
        asr_error(ASR_ERR_NOMEM, "out of memory for pruning");
    }
    free(vw), free(vp);
    header h;
    layout L;
    uint8_t *image = trie ? new_image(&h, &L, lm->order, counts, text_bytes, trie) : NULL;
    asr_lexicon_free(trie);
    if (!image) goto done;

    uint32_t *off = (uint32_t *)(image + L.word_off);
    char *text = (char *)(image + L.text);
    int16_t *prob = (int16_t *)(image + L.prob[0]);
    uint32_t *child = lm->order > 1 ? (uint32_t *)(image + L.child[0]) : NULL;
    uint64_t at = 0, x = 0, run = 0;
    int32_t unk_id = -1;
    for (int32_t i = 0; i <= lm->vocab; i++) {
        const char *w = i < lm->vocab ? asr_lm_word(lm, i) : NULL;
        if (add_unk && unk_id < 0 && (!w || strcmp(unk_word, w) < 0)) {
            unk_id = (int32_t)x;
            off[x] = (uint32_t)at;
            memcpy(text + at, unk_word, strlen(unk_word) + 1);
            at += strlen(unk_word) + 1;
            prob[x] = quant(log10(dropped));
            if (child) child[x] = (uint32_t)run;
            x++;
        }
        if (!w || !keep_word[i]) continue;
        new_id[i] = (int32_t)x;
        off[x] = (uint32_t)at;
        memcpy(text + at, w, strlen(w) + 1);
        at += strlen(w) + 1;
        prob[x] = lm->unk == i ? quant(log10(unk_mass + dropped)) : lm->lv[0].prob[i];
        if (child) {
            child[x] = (uint32_t)rank[1][lm->lv[0].child[i]];
            run = rank[1][lm->lv[0].child[i + 1]];
        }
        x++;
    }
    off[x] = (uint32_t)at;
    if (child) child[x] = (uint32_t)counts[1];
    for (int k = 1; k < lm->order; k++) {
        const level *v = &lm->lv[k];
        prob = (int16_t *)(image + L.prob[k]);
        child = k + 1 < lm->order ? (uint32_t *)(image + L.child[k]) : NULL;
        uint64_t j = 0;
        for (uint64_t i = 0; i < v->n; i++) {
            if (!p->keep[k][i]) continue;
            set_word(image, &h, &L, k, j, (uint32_t)new_id[word_at(v, i)]);
            prob[j] = v->prob[i];
            if (child) child[j] = (uint32_t)rank[k + 1][v->child[i]];
            j++;
        }
        if (child) child[j] = (uint32_t)counts[k + 1];
    }
    out = attach(image, L.total, 0, "pruned LM");
    if (!out) {
        free(image);
        goto done;
    }
    int32_t ctx[ASR_LM_MAX_ORDER];
    for (int target = 0; target + 1 < out->order; target++)
        for (int32_t i = 0; i < out->vocab; i++) {
            ctx[0] = i;
            renormalise_under(out, 0, (uint64_t)i, ctx, target);
        }
done:
    free(new_id);
    for (int k = 1; k < ASR_LM_MAX_ORDER; k++)
        free(rank[k]);
    return out;
}

typedef struct {
    int32_t id;
    int16_t prob;
} ranked_word;

static int by_prob(const void *pa, const void *pb) {
    const ranked_word *a = pa, *b = pb;
    if (a->prob != b->prob) return a->prob < b->prob ? 1 : -1;
    return a->id - b->id;
}

asr_lm *asr_lm_prune(const asr_lm *lm, const asr_lm_prune_params *params) {
    if (!lm || !params) return asr_error_null(ASR_ERR_ARG, "asr_lm_prune: NULL argument");
    if (params->vocab < 0) return asr_error_null(ASR_ERR_ARG, "prune: negative vocabulary size");
    pruner p = {.lm = lm};
    asr_lm *out = NULL;
    ranked_word *byp = malloc((size_t)lm->vocab * sizeof *byp);
    int ok = byp != NULL;
    for (int k = 0; ok && k < lm->order; k++)
        ok = (p.keep[k] = calloc(lm->lv[k].n ? lm->lv[k].n : 1, 1)) != NULL;
    if (!ok) {
        asr_error(ASR_ERR_NOMEM, "out of memory for pruning");
        goto done;
    }
    int32_t n = 0;
    for (int32_t i = 0; i < lm->vocab; i++) {
        if (is_special(lm, i))
            p.keep[0][i] = 1;
        else
            byp[n++] = (ranked_word){i, lm->lv[0].prob[i]};
    }
    qsort(byp, (size_t)n, sizeof *byp, by_prob);
    for (int32_t i = 0; i < n; i++)
        p.keep[0][byp[i].id] = params->vocab == 0 || i < params->vocab;
    for (int k = 1; k < lm->order; k++)
        for (uint64_t e = 0; e < lm->lv[k - 1].n; e++)
            if (p.keep[k - 1][e])
                for (uint64_t i = lm->lv[k - 1].child[e]; i < lm->lv[k - 1].child[e + 1]; i++) {
                    uint32_t w = word_at(&lm->lv[k], i);
                    p.keep[k][i] = w < (uint32_t)lm->vocab && p.keep[0][w];
                }
    for (p.target = lm->order - 1; p.target >= 1; p.target--) {
        p.threshold = params->threshold[p.target + 1];
        if (!(p.threshold > 0)) continue;
        for (int32_t i = 0; i < lm->vocab; i++) {
            if (!p.keep[0][i]) continue;
            p.h[0] = i;
            prune_under(&p, 0, (uint64_t)i, i == lm->bos ? 0 : dequant(lm->lv[0].prob[i]));
        }
    }
    out = prune_copy(lm, &p, p.keep[0]);
done:
    free(byp);
    for (int k = 0; k < ASR_LM_MAX_ORDER; k++)
        free(p.keep[k]);
    return out;
}
