#include <stdio.h>
#include <stdlib.h>

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

static void json_words(FILE *out, const asr_word *w, size_t n) {
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"word\":", i ? "," : "");
        json_string(out, w[i].word);
        fprintf(out, ",\"start\":%.2f,\"end\":%.2f,\"confidence\":%.3f}", w[i].start, w[i].end,
                w[i].confidence);
    }
    fputc(']', out);
}

int json_transcript(FILE *out, const char *file, const transcript *t) {
    char *text = transcript_text(t, TRANSCRIPT_ALL);
    if (!text) return 0;
    fputs("{\"file\":", out);
    json_string(out, file);
    fputs(",\"text\":", out);
    json_string(out, text);
    free(text);
    fprintf(out, ",\"duration\":%.3f,\"segments\":[", t->duration);
    for (size_t k = 0; k < t->n_segments; k++) {
        const transcript_segment *s = &t->segments[k];
        char *seg_text = transcript_text(t, k);
        if (!seg_text) return 0;
        fprintf(out, "%s{\"start\":%.2f,\"end\":%.2f,\"text\":", k ? "," : "", s->start, s->end);
        json_string(out, seg_text);
        free(seg_text);
        fputs(",\"words\":", out);
        json_words(out, t->words + s->first_word, s->n_words);
        fputc('}', out);
    }
    fputs("],\"words\":", out);
    json_words(out, t->words, t->n_words);
    fputs("}", out);
    return 1;
}
