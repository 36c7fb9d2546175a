/*
 * base.c — the metadata bump allocator: regions reserved from the pages
 * layer (metadata_thp decides their hugepage wish), carved in order,
 * never given back.
 */
#include "base.h"

#include <errno.h>

#include "conf.h"
#include "pages.h"
#include "sync.h"

#define BASE_REGION_BYTES ((size_t)2 << 20)

MUTEX_GLOBAL(base_lock, "base");
static char *base_cursor, *base_end;
static size_t base_mapped;

/* 0, or ENOMEM when the backend refuses a region. */
static int base_grow(size_t need) {
	size_t bytes = align_up(need > BASE_REGION_BYTES ? need
	                                                   : BASE_REGION_BYTES,
	                        page_bytes);
	backend_placement_t placement = {
		.node = -1,
		/* metadata_thp:auto, as jemalloc's: from the second region */
		.wants_hugepage = (opt.metadata_thp == METADATA_THP_ALWAYS ||
		                   (opt.metadata_thp == METADATA_THP_AUTO &&
		                    base_mapped != 0)) &&
		                  pages_has_cap(BACKEND_CAP_HUGEPAGE),
	};
	backend_region_t id; /* metadata is never unmapped */
	char *region = pages_reserve(bytes, page_bytes, &placement, &id);
	if (region == NULL)
		return ENOMEM;
	base_cursor = region;
	base_end = region + bytes;
	base_mapped += bytes;
	return 0;
}

void *base_alloc(size_t size, size_t align) {
	mutex_lock(&base_lock);
	char *p = base_cursor == NULL
	              ? NULL
	              : (char *)align_up(addr_of(base_cursor), align);
	if (p == NULL || p + size > base_end) {
		if (base_grow(size + align) != 0) {
			mutex_unlock(&base_lock);
			return NULL;
		}
		p = (char *)align_up(addr_of(base_cursor), align);
	}
	base_cursor = p + size;
	mutex_unlock(&base_lock);
	return p; /* fresh mappings read as zero and are never reused */
}

size_t base_mapped_bytes(void) { return base_mapped; }
void base_prefork(void) { mutex_prefork(&base_lock); }
void base_postfork_parent(void) { mutex_postfork_parent(&base_lock); }
void base_postfork_child(void) { mutex_postfork_child(&base_lock); }
