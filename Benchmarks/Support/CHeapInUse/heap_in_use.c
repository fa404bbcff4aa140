#include "CHeapInUse.h"

// Any libc header defines __GLIBC__ on glibc (through features.h); stddef.h is the compiler's.
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>

size_t heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#else
size_t heap_in_use(void) {
    return 0;
}
#endif
