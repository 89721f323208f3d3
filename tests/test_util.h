/* Helpers shared by the tests: locating fixtures, reading raw arrays. */
#ifndef ASR_TEST_UTIL_H
#define ASR_TEST_UTIL_H

#include <stddef.h>

/* $ASR_SOURCE_DIR/rel in a static buffer (the tests run from the build tree). */
const char *test_path(const char *rel);
/* Reads a whole file of little-endian float32 values; *n gets the count.
 * Fails the test (cmocka) if the file is missing. Free with free(). */
float *test_read_f32(const char *rel, size_t *n);
/* Largest |a[i] - b[i]|. */
float test_max_abs_diff(const float *a, const float *b, size_t n);

#endif
