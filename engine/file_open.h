/* Opening the files the library reads (models, LMs, dictionaries). */
#ifndef ASR_FILE_OPEN_H
#define ASR_FILE_OPEN_H

#include <sys/stat.h>

/* Opens path read-only without blocking (a FIFO with no writer would hang
 * a plain open) and checks that it is a regular file: a FIFO, device or
 * directory is refused with a message naming it. Returns the descriptor,
 * in blocking mode, with *st filled; or -1 with the error set. */
int asr_open_regular(const char *path, struct stat *st);

/* "a FIFO", "a directory", ... for messages. */
const char *asr_file_kind(mode_t mode);

#endif
