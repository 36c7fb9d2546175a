/*
 * extent.h — page runs inside chunks, huge mappings, and the purge pass.
 *
 * The one place that takes memory from the pages layer (chunks and huge
 * mappings) and charges the memory limit for it.
 * A chunk is CHUNK_BYTES of address space, CHUNK_BYTES-aligned, reserved
 * from the backend for one arena.  Its metadata lives out of band: four
 * page bitmaps say, for every page, whether it is allocated (part of a slab
 * or large run), and for a free page whether it is dirty (holds RSS and
 * stale data), muzzy (lazily purged) or not known to read as zero.  Free
 * runs coalesce implicitly: a free run is just a stretch of clear bits.
 *
 * A run descriptor (run_t) describes one allocated run: a slab (slab.h
 * extends it with the region bitmap), a large allocation, or a huge
 * allocation with its own mapping (chunk == NULL).  Descriptors of large
 * and huge runs are recycled through the extents' spare list.
 *
 * An extents_t is one arena's set of chunks.  All functions taking one
 * expect its lock held, except where said.  Chunks are bucketed by their
 * longest free run (powers of two); a run goes into the chunk with the
 * fewest free pages among the lowest bucket that can hold it, so nearly
 * empty chunks drain and can be returned whole (and hugepages stay
 * dense), without scanning every chunk.
 *
 * Huge runs (beyond a chunk) are one reservation each.  Freed ones wait
 * in a cache (at most EXTENT_HUGE_CACHE_MAX) so that a program cycling
 * through big buffers does not pay mmap, page faults and munmap each
 * time; those of oversize_threshold bytes or more are purged eagerly when
 * freed (they keep their address space but no RSS), the others stay
 * dirty within EXTENT_HUGE_DIRTY_SHARE until the purge pass purges them,
 * oldest first (with retain they stay cached, clean; else unmapped).  A
 * cached mapping serves a request of its size down to half of it; with
 * no such mapping, a backend that can remap grows the longest shorter
 * dirty one, whose pages stay resident (extents_huge_take_refit).
 *
 * The purge pass (extents_decay) asks the purge layer (purge.h) how much
 * is due and purges it; it is never run with a bin lock held.
 */
#ifndef STRATA_EXTENT_H
#define STRATA_EXTENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "base.h"
#include "list.h"
#include "pagemap.h"
#include "purge.h"
#include "sync.h"
#include "util.h"

#define LG_CHUNK_BYTES 21u
#define CHUNK_BYTES ((size_t)1 << LG_CHUNK_BYTES)
/* Pages in a chunk at the smallest page size the core accepts (4 KiB). */
#define CHUNK_MAP_WORDS (CHUNK_BYTES / 4096 / 64)

enum run_kind { RUN_SLAB = 1, RUN_LARGE = 2, RUN_HUGE = 3 };

struct arena;
struct chunk;

/* A descriptor is cache-line aligned (pagemap.h), and the fields free's
 * fast path reads come first, so that a free touches one line of it
 * besides its live byte: the address, the class, and a slab's region
 * size, size range and reciprocal (slab.h), which sit here rather than
 * in slab_t because slab_t's own fields start past run_t's 64 bytes. */
typedef struct run {
	char *addr;
	uint64_t div_m64; /* slabs: ceil(2^64 / region size) (slab.h) */
	uint32_t ind; /* size class */
	uint8_t kind; /* enum run_kind */
	bool is_zeroed; /* cached huge mapping: purged, reads as zero */
	uint8_t live; /* large/huge: 1 while the application holds it (api.c) */
	/* Slabs: the class's size and the sizes that make it (size_min ..
	 * size_min + size_span: slab_size_matches). */
	uint16_t region_size, size_min, size_span;
	backend_region_t region; /* huge only: the mapping's region id */
	struct arena *arena;
	size_t bytes;
	struct chunk *chunk; /* NULL for huge */
	struct run *next, *prev;
} run_t;
_Static_assert(offsetof(run_t, size_span) + sizeof(uint16_t) <= 64,
               "free's fields in a descriptor's first cache line");

/* The size class of a pagemap entry's block (pagemap.h: entries carry the
 * descriptor, the class is its); e must be a real entry (pm_is_entry). */
static inline unsigned pm_ind(pm_entry_t e) {
	return ((const run_t *)pm_desc(e))->ind;
}

/* A live byte (run_t.live, slab_t.live[]) of a block held and sampled by
 * the heap profiler: free's tests for 1 send it to free_slow, which tells
 * the profiler.  The block stays where it is and is cached as any other
 * once freed; a large one is never resized in place (api.c). */
#define LIVE_SAMPLED 2

