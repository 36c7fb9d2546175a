/*
 * pagemap.h — address -> run descriptor, for free() and sallocx().
 *
 * A two-level radix tree keyed by 4 KiB unit (address >> PAGEMAP_LG_UNIT,
 * tag bits stripped first), whatever the OS page size: the shift is a
 * constant on the free path, and a 64 KiB page is 16 entries.  The root
 * is a static array; a leaf covers 2^18 units (1 GiB) and is mapped on
 * first use.  free() finds its metadata in two dependent loads: root
 * slot, then leaf entry.  An entry is the run descriptor's address plus
 * flags: every descriptor comes from base_alloc(..., CACHELINE_BYTES), so
 * it is 64-byte aligned and its bits 0..5 are free for
 *   bit 0       PM_FAST: a slab of an automatic arena, so free may push
 *               the block on the thread cache with no other test,
 *   bit 1       PM_SLAB: the run is a slab of small regions,
 *   bit 2       PM_NO_TCACHE: the run belongs to a manual arena, whose
 *               memory never sits in a thread cache,
 *   bits 3..5   free (PM_FREE_MASK): bit 3 is kept for the heap
 *               profiler's sampled-run mark; 4 and 5 are free.
 * The size class is the descriptor's (run_t.ind, pm_ind in extent.h), so
 * the entry of a fast slab is exactly desc + PM_FAST + PM_SLAB and free
 * reaches the descriptor's fields with no masking.
 * Every page of a slab is registered (a pointer anywhere in it finds it);
 * only the first page of a large or huge run is (free takes the start).
 * 0 means "not strata's"; PM_FREED (no descriptor) marks the first page
 * of a large or huge run that was freed, so a second free of it reads as
 * a double free; any real entry is >= PM_DESC_ALIGN (pm_is_entry).
 * Writers hold their arena's lock; readers take no lock.
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
#define PAGEMAP_LG_UNIT 12u /* the smallest page size strata runs on */
#define PAGEMAP_LEAF_BITS 18u
#define PAGEMAP_ROOT_LEN \
	((size_t)1 << (PAGEMAP_ADDR_BITS - PAGEMAP_LG_UNIT - PAGEMAP_LEAF_BITS))

#define PM_FAST ((uint64_t)1)
#define PM_SLAB ((uint64_t)2)
#define PM_NO_TCACHE ((uint64_t)4)
#define PM_FLAG_MASK ((uint64_t)7)
/* The flags of every PM_FAST entry (slab.c), and nothing else: free's
 * fast path reaches the descriptor as e - PM_FAST_FLAGS, which the
 * compiler folds into the field offsets. */
#define PM_FAST_FLAGS (PM_FAST | PM_SLAB)
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
#define PM_ENTRY_FLAGS (PM_FLAG_MASK | PM_FREE_MASK) /* bits 0..5 */
#define PM_FREED ((uint64_t)0x10)

typedef uint64_t pm_entry_t;

extern HIDDEN _Atomic(pm_entry_t *) pagemap_root[PAGEMAP_ROOT_LEN];

/* The entry of addr's page; 0 when strata does not own it.  Callers pass
 * untagged addresses (api.c strips); the tag is stripped here again as a
 * guard, for free in builds without tags. */
static ALWAYS_INLINE pm_entry_t pagemap_lookup(uintptr_t addr) {
	uintptr_t key = tag_strip((const void *)addr) >> PAGEMAP_LG_UNIT;
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
	return (void *)(uintptr_t)(e & ~PM_ENTRY_FLAGS);
}
/* The descriptor of an entry with PM_FAST set. */
static ALWAYS_INLINE void *pm_fast_desc(pm_entry_t e) {
	return (void *)(uintptr_t)(e - PM_FAST_FLAGS);
}
static inline bool pm_is_entry(pm_entry_t e) { return e >= PM_DESC_ALIGN; }
static inline pm_entry_t pm_make(const void *desc, uint64_t flags) {
	return (uint64_t)(uintptr_t)desc | flags;
}

/* Set (or, with entry 0, clear) the entries of npages OS pages from addr.
 * ENOMEM when a leaf could not be mapped; nothing is changed then. */
HIDDEN int pagemap_set(uintptr_t addr, size_t npages, pm_entry_t entry);
/* For a move that must register its new address once done, when failing
 * would be too late (a huge block remapped: arena.c): hold a leaf first
 * (ENOMEM when none can be had; nothing is held then), then set one
 * page's entry with pagemap_set_held, which cannot fail for want of a
 * leaf and ends the hold, or end it unused with pagemap_release_leaf. */
HIDDEN int pagemap_hold_leaf(void);
HIDDEN int pagemap_set_held(uintptr_t addr, pm_entry_t entry);
HIDDEN void pagemap_release_leaf(void);
HIDDEN void pagemap_prefork(void);
HIDDEN void pagemap_postfork_parent(void);
HIDDEN void pagemap_postfork_child(void);

#endif
