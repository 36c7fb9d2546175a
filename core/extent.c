/*
 * extent.c — chunk page maps: run placement, release, in-place growth.
 */
#include "extent.h"

#include <string.h>

#include "base.h"
#include "bitmap.h"
#include "conf.h"
#include "memlimit.h"
#include "pages.h"

atomic_size_t extents_charged_pages;

size_t chunk_pages(void) { return CHUNK_BYTES >> lg_page; }

static void charge(ptrdiff_t npages) {
	atomic_fetch_add_explicit(&extents_charged_pages, (size_t)npages,
	                          memory_order_relaxed);
}

void extents_init(extents_t *ex, const backend_placement_t *placement) {
	memset(ex, 0, sizeof(*ex));
	mutex_init(&ex->lock, "extents");
	ex->placement = *placement;
}

static void list_push(chunk_t **head, chunk_t *c) {
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void list_remove(chunk_t **head, chunk_t *c) {
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static unsigned bucket_of(size_t longest_pages) {
	return longest_pages == 0 ? 0 : lg_floor(longest_pages) + 1;
}

static void bucket_link(extents_t *ex, chunk_t *c) {
	c->bucket = bucket_of(c->longest_free_pages);
	chunk_t **head = &ex->buckets[c->bucket];
	c->bprev = NULL;
	c->bnext = *head;
	if (*head != NULL)
		(*head)->bprev = c;
	*head = c;
}

static void bucket_unlink(extents_t *ex, chunk_t *c) {
	if (c->bprev != NULL)
		c->bprev->bnext = c->bnext;
	else
		ex->buckets[c->bucket] = c->bnext;
	if (c->bnext != NULL)
		c->bnext->bprev = c->bprev;
	c->bnext = c->bprev = NULL;
}

static uint32_t longest_free_run(const chunk_t *c);

static void chunk_set_longest(extents_t *ex, chunk_t *c, size_t longest) {
	c->longest_free_pages = (uint32_t)longest;
	if (bucket_of(longest) != c->bucket) {
		bucket_unlink(ex, c);
		bucket_link(ex, c);
	}
}

/* The free run [*lo, *hi) around page i (alloc bits read as they are). */
static void free_run_around(const chunk_t *c, size_t i, size_t *lo,
                            size_t *hi) {
	*lo = bitmap_clear_run_start(c->alloc_map, i);
	*hi = bitmap_find(c->alloc_map, c->npages, i, true);
}
static uint32_t longest_free_run(const chunk_t *c) {
	size_t best = 0, i = 0;
	while (i < c->npages) {
		size_t start = bitmap_find(c->alloc_map, c->npages, i, false);
		if (start >= c->npages)
			break;
		size_t end = bitmap_find(c->alloc_map, c->npages, start, true);
		if (end - start > best)
			best = end - start;
		i = end;
	}
	return (uint32_t)best;
}

/* First free run of npages starting at a multiple of align_pages, or
 * npages_in_chunk when there is none. */
static size_t chunk_find_run(const chunk_t *c, size_t npages,
                             size_t align_pages) {
	size_t i = 0;
	while (i + npages <= c->npages) {
		size_t start = bitmap_find(c->alloc_map, c->npages, i, false);
		start = align_up(start, align_pages);
		if (start + npages > c->npages)
			break;
		size_t used = bitmap_find(c->alloc_map, c->npages, start, true);
		if (used >= start + npages)
			return start;
		i = used + 1;
	}
	return c->npages;
}

/* Under mem_limit_hard, a new chunk first costs this arena its purgeable
 * pages; if that is not enough, it is refused. */
static bool chunk_admitted(extents_t *ex) {
	if (!memlimit_would_exceed_hard(CHUNK_BYTES))
		return true;
	extents_purge(ex, ex->dirty_pages, false, true, true);
	extents_purge(ex, ex->muzzy_pages, true, true, true);
	return !memlimit_would_exceed_hard(CHUNK_BYTES);
}

static chunk_t *chunk_create(extents_t *ex) {
	if (!chunk_admitted(ex))
		return NULL;
	chunk_t *c = ex->spare_descs;
	if (c != NULL)
		ex->spare_descs = c->next;
	else if ((c = base_alloc(sizeof(*c), CACHELINE_BYTES)) == NULL)
		return NULL;
	backend_region_t region;
	char *addr = pages_reserve(CHUNK_BYTES, CHUNK_BYTES, &ex->placement,
	                           &region);
	if (addr == NULL) {
		c->next = ex->spare_descs;
		ex->spare_descs = c;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->region = region;
	c->npages = (uint32_t)chunk_pages();
	c->nfree_pages = c->longest_free_pages = c->npages;
	if (ex->placement.wants_hugepage)
		pages_advise_hugepage(addr, CHUNK_BYTES, true);
	else if (opt.thp == THP_NEVER)
		pages_advise_hugepage(addr, CHUNK_BYTES, false); /* THP "always" */
	list_push(&ex->chunks, c);
	bucket_link(ex, c);
	ex->nchunks++;
	return c;
}

static void chunk_destroy(extents_t *ex, chunk_t *c) {
	list_remove(&ex->chunks, c);
	bucket_unlink(ex, c);
	ex->nchunks--;
	ex->dirty_pages -= c->ndirty_pages;
	ex->muzzy_pages -= c->nmuzzy_pages;
	charge(-(ptrdiff_t)(c->ndirty_pages + c->nmuzzy_pages +
	                    (c->npages - c->nfree_pages)));
	pages_unmap(c->addr, CHUNK_BYTES, c->region);
	c->next = ex->spare_descs;
	ex->spare_descs = c;
}

/* Chunks of a bucket compared for fullness before taking the best seen. */
#define BEST_FIT_PROBES 8

/* The lowest bucket that has a chunk able to hold the run; in it, the
 * fullest of the first BEST_FIT_PROBES chunks that can. */
static chunk_t *best_chunk(extents_t *ex, size_t npages, size_t align_pages,
                           size_t *start_out) {
	for (unsigned b = bucket_of(npages); b < EXTENT_NBUCKETS; b++) {
		chunk_t *best = NULL;
		size_t best_start = 0;
		unsigned probes = 0;
		for (chunk_t *c = ex->buckets[b];
		     c != NULL && probes < BEST_FIT_PROBES; c = c->bnext) {
			if (c->longest_free_pages < npages ||
			    (best != NULL && c->nfree_pages >= best->nfree_pages))
				continue;
			size_t start = chunk_find_run(c, npages, align_pages);
			if (start < c->npages) {
				best = c;
				best_start = start;
				probes++;
			}
		}
		if (best != NULL) {
			*start_out = best_start;
			return best;
		}
	}
	return NULL;
}

/* Only carving from a run as long as the longest can shorten it. */
static void take_pages(extents_t *ex, chunk_t *c, size_t start,
                       size_t npages, bool *is_zeroed) {
	size_t run_lo, run_hi;
	free_run_around(c, start, &run_lo, &run_hi);
	bool was_longest = run_hi - run_lo >= c->longest_free_pages;
	*is_zeroed = !bitmap_any_in_range(c->unzeroed_map, start, npages);
	size_t dirty = bitmap_count_range(c->dirty_map, start, npages);
	size_t muzzy = bitmap_count_range(c->muzzy_map, start, npages);
	bitmap_assign_range(c->alloc_map, start, npages, true);
	bitmap_assign_range(c->dirty_map, start, npages, false);
	bitmap_assign_range(c->muzzy_map, start, npages, false);
	bitmap_assign_range(c->unzeroed_map, start, npages, true);
	c->ndirty_pages -= (uint32_t)dirty;
	c->nmuzzy_pages -= (uint32_t)muzzy;
	ex->dirty_pages -= dirty;
	ex->muzzy_pages -= muzzy;
	charge((ptrdiff_t)(npages - dirty - muzzy));
	c->nfree_pages -= (uint32_t)npages;
	if (was_longest)
		chunk_set_longest(ex, c, longest_free_run(c));
	ex->active_pages += npages;
}

void *extents_alloc(extents_t *ex, size_t npages, size_t align_pages,
                    chunk_t **chunk_out, bool *is_zeroed) {
	size_t start;
	chunk_t *c = best_chunk(ex, npages, align_pages, &start);
	if (c == NULL) {
		if ((c = chunk_create(ex)) == NULL)
			return NULL;
		start = 0;
	}
	take_pages(ex, c, start, npages, is_zeroed);
	*chunk_out = c;
	return c->addr + (start << lg_page);
}

void extents_free(extents_t *ex, chunk_t *c, void *addr, size_t npages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	bitmap_assign_range(c->alloc_map, start, npages, false);
	bitmap_assign_range(c->dirty_map, start, npages, true);
	c->ndirty_pages += (uint32_t)npages;
	ex->dirty_pages += npages;
	c->nfree_pages += (uint32_t)npages;
	size_t run_lo, run_hi;
	free_run_around(c, start, &run_lo, &run_hi);
	if (run_hi - run_lo > c->longest_free_pages)
		chunk_set_longest(ex, c, run_hi - run_lo);
	ex->active_pages -= npages;
}

bool extents_grow(extents_t *ex, chunk_t *c, void *addr, size_t npages,
                  size_t extra_pages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	size_t from = start + npages;
	if (from + extra_pages > c->npages ||
	    bitmap_any_in_range(c->alloc_map, from, extra_pages))
		return false;
	bool is_zeroed;
	take_pages(ex, c, from, extra_pages, &is_zeroed);
	return true;
}

/* Purge the pages of state map `from` in [start, start + n) of chunk c. */
static void purge_range(extents_t *ex, chunk_t *c, size_t start, size_t n,
                        bool from_muzzy) {
	bool is_zeroed = false;
	char *addr = c->addr + (start << lg_page);
	backend_purge_t how = from_muzzy ? BACKEND_PURGE_EAGER
	                                 : BACKEND_PURGE_LAZY;
	if (pages_purge(addr, n << lg_page, c->region, how, &is_zeroed) != 0)
		return;
	if (from_muzzy) {
		bitmap_assign_range(c->muzzy_map, start, n, false);
		c->nmuzzy_pages -= (uint32_t)n;
		ex->muzzy_pages -= n;
		ex->purge.eager_calls++;
		ex->purge.eager_pages += n;
		charge(-(ptrdiff_t)n);
	} else {
		bitmap_assign_range(c->dirty_map, start, n, false);
		c->ndirty_pages -= (uint32_t)n;
		ex->dirty_pages -= n;
		ex->purge.lazy_calls++;
		ex->purge.lazy_pages += n;
		if (is_zeroed) { /* the backend could only purge eagerly */
			charge(-(ptrdiff_t)n);
		} else {
			bitmap_assign_range(c->muzzy_map, start, n, true);
			c->nmuzzy_pages += (uint32_t)n;
			ex->muzzy_pages += n;
		}
	}
	if (is_zeroed)
		bitmap_assign_range(c->unzeroed_map, start, n, false);
}

/* Purge up to budget pages of one chunk; returns pages purged. */
static size_t purge_chunk(extents_t *ex, chunk_t *c, size_t budget,
                          bool from_muzzy) {
	uint64_t *map = from_muzzy ? c->muzzy_map : c->dirty_map;
	size_t done = 0, i = 0;
	while (done < budget && i < c->npages) {
		size_t start = bitmap_find(map, c->npages, i, true);
		if (start >= c->npages)
			break;
		size_t end = bitmap_find(map, c->npages, start, false);
		size_t n = end - start < budget - done ? end - start
		                                       : budget - done;
		purge_range(ex, c, start, n, from_muzzy);
		done += n;
		i = start + n;
	}
	return done;
}

static bool chunk_is_clean_and_free(const chunk_t *c) {
	return c->nfree_pages == c->npages && c->ndirty_pages == 0 &&
	       c->nmuzzy_pages == 0;
}

size_t extents_purge(extents_t *ex, size_t npages, bool from_muzzy,
                     bool split_hugepages, bool retain) {
	size_t done = 0;
	bool is_huge = ex->placement.wants_hugepage &&
	               pages_has_cap(BACKEND_CAP_HUGEPAGE);
	/* Pass 0: entirely free chunks, whole.  Pass 1: the others. */
	for (int pass = 0; pass < 2 && done < npages; pass++) {
		chunk_t *next;
		for (chunk_t *c = ex->chunks; c != NULL && done < npages;
		     c = next) {
			next = c->next;
			bool is_free = c->nfree_pages == c->npages;
			if (is_free != (pass == 0))
				continue;
			/* A mostly live hugepage stays whole. */
			if (!is_free && is_huge && !split_hugepages &&
			    c->nfree_pages * 2 < c->npages)
				continue;
			size_t n = purge_chunk(ex, c, npages - done, from_muzzy);
			if (n != 0 && !is_free && is_huge)
				ex->purge.hugepages_split++;
			done += n;
			if (!retain && chunk_is_clean_and_free(c)) {
				ex->purge.chunks_unmapped++;
				chunk_destroy(ex, c);
			}
		}
	}
	return done;
}

size_t extents_retained_bytes(const extents_t *ex) {
	size_t clean_free = 0;
	for (const chunk_t *c = ex->chunks; c != NULL; c = c->next)
		clean_free += c->nfree_pages - c->ndirty_pages - c->nmuzzy_pages;
	return clean_free << lg_page;
}

void extents_release_all(extents_t *ex) {
	while (ex->chunks != NULL)
		chunk_destroy(ex, ex->chunks);
	ex->active_pages = 0;
}
