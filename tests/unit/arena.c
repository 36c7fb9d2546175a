/*
 * arena.c — large and huge runs for every class up to 4 MiB, alignment up
 * to a chunk and beyond, in-place resizing, manual arenas (placement
 * checks, destroy), the least-loaded choice of automatic arenas, and the
 * entirely free chunks automatic arenas lend each other.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "fake_backend.h"
#include "pagemap.h"
#include "sizeclass.h"
#include "strata.h"

#define LARGE_LIMIT ((size_t)4 << 20)

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(arena, .init = boot, .timeout = 60);

static unsigned new_arena_index(void) {
	backend_placement_t placement = { .node = -1 };
	unsigned index;
	cr_assert_eq(arena_create_manual(&placement, -2, -2, &index), 0);
	cr_assert_geq(index, narenas_auto);
	return index;
}

static arena_t *new_arena(void) { return arena_get(new_arena_index()); }

static run_t *run_of(const void *p) {
	pm_entry_t e = pagemap_lookup(addr_of(p));
	cr_assert_neq(e, 0, "%p not registered", p);
	return pm_desc(e);
}

static void *large(arena_t *a, unsigned ind, size_t align) {
	void *p = arena_malloc_large(a, ind, align, false);
	cr_assert_not_null(p, "class %u (%zu), align %zu", ind, sc_class_size(ind),
	                   align);
	return p;
}

Test(arena, every_large_and_huge_class_up_to_4_mib_round_trips) {
	arena_t *a = new_arena();
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= LARGE_LIMIT; ind++) {
		size_t usize = sc_usable_size(ind);
		bool is_huge = usize > CHUNK_BYTES;
		unsigned long unmaps = fake_counters().unmap_calls;
		char *p = large(a, ind, page_bytes);
		cr_assert_eq(addr_of(p) % page_bytes, 0, "class %u", ind);
		pm_entry_t e = pagemap_lookup(addr_of(p));
		run_t *run = pm_desc(e);
		cr_assert_not_null(run, "class %u", ind);
		cr_assert_eq(pm_ind(e), ind);
		cr_assert_eq(e & PM_SLAB, 0);
		cr_assert_neq(e & PM_NO_TCACHE, 0, "manual arena's run");
		cr_assert_eq(run->addr, p);
		if (is_huge) /* a mapping may serve a somewhat smaller class */
			cr_assert_geq(run->bytes, usize, "class %u", ind);
		else
			cr_assert_eq(run->bytes, usize, "class %u", ind);
		cr_assert_eq(run->arena, a);
		cr_assert_eq(run->kind, is_huge ? RUN_HUGE : RUN_LARGE, "class %u",
		             ind);
		cr_assert_eq(a->large.allocated_bytes + a->large.huge_allocated_bytes,
		             usize);
		p[0] = 1;
		p[usize - 1] = 2;
		arena_dalloc_large(run);
		cr_assert_eq(pagemap_lookup(addr_of(p)), PM_FREED, "class %u", ind);
		cr_assert_eq(a->large.allocated_bytes + a->large.huge_allocated_bytes,
		             0);
		/* A freed huge mapping gives back its pages at the latest when
		 * the arena purges everything and, with retain, stays cached
		 * for reuse; a large run stays in its chunk. */
		arena_decay(a, true);
		cr_assert_eq(extents_dirty_pages(&a->extents), 0, "class %u", ind);
		cr_assert_eq(fake_counters().unmap_calls, unmaps, "class %u", ind);
	}
	cr_assert_eq(a->large.nmalloc, a->large.ndalloc);
	cr_assert_eq(a->large.huge_nmalloc, 4, "2.5, 3, 3.5 and 4 MiB");
	cr_assert_eq(a->large.huge_ndalloc, 4);
}

