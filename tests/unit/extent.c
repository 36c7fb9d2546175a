/*
 * extent.c — page runs in chunks on the fake backend: best-fit chunk
 * choice, alignment, what reads as zero, in-place growth, and what becomes
 * of chunks left free.  Sizes are in pages of the page size meson runs the
 * suite under (STRATA_FAKE_PAGE); nothing here assumes 4 KiB.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "extent.h"
#include "fake_backend.h"
#include "pages.h"
#include "strata.h"

static extents_t ex;

/* Boot the allocator (page size, metadata), then a private extents_t with
 * no NUMA or hugepage wish, so that only this test touches it. */
static void setup(void) {
	strata_free(strata_malloc(1));
	backend_placement_t placement = { .node = -1 };
	extents_init(&ex, &placement);
}

TestSuite(extent, .init = setup, .timeout = 60);

typedef struct run_ref {
	char *addr;
	chunk_t *chunk;
	size_t npages;
	bool is_zeroed;
} run_ref_t;

static run_ref_t take(size_t npages, size_t align_pages) {
	run_ref_t r = { .npages = npages };
	mutex_lock(&ex.lock);
	r.addr = extents_alloc(&ex, npages, align_pages, &r.chunk, &r.is_zeroed);
	mutex_unlock(&ex.lock);
	cr_assert_not_null(r.addr, "extents_alloc(%zu pages, align %zu)",
	                   npages, align_pages);
	cr_assert_geq(r.addr, r.chunk->addr);
	cr_assert_leq(r.addr + (npages << lg_page), r.chunk->addr + CHUNK_BYTES);
	return r;
}

static void give_back(run_ref_t r) {
	mutex_lock(&ex.lock);
	extents_free(&ex, r.chunk, r.addr, r.npages);
	mutex_unlock(&ex.lock);
}

static size_t page_in_chunk(run_ref_t r) {
	return (size_t)(r.addr - r.chunk->addr) >> lg_page;
}

static bool reads_as_zero(const char *p, size_t bytes) {
	for (size_t i = 0; i < bytes; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* extents_purge flags: split hugepages always; keep emptied chunks
 * mapped (KEEP) or not (ALL). */
#define DIRTY_KEEP (EXTENT_PURGE_SPLIT | EXTENT_PURGE_RETAIN)
#define MUZZY_KEEP (EXTENT_PURGE_MUZZY | DIRTY_KEEP)
#define DIRTY_ALL EXTENT_PURGE_SPLIT
#define MUZZY_ALL (EXTENT_PURGE_MUZZY | EXTENT_PURGE_SPLIT)

Test(extent, chunk_geometry_follows_the_page_size) {
	cr_assert_eq(page_bytes, fake_page_bytes());
	cr_assert_eq((size_t)1 << lg_page, page_bytes);
	cr_assert_eq(chunk_pages() * page_bytes, CHUNK_BYTES);
	run_ref_t r = take(1, 1);
	cr_assert_eq(r.chunk->npages, chunk_pages());
	cr_assert_eq(addr_of(r.chunk->addr) % CHUNK_BYTES, 0);
	cr_assert_eq(r.chunk->nfree_pages, chunk_pages() - 1);
	cr_assert_eq(ex.active_pages, 1);
	cr_assert_eq(ex.nchunks, 1);
}

Test(extent, fresh_pages_read_as_zero) {
	for (size_t n = 1; n <= chunk_pages(); n *= 2) {
		run_ref_t r = take(n, 1);
		cr_assert(r.is_zeroed, "%zu fresh pages", n);
		cr_assert(reads_as_zero(r.addr, n << lg_page), "%zu pages", n);
	}
}

Test(extent, reused_dirty_pages_are_not_reported_zeroed) {
	run_ref_t r = take(3, 1);
	memset(r.addr, 0x7b, 3 << lg_page);
	give_back(r);
	cr_assert_eq(ex.dirty_pages, 3);
	run_ref_t again = take(3, 1);
	cr_assert_eq(again.addr, r.addr, "first fit reuses the freed run");
	cr_assert_not(again.is_zeroed);
	cr_assert_eq(ex.dirty_pages, 0);
	/* Partly dirty is dirty: one reused page among fresh ones. */
	run_ref_t one = take(1, 1);
	give_back(one);
	run_ref_t wider = take(2, 1);
	cr_assert_eq(wider.addr, one.addr);
	cr_assert_not(wider.is_zeroed);
}

/* Lazily purged pages keep unknown contents; eagerly purged ones (when the
 * backend says so) read as zero again. */
Test(extent, purged_pages_are_zeroed_only_after_an_eager_purge) {
	run_ref_t r = take(4, 1);
	memset(r.addr, 0x11, 4 << lg_page);
	give_back(r);
	mutex_lock(&ex.lock);
	cr_assert_eq(extents_purge(&ex, 4, DIRTY_KEEP), 4);
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.dirty_pages, 0);
	cr_assert_eq(ex.muzzy_pages, 4);
	run_ref_t lazy = take(4, 1);
	cr_assert_eq(lazy.addr, r.addr);
	cr_assert_not(lazy.is_zeroed, "muzzy pages are not zero");
	give_back(lazy);
	mutex_lock(&ex.lock);
	extents_purge(&ex, 4, DIRTY_KEEP);
	cr_assert_eq(extents_purge(&ex, 4, MUZZY_KEEP), 4);
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.muzzy_pages, 0);
	run_ref_t eager = take(4, 1);
	cr_assert_eq(eager.addr, r.addr);
	cr_assert(eager.is_zeroed);
	cr_assert(reads_as_zero(eager.addr, 4 << lg_page));
}

