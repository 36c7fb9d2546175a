/*
 * pagemap.c — the radix tree's root, leaf creation on first use, the
 * leaves held for moves (pagemap_hold_leaf), range updates and the fork
 * handlers of its lock.
 */
#include "pagemap.h"

#include <errno.h>

#include "sync.h"

_Atomic(pm_entry_t *) pagemap_root[PAGEMAP_ROOT_LEN];
MUTEX_GLOBAL(leaf_lock, "pagemap");

#define LEAF_LEN ((size_t)1 << PAGEMAP_LEAF_BITS)

/* Leaves set aside for holders (pagemap_hold_leaf): a leaf-sized
 * reservation each, linked through their first entry while spare.  Under
 * leaf_lock, nspare >= nheld. */
static pm_entry_t *spare_leaves;
static size_t nspare, nheld;

static pm_entry_t *leaf_reserve(void) {
	backend_placement_t placement = { .node = -1 };
	backend_region_t region; /* leaves are never unmapped */
	return pages_reserve(align_up(LEAF_LEN * sizeof(pm_entry_t), page_bytes),
	                     page_bytes, &placement, &region);
}

/* A spare leaf, zeroed for use; leaf_lock held, nspare > 0. */
static pm_entry_t *spare_take(void) {
	pm_entry_t *leaf = spare_leaves;
	spare_leaves = (pm_entry_t *)(uintptr_t)leaf[0];
	leaf[0] = 0;
	nspare--;
	return leaf;
}

/* The leaf of root slot `slot`, mapped on first use; NULL when no memory.
 * A holder (held: pagemap_set_held) falls back on a spare leaf, and then
 * *held is cleared: its hold is spent. */
static pm_entry_t *leaf_get(uintptr_t slot, bool *held) {
	pm_entry_t *leaf =
	    atomic_load_explicit(&pagemap_root[slot], memory_order_acquire);
	if (leaf != NULL)
		return leaf;
	mutex_lock(&leaf_lock);
	leaf = atomic_load_explicit(&pagemap_root[slot], memory_order_relaxed);
	if (leaf == NULL) {
		leaf = leaf_reserve();
		if (leaf == NULL && held != NULL && *held) {
			leaf = spare_take();
			nheld--;
			*held = false;
		}
		if (leaf != NULL)
			atomic_store_explicit(&pagemap_root[slot], leaf,
			                      memory_order_release);
	}
	mutex_unlock(&leaf_lock);
	return leaf;
}

int pagemap_hold_leaf(void) {
	mutex_lock(&leaf_lock);
	if (nspare == nheld) {
		pm_entry_t *leaf = leaf_reserve();
		if (leaf == NULL) {
			mutex_unlock(&leaf_lock);
			return ENOMEM;
		}
		leaf[0] = (pm_entry_t)(uintptr_t)spare_leaves;
		spare_leaves = leaf;
		nspare++;
	}
	nheld++;
	mutex_unlock(&leaf_lock);
	return 0;
}

void pagemap_release_leaf(void) {
	mutex_lock(&leaf_lock);
	nheld--;
	mutex_unlock(&leaf_lock);
}

static int pagemap_set_in(uintptr_t addr, size_t npages, pm_entry_t entry,
                          bool *held) {
	uintptr_t first = addr >> PAGEMAP_LG_UNIT;
	uintptr_t last = first + (npages << (lg_page - PAGEMAP_LG_UNIT)) - 1;
	if ((last >> PAGEMAP_LEAF_BITS) >= PAGEMAP_ROOT_LEN)
		return ENOMEM;
	/* Map every leaf first, so that a failure changes nothing. */
	for (uintptr_t s = first >> PAGEMAP_LEAF_BITS;
	     s <= last >> PAGEMAP_LEAF_BITS; s++)
		if (leaf_get(s, held) == NULL)
			return ENOMEM;
	for (uintptr_t key = first; key <= last; key++) {
		pm_entry_t *leaf = atomic_load_explicit(
		    &pagemap_root[key >> PAGEMAP_LEAF_BITS], memory_order_relaxed);
		__atomic_store_n(&leaf[key & (LEAF_LEN - 1)], entry,
		                 __ATOMIC_RELEASE);
	}
	return 0;
}

int pagemap_set(uintptr_t addr, size_t npages, pm_entry_t entry) {
	return pagemap_set_in(addr, npages, entry, NULL);
}

int pagemap_set_held(uintptr_t addr, pm_entry_t entry) {
	bool held = true;
	int err = pagemap_set_in(addr, 1, entry, &held);
	if (held)
		pagemap_release_leaf();
	return err;
}

void pagemap_prefork(void) { mutex_prefork(&leaf_lock); }
void pagemap_postfork_parent(void) { mutex_postfork_parent(&leaf_lock); }
void pagemap_postfork_child(void) { mutex_postfork_child(&leaf_lock); }
