#include "test_util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

const char *test_path(const char *rel) {
    static char buf[4096];
    const char *dir = getenv("ASR_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : ".", rel);
    return buf;
}

float *test_read_f32(const char *rel, size_t *n) {
    const char *path = test_path(rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *data = malloc((size_t)bytes + 1);
    assert_non_null(data);
    size_t got = fread(data, 1, (size_t)bytes, f);
    fclose(f);
    assert_int_equal(got, (size_t)bytes);
    *n = (size_t)bytes / sizeof(float);
    return data;
}

float test_max_abs_diff(const float *a, const float *b, size_t n) {
    float worst = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (isnan(d)) return INFINITY;
        if (d > worst) worst = d;
    }
    return worst;
}
