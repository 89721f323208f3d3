#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file_open.h"
#include "gemv_f16.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader assumes a little-endian host"
#endif

/* Far above any model of this project, low enough that a corrupt count is
 * caught before it drives an allocation. */
#define MAX_KV 65536
#define MAX_TENSORS 65536
#define MAX_KEY 65535

typedef struct {
    const unsigned char *p;
    size_t size;
    size_t pos;
    const char *path;
} cursor;

static int truncated(const cursor *c, const char *what) {
    asr_error(ASR_ERR_FORMAT,
              "%s: truncated or corrupt: %s at byte %zu runs past the end of the file "
              "(%zu bytes)",
              c->path, what, c->pos, c->size);
    return -1;
}

static int read_bytes(cursor *c, void *out, size_t n, const char *what) {
    if (n > c->size - c->pos) return truncated(c, what);
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
    return 0;
}

static int read_u32(cursor *c, uint32_t *v, const char *what) {
    return read_bytes(c, v, sizeof *v, what);
}

static int read_u64(cursor *c, uint64_t *v, const char *what) {
    return read_bytes(c, v, sizeof *v, what);
}

/* A GGUF string (u64 length, bytes) copied out NUL-terminated. */
static int read_string(cursor *c, char **out, uint64_t max_len, const char *what) {
    uint64_t len;
    if (read_u64(c, &len, what)) return -1;
    if (len > c->size - c->pos) return truncated(c, what);
    if (len > max_len) {
        asr_error(ASR_ERR_FORMAT, "%s: %s at byte %zu is %llu bytes long (at most %llu allowed)",
                  c->path, what, c->pos, (unsigned long long)len, (unsigned long long)max_len);
        return -1;
    }
    if (memchr(c->p + c->pos, 0, (size_t)len)) {
        asr_error(ASR_ERR_FORMAT, "%s: %s at byte %zu contains a NUL byte", c->path, what, c->pos);
        return -1;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        asr_error(ASR_ERR_NOMEM, "%s: out of memory reading %s", c->path, what);
        return -1;
    }
    memcpy(s, c->p + c->pos, (size_t)len);
    s[len] = '\0';
    c->pos += (size_t)len;
    *out = s;
    return 0;
}

static size_t scalar_size(asr_gguf_type type) {
    switch (type) {
    case ASR_GGUF_UINT8:
    case ASR_GGUF_INT8:
    case ASR_GGUF_BOOL: return 1;
    case ASR_GGUF_UINT16:
    case ASR_GGUF_INT16: return 2;
    case ASR_GGUF_UINT32:
    case ASR_GGUF_INT32:
    case ASR_GGUF_FLOAT32: return 4;
    case ASR_GGUF_UINT64:
    case ASR_GGUF_INT64:
    case ASR_GGUF_FLOAT64: return 8;
    case ASR_GGUF_STRING:
    case ASR_GGUF_ARRAY: return 0;
    }
    return 0;
}

const char *asr_gguf_type_name(asr_gguf_type type) {
    switch (type) {
    case ASR_GGUF_UINT8: return "u8";
    case ASR_GGUF_INT8: return "i8";
    case ASR_GGUF_UINT16: return "u16";
    case ASR_GGUF_INT16: return "i16";
    case ASR_GGUF_UINT32: return "u32";
    case ASR_GGUF_INT32: return "i32";
    case ASR_GGUF_FLOAT32: return "f32";
    case ASR_GGUF_BOOL: return "bool";
    case ASR_GGUF_STRING: return "string";
    case ASR_GGUF_ARRAY: return "array";
    case ASR_GGUF_UINT64: return "u64";
    case ASR_GGUF_INT64: return "i64";
    case ASR_GGUF_FLOAT64: return "f64";
    }
    return "unknown";
}

static size_t ggml_type_size(asr_ggml_type type) {
    switch (type) {
    case ASR_GGML_I8: return 1;
    case ASR_GGML_F16:
    case ASR_GGML_BF16:
    case ASR_GGML_I16: return 2;
    case ASR_GGML_F32:
    case ASR_GGML_I32: return 4;
    case ASR_GGML_I64:
    case ASR_GGML_F64: return 8;
    }
    return 0;
}

