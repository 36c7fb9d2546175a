/*
 * base.h — metadata memory: chunk and run descriptors, arenas, thread
 * caches.  Bump allocation from regions reserved through pages_; never
 * freed back to the OS (callers recycle their own objects), never inside
 * user memory, so a stray write through a user pointer cannot reach it.
 */
#ifndef STRATA_BASE_H
#define STRATA_BASE_H

#include <stddef.h>

#include "util.h"

/* Zeroed memory, aligned to align (a power of two <= page size); NULL when
 * the backend refuses memory. */
HIDDEN void *base_alloc(size_t size, size_t align);
/* Bytes reserved for metadata. */
HIDDEN size_t base_mapped_bytes(void);
HIDDEN void base_prefork(void);
HIDDEN void base_postfork_parent(void);
HIDDEN void base_postfork_child(void);

#endif
