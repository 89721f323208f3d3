#include "file_open.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

const char *asr_file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return S_ISREG(mode) ? "a regular file" : "not a file";
}

int asr_open_regular(const char *path, struct stat *st) {
    if (!path) return asr_error(ASR_ERR_ARG, "file path is NULL"), -1;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return asr_error(ASR_ERR_IO, "%s: cannot open: %s", path, strerror(errno)), -1;
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        return asr_error(ASR_ERR_IO, "%s: cannot stat: %s", path, strerror(err)), -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return asr_error(ASR_ERR_IO, "%s: is %s, not a regular file", path,
                         asr_file_kind(st->st_mode)),
               -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}