/* Live at once: distinct, non-overlapping runs. */
Test(arena, live_large_runs_do_not_overlap) {
	arena_t *a = new_arena();
	char *p[64];
	unsigned n = 0;
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= LARGE_LIMIT && n < 64;
	     ind++, n++) {
		p[n] = large(a, ind, page_bytes);
		memset(p[n], (int)n, sc_usable_size(ind));
	}
	for (unsigned i = 0; i < n; i++) {
		run_t *ri = run_of(p[i]);
		for (size_t k = 0; k < ri->bytes; k += page_bytes)
			cr_assert_eq(p[i][k], (char)i, "run %u overwritten", i);
		for (unsigned j = i + 1; j < n; j++) {
			run_t *rj = run_of(p[j]);
			cr_assert(ri->addr + ri->bytes <= rj->addr ||
			          rj->addr + rj->bytes <= ri->addr,
			          "runs %u and %u overlap", i, j);
		}
	}
	for (unsigned i = 0; i < n; i++)
		arena_dalloc_large(run_of(p[i]));
	cr_assert_eq(a->extents.active_pages, 0);
}

Test(arena, zeroed_large_allocation_reads_as_zero_after_reuse) {
	arena_t *a = new_arena();
	for (unsigned ind = SC_NSMALL; sc_usable_size(ind) <= CHUNK_BYTES; ind++) {
		size_t usize = sc_usable_size(ind);
		char *p = large(a, ind, page_bytes);
		memset(p, 0xc3, usize);
		arena_dalloc_large(run_of(p));
		char *q = arena_malloc_large(a, ind, page_bytes, true);
		cr_assert_eq(q, p, "class %u: the dirty run comes back", ind);
		for (size_t i = 0; i < usize; i += 512)
			cr_assert_eq(q[i], 0, "class %u byte %zu", ind, i);
		cr_assert_eq(q[usize - 1], 0);
		arena_dalloc_large(run_of(q));
	}
}

/* Every power of two from a page to 8 MiB, for a few classes: up to a
 * chunk the run is placed in a chunk, beyond it the run is huge. */
Test(arena, alignment_up_to_a_chunk_and_beyond) {
	arena_t *a = new_arena();
	unsigned classes[] = { SC_NSMALL, SC_NSMALL + 5, sc_index(1 << 20),
		               sc_index(3 << 20) };
	for (size_t c = 0; c < ARRAY_LEN(classes); c++)
		for (size_t align = page_bytes; align <= ((size_t)8 << 20);
		     align *= 2) {
			unsigned ind = classes[c];
			/* A one-page run first, so that alignment has work. */
			char *pad = large(a, SC_NSMALL, page_bytes);
			char *p = large(a, classes[c], align);
			cr_assert_eq(addr_of(p) % align, 0, "class %u align %zu", ind,
			             align);
			run_t *run = run_of(p);
			bool is_huge = align > CHUNK_BYTES ||
			               sc_usable_size(ind) > CHUNK_BYTES;
			cr_assert_eq(run->kind, is_huge ? RUN_HUGE : RUN_LARGE,
			             "class %u align %zu", ind, align);
			cr_assert_geq(run->bytes, sc_usable_size(ind));
			cr_assert_eq(pm_ind(pagemap_lookup(addr_of(p))), ind);
			arena_dalloc_large(run);
			arena_dalloc_large(run_of(pad));
		}
}

/* Each large class grows to the next one and shrinks back in place while
 * the pages after it are free; with a neighbour there, growth fails and
 * leaves the run as it was. */
