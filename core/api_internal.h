/*
 * api_internal.h — entry points that exist only for the drop-in symbols
 * (glibc's obsolete allocation functions), not part of strata.h.
 */
#ifndef STRATA_API_INTERNAL_H
#define STRATA_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

HIDDEN void *strata_memalign(size_t align, size_t size);
HIDDEN void *strata_valloc(size_t size);
HIDDEN void *strata_pvalloc(size_t size);

/* Reports (and aborts) unless addr (untagged, pagemap entry e) is the
 * start of a block the application holds; what names the call. */
HIDDEN void api_check_live(const char *what, const void *addr, uint64_t e);
/* arena_resize_large_in_place of the large block at ptr (the caller's
 * pointer, old_usize bytes) to class ind, its tags kept right (tag.h). */
struct run;
HIDDEN bool api_resize_large(void *ptr, struct run *run, size_t old_usize,
                             unsigned ind);

#endif
