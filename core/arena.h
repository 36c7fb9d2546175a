/*
 * arena.h — arenas: the arena table, one bin per small class, large and
 * huge runs with their statistics, manual arenas.
 *
 * An arena owns chunks and huge mappings (its extents_t) and serves three
 * kinds of request:
 *   small   regions of a slab, through the class's bin (slab.h, bin lock);
 *   large   a page run inside a chunk (extents lock);
 *   huge    beyond a chunk: a mapping of its own (extents lock).
 * Lock order: bin -> extents -> base/pagemap.  Purging: every function
 * here that frees pages runs the purge step (extents_dirtied) itself,
 * after releasing the bin lock; nothing below the arena starts one.
 * Automatic arenas (0 .. narenas_auto-1) are made on first use; manual
 * arenas come from strata_arena_create with their own placement and never
 * feed a tcache.
 */
#ifndef STRATA_ARENA_H
#define STRATA_ARENA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extent.h"
#include "sizeclass.h"
#include "slab.h"
#include "sync.h"
#include "util.h"

#define ARENAS_MAX 4096u
/* Highest index STRATA_MALLOCX_ARENA can name: ((4094 + 1) << 20) is the
 * largest that fits an int. */
#define MANUAL_ARENA_MAX 4094u

typedef struct large_stats {
	uint64_t nmalloc, ndalloc;
	size_t allocated_bytes;
	uint64_t huge_nmalloc, huge_ndalloc;
	size_t huge_allocated_bytes;
	uint64_t huge_nremap; /* huge runs resized by remapping */
	uint64_t huge_nrefit; /* cached mappings remapped to a new size */
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
	extents_t extents;  /* lock also covers large list and stats */
	run_t *large_runs;  /* live large runs */
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
/* Manual arena index: every block it holds is freed at once (pointers
 * into it dangle), the arena stays, with its placement and decay times;
 * threads bound to it stay bound.  EINVAL for an automatic or missing
 * arena. */
HIDDEN int arena_reset_manual(unsigned index);
/* The decay times arenas get when made from now on (ctl arenas.*_decay_ms):
 * opt's until set; set takes -1..CONF_DECAY_MS_MAX, else EINVAL. */
#define ARENA_DECAY_MS_OPT (-2L)
HIDDEN long arena_new_decay_ms(bool is_muzzy);
HIDDEN int arena_set_new_decay_ms(bool is_muzzy, long ms);
/* Arena i with one more thread counted on it, under the table lock, so a
 * concurrent destroy either sees the thread (EBUSY) or comes first (NULL
 * here).  Automatic arenas are created if missing. */
HIDDEN arena_t *arena_get_counted(unsigned i);
/* The automatic arena of a node with the fewest threads bound (lowest
 * index among equals), with one more thread counted on it; NULL without
 * memory.  With several NUMA nodes, automatic arena i has home node
 * i % node_count. */
HIDDEN arena_t *arena_choose_auto_counted(unsigned node);

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
/* A small block the heap profiler sampled, in a build whose free fast
 * path does not test live bytes (STRATA_DETECT 0; api.c): class ind
 * served as a large run of whole pages flagged PM_SAMPLED, whose pagemap
 * entry keeps the small class (freed by arena_dalloc_large).  NULL on
 * failure. */
HIDDEN void *arena_malloc_sampled_small(arena_t *a, unsigned ind, bool zero);
/* Grow or shrink a large run in place to class ind; true on success. */
HIDDEN bool arena_resize_large_in_place(run_t *run, unsigned ind);
/* Grow or shrink a huge run to huge class ind, aligned to align, by
 * remapping its pages (BACKEND_CAP_REMAP) instead of copying them: the
 * run's address afterwards, or NULL when the backend cannot (nothing
 * changed, the copy path follows).  A grown tail reads as zero. */
HIDDEN char *arena_resize_huge(run_t *run, unsigned ind, size_t align);

/* Purge what the decay curves say is due; with force_all, first give
 * back each bin's spare empty slab, then purge everything eligible.
 * Takes the bin locks in turn, then the extents lock (never both). */
HIDDEN void arena_decay(arena_t *a, bool force_all);
/* arena_decay(a, false) if its deadline has passed: one atomic load and a
 * clock read otherwise. */
HIDDEN void arena_decay_if_due(arena_t *a);
/* 0 or EINVAL; -1 disables, 0 purges at once. */
HIDDEN int arena_set_decay_ms(arena_t *a, bool is_muzzy, long ms);
HIDDEN long arena_decay_ms(const arena_t *a, bool is_muzzy);
/* Give back each bin's spare empty slab (before a forced purge). */
HIDDEN void arena_drop_empty_slabs(arena_t *a);
/* Purge every arena down to nothing eligible (mem_limit_soft, ctl). */
HIDDEN void arenas_purge_all(void);

/* Every arena that exists, in index order, as arena_t *a in the body
 * (`continue` skips to the next arena; do not `break` out of it). */
#define arenas_for_each(a)                                                  \
	for (unsigned arenas_i_ = 0, arenas_n_ = atomic_load(&narenas_total); \
	     arenas_i_ < arenas_n_; arenas_i_++)                               \
		for (arena_t *a = atomic_load(&arenas[arenas_i_]); a != NULL;  \
		     a = NULL)

HIDDEN void arenas_prefork(void);
HIDDEN void arenas_postfork_parent(void);
HIDDEN void arenas_postfork_child(void);

#endif
