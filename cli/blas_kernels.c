/* OpenBLAS picks its kernels from the CPU model when it is loaded. A build
 * older than the CPU (Debian 12's 0.3.21 on a Sapphire Rapids Xeon, say)
 * does not know the model and falls back to Prescott's SSE3 kernels: GEMV
 * 3x and GEMM 6x slower than the AVX2/AVX-512 ones the CPU can run.
 * OPENBLAS_CORETYPE overrides the choice, but OpenBLAS reads it only at
 * load, so asr starts itself again once with it set. (Tools that follow a
 * process, valgrind say, lose it there unless told to trace children.) */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The best of OpenBLAS's x86-64 kernel sets this CPU can run, or NULL. */
static const char *runnable_core(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

void use_fast_blas_kernels(char **argv) {
    /* Set: the user's choice, or this is the restart. */
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *core = openblas_get_corename();
    if (!core || strcmp(core, "Prescott") != 0) return;
    const char *better = runnable_core();
    if (!better || setenv("OPENBLAS_CORETYPE", better, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* No /proc, say: go on with the slow kernels. */
    unsetenv("OPENBLAS_CORETYPE");
}
