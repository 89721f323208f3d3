/* Elementwise exp, tanh and sigmoid over float arrays, written branch-free
 * so that gcc vectorises the loops at -O3 without -ffast-math. Relative
 * error is a few 1e-7 against libm in the ranges the recurrent cells use. */
#ifndef ASR_VECMATH_H
#define ASR_VECMATH_H

#include <stddef.h>

/* y[i] = exp(x[i]); inputs are clamped to [-87, 88], so the result stays a
 * normal float (no overflow to Inf, no denormals). y may equal x. */
void asr_vec_exp(float *y, const float *x, size_t n);
/* y[i] = tanh(x[i]); y may equal x. */
void asr_vec_tanh(float *y, const float *x, size_t n);
/* y[i] = 1 / (1 + exp(-x[i])); y may equal x. */
void asr_vec_sigmoid(float *y, const float *x, size_t n);

/* Row-wise log-softmax in place over a rows x cols matrix; scratch holds
 * cols floats. */
void asr_vec_log_softmax(float *x, size_t rows, size_t cols, float *scratch);

#endif
