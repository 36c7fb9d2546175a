/*
 * pagemap.c — the radix tree's root, leaf creation on first use, range
 * updates and the fork handlers of its lock.
 */
#include "pagemap.h"

#include <errno.h>

#include "sync.h"

_Atomic(pm_entry_t *) pagemap_root[PAGEMAP_ROOT_LEN];
MUTEX_GLOBAL(leaf_lock, "pagemap");

#define LEAF_LEN ((size_t)1 << PAGEMAP_LEAF_BITS)

static pm_entry_t *leaf_get(uintptr_t slot) {
	pm_entry_t *leaf =
	    atomic_load_explicit(&pagemap_root[slot], memory_order_acquire);
	if (leaf != NULL)
		return leaf;
	mutex_lock(&leaf_lock);
	leaf = atomic_load_explicit(&pagemap_root[slot], memory_order_relaxed);
	if (leaf == NULL) {
		backend_placement_t placement = { .node = -1 };
		backend_region_t region; /* leaves are never unmapped */
		leaf = pages_reserve(align_up(LEAF_LEN * sizeof(pm_entry_t),
		                              page_bytes),
		                     page_bytes, &placement, &region);
		if (leaf != NULL)
			atomic_store_explicit(&pagemap_root[slot], leaf,
			                      memory_order_release);
	}
	mutex_unlock(&leaf_lock);
	return leaf;
}

int pagemap_set(uintptr_t addr, size_t npages, pm_entry_t entry) {
	uintptr_t first = addr >> PAGEMAP_LG_UNIT;
	uintptr_t last = first + (npages << (lg_page - PAGEMAP_LG_UNIT)) - 1;
	if ((last >> PAGEMAP_LEAF_BITS) >= PAGEMAP_ROOT_LEN)
		return ENOMEM;
	/* Map every leaf first, so that a failure changes nothing. */
	for (uintptr_t s = first >> PAGEMAP_LEAF_BITS;
	     s <= last >> PAGEMAP_LEAF_BITS; s++)
		if (leaf_get(s) == NULL)
			return ENOMEM;
	for (uintptr_t key = first; key <= last; key++) {
		pm_entry_t *leaf = atomic_load_explicit(
		    &pagemap_root[key >> PAGEMAP_LEAF_BITS], memory_order_relaxed);
		__atomic_store_n(&leaf[key & (LEAF_LEN - 1)], entry,
		                 __ATOMIC_RELEASE);
	}
	return 0;
}

void pagemap_prefork(void) { mutex_prefork(&leaf_lock); }
void pagemap_postfork_parent(void) { mutex_postfork_parent(&leaf_lock); }
void pagemap_postfork_child(void) { mutex_postfork_child(&leaf_lock); }
