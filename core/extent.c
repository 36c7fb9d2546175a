/*
 * extent.c — chunk page maps (run placement, release, in-place growth),
 * huge mappings and their cache, and the purge pass.  Every reservation,
 * purge and unmap of arena memory goes through here, and so does every
 * charge of the memory limit.
 */
#include "extent.h"

#include <string.h>

#include "base.h"
#include "bitmap.h"
#include "conf.h"
#include "memlimit.h"
#include "pagemap.h"
#include "pages.h"

size_t chunk_pages(void) { return CHUNK_BYTES >> lg_page; }

static void uncharge(size_t npages) { memlimit_uncharge(npages << lg_page); }

void extents_init(extents_t *ex, const backend_placement_t *placement) {
	memset(ex, 0, sizeof(*ex));
	mutex_init(&ex->lock, "extents");
	ex->placement = *placement;
}

void extents_reset(extents_t *ex, const backend_placement_t *placement,
                   long dirty_decay_ms, long muzzy_decay_ms) {
	ex->placement = *placement;
	ex->active_pages = 0;
	ex->dirty_pages = ex->muzzy_pages = 0;
	ex->purge_stats = (purge_stats_t){ 0 };
	purge_init(&ex->purge, dirty_decay_ms, muzzy_decay_ms);
	ex->huge_cached_bytes = ex->huge_cached_dirty_bytes = 0;
	ex->huge_cached_count = 0;
	ex->huge_live_bytes = ex->huge_live_peak = 0;
	ex->huge_peak_faded_ns = decay_now_ns();
	ex->large_kept_chunks = 0;
	atomic_store_explicit(&ex->free_dirty_chunks, 0,
	                      memory_order_relaxed);
}

static unsigned bucket_of(size_t longest_pages) {
	return longest_pages == 0 ? 0 : lg_floor(longest_pages) + 1;
}

static void bucket_link(extents_t *ex, chunk_t *c) {
	c->bucket = bucket_of(c->longest_free_pages);
	LIST_PUSH(&ex->buckets[c->bucket], c, bnext, bprev);
}

static void bucket_unlink(extents_t *ex, chunk_t *c) {
	LIST_REMOVE(&ex->buckets[c->bucket], c, bnext, bprev);
}

static uint32_t longest_free_run(const chunk_t *c);

static void chunk_set_longest(extents_t *ex, chunk_t *c, size_t longest) {
	c->longest_free_pages = (uint32_t)longest;
	if (bucket_of(longest) != c->bucket) {
		bucket_unlink(ex, c);
		bucket_link(ex, c);
	}
}

/* The free run [*lo, *hi) around pages [start, end), which are free
 * (alloc bits read as they are): the search ends at start and at end. */
static ALWAYS_INLINE void free_run_around(const chunk_t *c, size_t start,
                                           size_t end, size_t *lo,
                                           size_t *hi) {
	*lo = bitmap_clear_run_start(c->alloc_map, start);
	*hi = bitmap_find(c->alloc_map, c->npages, end, true);
}
static uint32_t longest_free_run(const chunk_t *c) {
	return (uint32_t)bitmap_longest_clear_run(c->alloc_map, c->npages);
}