Test(extent, eager_purge_that_does_not_zero_is_not_reported_zeroed) {
	fake_set_purge_zeroes(false);
	run_ref_t r = take(2, 1);
	give_back(r);
	mutex_lock(&ex.lock);
	extents_purge(&ex, 2, DIRTY_KEEP);
	extents_purge(&ex, 2, MUZZY_KEEP);
	mutex_unlock(&ex.lock);
	run_ref_t again = take(2, 1);
	cr_assert_eq(again.addr, r.addr);
	cr_assert_not(again.is_zeroed);
}

/* Two chunks, cut into eighths: the one with fewer free pages is chosen
 * whenever the run fits there, the other only when it does not. */
Test(extent, run_goes_to_the_chunk_with_fewest_free_pages_that_fits) {
	size_t unit = chunk_pages() / 8;
	run_ref_t a[8], b[8];
	for (unsigned i = 0; i < 8; i++)
		a[i] = take(unit, 1);
	for (unsigned i = 0; i < 8; i++)
		b[i] = take(unit, 1);
	cr_assert_neq(a[0].chunk, b[0].chunk);
	cr_assert_eq(ex.nchunks, 2);
	/* a: two separate free units; b: five adjacent ones. */
	give_back(a[2]);
	give_back(a[5]);
	for (unsigned i = 1; i <= 5; i++)
		give_back(b[i]);
	run_ref_t one = take(unit, 1);
	cr_assert_eq(one.chunk, a[0].chunk, "one unit fits the fuller chunk");
	cr_assert_eq(one.addr, a[2].addr, "lowest fitting run of that chunk");
	run_ref_t two = take(2 * unit, 1);
	cr_assert_eq(two.chunk, b[0].chunk, "two units fit only the emptier");
	cr_assert_eq(two.addr, b[1].addr);
	/* Now a has one unit free, b three: one unit goes to a again. */
	run_ref_t three = take(unit, 1);
	cr_assert_eq(three.addr, a[5].addr);
	/* Nothing fits four units: a third chunk. */
	unsigned long reserves = fake_counters().reserve_calls;
	run_ref_t four = take(4 * unit, 1);
	cr_assert_neq(four.chunk, a[0].chunk);
	cr_assert_neq(four.chunk, b[0].chunk);
	cr_assert_eq(ex.nchunks, 3);
	cr_assert_gt(fake_counters().reserve_calls, reserves);
}

/* Every alignment from 1 page to a whole chunk, after a one-page run that
 * puts the first free page off every alignment but 1. */
