/* Per-thread error messages behind asr_last_error(). */
#ifndef ASR_ERROR_H
#define ASR_ERROR_H

#include "asr.h"

/* Records a printf-style message for the calling thread and returns status,
 * so that callers can write: return asr_error(ASR_ERR_IO, "%s: ...", path); */
asr_status asr_error(asr_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, for functions that report failure by returning NULL. */
void *asr_error_null(asr_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
