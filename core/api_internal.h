/*
 * api_internal.h — entry points that exist only for the drop-in symbols
 * (glibc's obsolete allocation functions), not part of strata.h.
 */
#ifndef STRATA_API_INTERNAL_H
#define STRATA_API_INTERNAL_H

#include <stddef.h>

#include "util.h"

HIDDEN void *strata_memalign(size_t align, size_t size);
HIDDEN void *strata_valloc(size_t size);
HIDDEN void *strata_pvalloc(size_t size);

/* Reports (and aborts) unless addr (untagged, pagemap entry e) is the
 * start of a block the application holds; what names the call. */
HIDDEN void api_check_live(const char *what, const void *addr, uint64_t e);

#endif