Test(extent, runs_are_aligned_to_the_requested_pages) {
	for (size_t align = 1; align <= chunk_pages(); align *= 2)
		for (size_t n = 1; n <= 3 && n <= chunk_pages(); n++) {
			run_ref_t pad = take(1, 1);
			run_ref_t r = take(n, align);
			cr_assert_eq(page_in_chunk(r) % align, 0,
			             "align %zu pages, %zu pages: page %zu", align, n,
			             page_in_chunk(r));
			cr_assert_eq(addr_of(r.addr) % (align * page_bytes), 0);
			give_back(r);
			give_back(pad);
		}
}

Test(extent, aligned_run_skips_a_gap_too_small_after_alignment) {
	size_t align = chunk_pages() / 4;
	run_ref_t head = take(1, 1);
	run_ref_t mid = take(align, 1); /* pages 1 .. align */
	run_ref_t r = take(align, align);
	cr_assert_eq(r.chunk, head.chunk);
	cr_assert_eq(page_in_chunk(r), 2 * align, "page %zu", page_in_chunk(r));
	(void)mid;
}

Test(extent, growth_in_place_fails_when_the_next_pages_are_used) {
	run_ref_t r = take(2, 1);
	run_ref_t next = take(1, 1);
	cr_assert_eq(next.addr, r.addr + 2 * page_bytes);
	mutex_lock(&ex.lock);
	cr_assert_not(extents_grow(&ex, r.chunk, r.addr, 2, 1));
	cr_assert_not(extents_grow(&ex, r.chunk, r.addr, 2, 3));
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.active_pages, 3, "a failed growth takes nothing");
	give_back(next);
	mutex_lock(&ex.lock);
	cr_assert(extents_grow(&ex, r.chunk, r.addr, 2, 3));
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.active_pages, 5);
	/* The grown pages are taken: the next run starts after them. */
	run_ref_t after = take(1, 1);
	cr_assert_eq(after.addr, r.addr + 5 * page_bytes);
}

Test(extent, growth_in_place_stops_at_the_end_of_the_chunk) {
	size_t cp = chunk_pages();
	run_ref_t head = take(cp - 2, 1);
	run_ref_t tail = take(1, 1);
	cr_assert_eq(page_in_chunk(tail), cp - 2);
	mutex_lock(&ex.lock);
	cr_assert_not(extents_grow(&ex, tail.chunk, tail.addr, 1, 2));
	cr_assert(extents_grow(&ex, tail.chunk, tail.addr, 1, 1));
	cr_assert_not(extents_grow(&ex, tail.chunk, tail.addr, 2, 1));
	mutex_unlock(&ex.lock);
	cr_assert_eq(tail.chunk->nfree_pages, 0);
	(void)head;
}

Test(extent, freeing_pages_makes_them_dirty_and_coalesces_runs) {
	size_t cp = chunk_pages();
	run_ref_t r[4];
	for (unsigned i = 0; i < 4; i++)
		r[i] = take(cp / 4, 1);
	cr_assert_eq(ex.nchunks, 1);
	cr_assert_eq(r[0].chunk->longest_free_pages, 0);
	give_back(r[1]);
	give_back(r[2]);
	cr_assert_eq(ex.dirty_pages, cp / 2);
	cr_assert_eq(r[0].chunk->longest_free_pages, cp / 2);
	run_ref_t whole = take(cp / 2, 1);
	cr_assert_eq(whole.addr, r[1].addr, "the two freed runs merged");
	cr_assert_eq(ex.nchunks, 1);
}

/* With retain off, a purge unmaps a chunk it leaves free and clean; with
 * retain on, the chunk stays as retained address space. */