Test(arena, large_runs_resize_in_place_while_the_next_pages_are_free) {
	for (unsigned ind = SC_NSMALL; sc_usable_size(ind + 1) <= CHUNK_BYTES / 2;
	     ind++) {
		unsigned index = new_arena_index();
		arena_t *a = arena_get(index);
		size_t usize = sc_usable_size(ind), next = sc_usable_size(ind + 1);
		char *p = large(a, ind, page_bytes);
		run_t *run = run_of(p);
		cr_assert(arena_resize_large_in_place(run, ind + 1), "class %u", ind);
		cr_assert_eq(run->bytes, next);
		cr_assert_eq(pm_ind(pagemap_lookup(addr_of(p))), ind + 1);
		cr_assert_eq(a->extents.active_pages, next >> lg_page);
		cr_assert_eq(a->large.allocated_bytes, next);
		cr_assert(arena_resize_large_in_place(run, ind), "class %u", ind);
		cr_assert_eq(run->bytes, usize);
		cr_assert_eq(pm_ind(pagemap_lookup(addr_of(p))), ind);
		cr_assert_eq(a->extents.active_pages, usize >> lg_page);
		/* A neighbour right after the run. */
		char *q = large(a, SC_NSMALL, page_bytes);
		cr_assert_eq(q, p + usize, "class %u: first fit after the run", ind);
		bool grew = arena_resize_large_in_place(run, ind + 1);
		if (next > usize) {
			cr_assert_not(grew, "class %u grew over its neighbour", ind);
			cr_assert_eq(run->bytes, usize);
			cr_assert_eq(pm_ind(pagemap_lookup(addr_of(p))), ind);
		} else { /* same pages at this page size */
			cr_assert(grew);
		}
		cr_assert_eq(arena_destroy(index), 0);
	}
}

Test(arena, shrunk_tail_is_reused) {
	arena_t *a = new_arena();
	unsigned big = sc_index(16 * page_bytes), small = sc_index(4 * page_bytes);
	char *p = large(a, big, page_bytes);
	cr_assert(arena_resize_large_in_place(run_of(p), small));
	char *q = large(a, sc_index(12 * page_bytes), page_bytes);
	cr_assert_eq(q, p + 4 * page_bytes);
}

Test(arena, huge_runs_and_huge_targets_do_not_resize_in_place) {
	arena_t *a = new_arena();
	unsigned huge = sc_index(3 << 20);
	char *h = large(a, huge, page_bytes);
	cr_assert_not(arena_resize_large_in_place(run_of(h), huge + 1));
	cr_assert_not(arena_resize_large_in_place(run_of(h), huge - 1));
	char *p = large(a, sc_index(CHUNK_BYTES / 2), page_bytes);
	cr_assert_not(arena_resize_large_in_place(run_of(p), huge));
	cr_assert_eq(run_of(p)->bytes, CHUNK_BYTES / 2);
}

/* ---- manual arenas ---- */

/* The one check of a placement (pages_placement_check), which
 * strata_arena_create makes before arena_create_manual. */
Test(arena, manual_arena_with_an_unsupported_tier_or_node_is_refused) {
	backend_placement_t bad_tier = { .node = -1, .tier = STRATA_TIER_HBM };
	backend_placement_t bad_node = { .node = (int)pages_info.node_count };
	backend_placement_t negative = { .node = -5 };
	backend_placement_t tagged = { .node = -1, .is_tagged = true };
	backend_placement_t unknown = { .node = -1, .tier = BACKEND_TIER_COUNT };
	backend_placement_t pmem_default = { .node = -1, .pmem_dir = "/pmem" };
	backend_placement_t bound_alone = { .node = -1, .pmem_max_bytes = 1 };
	cr_assert_eq(pages_placement_check(&bad_tier), ENOTSUP);
	cr_assert_eq(pages_placement_check(&bad_node), ENOTSUP);
	cr_assert_eq(pages_placement_check(&negative), EINVAL);
	cr_assert_eq(pages_placement_check(&tagged), ENOTSUP);
	cr_assert_eq(pages_placement_check(&unknown), EINVAL);
	cr_assert_eq(pages_placement_check(&pmem_default), EINVAL);
	cr_assert_eq(pages_placement_check(&bound_alone), EINVAL);
	unsigned index = 12345;
	unsigned total = atomic_load(&narenas_total);
	/* Through the public API, which makes that check. */
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_HBM;
	cr_assert_eq(strata_arena_create(&opts, &index), ENOTSUP);
	strata_arena_opts_init(&opts);
	opts.node = (int)pages_info.node_count;
	cr_assert_eq(strata_arena_create(&opts, &index), ENOTSUP);
	cr_assert_eq(index, 12345, "no index on failure");
	cr_assert_eq(atomic_load(&narenas_total), total);
	/* The last node that exists is fine. */
	opts.node = (int)pages_info.node_count - 1;
	cr_assert_eq(strata_arena_create(&opts, &index), 0);
	cr_assert_eq(strata_arena_destroy(index), 0);
}

