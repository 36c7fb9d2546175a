/*
 * pagemap.h — address -> run descriptor, for free() and sallocx().
 *
 * A two-level radix tree keyed by page number (address >> lg_page, tag
 * bits stripped first).  The root is a static array; a leaf covers 2^18
 * pages and is mapped on first use.  free() finds its metadata in two
 * dependent loads: root slot, then leaf entry.  An entry packs
 *   bits 0..47  the run descriptor's address: every descriptor comes from
 *               base_alloc(..., CACHELINE_BYTES), so it is 64-byte
 *               aligned and its bits 0..5 are free for flags,
 *   bit 0       PM_FAST: a slab of an automatic arena, so free may push
 *               the block on the thread cache with no other test,
 *   bit 1       PM_SLAB: the run is a slab of small regions,
 *   bit 2       PM_NO_TCACHE: the run belongs to a manual arena, whose
 *               memory never sits in a thread cache,
 *   bits 3..5   free (PM_FREE_MASK): bit 3 is kept for the heap
 *               profiler's sampled-run mark; 4 and 5 are free,
 *   bits 48..63 the size class index.
 * Every page of a slab is registered (a pointer anywhere in it finds it);
 * only the first page of a large or huge run is (free takes the start).
 * 0 means "not strata's"; PM_FREED (no descriptor) marks the first page
 * of a large or huge run that was freed, so a second free of it reads as
 * a double free; any real entry is >= PM_DESC_ALIGN (pm_is_entry).  Writers hold their arena's lock; readers take
 * no lock.
 */
#ifndef STRATA_PAGEMAP_H
#define STRATA_PAGEMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pages.h"
#include "tag.h"
#include "util.h"

#define PAGEMAP_ADDR_BITS 48u
#define PAGEMAP_LEAF_BITS 18u
/* Enough root slots for the smallest page size (4 KiB). */
#define PAGEMAP_ROOT_LEN ((size_t)1 << (PAGEMAP_ADDR_BITS - 12 - PAGEMAP_LEAF_BITS))

#define PM_FAST ((uint64_t)1)
#define PM_SLAB ((uint64_t)2)
#define PM_NO_TCACHE ((uint64_t)4)
#define PM_FLAG_MASK ((uint64_t)7)
/* Bit 3: a small block the heap profiler sampled, served from a run of its
 * own in a build without live-byte tests on the free fast path
 * (STRATA_DETECT 0; never PM_FAST, so free takes its slow path, which
 * tells the profiler).  Other builds mark a sampled block in its live
 * byte instead (LIVE_SAMPLED, extent.h). */
#define PM_SAMPLED ((uint64_t)8)
#define PM_FREE_MASK ((uint64_t)0x38)
/* Descriptors are cache-line aligned, which leaves bits 0..5 clear. */
#define PM_DESC_ALIGN CACHELINE_BYTES
_Static_assert(PM_DESC_ALIGN >= 64, "pagemap flags need 6 clear bits");
#define PM_IND_SHIFT 48u
#define PM_FREED ((uint64_t)0x10)

typedef uint64_t pm_entry_t;

extern HIDDEN _Atomic(pm_entry_t *) pagemap_root[PAGEMAP_ROOT_LEN];

/* The entry of addr's page; 0 when strata does not own it.  Callers pass
 * untagged addresses (api.c strips); the tag is stripped here again as a
 * guard, for free in builds without tags. */
static ALWAYS_INLINE pm_entry_t pagemap_lookup(uintptr_t addr) {
	uintptr_t key = tag_strip((const void *)addr) >> lg_page;
	uintptr_t slot = key >> PAGEMAP_LEAF_BITS;
	if (unlikely(slot >= PAGEMAP_ROOT_LEN))
		return 0;
	pm_entry_t *leaf =
	    atomic_load_explicit(&pagemap_root[slot], memory_order_acquire);
	if (unlikely(leaf == NULL))
		return 0;
	return __atomic_load_n(&leaf[key & (((uintptr_t)1 << PAGEMAP_LEAF_BITS) - 1)],
	                       __ATOMIC_RELAXED);
}

static inline void *pm_desc(pm_entry_t e) {
	return (void *)(uintptr_t)((e & (((uint64_t)1 << PM_IND_SHIFT) - 1)) &
	                           ~(PM_FLAG_MASK | PM_FREE_MASK));
}
static inline bool pm_is_entry(pm_entry_t e) { return e >= PM_DESC_ALIGN; }
static inline unsigned pm_ind(pm_entry_t e) {
	return (unsigned)(e >> PM_IND_SHIFT);
}
static inline pm_entry_t pm_make(const void *desc, unsigned ind,
                                 uint64_t flags) {
	return (uint64_t)(uintptr_t)desc | ((uint64_t)ind << PM_IND_SHIFT) |
	       flags;
}

/* Set (or, with entry 0, clear) npages entries from addr.  ENOMEM when a
 * leaf could not be mapped; nothing is changed then. */
HIDDEN int pagemap_set(uintptr_t addr, size_t npages, pm_entry_t entry);
HIDDEN void pagemap_prefork(void);
HIDDEN void pagemap_postfork_parent(void);
HIDDEN void pagemap_postfork_child(void);

#endif
