#include "gemv_f16.h"

#include <math.h>
#include <string.h>

float asr_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0) { /* zero or subnormal: man * 2^-24 */
        float v = ldexpf((float)man, -24);
        return sign ? -v : v;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13); /* inf, NaN */
    else
        bits = sign | ((exp + 112) << 23) | (man << 13); /* rebias 15 -> 127 */
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define F16_TARGET __attribute__((target("avx2,fma,f16c")))

/* F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports has
 * no name for it. The OS support it needs (YMM state) comes with AVX2's. */
int asr_gemv_f16_available(void) {
    unsigned a, b, c, d;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __get_cpuid(1, &a, &b, &c, &d) && (c >> 29 & 1u);
}

F16_TARGET static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

F16_TARGET static inline __m256 load8(const uint16_t *w) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w));
}

F16_TARGET static float tail(const uint16_t *w, const float *x, size_t from, size_t cols) {
    float s = 0.0f;
    for (size_t c = from; c < cols; c++)
        s += _cvtsh_ss(w[c]) * x[c];
    return s;
}

/* Four rows at a time, so that each load of x serves four rows. Memory
 * bound for a large matrix (1792 x 448: 1.6 MB, 35 us against sgemv's 46 us
 * for 3.2 MB of floats, one core of an AMD EPYC); two sums per row did not
 * make it faster. */
F16_TARGET void asr_gemv_f16(size_t rows, size_t cols, const uint16_t *w, const float *x,
                             float *y) {
    size_t c8 = cols & ~(size_t)7, r = 0;
    for (; r + 4 <= rows; r += 4) {
        const uint16_t *w0 = w + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t c = 0; c < c8; c += 8) {
            __m256 xv = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(load8(w0 + c), xv, a0);
            a1 = _mm256_fmadd_ps(load8(w1 + c), xv, a1);
            a2 = _mm256_fmadd_ps(load8(w2 + c), xv, a2);
            a3 = _mm256_fmadd_ps(load8(w3 + c), xv, a3);
        }
        y[r] += hsum(a0) + tail(w0, x, c8, cols);
        y[r + 1] += hsum(a1) + tail(w1, x, c8, cols);
        y[r + 2] += hsum(a2) + tail(w2, x, c8, cols);
        y[r + 3] += hsum(a3) + tail(w3, x, c8, cols);
    }
    for (; r < rows; r++) {
        const uint16_t *wr = w + r * cols;
        __m256 a = _mm256_setzero_ps();
        for (size_t c = 0; c < c8; c += 8)
            a = _mm256_fmadd_ps(load8(wr + c), _mm256_loadu_ps(x + c), a);
        y[r] += hsum(a) + tail(wr, x, c8, cols);
    }
}

#else

/* Correct, but slower than widening the weights once and using sgemv: the
 * loader widens them here. */
int asr_gemv_f16_available(void) {
    return 0;
}

void asr_gemv_f16(size_t rows, size_t cols, const uint16_t *w, const float *x, float *y) {
    for (size_t r = 0; r < rows; r++) {
        float s = 0.0f;
        for (size_t c = 0; c < cols; c++)
            s += asr_half_to_float(w[r * cols + c]) * x[c];
        y[r] += s;
    }
}

#endif