/* Lists of run descriptors (next/prev). */
static inline void run_list_push(run_t **head, run_t *r) {
	LIST_PUSH(head, r, next, prev);
}
static inline void run_list_remove(run_t **head, run_t *r) {
	LIST_REMOVE(head, r, next, prev);
}
static inline run_t *run_list_pop(run_t **head) {
	run_t *r = *head;
	if (r != NULL)
		run_list_remove(head, r);
	return r;
}

typedef struct chunk {
	char *addr;
	backend_region_t region;     /* the reservation's region id */
	struct chunk *next, *prev;   /* all chunks of the arena */
	struct chunk *bnext, *bprev; /* chunks of the same fit bucket */
	unsigned bucket;             /* fit bucket of longest_free_pages */
	uint32_t npages, nfree_pages, longest_free_pages;
	uint32_t ndirty_pages, nmuzzy_pages;
	bool large_kept;             /* emptied by a large free, dirty: left
	                              * to decay (EXTENT_LARGE_CHUNKS_KEPT) */
	uint64_t alloc_map[CHUNK_MAP_WORDS];
	uint64_t dirty_map[CHUNK_MAP_WORDS];
	uint64_t muzzy_map[CHUNK_MAP_WORDS];
	uint64_t unzeroed_map[CHUNK_MAP_WORDS];
} chunk_t;

typedef struct purge_stats {
	uint64_t lazy_calls, eager_calls;   /* backend purge operations */
	uint64_t lazy_pages, eager_pages;   /* pages they covered */
	uint64_t chunks_unmapped;
	uint64_t hugepages_split;           /* partial purges of a hugepage */
	uint64_t chunks_adopted; /* entirely free chunks of another arena */
} purge_stats_t;

/* Fit buckets: chunks whose longest free run is 0, 1, 2-3, 4-7, ... pages;
 * enough for the most pages a chunk can have (512 at 4 KiB pages). */
#define EXTENT_NBUCKETS 11u

typedef struct extents {
	mutex_t lock;
	backend_placement_t placement;
	chunk_t *chunks;      /* every chunk of the arena */
	chunk_t *buckets[EXTENT_NBUCKETS]; /* by longest free run */
	chunk_t *spare_descs; /* recycled chunk descriptors */
	size_t nchunks;
	size_t active_pages; /* allocated pages */
	size_t dirty_pages, muzzy_pages;
	purge_stats_t purge_stats;
	purge_t purge;        /* decay state of this arena */
	run_t *huge_runs;     /* live huge runs */
	run_t *huge_cache;    /* freed huge mappings kept for reuse */
	size_t huge_cached_bytes, huge_cached_dirty_bytes;
	unsigned huge_cached_count;
	size_t huge_live_bytes; /* mapped bytes of live huge runs */
	/* The most huge_live_bytes lately, the base of the dirty budget
	 * (extents_huge_dirty_budget): halved, down to the live bytes, each
	 * EXTENT_BOOST_FADE_NS, so a dip in the live bytes between two
	 * bursts does not purge what the next burst reuses. */
	size_t huge_live_peak;
	uint64_t huge_peak_faded_ns;
	/* Chunks left entirely free with dirty pages: exact after each
	 * purge_free_chunks, an upper bound in between (a chunk reused
	 * since is still counted).  Read without the lock by
	 * extents_dirtied. */
	atomic_size_t free_dirty_chunks;
	run_t *spare_run_descs; /* recycled large and huge descriptors */
	unsigned large_kept_chunks; /* chunks with large_kept set */
	/* Free chunks kept on top of EXTENT_FREE_CHUNKS_KEPT because the
	 * arena took a whole free chunk again (a new one, or a retained
	 * one) after purge_free_chunks had purged some: a pattern that
	 * churns chunks would otherwise purge and fault them back without
	 * end.  Halved after each EXTENT_BOOST_FADE_NS with no retake. */
	size_t free_chunks_boost;
	size_t free_chunks_purged; /* purged whole, not yet taken again */
	size_t free_chunk_retakes; /* since boost_checked_ns */
	uint64_t boost_checked_ns;
	/* The free chunks purge_free_chunks last kept at most: below it,
	 * extents_dirtied takes no lock (read without it). */
	atomic_size_t free_chunks_keep;
	/* Set by extents_share: an automatic arena's, listed (share_next,
	 * never unlinked) with the others whose entirely free chunks it may
	 * take before reserving a new one (chunk_adopt in extent.c). */
	bool is_shared;
	struct extents *share_next;
} extents_t;

