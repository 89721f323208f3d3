#include "text_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asr.h"
#include "file_open.h"

int text_file_open(text_file *t, const char *path, const char *who) {
    *t = (text_file){.path = path, .who = who};
    struct stat st;
    int fd = asr_open_regular(path, &st);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", who, asr_last_error());
        return 0;
    }
    t->f = fdopen(fd, "r");
    if (!t->f) {
        fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
        close(fd);
        return 0;
    }
    return 1;
}

int text_file_next(text_file *t, char **line) {
    size_t n = 0;
    int c;
    while ((c = getc_unlocked(t->f)) != EOF && c != '\n') {
        if (n + 2 > t->cap) {
            if (t->cap >= TEXT_MAX_LINE) {
                fprintf(stderr, "%s: %s:%lu: line longer than %d KiB (is it a text file?)\n",
                        t->who, t->path, t->line + 1, TEXT_MAX_LINE / 1024);
                return -1;
            }
            size_t cap = t->cap ? 2 * t->cap : 256;
            char *b = realloc(t->buf, cap + 1);
            if (!b) {
                fprintf(stderr, "%s: %s:%lu: out of memory\n", t->who, t->path, t->line + 1);
                return -1;
            }
            t->buf = b;
            t->cap = cap;
        }
        t->buf[n++] = (char)c;
    }
    if (ferror(t->f)) {
        fprintf(stderr, "%s: %s:%lu: read error: %s\n", t->who, t->path, t->line + 1,
                strerror(errno));
        return -1;
    }
    if (c == EOF && n == 0) return 0;
    if (!t->buf && !(t->buf = malloc(1))) {
        fprintf(stderr, "%s: %s: out of memory\n", t->who, t->path);
        return -1;
    }
    t->buf[n] = '\0';
    if (n > 0 && t->buf[n - 1] == '\r') t->buf[n - 1] = '\0';
    t->line++;
    *line = t->buf;
    return 1;
}

void text_file_close(text_file *t) {
    if (t->f) fclose(t->f);
    free(t->buf);
    *t = (text_file){0};
}
