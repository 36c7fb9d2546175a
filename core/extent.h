/*
 * extent.h — page runs inside chunks.
 *
 * A chunk is CHUNK_BYTES of address space, CHUNK_BYTES-aligned, reserved
 * from the backend for one arena.  Its metadata lives out of band: four
 * page bitmaps say, for every page, whether it is allocated (part of a slab
 * or large run), and for a free page whether it is dirty (holds RSS and
 * stale data), muzzy (lazily purged) or not known to read as zero.  Free
 * runs coalesce implicitly: a free run is just a stretch of clear bits.
 *
 * A run descriptor (run_t) describes one allocated run: a slab, a large
 * allocation, or a huge allocation with its own mapping (chunk == NULL).
 *
 * An extents_t is one arena's set of chunks.  All functions taking one
 * expect its lock held, except where said.  Chunks are bucketed by their
 * longest free run (powers of two); a run goes into the chunk with the
 * fewest free pages among the lowest bucket that can hold it, so nearly
 * empty chunks drain and can be returned whole (and hugepages stay
 * dense), without scanning every chunk.
 */
#ifndef STRATA_EXTENT_H
#define STRATA_EXTENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "sync.h"
#include "util.h"

#define LG_CHUNK_BYTES 21u
#define CHUNK_BYTES ((size_t)1 << LG_CHUNK_BYTES)
/* Pages in a chunk at the smallest page size the core accepts (4 KiB). */
#define CHUNK_MAP_WORDS (CHUNK_BYTES / 4096 / 64)

enum run_kind { RUN_SLAB = 1, RUN_LARGE = 2, RUN_HUGE = 3 };

struct arena;
struct chunk;

typedef struct run {
	char *addr;
	size_t bytes;
	struct arena *arena;
	struct chunk *chunk; /* NULL for huge */
	struct run *next, *prev;
	uint32_t ind; /* size class */
	uint8_t kind; /* enum run_kind */
	bool is_listed; /* slab: on its bin's non-full list */
	bool is_zeroed; /* cached huge mapping: purged, reads as zero */
	uint16_t nfree, nregs; /* slab only */
	backend_region_t region; /* huge only: the mapping's region id */
	uint64_t bitmap[]; /* slab only: 1 = region free */
} run_t;

typedef struct chunk {
	char *addr;
	backend_region_t region;     /* the reservation's region id */
	struct chunk *next, *prev;   /* all chunks of the arena */
	struct chunk *bnext, *bprev; /* chunks of the same fit bucket */
	unsigned bucket;             /* fit bucket of longest_free_pages */
	uint32_t npages, nfree_pages, longest_free_pages;
	uint32_t ndirty_pages, nmuzzy_pages;
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
	purge_stats_t purge;
} extents_t;

/* Pages counted against mem_limit_*: allocated, dirty and muzzy pages of
 * every arena (muzzy pages may still be resident until the OS reclaims
 * them). */
extern HIDDEN atomic_size_t extents_charged_pages;

HIDDEN void extents_init(extents_t *ex, const backend_placement_t *placement);

/* npages free pages aligned to align_pages (a power of two, <= a chunk's
 * pages), from the best-fitting chunk or a new one.  *is_zeroed tells
 * whether every page reads as zero.  NULL when the backend has no memory. */
HIDDEN void *extents_alloc(extents_t *ex, size_t npages, size_t align_pages,
                           chunk_t **chunk_out, bool *is_zeroed);
/* Return a run; its pages become dirty (decay purges them later). */
HIDDEN void extents_free(extents_t *ex, chunk_t *chunk, void *addr,
                         size_t npages);
/* Try to grow a run in place by extra_pages; true on success. */
HIDDEN bool extents_grow(extents_t *ex, chunk_t *chunk, void *addr,
                         size_t npages, size_t extra_pages);
/* Purge up to npages pages: dirty ones lazily (they become muzzy) or,
 * with from_muzzy, muzzy ones eagerly (they release RSS now).  Entirely
 * free chunks go first, purged whole; a hugepage-backed chunk that is
 * mostly live is left alone unless split_hugepages.  A chunk left free
 * and clean is unmapped unless retain.  Returns the pages purged. */
HIDDEN size_t extents_purge(extents_t *ex, size_t npages, bool from_muzzy,
                            bool split_hugepages, bool retain);
/* Bytes of free, purged address space kept for reuse. */
HIDDEN size_t extents_retained_bytes(const extents_t *ex);
/* Unmap every chunk (arena destroy). */
HIDDEN void extents_release_all(extents_t *ex);

HIDDEN size_t chunk_pages(void);

#endif
