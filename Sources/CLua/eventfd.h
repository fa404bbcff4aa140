// The eventfd behind `desync.poll_fd()` (Glibc's Swift module does not import sys/eventfd.h).
#ifndef DESYNC_CLUA_EVENTFD_H
#define DESYNC_CLUA_EVENTFD_H

#include <sys/eventfd.h>

/// A non-blocking eventfd that is not inherited by programs the process runs; -1 and errno on failure.
static inline int desync_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
