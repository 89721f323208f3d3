/* asr serve's text messages (serve_parse_message, cli/serve_protocol.c):
 * any bytes a WebSocket client sends are refused with a reason, or give a
 * config that holds only sane values and frees cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    serve_config c;
    memset(&c, 0, sizeof c);
    char error[256] = "";
    serve_message_kind k = serve_parse_message((const char *)data, size, &c, error, sizeof error);
    if (k == MSG_BAD && (!error[0] || strlen(error) >= sizeof error)) abort();
    if (k == MSG_CONFIG) {
        if (c.sample_rate && (c.sample_rate < 1000 || c.sample_rate > 384000)) abort();
        if (c.format != SAMPLE_S16LE && c.format != SAMPLE_F32LE) abort();
        for (size_t i = 0; i < c.n_words; i++)
            if (!c.words[i] || !c.words[i][0]) abort();
        for (size_t i = 0; i < c.n_hotwords; i++)
            if (!c.hotwords[i].word || !c.hotwords[i].word[0]) abort();
        serve_config_free(&c);
    }
    return 0;
}