/* Suite arena_numa boots with a fake of two NUMA nodes (the backend reads
 * STRATA_FAKE_NODES once, at boot). */
static void two_nodes(void) {
	setenv("STRATA_FAKE_NODES", "2", 1);
	boot();
}

TestSuite(arena_numa, .init = two_nodes, .timeout = 60);

Test(arena_numa, manual_arena_on_a_second_node_needs_two_nodes) {
	cr_assert_eq(pages_info.node_count, 2);
	backend_placement_t node1 = { .node = 1 }, node2 = { .node = 2 };
	unsigned index;
	cr_assert_eq(pages_placement_check(&node2), ENOTSUP);
	cr_assert_eq(pages_placement_check(&node1), 0);
	cr_assert_eq(arena_create_manual(&node1, -2, -2, &index), 0);
	void *p = arena_malloc_small(arena_get(index), 3, false);
	cr_assert_not_null(p);
	cr_assert_eq(arena_destroy(index), 0);
}

Test(arena, destroying_a_manual_arena_unmaps_it_and_clears_the_pagemap) {
	unsigned index = new_arena_index();
	arena_t *a = arena_get(index);
	void *blocks[SC_NSMALL + 64];
	unsigned n = 0;
	for (unsigned ind = 0; ind < SC_NSMALL; ind++)
		cr_assert_not_null(blocks[n++] = arena_malloc_small(a, ind, false));
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= LARGE_LIMIT; ind++)
		blocks[n++] = large(a, ind, page_bytes);
	size_t nchunks = a->extents.nchunks;
	unsigned nhuge = 4;
	unsigned long unmaps = fake_counters().unmap_calls;
	size_t reserved = fake_counters().reserved_bytes;
	for (unsigned i = 0; i < n; i++)
		cr_assert_neq(pagemap_lookup(addr_of(blocks[i])), 0);
	cr_assert_eq(arena_destroy(index), 0);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(pagemap_lookup(addr_of(blocks[i])), 0,
		             "block %u of class %zu still registered", i,
		             i < SC_NSMALL ? sc_class_size(i) : 0);
	cr_assert_eq(fake_counters().unmap_calls, unmaps + nchunks + nhuge);
	cr_assert_lt(fake_counters().reserved_bytes,
	             reserved - nchunks * CHUNK_BYTES + 1);
	cr_assert_null(arena_get(index));
	cr_assert_eq(arena_destroy(index), EINVAL, "destroyed twice");
}

/* Every page of every slab is cleared, not just the first. */
Test(arena, destroy_clears_every_page_of_a_slab) {
	unsigned index = new_arena_index();
	arena_t *a = arena_get(index);
	char *slabs[SC_NSMALL];
	for (unsigned ind = 0; ind < SC_NSMALL; ind++)
		slabs[ind] = arena_malloc_small(a, ind, false);
	cr_assert_eq(strata_arena_destroy(index), 0);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++)
		for (size_t off = 0; off < sc_slab[ind].slab_bytes;
		     off += page_bytes)
			cr_assert_eq(pagemap_lookup(addr_of(slabs[ind]) + off), 0,
			             "class %u page %zu", ind, off / page_bytes);
}