const char *asr_ggml_type_name(asr_ggml_type type) {
    switch (type) {
    case ASR_GGML_F32: return "F32";
    case ASR_GGML_F16: return "F16";
    case ASR_GGML_I8: return "I8";
    case ASR_GGML_I16: return "I16";
    case ASR_GGML_I32: return "I32";
    case ASR_GGML_I64: return "I64";
    case ASR_GGML_F64: return "F64";
    case ASR_GGML_BF16: return "BF16";
    }
    return "unknown";
}

/* Reads a scalar of a known size into the union, sign-extending integers. */
static int read_scalar(cursor *c, asr_gguf_kv *kv, const char *what) {
    unsigned char b[8] = {0};
    size_t n = scalar_size(kv->type);
    if (read_bytes(c, b, n, what)) return -1;
    switch (kv->type) {
    case ASR_GGUF_UINT8: kv->value.u = b[0]; break;
    case ASR_GGUF_BOOL:
        if (b[0] > 1) {
            asr_error(ASR_ERR_FORMAT, "%s: %s is a bool with value %u (not 0 or 1)", c->path, what,
                      b[0]);
            return -1;
        }
        kv->value.u = b[0];
        break;
    case ASR_GGUF_INT8: kv->value.i = (int8_t)b[0]; break;
    case ASR_GGUF_UINT16: {
        uint16_t v;
        memcpy(&v, b, 2);
        kv->value.u = v;
        break;
    }
    case ASR_GGUF_INT16: {
        int16_t v;
        memcpy(&v, b, 2);
        kv->value.i = v;
        break;
    }
    case ASR_GGUF_UINT32: {
        uint32_t v;
        memcpy(&v, b, 4);
        kv->value.u = v;
        break;
    }
    case ASR_GGUF_INT32: {
        int32_t v;
        memcpy(&v, b, 4);
        kv->value.i = v;
        break;
    }
    case ASR_GGUF_FLOAT32: {
        float v;
        memcpy(&v, b, 4);
        kv->value.f = v;
        break;
    }
    case ASR_GGUF_UINT64: memcpy(&kv->value.u, b, 8); break;
    case ASR_GGUF_INT64: memcpy(&kv->value.i, b, 8); break;
    case ASR_GGUF_FLOAT64: memcpy(&kv->value.f, b, 8); break;
    case ASR_GGUF_STRING:
    case ASR_GGUF_ARRAY: break;
    }
    return 0;
}

static int read_array(cursor *c, asr_gguf_kv *kv) {
    uint32_t type;
    if (read_u32(c, &type, "array type") || read_u64(c, &kv->array_len, "array length")) return -1;
    kv->array_type = (asr_gguf_type)type;
    if (type == ASR_GGUF_ARRAY) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: metadata '%s' is a nested array (not supported)",
                  c->path, kv->key);
        return -1;
    }
    size_t remaining = c->size - c->pos;
    if (type == ASR_GGUF_STRING) {
        /* Every string takes at least its 8-byte length. */
        if (kv->array_len > remaining / 8) return truncated(c, "string array");
        kv->strs = calloc(kv->array_len ? (size_t)kv->array_len : 1, sizeof *kv->strs);
        if (!kv->strs) {
            asr_error(ASR_ERR_NOMEM, "%s: out of memory reading '%s'", c->path, kv->key);
            return -1;
        }
        for (uint64_t i = 0; i < kv->array_len; i++)
            if (read_string(c, &kv->strs[i], MAX_KEY, "string in array")) return -1;
        return 0;
    }
    size_t elem = scalar_size(kv->array_type);
    if (elem == 0) {
        asr_error(ASR_ERR_FORMAT, "%s: metadata '%s' is an array of unknown type %u", c->path,
                  kv->key, type);
        return -1;
    }
    if (kv->array_len > remaining / elem) return truncated(c, "array");
    kv->data = c->p + c->pos;
    c->pos += (size_t)kv->array_len * elem;
    return 0;
}