Test(extent, purge_unmaps_a_clean_free_chunk_unless_retained) {
	size_t cp = chunk_pages();
	run_ref_t r = take(cp, 1);
	give_back(r);
	unsigned long unmaps = fake_counters().unmap_calls;
	mutex_lock(&ex.lock);
	extents_purge(&ex, cp, DIRTY_KEEP);
	extents_purge(&ex, cp, MUZZY_KEEP);
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.nchunks, 1);
	cr_assert_eq(fake_counters().unmap_calls, unmaps);
	cr_assert_eq(extents_retained_bytes(&ex), CHUNK_BYTES);
	/* Dirty again, then purged with retain off: gone. */
	give_back(take(cp, 1));
	mutex_lock(&ex.lock);
	extents_purge(&ex, cp, DIRTY_ALL);
	extents_purge(&ex, cp, MUZZY_ALL);
	mutex_unlock(&ex.lock);
	cr_assert_eq(ex.nchunks, 0);
	cr_assert_eq(fake_counters().unmap_calls, unmaps + 1);
	cr_assert_eq(ex.purge_stats.chunks_unmapped, 1);
}

/* Emptied chunks stay mapped: dirty until decay purges them, and with
 * retain (the default) still mapped afterwards, as retained address space
 * that the next chunk-sized request reuses without the backend. */
Test(extent, emptied_chunks_stay_mapped_and_are_retained_after_purge) {
	size_t cp = chunk_pages();
	run_ref_t a = take(cp, 1);
	run_ref_t b = take(cp, 1);
	cr_assert_neq(a.chunk, b.chunk);
	unsigned long unmaps = fake_counters().unmap_calls;
	unsigned long reserves = fake_counters().reserve_calls;
	give_back(a);
	give_back(b);
	cr_assert_eq(fake_counters().unmap_calls, unmaps);
	cr_assert_eq(ex.nchunks, 2);
	cr_assert_eq(ex.dirty_pages, 2 * cp);
	mutex_lock(&ex.lock);
	extents_purge(&ex, 2 * cp, DIRTY_KEEP);
	extents_purge(&ex, 2 * cp, MUZZY_KEEP);
	mutex_unlock(&ex.lock);
	cr_assert_eq(fake_counters().unmap_calls, unmaps, "retained, not unmapped");
	cr_assert_eq(ex.nchunks, 2);
	cr_assert_eq(extents_retained_bytes(&ex), 2 * CHUNK_BYTES);
	run_ref_t c = take(cp, 1);
	cr_assert_eq(fake_counters().reserve_calls, reserves,
	             "a retained chunk serves the next request");
	cr_assert(c.chunk == a.chunk || c.chunk == b.chunk);
	cr_assert(c.is_zeroed, "eagerly purged pages read as zero");
	give_back(c);
}

/* Frees one whole chunk after another, each followed by the step a free
 * runs after releasing the bin lock; returns how many chunks remain dirty.
 * The arena's decay times are dirty_ms and no lazy stage. */
static size_t free_chunks_one_by_one(long dirty_ms, unsigned nchunks) {
	backend_placement_t placement = { .node = -1 };
	extents_reset(&ex, &placement, dirty_ms, 0);
	size_t cp = chunk_pages();
	run_ref_t r[EXTENT_FREE_CHUNKS_KEPT + 8];
	cr_assert_leq(nchunks, ARRAY_LEN(r));
	for (unsigned i = 0; i < nchunks; i++)
		r[i] = take(cp, 1);
	for (unsigned i = 0; i < nchunks; i++) {
		give_back(r[i]);
		extents_dirtied(&ex);
	}
	return ex.dirty_pages / cp;
}

/* With decay 10 s, all but EXTENT_FREE_CHUNKS_KEPT emptied chunks go at
 * the free that empties one more: eagerly (no lazy stage), whole. */
Test(extent, free_chunks_beyond_those_kept_are_purged_at_the_free) {
	unsigned long lazy = fake_counters().purge_lazy_calls;
	unsigned long eager = fake_counters().purge_eager_calls;
	size_t kept = free_chunks_one_by_one(10000, EXTENT_FREE_CHUNKS_KEPT + 3);
	cr_assert_eq(kept, EXTENT_FREE_CHUNKS_KEPT);
	cr_assert_eq(ex.purge_stats.eager_pages, 3 * chunk_pages());
	cr_assert_eq(fake_counters().purge_eager_calls, eager + 3,
	             "one purge per chunk, whole");
	cr_assert_eq(fake_counters().purge_lazy_calls, lazy);
	cr_assert_eq(ex.muzzy_pages, 0);
}