Test(arena, a_destroyed_arena_index_is_reused_and_starts_empty) {
	unsigned index = new_arena_index();
	arena_t *a = arena_get(index);
	large(a, SC_NSMALL, page_bytes);
	cr_assert_eq(arena_destroy(index), 0);
	unsigned again = new_arena_index();
	cr_assert_eq(again, index);
	arena_t *b = arena_get(again);
	cr_assert_eq(b->extents.active_pages, 0);
	cr_assert_eq(b->large.allocated_bytes, 0);
	cr_assert_null(b->large_runs);
}

Test(arena, destroying_an_automatic_or_unknown_arena_is_einval) {
	for (unsigned i = 0; i < narenas_auto; i++) {
		cr_assert_eq(arena_destroy(i), EINVAL, "automatic arena %u", i);
		cr_assert_eq(strata_arena_destroy(i), EINVAL);
	}
	cr_assert_eq(arena_destroy(ARENAS_MAX - 1), EINVAL);
	cr_assert_eq(arena_destroy(ARENAS_MAX), EINVAL);
	cr_assert_eq(strata_arena_destroy(~0u), EINVAL);
	cr_assert_not_null(arena_get(0), "arena 0 survives");
}

/* ---- automatic arenas ---- */

/* Each choice counts a thread on the arena it returns, so choosing
 * narenas_auto times (nothing released) meets every automatic arena once;
 * releasing one makes it the next choice: a thread that starts after
 * another exited takes over the exited thread's arena. */
Test(arena, automatic_arenas_go_to_the_least_loaded) {
	cr_assert_gt(narenas_auto, 0);
	arena_t *taken[ARENAS_MAX / 2];
	unsigned base_load[ARENAS_MAX / 2];
	for (unsigned i = 0; i < narenas_auto; i++)
		base_load[i] = atomic_load(&arena_get(i)->nthreads);
	unsigned lo = UINT_MAX, hi = 0;
	for (unsigned i = 0; i < narenas_auto; i++) {
		lo = base_load[i] < lo ? base_load[i] : lo;
		hi = base_load[i] > hi ? base_load[i] : hi;
	}
	uint64_t seen = 0;
	for (unsigned k = 0; k < narenas_auto; k++) {
		taken[k] = arena_choose_auto_counted(0);
		cr_assert_not_null(taken[k]);
		cr_assert_not(taken[k]->is_manual);
		cr_assert_eq(atomic_load(&taken[k]->nthreads),
		             base_load[taken[k]->index] + 1, "turn %u", k);
		seen |= (uint64_t)1 << (taken[k]->index % 64);
	}
	unsigned want = narenas_auto < 64 ? narenas_auto : 64;
	if (hi - lo <= 1)
		cr_assert_eq((unsigned)__builtin_popcountll(seen), want);
	/* The thread on the last arena taken leaves; the next thread gets it
	 * (when every arena carried the same load to begin with). */
	arena_t *left = taken[narenas_auto - 1];
	atomic_fetch_sub(&left->nthreads, 1);
	arena_t *next = arena_choose_auto_counted(0);
	if (hi == lo)
		cr_assert_eq(next, left, "arena %u, not %u", next->index,
		             left->index);
	atomic_fetch_sub(&next->nthreads, 1);
	for (unsigned k = 0; k + 1 < narenas_auto; k++)
		atomic_fetch_sub(&taken[k]->nthreads, 1);
}

/* With two nodes, automatic arena i lives on node i % 2; a node's
 * choices keep to its own arenas. */
Test(arena_numa, choice_keeps_to_the_threads_node) {
	cr_assert_eq(pages_info.node_count, 2);
	if (narenas_auto < 4)
		cr_skip_test("fewer than two automatic arenas per node");
	unsigned per_node = narenas_auto / 2;
	for (unsigned node = 0; node < 2; node++) {
		arena_t *taken[ARENAS_MAX / 2];
		for (unsigned k = 0; k < per_node; k++) {
			arena_t *a = arena_choose_auto_counted(node);
			taken[k] = a;
			cr_assert_eq(a->index % 2, node, "arena %u for node %u",
			             a->index, node);
			cr_assert_eq(a->extents.placement.node, (int)node);
		}
		for (unsigned k = 0; k < per_node; k++)
			atomic_fetch_sub(&taken[k]->nthreads, 1);
	}
}

