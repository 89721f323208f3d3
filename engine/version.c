/* The library's version, for callers that load it at run time (Python). */
#include "asr.h"

const char *asr_version(void) {
    return ASR_VERSION_STRING;
}