#define EXTENT_HUGE_CACHE_MAX 16u
/* Dirty bytes the huge cache keeps resident: a share of the most live
 * huge bytes lately (huge_live_peak), at least the floor; the oldest
 * beyond it are purged eagerly when a mapping is freed (they stay
 * cached, without RSS). */
#define EXTENT_HUGE_DIRTY_SHARE 4u
#define EXTENT_HUGE_DIRTY_MIN ((size_t)64 << 20)

/* Flags of extents_purge. */
enum {
	EXTENT_PURGE_MUZZY = 1,  /* purge muzzy pages eagerly (else dirty
	                          * ones lazily) */
	EXTENT_PURGE_SPLIT = 2,  /* also split mostly live hugepages */
	EXTENT_PURGE_RETAIN = 4, /* keep chunks left free and clean mapped */
	EXTENT_PURGE_EAGER = 8,  /* dirty pages eagerly, with no muzzy
	                          * stage (muzzy_decay_ms 0) */
};

/* Entirely free chunks an arena keeps dirty for reuse beyond decay's
 * say, on top of one per eight chunks' worth of allocated pages and of
 * the chunks it has shown to reuse (free_chunks_boost); more are purged
 * eagerly, whole, right after the free that emptied them. */
#define EXTENT_FREE_CHUNKS_KEPT 2u
/* How long the chunks kept for churn (free_chunks_boost) outlive it. */
#define EXTENT_BOOST_FADE_NS ((uint64_t)1000000000)
/* Entirely free chunks emptied by the free of a large run that stay
 * dirty for the next large runs, outside the count above: decay alone
 * purges them (64 MiB of chunks at most per arena); one emptied past
 * them falls under the rule above. */
#define EXTENT_LARGE_CHUNKS_KEPT 32u

HIDDEN void extents_init(extents_t *ex, const backend_placement_t *placement);
/* Settings and counters of a fresh arena (destroy recycles extents). */
HIDDEN void extents_reset(extents_t *ex, const backend_placement_t *placement,
                          long dirty_decay_ms, long muzzy_decay_ms);
/* Lists ex among the extents that lend each other entirely free chunks:
 * those of automatic arenas, which live as long as the process (a chunk
 * goes only to one of the same placement).  Once per extents. */
HIDDEN void extents_share(extents_t *ex);

/* npages free pages aligned to align_pages (a power of two, <= a chunk's
 * pages), from the best-fitting chunk or a new one.  *is_zeroed tells
 * whether every page reads as zero.  NULL when the backend has no memory. */
HIDDEN void *extents_alloc(extents_t *ex, size_t npages, size_t align_pages,
                           chunk_t **chunk_out, bool *is_zeroed);
/* Return a run; its pages become dirty (decay purges them later). */
HIDDEN void extents_free(extents_t *ex, chunk_t *chunk, void *addr,
                         size_t npages);
/* extents_free for a large run: a chunk it leaves entirely free stays
 * dirty for reuse, aging out with decay, while fewer than
 * EXTENT_LARGE_CHUNKS_KEPT are so kept. */
HIDDEN void extents_free_large(extents_t *ex, chunk_t *chunk, void *addr,
                               size_t npages);
/* Try to grow a run in place by extra_pages; true on success. */
HIDDEN bool extents_grow(extents_t *ex, chunk_t *chunk, void *addr,
                         size_t npages, size_t extra_pages);
/* Purge up to npages pages: dirty ones lazily (they become muzzy) or,
 * with EXTENT_PURGE_MUZZY, muzzy ones eagerly (they release RSS now).
 * Entirely free chunks go first, purged whole; a hugepage-backed chunk
 * that is mostly live is left alone unless EXTENT_PURGE_SPLIT.  A chunk
 * left free and clean is unmapped unless EXTENT_PURGE_RETAIN.  Returns
 * the pages purged. */
HIDDEN size_t extents_purge(extents_t *ex, size_t npages, unsigned flags);
/* Bytes of free, purged address space kept for reuse (chunks and cached
 * huge mappings). */
HIDDEN size_t extents_retained_bytes(const extents_t *ex);
/* Dirty pages in chunks plus cached huge mappings. */
HIDDEN size_t extents_dirty_pages(const extents_t *ex);
/* Unmap every chunk and every huge mapping, live or cached, and clear
 * their pagemap entries (arena destroy). */
HIDDEN void extents_release_all(extents_t *ex);
/* Lock held.  Unmap the address space kept for reuse that holds no
 * memory: every cached huge mapping and every chunk entirely free and
 * purged, as before a reservation is retried after the backend refused
 * one (an address-space limit) or the memory limit refused a charge. */
HIDDEN void extents_release_retained(extents_t *ex);