/* The pagemap leaves a descriptor's low six bits to flags: every kind of
 * run descriptor (slab of each class, large, huge) is 64-byte aligned and
 * no entry sets a bit of PM_FREE_MASK. */
Test(arena, every_run_descriptor_leaves_the_free_pagemap_bits_clear) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; sc_class_size(ind) <= LARGE_LIMIT; ind++) {
		void *p = sc_is_small(ind) ? arena_malloc_small(a, ind, false)
		                           : large(a, ind, page_bytes);
		cr_assert_not_null(p, "class %u", ind);
		pm_entry_t e = pagemap_lookup(addr_of(p));
		cr_assert_eq(addr_of(pm_desc(e)) % PM_DESC_ALIGN, 0,
		             "class %u", ind);
		cr_assert_eq(e & PM_FREE_MASK, 0, "class %u", ind);
		run_t *run = pm_desc(e);
		cr_assert_eq(run->ind, ind, "class %u", ind);
		if (sc_is_small(ind))
			arena_dalloc_small(run, p);
		else
			arena_dalloc_large(run);
	}
}

/* Entirely free chunks move between automatic arenas of one placement:
 * the arena that needs a chunk takes another's (its dirty pages) before
 * reserving a new one.  A manual arena neither takes nor lends. */
/* n runs of half a chunk in a, each filled with its number + 1; how many
 * of them held a byte other than zero before (reused dirty pages). */
static unsigned half_chunk_runs(arena_t *a, void **p, unsigned n) {
	unsigned ind = sc_index_compute(CHUNK_BYTES / 2);
	unsigned reused = 0;
	for (unsigned i = 0; i < n; i++) {
		p[i] = large(a, ind, page_bytes);
		volatile unsigned char *b = p[i];
		reused += b[0] != 0;
		memset(p[i], (int)i + 1, CHUNK_BYTES / 2);
	}
	return reused;
}

static void free_runs(void **p, unsigned n) {
	for (unsigned i = 0; i < n; i++)
		arena_dalloc_large(run_of(p[i]));
}

#define LEND_RUNS 16u /* two to a chunk: 8 chunks */

Test(arena, an_automatic_arena_takes_the_free_chunks_of_another) {
	if (narenas_auto < 3)
		cr_skip_test("needs 3 automatic arenas, has %u", narenas_auto);
	/* The last two: this thread's own (the least loaded at boot, the
	 * first) allocates nothing there. */
	arena_t *lender = arena_get(narenas_auto - 1);
	arena_t *taker = arena_get(narenas_auto - 2);
	cr_assert_eq(arena_set_decay_ms(lender, false, -1), 0); /* keep all */
	void *p[LEND_RUNS];
	half_chunk_runs(lender, p, LEND_RUNS);
	size_t lent = lender->extents.nchunks;
	cr_assert_geq(lent, LEND_RUNS / 2);
	free_runs(p, LEND_RUNS);
	cr_assert_eq(lender->extents.nchunks, lent, "decay -1 keeps them");
	size_t dirty = lender->extents.dirty_pages;
	cr_assert_geq(dirty, LEND_RUNS / 2 * chunk_pages());

	unsigned long reserves = fake_counters().reserve_calls;
	uint64_t adopted = taker->extents.purge_stats.chunks_adopted;
	size_t taker_chunks = taker->extents.nchunks;
	unsigned reused = half_chunk_runs(taker, p, LEND_RUNS);
	uint64_t moved = taker->extents.purge_stats.chunks_adopted - adopted;
	size_t want = LEND_RUNS / 2 > taker_chunks ? LEND_RUNS / 2 - taker_chunks
	                                           : 0;
	cr_assert_geq(moved, want,
	              "%llu chunks taken", (unsigned long long)moved);
	cr_assert_eq(fake_counters().reserve_calls, reserves,
	             "a new chunk was reserved while another arena had free ones");
	cr_assert_eq(lender->extents.nchunks, lent - moved);
	cr_assert_eq(taker->extents.nchunks, taker_chunks + moved);
	cr_assert_eq(lender->extents.dirty_pages,
	             dirty - moved * chunk_pages(), "dirty pages moved along");
	/* The lender's resident pages, not fresh ones: what it wrote is
	 * still there when the taker gets them. */
	cr_assert_geq(reused, 2 * moved, "%u runs held old bytes", reused);
	free_runs(p, LEND_RUNS);
	cr_assert_eq(arena_set_decay_ms(lender, false, opt.dirty_decay_ms), 0);
}

