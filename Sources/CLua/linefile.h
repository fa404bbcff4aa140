// A FILE whose bytes go to a function: an object state's io.stdout (StateStandardOutput.swift).
// glibc's fopencookie and __fbufsize, which Glibc's Swift module does not import (fopencookie
// needs _GNU_SOURCE, which would have to be set before the first stdio.h of the module).
#ifndef DESYNC_CLUA_LINEFILE_H
#define DESYNC_CLUA_LINEFILE_H

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

/// Called with bytes written to the FILE (under its lock); returns how many it took.
typedef ssize_t (*desync_linefile_write)(void *cookie, const char *bytes, size_t size);
/// Called once, by fclose.
typedef int (*desync_linefile_close)(void *cookie);

#if defined(__GLIBC__)
#include <stdio_ext.h>

// glibc's cookie_io_functions_t, field for field, under a name of our own.
typedef struct {
    ssize_t (*read)(void *, char *, size_t);
    desync_linefile_write write;
    int (*seek)(void *, long long *, int);
    desync_linefile_close close;
} desync_linefile_functions;

FILE *desync_fopencookie(void *cookie, const char *mode, desync_linefile_functions functions)
    __asm__("fopencookie");

// Not seekable, as a terminal or a pipe is ("Illegal seek").
static inline int desync_linefile_seek(void *cookie, long long *offset, int whence) {
    (void)cookie; (void)offset; (void)whence;
    errno = ESPIPE;
    return -1;
}

/// A line-buffered FILE for writing whose bytes go to `write`; NULL (and errno) if it cannot be
/// made.
static inline FILE *desync_linefile_open(void *cookie, desync_linefile_write write, desync_linefile_close close) {
    desync_linefile_functions functions = { NULL, write, desync_linefile_seek, close };
    FILE *file = desync_fopencookie(cookie, "w", functions);
    if (file != NULL) setvbuf(file, NULL, _IOLBF, BUFSIZ);
    return file;
}

/// The size of `file`'s buffer (1 when unbuffered, 0 before its first write).
static inline size_t desync_linefile_buffer_size(FILE *file) { return __fbufsize(file); }

/// Bytes waiting in `file`'s buffer.
static inline size_t desync_linefile_pending(FILE *file) { return __fpending(file); }
#else
static inline FILE *desync_linefile_open(void *cookie, desync_linefile_write write, desync_linefile_close close) {
    (void)cookie; (void)write; (void)close;
    errno = ENOTSUP;
    return NULL;
}
static inline size_t desync_linefile_buffer_size(FILE *file) { (void)file; return 0; }
static inline size_t desync_linefile_pending(FILE *file) { (void)file; return 0; }
#endif

#endif
