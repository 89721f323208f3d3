/* Matrix-vector products over float16 weights, widened as they are read:
 * half the memory traffic of float32 weights, which is what bounds the
 * recurrent GEMV of a large model (its matrix does not fit in L2). */
#ifndef ASR_GEMV_F16_H
#define ASR_GEMV_F16_H

#include <stddef.h>
#include <stdint.h>

/* IEEE 754 binary16 to binary32, exactly (every half is a float). */
float asr_half_to_float(uint16_t h);

/* 1 when this CPU runs asr_gemv_f16 fast: x86-64 with AVX2, FMA and F16C. The
 * loader keeps float16 weights as they are only then, and widens them
 * otherwise (a portable loop is the fallback). */
int asr_gemv_f16_available(void);

/* y (rows) += W x, W rows x cols row-major IEEE binary16 (native byte
 * order), x cols floats. The products and sums are in float32. */
void asr_gemv_f16(size_t rows, size_t cols, const uint16_t *w, const float *x, float *y);

#endif
