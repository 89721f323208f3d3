/* Text files the CLI reads line by line (manifests, word lists, text for
 * lm-ppl): FIFOs and devices are refused without blocking, and a line
 * has a length limit, so no file can make the command wait forever or
 * take memory without bound. */
#ifndef ASR_TEXT_FILE_H
#define ASR_TEXT_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Longer lines are refused (a binary file read as text, or no newlines). */
#define TEXT_MAX_LINE (1 << 20)

typedef struct {
    FILE *f;
    const char *path;
    const char *who; /* "asr eval", for messages */
    char *buf;
    size_t cap;
    unsigned long line; /* the number of the line last read */
} text_file;

/* Opens path; 0 after printing "WHO: PATH: problem". */
int text_file_open(text_file *t, const char *path, const char *who);
/* The next line without its line end ("\n" or "\r\n") in *line, owned by
 * t until the next call: 1; 0 at the end of the file; -1 after printing
 * an error naming the file and line (too long, read error). */
int text_file_next(text_file *t, char **line);
void text_file_close(text_file *t);

#endif