/* Chunks emptied by the free of a large run stay dirty for the next
 * large runs, up to EXTENT_LARGE_CHUNKS_KEPT of them, whatever the burst
 * rule above keeps; decay still purges them, and reuse clears the mark. */
Test(extent, free_chunks_emptied_by_large_runs_are_left_to_decay) {
	backend_placement_t placement = { .node = -1 };
	extents_reset(&ex, &placement, 10000, 0);
	size_t cp = chunk_pages();
	unsigned n = EXTENT_FREE_CHUNKS_KEPT + 3;
	run_ref_t r[EXTENT_FREE_CHUNKS_KEPT + 3];
	for (unsigned i = 0; i < n; i++)
		r[i] = take(cp, 1);
	unsigned long eager = fake_counters().purge_eager_calls;
	for (unsigned i = 0; i < n; i++) {
		mutex_lock(&ex.lock);
		extents_free_large(&ex, r[i].chunk, r[i].addr, r[i].npages);
		mutex_unlock(&ex.lock);
		extents_dirtied(&ex);
	}
	cr_assert_eq(ex.dirty_pages, n * cp, "every emptied chunk kept dirty");
	cr_assert_eq(fake_counters().purge_eager_calls, eager);
	cr_assert_eq(ex.large_kept_chunks, n);
	run_ref_t again = take(cp, 1);
	cr_assert_eq(ex.large_kept_chunks, n - 1, "reuse clears the mark");
	give_back(again);
	extents_decay(&ex, true);
	cr_assert_eq(ex.dirty_pages, 0, "decay purges them");
	cr_assert_eq(ex.large_kept_chunks, 0);
}

/* dirty_decay_ms -1 keeps every emptied chunk dirty. */
Test(extent, free_chunks_stay_dirty_when_decay_is_off) {
	unsigned long eager = fake_counters().purge_eager_calls;
	size_t kept = free_chunks_one_by_one(-1, EXTENT_FREE_CHUNKS_KEPT + 3);
	cr_assert_eq(kept, EXTENT_FREE_CHUNKS_KEPT + 3);
	cr_assert_eq(fake_counters().purge_eager_calls, eager);
}

/* What a decay pass purges of n freed pages beside a live run, with the
 * given muzzy decay time: the pages left muzzy. */
static size_t decay_pass_leaves_muzzy(long muzzy_ms, size_t n) {
	backend_placement_t placement = { .node = -1 };
	extents_reset(&ex, &placement, 10000, muzzy_ms);
	run_ref_t live = take(1, 1);
	run_ref_t freed = take(n, 1);
	(void)live;
	give_back(freed);
	extents_decay(&ex, true);
	cr_assert_eq(ex.dirty_pages, 0);
	return ex.muzzy_pages;
}

/* muzzy_decay_ms 0 (the default): no lazy stage, one eager purge. */
Test(extent, without_a_muzzy_time_decay_purges_eagerly) {
	unsigned long lazy = fake_counters().purge_lazy_calls;
	unsigned long eager = fake_counters().purge_eager_calls;
	cr_assert_eq(decay_pass_leaves_muzzy(0, 4), 0);
	cr_assert_eq(fake_counters().purge_lazy_calls, lazy);
	cr_assert_eq(fake_counters().purge_eager_calls, eager + 1);
}

/* A muzzy time brings the lazy stage back (forced: then eager too). */
Test(extent, with_a_muzzy_time_decay_purges_lazily_first) {
	unsigned long lazy = fake_counters().purge_lazy_calls;
	decay_pass_leaves_muzzy(10000, 4);
	cr_assert_eq(fake_counters().purge_lazy_calls, lazy + 1);
}

Test(extent, failed_reserve_returns_null_and_keeps_state) {
	run_ref_t r = take(chunk_pages(), 1);
	(void)r;
	fake_fail_reserve(true);
	chunk_t *chunk;
	bool is_zeroed;
	mutex_lock(&ex.lock);
	void *p = extents_alloc(&ex, 1, 1, &chunk, &is_zeroed);
	mutex_unlock(&ex.lock);
	fake_fail_reserve(false);
	cr_assert_null(p);
	cr_assert_eq(ex.nchunks, 1);
	cr_assert_eq(ex.active_pages, chunk_pages());
	run_ref_t later = take(1, 1);
	cr_assert_eq(ex.nchunks, 2);
	cr_assert(later.is_zeroed);
}

