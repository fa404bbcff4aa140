#ifndef C_HEAP_IN_USE_H
#define C_HEAP_IN_USE_H

#include <stddef.h>

/// Bytes of heap in use in this process: glibc's mallinfo2, the arenas' allocated chunks plus
/// the mmapped ones (Swift's Glibc module does not include malloc.h). 0 where there is none.
size_t heap_in_use(void);

#endif
