#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

static void set_message(const char *fmt, va_list ap) {
    vsnprintf(last_error, sizeof last_error, fmt, ap);
}

asr_status asr_error(asr_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap);
    va_end(ap);
    return status;
}

void *asr_error_null(asr_status status, const char *fmt, ...) {
    (void)status;
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap);
    va_end(ap);
    return NULL;
}

const char *asr_last_error(void) {
    return last_error;
}

const char *asr_status_str(asr_status status) {
    switch (status) {
    case ASR_OK: return "ok";
    case ASR_ERR_ARG: return "bad argument";
    case ASR_ERR_IO: return "i/o error";
    case ASR_ERR_FORMAT: return "format error";
    case ASR_ERR_UNSUPPORTED: return "unsupported";
    case ASR_ERR_NOMEM: return "out of memory";
    case ASR_ERR_STATE: return "bad state";
    case ASR_ERR_AUDIO: return "bad audio";
    }
    return "unknown status";
}