Test(arena, manual_arenas_neither_take_nor_lend_free_chunks) {
	if (narenas_auto < 2)
		cr_skip_test("needs 2 automatic arenas, has %u", narenas_auto);
	arena_t *automatic = arena_get(narenas_auto - 1);
	cr_assert_eq(arena_set_decay_ms(automatic, false, -1), 0);
	void *p[LEND_RUNS];
	half_chunk_runs(automatic, p, LEND_RUNS);
	free_runs(p, LEND_RUNS);
	size_t kept = automatic->extents.nchunks;

	arena_t *manual = new_arena();
	unsigned long reserves = fake_counters().reserve_calls;
	half_chunk_runs(manual, p, LEND_RUNS);
	cr_assert_eq(manual->extents.purge_stats.chunks_adopted, 0);
	cr_assert_geq(fake_counters().reserve_calls, reserves + LEND_RUNS / 2);
	cr_assert_eq(automatic->extents.nchunks, kept);
	free_runs(p, LEND_RUNS);

	/* Nor does an automatic arena take the manual one's. */
	arena_t *taker = arena_get(narenas_auto - 2);
	size_t manual_chunks = manual->extents.nchunks;
	cr_assert_eq(arena_set_decay_ms(automatic, false, opt.dirty_decay_ms), 0);
	half_chunk_runs(taker, p, 2);
	cr_assert_eq(manual->extents.nchunks, manual_chunks);
	free_runs(p, 2);
}

/* What the taker's run leaves of an adopted chunk is dirty in the taker,
 * under its decay: its deadline is armed, not left at "never". */
Test(arena, adopted_dirty_pages_are_under_the_takers_decay) {
	if (narenas_auto < 3)
		cr_skip_test("needs 3 automatic arenas, has %u", narenas_auto);
	arena_t *lender = arena_get(narenas_auto - 1);
	arena_t *taker = arena_get(narenas_auto - 2);
	cr_assert_eq(arena_set_decay_ms(lender, false, -1), 0);
	void *p[LEND_RUNS];
	half_chunk_runs(lender, p, LEND_RUNS);
	free_runs(p, LEND_RUNS);
	cr_assert_eq(taker->extents.dirty_pages, 0);
	cr_assert_eq(purge_due_ns(&taker->extents.purge), DECAY_NEVER,
	             "nothing to purge yet");
	uint64_t adopted = taker->extents.purge_stats.chunks_adopted;
	half_chunk_runs(taker, p, 1);
	cr_assert_eq(taker->extents.purge_stats.chunks_adopted, adopted + 1);
	cr_assert_eq(taker->extents.dirty_pages, chunk_pages() / 2,
	             "the other half came dirty");
	cr_assert_neq(purge_due_ns(&taker->extents.purge), DECAY_NEVER,
	              "the taker's decay has a deadline for them");
	free_runs(p, 1);
	cr_assert_eq(arena_set_decay_ms(lender, false, opt.dirty_decay_ms), 0);
}
