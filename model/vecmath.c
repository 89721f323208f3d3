#include "vecmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Adding then subtracting 1.5 * 2^23 rounds to the nearest integer in the
 * current (round-to-nearest) mode; valid for |x| < 2^22. */
#define ROUND_MAGIC 12582912.0f

static inline uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* cond ? a : b through an integer mask. gcc does not if-convert a float
 * ?: whose arms it has specialised (it would have to assume that float
 * arithmetic cannot trap), so a plain ?: would leave a branch in the loop
 * and stop vectorisation. */
static inline float blend(int cond, float a, float b) {
    uint32_t m = 0u - (uint32_t)cond;
    return bits_float((float_bits(a) & m) | (float_bits(b) & ~m));
}

/* Cephes expf: exp(x) = 2^n * exp(r), |r| <= ln(2)/2, with ln(2) split in
 * two (Cody-Waite) so that n * ln2_hi is exact. */
static inline float exp_kernel(float x) {
    x = blend(x < -87.0f, -87.0f, x);
    x = blend(x > 88.0f, 88.0f, x);
    float t = x * 1.44269504088896341f + ROUND_MAGIC;
    float n = t - ROUND_MAGIC;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    /* n as an integer from the rounded float's mantissa, then 2^n. */
    uint32_t e = float_bits(t) - float_bits(ROUND_MAGIC) + 127u;
    return y * bits_float(e << 23);
}

void asr_vec_exp(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = exp_kernel(x[i]);
}

/* Cephes tanhf: an odd polynomial below 0.625, where 1 - 2 / (e^2x + 1)
 * would lose relative precision; both are computed and one is selected so
 * that the loop has no branches. */
static inline float tanh_kernel(float x) {
    float a = fabsf(x);
    float s = blend(x < -0.625f, -0.625f, x);
    s = blend(s > 0.625f, 0.625f, s);
    float z = s * s;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = s + s * z * p;
    /* tanh(x) rounds to 1 in float from x = 9.01 on. */
    float big = 1.0f - 2.0f / (exp_kernel(2.0f * blend(a > 10.0f, 10.0f, a)) + 1.0f);
    big = copysignf(big, x);
    return blend(a < 0.625f, small, big);
}

void asr_vec_tanh(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = tanh_kernel(x[i]);
}

void asr_vec_sigmoid(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + exp_kernel(-x[i]));
}

void asr_vec_log_softmax(float *x, size_t rows, size_t cols, float *scratch) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float max = row[0];
        for (size_t j = 1; j < cols; j++)
            max = row[j] > max ? row[j] : max;
        for (size_t j = 0; j < cols; j++)
            scratch[j] = row[j] - max;
        asr_vec_exp(scratch, scratch, cols);
        double sum = 0;
        for (size_t j = 0; j < cols; j++)
            sum += scratch[j];
        float lse = max + (float)log(sum);
        for (size_t j = 0; j < cols; j++)
            row[j] -= lse;
    }
}
