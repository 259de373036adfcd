#ifndef CMALLOC_H
#define CMALLOC_H
/* glibc malloc tuning for the server (see MemoryPolicy.swift); a no-op elsewhere. */
void cmalloc_use_server_policy(void);
#endif