static int read_kv(cursor *c, asr_gguf_kv *kv) {
    if (read_string(c, &kv->key, MAX_KEY, "metadata key")) return -1;
    if (kv->key[0] == '\0') {
        asr_error(ASR_ERR_FORMAT, "%s: empty metadata key at byte %zu", c->path, c->pos);
        return -1;
    }
    uint32_t type;
    if (read_u32(c, &type, "metadata type")) return -1;
    kv->type = (asr_gguf_type)type;
    if (type == ASR_GGUF_STRING) return read_string(c, &kv->value.str, UINT64_MAX, kv->key);
    if (type == ASR_GGUF_ARRAY) return read_array(c, kv);
    if (scalar_size(kv->type) == 0) {
        asr_error(ASR_ERR_FORMAT, "%s: metadata '%s' has unknown type %u", c->path, kv->key, type);
        return -1;
    }
    return read_scalar(c, kv, kv->key);
}

static int read_tensor_info(cursor *c, asr_gguf_tensor *t) {
    if (read_string(c, &t->name, ASR_GGUF_MAX_NAME, "tensor name")) return -1;
    if (t->name[0] == '\0') {
        asr_error(ASR_ERR_FORMAT, "%s: empty tensor name at byte %zu", c->path, c->pos);
        return -1;
    }
    if (read_u32(c, &t->n_dims, "tensor rank")) return -1;
    if (t->n_dims < 1 || t->n_dims > ASR_GGUF_MAX_DIMS) {
        asr_error(ASR_ERR_FORMAT, "%s: tensor '%s' has %u dimensions (1 to %d allowed)", c->path,
                  t->name, t->n_dims, ASR_GGUF_MAX_DIMS);
        return -1;
    }
    t->n_elements = 1;
    for (uint32_t i = 0; i < t->n_dims; i++) {
        if (read_u64(c, &t->dims[i], "tensor dimension")) return -1;
        /* Checked against the file size below; this bound only stops overflow. */
        if (t->dims[i] == 0) {
            asr_error(ASR_ERR_FORMAT, "%s: tensor '%s' has an empty dimension %u", c->path, t->name,
                      i);
            return -1;
        }
        if (t->dims[i] > c->size || t->n_elements > c->size / t->dims[i]) {
            asr_error(ASR_ERR_FORMAT,
                      "%s: truncated or corrupt: tensor '%s' (dimension %u: %llu) is larger than "
                      "the file (%zu bytes)",
                      c->path, t->name, i, (unsigned long long)t->dims[i], c->size);
            return -1;
        }
        t->n_elements *= t->dims[i];
    }
    uint32_t type;
    if (read_u32(c, &type, "tensor type")) return -1;
    t->type = (asr_ggml_type)type;
    size_t elem = ggml_type_size(t->type);
    if (elem == 0) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported ggml type %u", c->path,
                  t->name, type);
        return -1;
    }
    if (t->n_elements > c->size / elem) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: truncated or corrupt: tensor '%s' is larger than the file (%zu bytes)",
                  c->path, t->name, c->size);
        return -1;
    }
    t->n_bytes = (size_t)t->n_elements * elem;
    return read_u64(c, &t->offset, "tensor offset");
}

/* F16 weights halve a model file. A reader that wants floats gets them
 * widened once, on first asking, into memory that lives as long as the
 * file; one that multiplies by the halves themselves (gemv_f16.h) leaves
 * them as they are. */
