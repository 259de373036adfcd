#include "cmalloc.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void cmalloc_use_server_policy(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_ARENA_MAX, 2);
#endif
}
