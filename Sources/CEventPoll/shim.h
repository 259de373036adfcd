// The kernel's readiness interfaces, which Swift's Glibc module does not export:
// epoll and eventfd on Linux, kqueue on the BSDs and Darwin.
#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#else
#include <sys/event.h>
#endif