const float *asr_gguf_floats(asr_gguf *g, const asr_gguf_tensor *tensor) {
    asr_gguf_tensor *t = &g->tensors[tensor - g->tensors];
    if (t->floats || t->type != ASR_GGML_F16) return t->floats;
    float *out = malloc((size_t)t->n_elements * sizeof *out);
    if (!out)
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory for tensor '%s'", g->path, t->name);
    const unsigned char *in = t->data; /* little-endian, any alignment */
    for (uint64_t i = 0; i < t->n_elements; i++)
        out[i] = asr_half_to_float((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
    /* Nothing reads the halves again: their whole pages leave the resident
     * set (a read would fault them back in from the file). */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t first = ((uintptr_t)in + page - 1) / page * page;
    uintptr_t end = ((uintptr_t)in + t->n_bytes) / page * page;
    if (end > first) madvise((void *)first, end - first, MADV_DONTNEED);
    t->widened = out;
    t->floats = out;
    return out;
}

static int cmp_strptr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first name that occurs twice, or NULL. */
static const char *find_duplicate(char **names, size_t n) {
    qsort(names, n, sizeof *names, cmp_strptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0) return names[i];
    return NULL;
}

static int check_unique(asr_gguf *g) {
    size_t n = g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors;
    char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) {
        asr_error(ASR_ERR_NOMEM, "%s: out of memory", g->path);
        return -1;
    }
    for (size_t i = 0; i < g->n_kv; i++)
        names[i] = g->kv[i].key;
    const char *dup = find_duplicate(names, g->n_kv);
    if (dup) {
        asr_error(ASR_ERR_FORMAT, "%s: metadata key '%s' occurs twice", g->path, dup);
        free(names);
        return -1;
    }
    for (size_t i = 0; i < g->n_tensors; i++)
        names[i] = g->tensors[i].name;
    dup = find_duplicate(names, g->n_tensors);
    if (dup) asr_error(ASR_ERR_FORMAT, "%s: tensor '%s' occurs twice", g->path, dup);
    free(names);
    return dup ? -1 : 0;
}

static int read_alignment(asr_gguf *g) {
    g->alignment = ASR_GGUF_DEFAULT_ALIGNMENT;
    const asr_gguf_kv *kv = asr_gguf_find_kv(g, "general.alignment");
    if (!kv) return 0;
    if (kv->type != ASR_GGUF_UINT32 || kv->value.u == 0 || (kv->value.u & (kv->value.u - 1)) ||
        kv->value.u > 65536) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: general.alignment must be a u32 power of two up to 65536 (got a %s)",
                  g->path, asr_gguf_type_name(kv->type));
        return -1;
    }
    g->alignment = (uint32_t)kv->value.u;
    return 0;
}

static int parse(asr_gguf *g) {
    cursor c = {g->map, g->size, 0, g->path};
    uint32_t magic, version;
    uint64_t n_tensors, n_kv;
    if (g->size < 24) {
        asr_error(ASR_ERR_FORMAT, "%s: %zu bytes is too short for a GGUF header", g->path, g->size);
        return -1;
    }
    read_u32(&c, &magic, "magic");
    read_u32(&c, &version, "version");
    read_u64(&c, &n_tensors, "tensor count");
    read_u64(&c, &n_kv, "metadata count");
    if (magic != ASR_GGUF_MAGIC) {
        asr_error(ASR_ERR_FORMAT, "%s: not a GGUF file (bad magic 0x%08x)", g->path, magic);
        return -1;
    }
    if (version != ASR_GGUF_VERSION) {
        asr_error(ASR_ERR_UNSUPPORTED, "%s: GGUF version %u is not supported (expected %d)",
                  g->path, version, ASR_GGUF_VERSION);
        return -1;
    }
    /* A metadata entry takes at least 13 bytes and a tensor entry 29: more
     * than the rest of the file can hold means it was cut short. */
    if (n_kv > MAX_KV || n_tensors > MAX_TENSORS) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: corrupt: the header lists %llu metadata entries and %llu tensors (at "
                  "most %d and %d)",
                  g->path, (unsigned long long)n_kv, (unsigned long long)n_tensors, MAX_KV,
                  MAX_TENSORS);
        return -1;
    }
    if (n_kv > (g->size - c.pos) / 13 || n_tensors > (g->size - c.pos - 13 * n_kv) / 29) {
        asr_error(ASR_ERR_FORMAT,
                  "%s: truncated or corrupt: the header lists %llu metadata entries and %llu "
                  "tensors, more than the %zu bytes after it can hold",
                  g->path, (unsigned long long)n_kv, (unsigned long long)n_tensors,
                  g->size - c.pos);
        return -1;
    }
    g->kv = calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) {
        asr_error(ASR_ERR_NOMEM, "%s: out of memory", g->path);
        return -1;
    }
    for (; g->n_kv < n_kv; g->n_kv++)
        if (read_kv(&c, &g->kv[g->n_kv])) {
            g->n_kv++; /* so that close frees its partial strings */
            return -1;
        }
    if (read_alignment(g)) return -1;
    for (; g->n_tensors < n_tensors; g->n_tensors++)
        if (read_tensor_info(&c, &g->tensors[g->n_tensors])) {
            g->n_tensors++;
            return -1;
        }
    if (check_unique(g)) return -1;

    size_t data_start = c.pos + (g->alignment - c.pos % g->alignment) % g->alignment;
    for (size_t i = 0; i < g->n_tensors; i++) {
        asr_gguf_tensor *t = &g->tensors[i];
        uint64_t offset = t->offset;
        if (offset % g->alignment) {
            asr_error(ASR_ERR_FORMAT, "%s: tensor '%s' offset %llu is not a multiple of %u",
                      g->path, t->name, (unsigned long long)offset, g->alignment);
            return -1;
        }
        if (data_start > g->size || offset > g->size - data_start ||
            t->n_bytes > g->size - data_start - offset) {
            asr_error(ASR_ERR_FORMAT,
                      "%s: truncated or corrupt: tensor '%s' (%zu bytes at data offset %llu) "
                      "runs past the end of the file (%zu bytes)",
                      g->path, t->name, t->n_bytes, (unsigned long long)offset, g->size);
            return -1;
        }
        t->data = g->map + data_start + offset;
        if (t->type == ASR_GGML_F32) t->floats = t->data;
    }
    return 0;
}