/* A descriptor for a large or huge run; NULL without memory. */
static inline run_t *extents_run_desc(extents_t *ex) {
	run_t *run = run_list_pop(&ex->spare_run_descs);
	return run != NULL ? run : base_alloc(sizeof(run_t), CACHELINE_BYTES);
}
static inline void extents_run_desc_put(extents_t *ex, run_t *run) {
	run_list_push(&ex->spare_run_descs, run);
}

/* ---- huge mappings ---- */

/* A cached mapping of at least usize bytes (at most twice), aligned to
 * align, zeroed if zero; NULL if none fits.  Charged again when it was
 * purged. */
HIDDEN run_t *extents_huge_take_cached(extents_t *ex, size_t usize,
                                       size_t align, bool zero);
/* No cached mapping fits usize: the longest dirty one shorter than
 * usize, unlinked for the caller to grow with extents_huge_remap, so a
 * block of a size the cache lacks faults only the pages it adds; NULL
 * when the backend cannot remap or no cached mapping is dirty and
 * shorter. */
HIDDEN run_t *extents_huge_take_refit(extents_t *ex, size_t usize);
/* A fresh reservation of usize bytes aligned to align, charged to the
 * memory limit; reads as zero.  Lock not held.  NULL without memory. */
HIDDEN void *extents_huge_map(extents_t *ex, size_t usize, size_t align,
                              backend_region_t *region);
/* Undo extents_huge_map (lock not held). */
HIDDEN void extents_huge_unmap(extents_t *ex, void *addr, size_t usize,
                               backend_region_t region);
static inline void extents_huge_live_peak(extents_t *ex) {
	if (ex->huge_live_bytes > ex->huge_live_peak)
		ex->huge_live_peak = ex->huge_live_bytes;
}
/* Count run as live (its mapping came from one of the two above). */
static inline void extents_huge_live(extents_t *ex, run_t *run) {
	ex->huge_live_bytes += run->bytes;
	extents_huge_live_peak(ex);
	run_list_push(&ex->huge_runs, run);
}
/* Lock not held.  The live run's mapping resized to usize bytes aligned
 * to align by the backend's remap, without copying, and charged or
 * uncharged for the difference; *addr: where it is now.  False when the
 * backend has no remap or refuses, or the memory limit refuses the
 * growth: nothing changed then.  The run itself is left as it was. */
HIDDEN bool extents_huge_remap(extents_t *ex, const run_t *run, size_t usize,
                               size_t align, char **addr);
/* Lock held: the live run is now addr + usize bytes (extents_huge_remap). */
static inline void extents_huge_resized(extents_t *ex, run_t *run, char *addr,
                                        size_t usize) {
	ex->huge_live_bytes += usize;
	ex->huge_live_bytes -= run->bytes;
	extents_huge_live_peak(ex);
	run->addr = addr;
	run->bytes = usize;
}
/* Lock not held, before extents_huge_free: give back the RSS of a freed
 * mapping of oversize_threshold bytes or more.  True when it now reads
 * as zero. */
HIDDEN bool extents_huge_drop_rss(const run_t *run);
/* A live run freed (is_zeroed from extents_huge_drop_rss): into the
 * cache, evicting the oldest past the bound. */
HIDDEN void extents_huge_free(extents_t *ex, run_t *run, bool is_zeroed);
/* Dirty bytes the cache may keep resident (EXTENT_HUGE_DIRTY_SHARE). */
HIDDEN size_t extents_huge_dirty_budget(const extents_t *ex);
/* A run taken from the cache but not used goes back as it was. */
HIDDEN void extents_huge_put_back(extents_t *ex, run_t *run);

/* ---- the purge pass ---- */

/* Purge what the decay curves say is due (everything with is_forced):
 * cached huge mappings first, then chunk pages.  Takes the lock. */
HIDDEN void extents_decay(extents_t *ex, bool is_forced);
/* The earliest time extents_decay could purge something (takes the
 * lock); DECAY_NEVER if none. */
HIDDEN uint64_t extents_decay_deadline(extents_t *ex);
/* 0 or EINVAL; -1 disables, 0 purges at once.  Takes the lock and wakes
 * the purger. */
HIDDEN int extents_set_decay_ms(extents_t *ex, purge_state_t s, long ms);
/* After pages became dirty (lock not held, nor any bin lock): purge now
 * when the dirty curve is 0 ms, else purge the entirely free chunks
 * beyond those kept (EXTENT_FREE_CHUNKS_KEPT), arm the deadline and tell
 * the purger. */
HIDDEN void extents_dirtied(extents_t *ex);

HIDDEN size_t chunk_pages(void);

#endif
