#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Bytes in the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF), or 0. */
static int utf8_length(const unsigned char *s) {
    int n = s[0] < 0x80   ? 1
            : s[0] < 0xc2 ? 0
            : s[0] < 0xe0 ? 2
            : s[0] < 0xf0 ? 3
            : s[0] < 0xf5 ? 4
                          : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))) return 0;
    return n;
}

void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = utf8_length(p);
        if (n == 0) {
            /* JSON is UTF-8: a byte that is not (a file name in another
             * encoding) becomes U+FFFD, so that every line parses. */
            fputs("\\ufffd", out);
            p++;
            continue;
        }
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fwrite(p, 1, (size_t)n, out);
        p += n;
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
