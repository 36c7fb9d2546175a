/*
 * slab.h — bins and slabs: small regions out of slabs, with out-of-band
 * free bitmaps.
 *
 * A slab is a page run of one small class (a run_t extended with its
 * region bitmap); a bin is one arena's set of slabs of a class: its
 * current slab (no list), the slabs with a free region (nonfull), those
 * with none (full, kept for arena destroy) and one emptied slab kept as a
 * spare.  A bin knows its owner arena only as the pointer its runs carry
 * and the extents it takes pages from.  Every bin_* function takes and
 * releases the bin lock itself (lock order: bin -> extents) and never
 * starts a purge: the ones that give pages back return how many became
 * dirty, and the caller runs the purge step after the bin lock is
 * released (extents_dirtied).
 */
#ifndef STRATA_SLAB_H
#define STRATA_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extent.h"
#include "sizeclass.h"
#include "sync.h"
#include "util.h"

/* A region's live byte is 1 while the application holds it and 0 while
 * it is free (in the slab or in a thread cache): set by the pop that
 * hands it out (or by api.c for a block from the arena directly), tested
 * and cleared by every free and realloc before anything else happens.
 * A block the heap profiler sampled is held with LIVE_SAMPLED (extent.h):
 * the free fast path's test for 1 sends it to free_slow.
 * Bytes rather than bits: two threads freeing neighbouring regions store
 * to different bytes, with no atomic read-modify-write on the free path.
 * The array covers every region-sized step of the slab (slab_live_len),
 * so the index computed for any pointer into the slab, tail included, is
 * in range, and the steps past nregs are always 0. */
_Static_assert(SC_SMALL_MAX < UINT16_MAX, "small sizes fit in 16 bits");

typedef struct slab {
	run_t run;             /* kind RUN_SLAB; first, so run_t* casts */
	/* The class's size, size range and reciprocal are run.region_size,
	 * run.size_min, run.size_span and run.div_m64: in the descriptor's
	 * first line, beside the address free loads anyway (extent.h). */
	uint16_t nfree, nregs;
	uint64_t *bitmap;      /* 1 = region free; after live[] */
	uint8_t live[];        /* 1 = handed to the application */
} slab_t;

static inline slab_t *slab_of(run_t *run) { return (slab_t *)run; }

static inline size_t slab_live_len(unsigned ind) {
	return sc_slab[ind].slab_bytes / sc_small_size[ind] + 1;
}

/* Region index of off bytes into a slab of class ind (exact for region
 * starts; the caller compares idx * size with off). */
static ALWAYS_INLINE uint32_t slab_index_of(size_t off, unsigned ind) {
	return (uint32_t)(((uint64_t)off * sc_div_magic[ind]) >> 32);
}

/* Whether off bytes into slab is the start of a region, and which (*idx),
 * in one multiply (Lemire, Kaser and Kurz, "Faster remainder by direct
 * computation", 2019): with m = ceil(2^64 / size) and off < 2^32, off /
 * size is the high half of the 128-bit product off * m, and size divides
 * off exactly when its low half is below m. */
static ALWAYS_INLINE bool slab_region_at(const slab_t *slab, size_t off,
                                         size_t *idx) {
	unsigned __int128 prod = (unsigned __int128)off * slab->run.div_m64;
	*idx = (size_t)(prod >> 64);
	return (uint64_t)prod < slab->run.div_m64;
}

/* Whether size, a sized free's, names the slab's class: the one compare
 * that stands for sc_index(size) == the slab's class (sizes below
 * size_min wrap around to huge values). */
static ALWAYS_INLINE bool slab_size_matches(const slab_t *slab, size_t size) {
	return size - slab->run.size_min <= slab->run.size_span;
}

typedef struct bin_stats {
	uint64_t nmalloc, ndalloc; /* regions handed out / taken back */
	uint64_t nfills, nflushes; /* tcache batches */
	uint64_t nslabs_created;
	size_t curregs, curslabs;
} bin_stats_t;

typedef struct bin {
	mutex_t lock;
	run_t *cur;      /* slab regions are taken from first */
	run_t *nonfull;  /* other slabs with a free region */
	run_t *full;     /* slabs with none (kept for arena destroy) */
	run_t *empty;    /* one emptied slab kept to spare a create */
	run_t *spare_descs;
	struct arena *owner;  /* what the runs' arena field says */
	extents_t *extents;   /* where slab pages come from */
	uint64_t pm_flags;    /* pagemap flags of this bin's slabs */
	bin_stats_t stats;
} CACHE_ALIGNED bin_t;

/* Once per bin: its lock. */
HIDDEN void bin_init(bin_t *bin);
/* A fresh bin of owner (a manual arena's slabs never feed a tcache);
 * the lists are left as they are (empty, or emptied by bin_discard). */
HIDDEN void bin_reset(bin_t *bin, struct arena *owner, extents_t *extents,
                      bool is_manual);
/* Up to n regions of class ind into out[]; returns how many (0: OOM). */
HIDDEN unsigned bin_fill(bin_t *bin, unsigned ind, void **out, unsigned n);
/* Return n regions of the bin's class (runs[i] holds ptrs[i]); reports a
 * pointer that is not a region start or is already free.  Returns the
 * pages that became dirty (emptied slabs given back). */
HIDDEN size_t bin_dalloc_batch(bin_t *bin, void *const *ptrs,
                               run_t *const *runs, unsigned n);
/* Give back the spare empty slab; returns the pages that became dirty. */
HIDDEN size_t bin_drop_empty(bin_t *bin);
/* Arena destroy, bin and extents locks held: forget every slab (their
 * pages go with the chunks), clear their pagemap entries, zero stats. */
HIDDEN void bin_discard(bin_t *bin);

#endif
