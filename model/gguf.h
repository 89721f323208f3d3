/* A bounds-checked reader for GGUF v3 files (the container of llama.cpp and
 * whisper.cpp), memory-mapped read-only. Every count, size and offset is
 * checked against the file before use; keys, tensor names and string values
 * are copied out as NUL-terminated strings. */
#ifndef ASR_GGUF_H
#define ASR_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"

/* Metadata value types, numbered as in the GGUF specification. */
typedef enum {
    ASR_GGUF_UINT8 = 0,
    ASR_GGUF_INT8 = 1,
    ASR_GGUF_UINT16 = 2,
    ASR_GGUF_INT16 = 3,
    ASR_GGUF_UINT32 = 4,
    ASR_GGUF_INT32 = 5,
    ASR_GGUF_FLOAT32 = 6,
    ASR_GGUF_BOOL = 7,
    ASR_GGUF_STRING = 8,
    ASR_GGUF_ARRAY = 9,
    ASR_GGUF_UINT64 = 10,
    ASR_GGUF_INT64 = 11,
    ASR_GGUF_FLOAT64 = 12
} asr_gguf_type;

/* Tensor element types, numbered as ggml's; only plain (non-block) types
 * are supported. */
typedef enum {
    ASR_GGML_F32 = 0,
    ASR_GGML_F16 = 1,
    ASR_GGML_I8 = 24,
    ASR_GGML_I16 = 25,
    ASR_GGML_I32 = 26,
    ASR_GGML_I64 = 27,
    ASR_GGML_F64 = 28,
    ASR_GGML_BF16 = 30
} asr_ggml_type;

#define ASR_GGUF_MAGIC 0x46554747u /* "GGUF" read as a little-endian u32 */
#define ASR_GGUF_VERSION 3
#define ASR_GGUF_DEFAULT_ALIGNMENT 32
#define ASR_GGUF_MAX_DIMS 4
#define ASR_GGUF_MAX_NAME 64 /* bytes in a tensor name, as ggml */

typedef struct {
    char *key;
    asr_gguf_type type;
    union {
        uint64_t u; /* UINT8..UINT64 and BOOL */
        int64_t i;  /* INT8..INT64 */
        double f;   /* FLOAT32, FLOAT64 */
        char *str;  /* STRING */
    } value;
    /* ARRAY: element type and count; strings are copied into strs,
     * numbers stay in the mapping at data (little-endian, unaligned). */
    asr_gguf_type array_type;
    uint64_t array_len;
    char **strs;
    const void *data;
} asr_gguf_kv;

typedef struct {
    char *name;
    uint32_t n_dims;
    uint64_t dims[ASR_GGUF_MAX_DIMS]; /* ggml order: dims[0] varies fastest */
    asr_ggml_type type;
    uint64_t n_elements;
    size_t n_bytes;
    uint64_t offset;  /* from the start of the data section */
    const void *data; /* inside the mapping, aligned to the file's alignment */
    /* F32 tensors as floats: data itself; F16 ones once asr_gguf_floats
     * has widened them into widened (owned, freed by asr_gguf_close). */
    const float *floats;
    float *widened;
} asr_gguf_tensor;

typedef struct asr_gguf {
    char *path;
    const unsigned char *map;
    size_t size;
    uint32_t alignment;
    size_t n_kv;
    asr_gguf_kv *kv;
    size_t n_tensors;
    asr_gguf_tensor *tensors;
} asr_gguf;

/* Maps and parses a file. Returns NULL and sets an error naming the file
 * (ASR_ERR_IO, ASR_ERR_FORMAT or ASR_ERR_UNSUPPORTED) on failure. */
asr_gguf *asr_gguf_open(const char *path);
void asr_gguf_close(asr_gguf *g);

/* NULL if absent. */
const asr_gguf_kv *asr_gguf_find_kv(const asr_gguf *g, const char *key);
const asr_gguf_tensor *asr_gguf_find_tensor(const asr_gguf *g, const char *name);
/* An F32 or F16 tensor (one of g's) as floats, F16 widened on the first
 * call; NULL for other types, or out of memory (error set). Not thread-safe:
 * for loaders. */
const float *asr_gguf_floats(asr_gguf *g, const asr_gguf_tensor *t);

/* A metadata entry of the given type; NULL (error set, naming the file and
 * key) when it is missing or of another type. */
const asr_gguf_kv *asr_gguf_find_typed(const asr_gguf *g, const char *key, asr_gguf_type type);
/* A u32 entry within lo..hi into *out: 0, or -1 with the error set. */
int asr_gguf_get_u32(const asr_gguf *g, const char *key, uint32_t lo, uint32_t hi, int *out);

/* "u32", "string" ... for messages. */
const char *asr_gguf_type_name(asr_gguf_type type);
const char *asr_ggml_type_name(asr_ggml_type type);

#endif
