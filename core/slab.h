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

typedef struct slab {
	run_t run;             /* kind RUN_SLAB; first, so run_t* casts */
	uint16_t nfree, nregs;
	uint64_t bitmap[];     /* 1 = region free */
} slab_t;

static inline slab_t *slab_of(run_t *run) { return (slab_t *)run; }

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