Test(extent, release_all_unmaps_every_chunk) {
	for (unsigned i = 0; i < 3; i++)
		take(chunk_pages(), 1);
	unsigned long unmaps = fake_counters().unmap_calls;
	size_t reserved = fake_counters().reserved_bytes;
	mutex_lock(&ex.lock);
	extents_release_all(&ex);
	mutex_unlock(&ex.lock);
	cr_assert_eq(fake_counters().unmap_calls, unmaps + 3);
	cr_assert_eq(fake_counters().reserved_bytes, reserved - 3 * CHUNK_BYTES);
	cr_assert_eq(ex.nchunks, 0);
	cr_assert_eq(ex.active_pages, 0);
}

/* A chunk's counts and fit data against its maps, recounted bit by bit:
 * the longest free run (what best_chunk trusts to hold a run without a
 * search), the free and dirty pages, and no page both allocated and
 * dirty or muzzy. */
static void check_chunk(const chunk_t *c) {
	size_t longest = 0, run = 0, nfree = 0, ndirty = 0, nmuzzy = 0;
	for (size_t i = 0; i < c->npages; i++) {
		bool used = (c->alloc_map[i / 64] >> (i % 64)) & 1;
		bool dirty = (c->dirty_map[i / 64] >> (i % 64)) & 1;
		bool muzzy = (c->muzzy_map[i / 64] >> (i % 64)) & 1;
		cr_assert(!(used && (dirty || muzzy)), "page %zu used and free", i);
		run = used ? 0 : run + 1;
		if (run > longest)
			longest = run;
		nfree += !used;
		ndirty += dirty;
		nmuzzy += muzzy;
	}
	cr_assert_eq(c->longest_free_pages, longest);
	cr_assert_eq(c->nfree_pages, nfree);
	cr_assert_eq(c->ndirty_pages, ndirty);
	cr_assert_eq(c->nmuzzy_pages, nmuzzy);
}

/* Random takes (aligned and not) and frees, and now and then a purge:
 * after each, every chunk's counts match its maps, the arena's dirty
 * count is their sum, and a new run overlaps no live one. */
Test(extent, counts_and_longest_runs_follow_random_takes_and_frees) {
	size_t cp = chunk_pages();
	enum { NLIVE = 64 };
	run_ref_t live[NLIVE];
	unsigned nlive = 0;
	uint64_t x = 7;
	for (unsigned step = 0; step < 4000; step++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		unsigned r = (unsigned)(x >> 33);
		if (nlive == NLIVE || (nlive > 0 && r % 5 < 2)) {
			unsigned k = (r >> 3) % nlive;
			give_back(live[k]);
			live[k] = live[--nlive];
		} else if (r % 41 == 0) {
			mutex_lock(&ex.lock);
			extents_purge(&ex, SIZE_MAX,
			              (r & 64) ? MUZZY_KEEP : DIRTY_KEEP);
			mutex_unlock(&ex.lock);
		} else {
			size_t n = 1 + (r >> 8) % (r & 1 ? cp / 4 : 8);
			size_t align = (r & 2) ? (size_t)1 << ((r >> 4) % 4) : 1;
			run_ref_t t = take(n, align);
			cr_assert_eq(page_in_chunk(t) % align, 0);
			for (unsigned i = 0; i < nlive; i++)
				cr_assert(live[i].chunk != t.chunk ||
				              t.addr + (n << lg_page) <= live[i].addr ||
				              live[i].addr + (live[i].npages << lg_page) <=
				                  t.addr,
				          "step %u: the new run overlaps a live one", step);
			live[nlive++] = t;
		}
		size_t dirty = 0;
		for (const chunk_t *c = ex.chunks; c != NULL; c = c->next) {
			check_chunk(c);
			dirty += c->ndirty_pages;
		}
		cr_assert_eq(ex.dirty_pages, dirty, "step %u", step);
	}
	while (nlive > 0)
		give_back(live[--nlive]);
}
