#include <stdio.h>

#include "cli.h"

void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void json_result(FILE *out, const char *file, const asr_result *r) {
    fputs("{\"file\":", out);
    json_string(out, file);
    fputs(",\"text\":", out);
    json_string(out, r->text);
    fprintf(out, ",\"duration\":%.3f,\"words\":[", r->audio_seconds);
    for (size_t i = 0; i < r->n_words; i++) {
        const asr_word *w = &r->words[i];
        fprintf(out, "%s{\"word\":", i ? "," : "");
        json_string(out, w->word);
        fprintf(out, ",\"start\":%.2f,\"end\":%.2f,\"confidence\":%.3f}", w->start, w->end,
                w->confidence);
    }
    fputs("]}", out);
}