asr_gguf *asr_gguf_open(const char *path) {
    if (!path) return asr_error_null(ASR_ERR_ARG, "model path is NULL");
    struct stat st;
    int fd = asr_open_regular(path, &st);
    if (fd < 0) return NULL;
    if (st.st_size == 0) {
        close(fd);
        return asr_error_null(ASR_ERR_FORMAT, "%s: empty file", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return asr_error_null(ASR_ERR_FORMAT, "%s: too large to map", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED)
        return asr_error_null(ASR_ERR_IO, "%s: cannot map: %s", path, strerror(err));

    asr_gguf *g = calloc(1, sizeof *g);
    char *path_copy = strdup(path);
    if (!g || !path_copy) {
        munmap(map, (size_t)st.st_size);
        free(g);
        free(path_copy);
        return asr_error_null(ASR_ERR_NOMEM, "%s: out of memory", path);
    }
    g->path = path_copy;
    g->map = map;
    g->size = (size_t)st.st_size;
    if (parse(g)) {
        asr_gguf_close(g);
        return NULL;
    }
    return g;
}

void asr_gguf_close(asr_gguf *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_kv; i++) {
        asr_gguf_kv *kv = &g->kv[i];
        free(kv->key);
        if (kv->type == ASR_GGUF_STRING) free(kv->value.str);
        if (kv->strs)
            for (uint64_t j = 0; j < kv->array_len; j++)
                free(kv->strs[j]);
        free(kv->strs);
    }
    for (size_t i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].widened);
    }
    free(g->kv);
    free(g->tensors);
    if (g->map) munmap((void *)g->map, g->size);
    free(g->path);
    free(g);
}

const asr_gguf_kv *asr_gguf_find_kv(const asr_gguf *g, const char *key) {
    for (size_t i = 0; i < g->n_kv; i++)
        if (strcmp(g->kv[i].key, key) == 0) return &g->kv[i];
    return NULL;
}

const asr_gguf_tensor *asr_gguf_find_tensor(const asr_gguf *g, const char *name) {
    for (size_t i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}

const asr_gguf_kv *asr_gguf_find_typed(const asr_gguf *g, const char *key, asr_gguf_type type) {
    const asr_gguf_kv *kv = asr_gguf_find_kv(g, key);
    if (!kv) return asr_error_null(ASR_ERR_FORMAT, "%s: metadata '%s' is missing", g->path, key);
    if (kv->type != type)
        return asr_error_null(ASR_ERR_FORMAT, "%s: metadata '%s' is a %s, expected a %s", g->path,
                              key, asr_gguf_type_name(kv->type), asr_gguf_type_name(type));
    return kv;
}

int asr_gguf_get_u32(const asr_gguf *g, const char *key, uint32_t lo, uint32_t hi, int *out) {
    const asr_gguf_kv *kv = asr_gguf_find_typed(g, key, ASR_GGUF_UINT32);
    if (!kv) return -1;
    if (kv->value.u < lo || kv->value.u > hi) {
        asr_error(ASR_ERR_FORMAT, "%s: metadata '%s' = %llu is outside %u..%u", g->path, key,
                  (unsigned long long)kv->value.u, lo, hi);
        return -1;
    }
    *out = (int)kv->value.u;
    return 0;
}
