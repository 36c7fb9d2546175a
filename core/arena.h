/*
 * arena.h — arenas: one bin per small class, large and huge runs, stats.
 *
 * An arena owns chunks (its extents_t) and serves three kinds of request:
 *   small   regions of a slab, through the class's bin (bin lock);
 *   large   a page run inside a chunk (extents lock);
 *   huge    beyond a chunk: a mapping of its own (extents lock for the list).
 * Lock order: bin -> extents -> base/pagemap.  Automatic arenas
 * (0 .. narenas_auto-1) are made on first use; manual arenas come from
 * strata_arena_create with their own placement and never feed a tcache.
 */
#ifndef STRATA_ARENA_H
#define STRATA_ARENA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decay.h"
#include "extent.h"
#include "sizeclass.h"
#include "sync.h"
#include "util.h"

#define ARENAS_MAX 4096u
/* Highest index STRATA_MALLOCX_ARENA can name: ((4094 + 1) << 20) is the
 * largest that fits an int. */
#define MANUAL_ARENA_MAX 4094u

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
	bin_stats_t stats;
} CACHE_ALIGNED bin_t;

typedef struct large_stats {
	uint64_t nmalloc, ndalloc;
	size_t allocated_bytes;
	uint64_t huge_nmalloc, huge_ndalloc;
	size_t huge_allocated_bytes;
} large_stats_t;

/* Per large (and huge) size class: class SC_NSMALL + j at index j. */
#define ARENA_NLEXTENTS 196u
typedef struct lextent_stats {
	uint64_t nmalloc, ndalloc;
	size_t curlextents;
} lextent_stats_t;

typedef struct arena {
	unsigned index;
	bool is_manual;
	long dirty_decay_ms, muzzy_decay_ms;
	extents_t extents;  /* lock also covers huge list, large stats, decay */
	decay_t decay_dirty, decay_muzzy;
	/* Earliest time decay could purge something (DECAY_NEVER: nothing
	 * waits); read without the lock to skip needless decay passes. */
	_Atomic uint64_t decay_due_ns;
	run_t *large_runs;  /* live large runs */
	run_t *huge_runs;   /* live huge runs */
	run_t *huge_cache;  /* freed huge mappings kept for reuse */
	size_t huge_cached_bytes, huge_cached_dirty_bytes;
	unsigned huge_cached_count;
	size_t huge_live_bytes; /* mapped bytes of live huge runs */
	run_t *spare_run_descs;
	large_stats_t large;
	lextent_stats_t lextents[ARENA_NLEXTENTS]; /* extents lock */
	atomic_uint nthreads;
	bin_t bins[SC_NSMALL];
} arena_t;

extern HIDDEN _Atomic(arena_t *) arenas[ARENAS_MAX];
extern HIDDEN unsigned narenas_auto;
extern HIDDEN atomic_uint narenas_total;

HIDDEN int arenas_boot(unsigned narenas);
/* Arena i, creating it if it is automatic and missing; NULL on failure. */
HIDDEN arena_t *arena_get(unsigned i);
/* 0 or errno (EAGAIN table full, ENOMEM).  The placement has passed
 * pages_placement_check; its pmem_dir, if any, lives as long as the arena. */
HIDDEN int arena_create_manual(const backend_placement_t *placement,
                               long dirty_decay_ms, long muzzy_decay_ms,
                               unsigned *index);
HIDDEN int arena_destroy(unsigned index);
/* Arena i with one more thread counted on it, under the table lock, so a
 * concurrent destroy either sees the thread (EBUSY) or comes first (NULL
 * here).  Automatic arenas are created if missing. */
HIDDEN arena_t *arena_get_counted(unsigned i);
/* Next automatic arena of a node, round-robin.  With several NUMA nodes,
 * automatic arena i has home node i % node_count. */
HIDDEN arena_t *arena_choose_auto(unsigned node);

/* Up to n regions of class ind into out[]; returns how many (0: OOM). */
HIDDEN unsigned arena_fill_small(arena_t *a, unsigned ind, void **out,
                                 unsigned n);
/* Return n regions of class ind whose runs belong to arena a's bin. */
HIDDEN void arena_dalloc_small_batch(arena_t *a, unsigned ind,
                                     void *const *ptrs, run_t *const *runs,
                                     unsigned n);
HIDDEN void *arena_malloc_small(arena_t *a, unsigned ind, bool zero);
HIDDEN void arena_dalloc_small(run_t *run, void *ptr);
/* Large or huge allocation of class ind aligned to align (>= page). */
HIDDEN void *arena_malloc_large(arena_t *a, unsigned ind, size_t align,
                                bool zero);
HIDDEN void arena_dalloc_large(run_t *run);
/* Grow or shrink a large run in place to class ind; true on success. */
HIDDEN bool arena_resize_large_in_place(run_t *run, unsigned ind);

/* Purge what the decay curves say is due (everything with force_all).
 * Takes the extents lock; never called with a bin lock held. */
HIDDEN void arena_decay(arena_t *a, bool force_all);
/* Earliest time arena_decay could purge something; DECAY_NEVER if none. */
HIDDEN uint64_t arena_decay_deadline(arena_t *a);
/* arena_decay(a, false) if its deadline has passed: one atomic load and a
 * clock read otherwise. */
HIDDEN void arena_decay_if_due(arena_t *a);
/* 0 or EINVAL; -1 disables, 0 purges at once. */
HIDDEN int arena_set_decay_ms(arena_t *a, bool is_muzzy, long ms);
/* Give back each bin's spare empty slab (before a forced purge). */
HIDDEN void arena_drop_empty_slabs(arena_t *a);
/* Purge every arena down to nothing eligible (mem_limit_soft, ctl). */
HIDDEN void arenas_purge_all(void);
/* Dirty pages in chunks plus cached huge mappings (extents lock held). */
HIDDEN size_t arena_dirty_pages(const arena_t *a);
/* After pages became dirty: purge now (decay 0) or tell the purger. */
HIDDEN void arena_after_free(arena_t *a);

HIDDEN void arenas_prefork(void);
HIDDEN void arenas_postfork_parent(void);
HIDDEN void arenas_postfork_child(void);

#endif