/* Bits [start, end) of page-map word w (a word the range meets). */
static inline uint64_t range_word_mask(size_t w, size_t start, size_t end) {
	size_t base = w << 6;
	unsigned lo = start > base ? (unsigned)(start - base) : 0;
	unsigned hi = end - base >= 64 ? 64 : (unsigned)(end - base);
	return bitmap_word_mask(lo, hi);
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

/* c into ex's chunk list and fit bucket, its free pages counted. */
static void chunk_link(extents_t *ex, chunk_t *c) {
	LIST_PUSH(&ex->chunks, c, next, prev);
	bucket_link(ex, c);
	ex->nchunks++;
	ex->dirty_pages += c->ndirty_pages;
	ex->muzzy_pages += c->nmuzzy_pages;
}

/* Under mem_limit_hard, no new chunk for a run the limit would refuse
 * anyway (the run's pages are charged when taken). */
static chunk_t *chunk_create(extents_t *ex, size_t npages) {
	if (memlimit_would_exceed_hard(npages << lg_page))
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
	chunk_link(ex, c);
	return c;
}

/* c no longer counts among the chunks emptied by a large free. */
static void chunk_unkeep(extents_t *ex, chunk_t *c) {
	if (c->large_kept) {
		c->large_kept = false;
		ex->large_kept_chunks--;
	}
}

/* c out of ex's lists and counts (chunk_link's inverse). */
static void chunk_unlink(extents_t *ex, chunk_t *c) {
	chunk_unkeep(ex, c);
	LIST_REMOVE(&ex->chunks, c, next, prev);
	bucket_unlink(ex, c);
	ex->nchunks--;
	ex->dirty_pages -= c->ndirty_pages;
	ex->muzzy_pages -= c->nmuzzy_pages;
}

static void chunk_destroy(extents_t *ex, chunk_t *c) {
	chunk_unlink(ex, c);
	uncharge(c->ndirty_pages + c->nmuzzy_pages +
	         (c->npages - c->nfree_pages));
	pages_unmap(c->addr, CHUNK_BYTES, c->region);
	c->next = ex->spare_descs;
	ex->spare_descs = c;
}

/* Chunks of a bucket compared for fullness before taking the best seen. */
#define BEST_FIT_PROBES 8

/* The lowest bucket that has a chunk able to hold the run; in it, the
 * fullest of the first BEST_FIT_PROBES chunks that can.  A chunk whose
 * longest free run is long enough can hold an unaligned run, so only the
 * chosen chunk is searched; an aligned run is searched for in each. */
static chunk_t *best_chunk(extents_t *ex, size_t npages, size_t align_pages,
                           size_t *start_out) {
	for (unsigned b = bucket_of(npages); b < EXTENT_NBUCKETS; b++) {
		chunk_t *best = NULL;
		size_t best_start = 0;
		unsigned probes = 0;
		for (chunk_t *c = ex->buckets[b];
		     c != NULL && probes < BEST_FIT_PROBES; c = c->bnext) {
			if (c->longest_free_pages < npages)
				continue;
			size_t start = 0;
			if (align_pages > 1 &&
			    (start = chunk_find_run(c, npages, align_pages)) >=
			        c->npages)
				continue;
			probes++;
			if (best == NULL || c->nfree_pages < best->nfree_pages) {
				best = c;
				best_start = start;
			}
		}
		if (best != NULL) {
			*start_out = align_pages > 1
			                 ? best_start
			                 : chunk_find_run(best, npages, 1);
			return best;
		}
	}
	return NULL;
}

/* A whole free chunk (new or retained) is taken: after chunks were purged
 * whole, a sign that purging them was a loss. */
static void free_chunk_taken(extents_t *ex) {
	if (ex->free_chunks_purged == 0)
		return;
	ex->free_chunks_purged--;
	ex->free_chunks_boost++;
	ex->free_chunk_retakes++;
}

/* Pages [start, start + npages) of c, all free, become allocated; false
 * when the memory limit refuses the pages that were not charged yet. */
static bool take_pages(extents_t *ex, chunk_t *c, size_t start,
                       size_t npages, bool *is_zeroed) {
	/* One pass over the range's words reads the four maps, a second
	 * writes them (the memory limit may refuse in between); a map with
	 * no page of its state in the chunk is neither counted nor cleared. */
	size_t end = start + npages, w_first = start >> 6, w_last = (end - 1) >> 6;
	bool has_dirty = c->ndirty_pages != 0, has_muzzy = c->nmuzzy_pages != 0;
	size_t dirty = 0, muzzy = 0;
	uint64_t unzeroed = 0;
	for (size_t w = w_first; w <= w_last; w++) {
		uint64_t m = range_word_mask(w, start, end);
		if (has_dirty)
			dirty += bitmap_popcount(c->dirty_map[w] & m);
		if (has_muzzy)
			muzzy += bitmap_popcount(c->muzzy_map[w] & m);
		unzeroed |= c->unzeroed_map[w] & m;
	}
	if (!memlimit_try_charge((npages - dirty - muzzy) << lg_page))
		return false;
	chunk_unkeep(ex, c);
	if (c->nfree_pages == c->npages)
		free_chunk_taken(ex);
	/* Only carving from a longest run can shorten the longest. */
	bool was_longest = npages >= c->longest_free_pages;
	if (!was_longest) {
		size_t run_lo, run_hi;
		free_run_around(c, start, end, &run_lo, &run_hi);
		was_longest = run_hi - run_lo >= c->longest_free_pages;
	}
	*is_zeroed = unzeroed == 0;
	for (size_t w = w_first; w <= w_last; w++) {
		uint64_t m = range_word_mask(w, start, end);
		c->alloc_map[w] |= m;
		c->unzeroed_map[w] |= m;
		if (dirty != 0)
			c->dirty_map[w] &= ~m;
		if (muzzy != 0)
			c->muzzy_map[w] &= ~m;
	}
	c->ndirty_pages -= (uint32_t)dirty;
	c->nmuzzy_pages -= (uint32_t)muzzy;
	ex->dirty_pages -= dirty;
	ex->muzzy_pages -= muzzy;
	c->nfree_pages -= (uint32_t)npages;
	if (was_longest)
		chunk_set_longest(ex, c, longest_free_run(c));
	ex->active_pages += npages;
	return true;
}

/* ---- entirely free chunks lent between automatic arenas ---- */

/* Threads that take turns (a pool's workers, threads recreated every
 * round) fill one arena while another sits on the dirty chunks it has
 * just emptied: left to decay there, they would double the footprint, and
 * purged they would be faulted back in.  So before reserving a chunk an
 * arena takes an entirely free one from another automatic arena of the
 * same placement. */
static _Atomic(extents_t *) shared_extents;

void extents_share(extents_t *ex) {
	if (ex->is_shared)
		return;
	ex->is_shared = true;
	extents_t *head = atomic_load_explicit(&shared_extents,
	                                       memory_order_relaxed);
	do
		ex->share_next = head;
	while (!atomic_compare_exchange_weak_explicit(
	    &shared_extents, &head, ex, memory_order_release,
	    memory_order_relaxed));
}

static bool placement_equal(const backend_placement_t *a,
                            const backend_placement_t *b) {
	return a->tier == b->tier && a->node == b->node &&
	       a->policy == b->policy &&
	       a->wants_hugepage == b->wants_hugepage &&
	       a->is_tagged == b->is_tagged && a->pmem_dir == b->pmem_dir &&
	       a->pmem_max_bytes == b->pmem_max_bytes;
}

/* Chunks of the top fit bucket (a whole chunk's) looked at for an
 * entirely free one. */
#define ADOPT_PROBES 16

/* An entirely free chunk of ex (lock held), one with resident (dirty or
 * muzzy) pages first, or NULL. */
static chunk_t *free_chunk_to_lend(extents_t *ex) {
	chunk_t *clean = NULL;
	unsigned probes = 0;
	for (chunk_t *c = ex->buckets[bucket_of(chunk_pages())];
	     c != NULL && probes < ADOPT_PROBES; c = c->bnext, probes++) {
		if (c->nfree_pages != c->npages)
			continue;
		if (c->ndirty_pages + c->nmuzzy_pages != 0)
			return c;
		if (clean == NULL)
			clean = c;
	}
	return clean;
}

/* c, entirely free, from from's lists to to's (both locks held). */
static void chunk_move(extents_t *from, extents_t *to, chunk_t *c) {
	if (!c->large_kept && c->ndirty_pages != 0) {
		size_t n = atomic_load_explicit(&from->free_dirty_chunks,
		                                memory_order_relaxed);
		if (n != 0)
			atomic_store_explicit(&from->free_dirty_chunks, n - 1,
			                      memory_order_relaxed);
	}
	chunk_unlink(from, c);
	chunk_link(to, c);
	to->purge_stats.chunks_adopted++;
	/* The pages the run leaves stay dirty: the taker's decay owns them
	 * now (its deadline armed, read by the purger and by its threads'
	 * periodic events), as it owns the pages its own frees leave. */
	purge_set_deadline(&to->purge, extents_dirty_pages(to), to->muzzy_pages);
}

/* An entirely free chunk of another shared arena moved to ex (lock
 * held), or NULL.  The others' locks are only tried: two arenas adopting
 * from each other at once cannot deadlock, and a busy arena is skipped. */
static chunk_t *chunk_adopt(extents_t *ex) {
	if (!ex->is_shared)
		return NULL;
	for (extents_t *v = atomic_load_explicit(&shared_extents,
	                                         memory_order_acquire);
	     v != NULL; v = v->share_next) {
		if (v == ex || !placement_equal(&v->placement, &ex->placement) ||
		    !mutex_trylock(&v->lock))
			continue;
		chunk_t *c = free_chunk_to_lend(v);
		if (c != NULL)
			chunk_move(v, ex, c);
		mutex_unlock(&v->lock);
		if (c != NULL)
			return c;
	}
	return NULL;
}

void *extents_alloc(extents_t *ex, size_t npages, size_t align_pages,
                    chunk_t **chunk_out, bool *is_zeroed) {
	size_t start;
	chunk_t *c = best_chunk(ex, npages, align_pages, &start);
	if (c == NULL) {
		if ((c = chunk_adopt(ex)) == NULL &&
		    (c = chunk_create(ex, npages)) == NULL)
			return NULL;
		start = 0;
	}
	if (!take_pages(ex, c, start, npages, is_zeroed))
		return NULL;
	*chunk_out = c;
	return c->addr + (start << lg_page);
}

void extents_free(extents_t *ex, chunk_t *c, void *addr, size_t npages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	size_t end = start + npages;
	for (size_t w = start >> 6; w <= (end - 1) >> 6; w++) {
		uint64_t m = range_word_mask(w, start, end);
		c->alloc_map[w] &= ~m;
		c->dirty_map[w] |= m;
	}
	c->ndirty_pages += (uint32_t)npages;
	ex->dirty_pages += npages;
	c->nfree_pages += (uint32_t)npages;
	size_t run_lo, run_hi;
	free_run_around(c, start, end, &run_lo, &run_hi);
	if (run_hi - run_lo > c->longest_free_pages)
		chunk_set_longest(ex, c, run_hi - run_lo);
	ex->active_pages -= npages;
	if (c->nfree_pages == c->npages)
		atomic_fetch_add_explicit(&ex->free_dirty_chunks, 1,
		                          memory_order_relaxed);
}

void extents_free_large(extents_t *ex, chunk_t *c, void *addr,
                        size_t npages) {
	extents_free(ex, c, addr, npages);
	if (c->nfree_pages != c->npages || c->large_kept ||
	    ex->large_kept_chunks >= EXTENT_LARGE_CHUNKS_KEPT)
		return;
	c->large_kept = true;
	ex->large_kept_chunks++;
	atomic_fetch_sub_explicit(&ex->free_dirty_chunks, 1,
	                          memory_order_relaxed);
}

bool extents_grow(extents_t *ex, chunk_t *c, void *addr, size_t npages,
                  size_t extra_pages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	size_t from = start + npages;
	if (from + extra_pages > c->npages ||
	    bitmap_any_in_range(c->alloc_map, from, extra_pages))
		return false;
	bool is_zeroed;
	return take_pages(ex, c, from, extra_pages, &is_zeroed);
}

/* Purge the pages of state map `from` in [start, start + n) of chunk c;
 * dirty pages lazily (they become muzzy) unless is_eager. */
static void purge_range(extents_t *ex, chunk_t *c, size_t start, size_t n,
                        bool from_muzzy, bool is_eager) {
	bool is_zeroed = false;
	char *addr = c->addr + (start << lg_page);
	backend_purge_t how = from_muzzy || is_eager ? BACKEND_PURGE_EAGER
	                                             : BACKEND_PURGE_LAZY;
	if (pages_purge(addr, n << lg_page, c->region, how, &is_zeroed) != 0)
		return;
	if (from_muzzy) {
		bitmap_assign_range(c->muzzy_map, start, n, false);
		c->nmuzzy_pages -= (uint32_t)n;
		ex->muzzy_pages -= n;
		ex->purge_stats.eager_calls++;
		ex->purge_stats.eager_pages += n;
		uncharge(n);
	} else {
		bitmap_assign_range(c->dirty_map, start, n, false);
		c->ndirty_pages -= (uint32_t)n;
		ex->dirty_pages -= n;
		if (is_eager) {
			ex->purge_stats.eager_calls++;
			ex->purge_stats.eager_pages += n;
		} else {
			ex->purge_stats.lazy_calls++;
			ex->purge_stats.lazy_pages += n;
		}
		if (is_zeroed) { /* eager, or all the backend could do */
			uncharge(n);
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
                          bool from_muzzy, bool is_eager) {
	uint64_t *map = from_muzzy ? c->muzzy_map : c->dirty_map;
	size_t done = 0, i = 0;
	while (done < budget && i < c->npages) {
		size_t start = bitmap_find(map, c->npages, i, true);
		if (start >= c->npages)
			break;
		size_t end = bitmap_find(map, c->npages, start, false);
		size_t n = end - start < budget - done ? end - start
		                                       : budget - done;
		purge_range(ex, c, start, n, from_muzzy, is_eager);
		done += n;
		i = start + n;
	}
	return done;
}

static bool chunk_is_clean_and_free(const chunk_t *c) {
	return c->nfree_pages == c->npages && c->ndirty_pages == 0 &&
	       c->nmuzzy_pages == 0;
}

size_t extents_purge(extents_t *ex, size_t npages, unsigned flags) {
	bool from_muzzy = (flags & EXTENT_PURGE_MUZZY) != 0;
	bool split_hugepages = (flags & EXTENT_PURGE_SPLIT) != 0;
	bool retain = (flags & EXTENT_PURGE_RETAIN) != 0;
	bool is_eager = (flags & EXTENT_PURGE_EAGER) != 0;
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
			size_t n = purge_chunk(ex, c, npages - done, from_muzzy,
			                       is_eager);
			if (n != 0 && !is_free && is_huge)
				ex->purge_stats.hugepages_split++;
			done += n;
			if (chunk_is_clean_and_free(c))
				chunk_unkeep(ex, c);
			if (!retain && chunk_is_clean_and_free(c)) {
				ex->purge_stats.chunks_unmapped++;
				chunk_destroy(ex, c);
			}
		}
	}
	return done;
}

/* Purge, eagerly and whole, the entirely free chunks holding dirty or
 * muzzy pages beyond the first keep met, and recount them.  A whole
 * chunk is a whole hugepage: none is split. */
static void purge_free_chunks(extents_t *ex, size_t keep, unsigned flags) {
	size_t kept = 0;
	chunk_t *next;
	for (chunk_t *c = ex->chunks; c != NULL; c = next) {
		next = c->next;
		if (c->nfree_pages != c->npages || c->large_kept ||
		    c->ndirty_pages + c->nmuzzy_pages == 0)
			continue;
		if (c->ndirty_pages != 0 && kept < keep) {
			kept++;
			continue;
		}
		purge_chunk(ex, c, c->npages, false, true);
		purge_chunk(ex, c, c->npages, true, true);
		ex->free_chunks_purged++;
		if (!(flags & EXTENT_PURGE_RETAIN) &&
		    chunk_is_clean_and_free(c)) {
			ex->purge_stats.chunks_unmapped++;
			chunk_destroy(ex, c);
		}
	}
	atomic_store_explicit(&ex->free_dirty_chunks, kept,
	                      memory_order_relaxed);
}

size_t extents_retained_bytes(const extents_t *ex) {
	size_t clean_free = 0;
	for (const chunk_t *c = ex->chunks; c != NULL; c = c->next)
		clean_free += c->nfree_pages - c->ndirty_pages - c->nmuzzy_pages;
	return (clean_free << lg_page) +
	       (ex->huge_cached_bytes - ex->huge_cached_dirty_bytes);
}

size_t extents_dirty_pages(const extents_t *ex) {
	return ex->dirty_pages + (ex->huge_cached_dirty_bytes >> lg_page);
}

/* ---- huge mappings ---- */

static void huge_cache_unlink(extents_t *ex, run_t *run) {
	run_list_remove(&ex->huge_cache, run);
	ex->huge_cached_bytes -= run->bytes;
	ex->huge_cached_count--;
	if (!run->is_zeroed)
		ex->huge_cached_dirty_bytes -= run->bytes;
}

static void huge_cache_evict(extents_t *ex, run_t *run) {
	huge_cache_unlink(ex, run);
	pages_unmap(run->addr, run->bytes, run->region);
	if (!run->is_zeroed)
		memlimit_uncharge(run->bytes);
	run_list_push(&ex->spare_run_descs, run);
}

static run_t *huge_cache_oldest(extents_t *ex, bool dirty_only) {
	run_t *oldest = NULL;
	for (run_t *r = ex->huge_cache; r != NULL; r = r->next)
		if (!dirty_only || !r->is_zeroed)
			oldest = r;
	return oldest;
}

run_t *extents_huge_take_cached(extents_t *ex, size_t usize, size_t align,
                                bool zero) {
	run_t *best = NULL;
	for (run_t *r = ex->huge_cache; r != NULL; r = r->next) {
		if (r->bytes < usize || r->bytes / 2 > usize ||
		    (addr_of(r->addr) & (align - 1)) != 0 ||
		    (zero && !r->is_zeroed))
			continue;
		if (best == NULL || r->bytes < best->bytes)
			best = r;
	}
	/* A purged mapping was uncharged: taking it back is a new charge. */
	if (best != NULL && best->is_zeroed &&
	    !memlimit_try_charge(best->bytes))
		return NULL;
	if (best != NULL)
		huge_cache_unlink(ex, best);
	return best;
}

run_t *extents_huge_take_refit(extents_t *ex, size_t usize) {
	if (!pages_has_cap(BACKEND_CAP_REMAP))
		return NULL;
	/* A longer one would be shrunk, its resident tail unmapped: the
	 * next long block would fault it again. */
	run_t *best = NULL;
	for (run_t *r = ex->huge_cache; r != NULL; r = r->next)
		if (!r->is_zeroed && r->bytes < usize &&
		    (best == NULL || r->bytes > best->bytes))
			best = r;
	if (best != NULL)
		huge_cache_unlink(ex, best);
	return best;
}

void *extents_huge_map(extents_t *ex, size_t usize, size_t align,
                       backend_region_t *region) {
	if (!memlimit_try_charge(usize))
		return NULL;
	void *addr = pages_reserve(usize, align, &ex->placement, region);
	if (addr == NULL)
		memlimit_uncharge(usize);
	return addr;
}

void extents_huge_unmap(extents_t *ex, void *addr, size_t usize,
                        backend_region_t region) {
	(void)ex;
	pages_unmap(addr, usize, region);
	memlimit_uncharge(usize);
}

bool extents_huge_remap(extents_t *ex, const run_t *run, size_t usize,
                        size_t align, char **addr) {
	if (!pages_has_cap(BACKEND_CAP_REMAP))
		return false;
	/* Over the hard limit the copy path that follows counts the hit:
	 * one per realloc refused. */
	size_t grown = usize > run->bytes ? usize - run->bytes : 0;
	if (grown != 0 && (memlimit_would_exceed_hard(grown) ||
	                   !memlimit_try_charge(grown)))
		return false;
	void *p;
	if (pages_remap(run->addr, run->bytes, usize, align, &ex->placement,
	                run->region, &p) != 0) {
		memlimit_uncharge(grown);
		return false;
	}
	if (usize < run->bytes)
		memlimit_uncharge(run->bytes - usize);
	*addr = p;
	return true;
}

bool extents_huge_drop_rss(const run_t *run) {
	bool is_zeroed = false;
	if (opt.oversize_threshold != 0 && /* 0: disabled, as jemalloc */
	    run->bytes >= opt.oversize_threshold &&
	    pages_purge(run->addr, run->bytes, run->region,
	                BACKEND_PURGE_EAGER, &is_zeroed) != 0)
		is_zeroed = false;
	return is_zeroed;
}

void extents_huge_free(extents_t *ex, run_t *run, bool is_zeroed) {
	run_list_remove(&ex->huge_runs, run);
	ex->huge_live_bytes -= run->bytes;
	run->is_zeroed = is_zeroed;
	extents_huge_put_back(ex, run);
}

/* Purge a dirty cached mapping eagerly: it stays cached, with its
 * address space, but no RSS and no charge. */
static void huge_cache_drop_rss(extents_t *ex, run_t *run) {
	bool is_zeroed = false;
	if (pages_purge(run->addr, run->bytes, run->region,
	                BACKEND_PURGE_EAGER, &is_zeroed) != 0 || !is_zeroed) {
		huge_cache_evict(ex, run);
		return;
	}
	run->is_zeroed = true;
	ex->huge_cached_dirty_bytes -= run->bytes;
	memlimit_uncharge(run->bytes);
	ex->purge_stats.eager_calls++;
	ex->purge_stats.eager_pages += run->bytes >> lg_page;
}

/* Purge dirty cached mappings, oldest first, until npages are gone;
 * returns the pages purged.  With retain they stay cached without RSS
 * (a reuse saves the mmap and munmap), else they are unmapped. */
static size_t huge_cache_purge(extents_t *ex, size_t npages) {
	size_t done = 0;
	run_t *oldest;
	while (done < npages && (oldest = huge_cache_oldest(ex, true)) != NULL) {
		done += oldest->bytes >> lg_page;
		if (opt.retain)
			huge_cache_drop_rss(ex, oldest);
		else
			huge_cache_evict(ex, oldest);
	}
	return done;
}

size_t extents_huge_dirty_budget(const extents_t *ex) {
	size_t budget = ex->huge_live_peak * EXTENT_HUGE_DIRTY_SHARE;
	return budget > EXTENT_HUGE_DIRTY_MIN ? budget : EXTENT_HUGE_DIRTY_MIN;
}

void extents_huge_put_back(extents_t *ex, run_t *run) {
	run_list_push(&ex->huge_cache, run);
	ex->huge_cached_bytes += run->bytes;
	ex->huge_cached_count++;
	if (run->is_zeroed)
		memlimit_uncharge(run->bytes); /* no RSS */
	else
		ex->huge_cached_dirty_bytes += run->bytes;
	if (ex->huge_cached_count > EXTENT_HUGE_CACHE_MAX)
		huge_cache_evict(ex, huge_cache_oldest(ex, false));
	/* Beyond the byte budget the oldest dirty ones lose their RSS now;
	 * decay owns the rest. */
	size_t budget = extents_huge_dirty_budget(ex);
	run_t *oldest;
	while (ex->huge_cached_dirty_bytes > budget &&
	       (oldest = huge_cache_oldest(ex, true)) != NULL)
		huge_cache_drop_rss(ex, oldest);
}

void extents_release_all(extents_t *ex) {
	while (ex->huge_runs != NULL) {
		run_t *run = run_list_pop(&ex->huge_runs);
		ex->huge_live_bytes -= run->bytes;
		pagemap_set(addr_of(run->addr), 1, 0);
		pages_unmap(run->addr, run->bytes, run->region);
		memlimit_uncharge(run->bytes);
		run_list_push(&ex->spare_run_descs, run);
	}
	while (ex->huge_cache != NULL)
		huge_cache_evict(ex, ex->huge_cache);
	while (ex->chunks != NULL)
		chunk_destroy(ex, ex->chunks);
	ex->active_pages = 0;
	ex->huge_live_peak = 0;
	ex->large_kept_chunks = 0;
	atomic_store_explicit(&ex->free_dirty_chunks, 0,
	                      memory_order_relaxed);
}

void extents_release_retained(extents_t *ex) {
	while (ex->huge_cache != NULL)
		huge_cache_evict(ex, ex->huge_cache);
	chunk_t *next;
	for (chunk_t *c = ex->chunks; c != NULL; c = next) {
		next = c->next;
		if (chunk_is_clean_and_free(c)) {
			ex->purge_stats.chunks_unmapped++;
			chunk_destroy(ex, c);
		}
	}
}

/* ---- the purge pass ---- */

static unsigned decay_flags(const extents_t *ex) {
	unsigned flags = opt.retain ? EXTENT_PURGE_RETAIN : 0;
	/* No muzzy stage: what dirty decay purges is released at once. */
	if (purge_decay_ms(&ex->purge, PURGE_MUZZY) == 0)
		flags |= EXTENT_PURGE_EAGER;
	return flags;
}

void extents_decay(extents_t *ex, bool is_forced) {
	unsigned flags = (is_forced ? EXTENT_PURGE_SPLIT : 0) |
	                 decay_flags(ex);
	mutex_lock(&ex->lock);
	uint64_t now = decay_now_ns();
	if (ex->free_chunk_retakes != 0) {
		ex->free_chunk_retakes = 0;
		ex->boost_checked_ns = now;
	} else if (now - ex->boost_checked_ns >= EXTENT_BOOST_FADE_NS) {
		/* A second without churn: the boost fades. */
		ex->free_chunks_boost /= 2;
		ex->free_chunks_purged /= 2;
		ex->boost_checked_ns = now;
	}
	uint64_t fades = (now - ex->huge_peak_faded_ns) / EXTENT_BOOST_FADE_NS;
	if (fades != 0) {
		/* Halved once per period gone by, passes or not. */
		ex->huge_live_peak = fades >= 64 ? 0 : ex->huge_live_peak >> fades;
		if (ex->huge_live_peak < ex->huge_live_bytes)
			ex->huge_live_peak = ex->huge_live_bytes;
		ex->huge_peak_faded_ns += fades * EXTENT_BOOST_FADE_NS;
	}
	size_t n = purge_excess(&ex->purge, PURGE_DIRTY, now,
	                        extents_dirty_pages(ex), is_forced);
	if (n != 0) {
		size_t done = huge_cache_purge(ex, n);
		if (n > done)
			extents_purge(ex, n - done, flags);
	}
	purge_left(&ex->purge, PURGE_DIRTY, extents_dirty_pages(ex));
	n = purge_excess(&ex->purge, PURGE_MUZZY, now, ex->muzzy_pages,
	                 is_forced);
	if (n != 0)
		extents_purge(ex, n, flags | EXTENT_PURGE_MUZZY);
	purge_left(&ex->purge, PURGE_MUZZY, ex->muzzy_pages);
	purge_set_deadline(&ex->purge, extents_dirty_pages(ex),
	                   ex->muzzy_pages);
	mutex_unlock(&ex->lock);
}

uint64_t extents_decay_deadline(extents_t *ex) {
	mutex_lock(&ex->lock);
	uint64_t due = purge_set_deadline(&ex->purge, extents_dirty_pages(ex),
	                                  ex->muzzy_pages);
	mutex_unlock(&ex->lock);
	return due;
}

int extents_set_decay_ms(extents_t *ex, purge_state_t s, long ms) {
	mutex_lock(&ex->lock);
	int err = purge_set_decay_ms(&ex->purge, s, ms);
	purge_set_deadline(&ex->purge, extents_dirty_pages(ex),
	                   ex->muzzy_pages);
	mutex_unlock(&ex->lock);
	if (err == 0 && s == PURGE_MUZZY && ms == 0)
		extents_decay(ex, false); /* no muzzy stage from now on */
	if (err == 0)
		purge_wake();
	return err;
}

/* The entirely free chunks beyond those kept go now (one relaxed load
 * when there are few); dirty decay -1 keeps everything. */
static void purge_free_chunks_if_many(extents_t *ex) {
	size_t keep = atomic_load_explicit(&ex->free_chunks_keep,
	                                   memory_order_relaxed);
	if (atomic_load_explicit(&ex->free_dirty_chunks, memory_order_relaxed) <=
	        (keep > EXTENT_FREE_CHUNKS_KEPT ? keep
	                                        : EXTENT_FREE_CHUNKS_KEPT) ||
	    purge_decay_ms(&ex->purge, PURGE_DIRTY) < 0)
		return;
	mutex_lock(&ex->lock);
	keep = EXTENT_FREE_CHUNKS_KEPT + ex->active_pages / (8 * chunk_pages()) +
	       ex->free_chunks_boost;
	atomic_store_explicit(&ex->free_chunks_keep, keep, memory_order_relaxed);
	purge_free_chunks(ex, keep, decay_flags(ex));
	purge_left(&ex->purge, PURGE_DIRTY, extents_dirty_pages(ex));
	purge_left(&ex->purge, PURGE_MUZZY, ex->muzzy_pages);
	purge_set_deadline(&ex->purge, extents_dirty_pages(ex),
	                   ex->muzzy_pages);
	mutex_unlock(&ex->lock);
}

void extents_dirtied(extents_t *ex) {
	if (purge_is_immediate(&ex->purge)) {
		extents_decay(ex, false);
		return;
	}
	purge_free_chunks_if_many(ex);
	/* Pages are waiting now: the deadline is at most one epoch away. */
	if (purge_due_ns(&ex->purge) == DECAY_NEVER)
		extents_decay_deadline(ex);
	purge_notify();
}
