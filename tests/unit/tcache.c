/*
 * tcache.c — thread caches, for every small class: a fill hands out blocks
 * in ascending address order, a full bin flushes half, a GC visit flushes
 * three quarters of the low-water mark and adapts the fill size, flushing
 * everything empties the cache, a thread's exit gives its blocks back,
 * malloc at the low-water mark pops and lowers it, and tcache:false leaves
 * threads without a cache.
 *
 * Most tests use a private cache bound to a manual arena of its own, so
 * that the arena's bin counts (stats_arena_read) see only the test.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "pagemap.h"
#include "sizeclass.h"
#include "stats.h"
#include "strata.h"
#include "tcache.h"
#include "tsd.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(tcache, .init = boot, .timeout = 60);

static unsigned new_arena_index(void) {
	backend_placement_t placement = { .node = -1 };
	unsigned index;
	cr_assert_eq(arena_create_manual(&placement, -2, -2, &index), 0);
	return index;
}

static size_t curregs(arena_t *a, unsigned ind) {
	stats_arena_t s;
	memset(&s, 0, sizeof(s));
	stats_arena_read(a, &s);
	return s.bins[ind].curregs;
}

/* Pops everything left in bin ind; returns how many. */
static unsigned pop_all(tcache_t *tc, unsigned ind, void **out) {
	unsigned n = 0;
	void *p;
	while ((p = tcache_bin_pop(&tc->bins[ind])) != NULL)
		out[n++] = p;
	return n;
}

static void *blocks[1024];

Test(tcache, every_small_class_is_cached_by_default) {
	cr_assert(opt.tcache);
	cr_assert_geq(tcache_nbins, SC_NSMALL);
	cr_assert_neq(tsd_get()->tcache, &tcache_disabled);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		unsigned max = tcache_bin_ncached_max(&tsd_get()->tcache->bins[ind]);
		cr_assert_geq(max, 20, "class %u", ind);
		cr_assert_leq(max, 200, "class %u", ind);
	}
}

/* The malloc fast path's lookup: every small size finds its class's bin,
 * which carries the class's size; large bins carry 0. */
Test(tcache, every_small_size_finds_the_bin_of_its_class) {
	tcache_t *tc = tcache_create(arena_get(new_arena_index()));
	cr_assert_not_null(tc);
	for (size_t size = 0; size <= SC_SMALL_MAX; size++) {
		unsigned ind = sc_index(size == 0 ? 1 : size);
		tcache_bin_t *b = tcache_small_bin(tc, size);
		cr_assert_eq(b, &tc->bins[ind], "size %zu", size);
		cr_assert_eq(b->small_size, sc_small_size[ind], "size %zu", size);
	}
	for (unsigned ind = SC_NSMALL; ind < TCACHE_NBINS_MAX; ind++)
		cr_assert_eq(tc->bins[ind].small_size, 0, "class %u", ind);
}

Test(tcache, fill_gives_nfill_blocks_in_ascending_address_order) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		unsigned index = new_arena_index();
		arena_t *a = arena_get(index);
		tcache_t *tc = tcache_create(a);
		cr_assert_not_null(tc);
		tcache_bin_t *bin = &tc->bins[ind];
		unsigned nfill = tc->nfill[ind];
		cr_assert_eq(nfill, tcache_bin_ncached_max(bin) / 2);
		char *first = tcache_alloc_small_fill(tc, ind);
		cr_assert_not_null(first, "class %u", ind);
		cr_assert_eq(tcache_bin_ncached(bin), nfill - 1, "class %u", ind);
		cr_assert_eq(curregs(a, ind), nfill, "class %u", ind);
		unsigned n = pop_all(tc, ind, blocks);
		cr_assert_eq(n, nfill - 1);
		char *prev = first;
		for (unsigned i = 0; i < n; i++) {
			cr_assert_gt((char *)blocks[i], prev, "class %u pop %u", ind, i);
			cr_assert_eq(pm_ind(pagemap_lookup(addr_of(blocks[i]))), ind);
			prev = blocks[i];
		}
		blocks[n] = first;
		for (unsigned i = 0; i <= n; i++)
			arena_dalloc_small(pm_desc(pagemap_lookup(addr_of(blocks[i]))),
			                   blocks[i]);
		tcache_destroy(tc);
		cr_assert_eq(arena_destroy(index), 0);
	}
}

/* Through strata_free: a full bin flushes its older half, then takes the
 * block. */
Test(tcache, a_full_bin_flushes_half_on_free) {
	tsd_t *tsd = tsd_get();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		tcache_bin_t *bin = &tsd->tcache->bins[ind];
		unsigned max = tcache_bin_ncached_max(bin);
		size_t size = sc_small_size[ind];
		for (unsigned i = 0; i <= max; i++)
			cr_assert_not_null(blocks[i] = strata_malloc(size));
		tcache_flush_all(tsd->tcache);
		arena_t *a = tsd->arena;
		size_t live = curregs(a, ind);
		for (unsigned i = 0; i < max; i++)
			strata_free(blocks[i]);
		cr_assert_eq(tcache_bin_ncached(bin), max, "class %u", ind);
		cr_assert_eq(curregs(a, ind), live, "cached blocks stay counted");
		strata_free(blocks[max]);
		cr_assert_eq(tcache_bin_ncached(bin), max / 2 + 1, "class %u", ind);
		cr_assert_eq(curregs(a, ind), live - (max - max / 2),
		             "class %u", ind);
		/* The newest stayed: the next pop is the block just freed, then
		 * the ones freed before it. */
		cr_assert_eq(strata_malloc(size), blocks[max]);
		cr_assert_eq(strata_malloc(size), blocks[max - 1]);
		tcache_flush_all(tsd->tcache);
	}
}

/* Two GC rounds (each visits every bin once): the first finds the bin at
 * its low-water mark, so nothing was used; the second flushes 3/4 of it
 * and halves nfill; after the cache was drained, a third doubles it. */
Test(tcache, gc_flushes_three_quarters_of_low_water_and_adapts_nfill) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		unsigned index = new_arena_index();
		arena_t *a = arena_get(index);
		tcache_t *tc = tcache_create(a);
		tcache_bin_t *bin = &tc->bins[ind];
		unsigned nfill = tc->nfill[ind];
		void *first = tcache_alloc_small_fill(tc, ind);
		unsigned cached = tcache_bin_ncached(bin);
		cr_assert_eq(cached, nfill - 1);
		for (unsigned i = 0; i < tcache_nbins; i++)
			tcache_gc_step(tc);
		cr_assert_eq(tcache_bin_ncached(bin), cached, "class %u", ind);
		unsigned low_water = tcache_bin_low_water(bin);
		cr_assert_eq(low_water, cached, "class %u: nothing popped", ind);
		size_t live = curregs(a, ind);
		for (unsigned i = 0; i < tcache_nbins; i++)
			tcache_gc_step(tc);
		unsigned drop = low_water - low_water / 4;
		cr_assert_eq(tcache_bin_ncached(bin), cached - drop, "class %u", ind);
		cr_assert_eq(curregs(a, ind), live - drop, "class %u", ind);
		cr_assert_eq(tc->nfill[ind], nfill / 2, "class %u", ind);
		/* Used down to empty: the next visit doubles nfill again. */
		unsigned n = pop_all(tc, ind, blocks);
		cr_assert_eq(tcache_bin_low_water(bin), 0);
		for (unsigned i = 0; i < tcache_nbins; i++)
			tcache_gc_step(tc);
		cr_assert_eq(tc->nfill[ind], nfill / 2 * 2, "class %u", ind);
		blocks[n++] = first;
		for (unsigned i = 0; i < n; i++)
			arena_dalloc_small(pm_desc(pagemap_lookup(addr_of(blocks[i]))),
			                   blocks[i]);
		tcache_destroy(tc);
		cr_assert_eq(arena_destroy(index), 0);
	}
}

Test(tcache, flush_all_empties_every_bin) {
	unsigned index = new_arena_index();
	arena_t *a = arena_get(index);
	tcache_t *tc = tcache_create(a);
	void *first[SC_NSMALL];
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		first[ind] = tcache_alloc_small_fill(tc, ind);
		cr_assert_not_null(first[ind]);
		cr_assert_gt(tcache_bin_ncached(&tc->bins[ind]), 0);
	}
	tcache_flush_all(tc);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		cr_assert_eq(tcache_bin_ncached(&tc->bins[ind]), 0, "class %u", ind);
		cr_assert_null(tcache_bin_pop(&tc->bins[ind]));
		cr_assert_eq(curregs(a, ind), 1, "class %u: only the block handed "
		             "out is live", ind);
	}
	tcache_destroy(tc);
}

/* ---- thread exit ---- */

typedef struct exit_probe {
	arena_t *arena;
	unsigned ncached[SC_NSMALL];
	size_t curregs[SC_NSMALL];
} exit_probe_t;

static void *cache_and_exit(void *arg) {
	exit_probe_t *probe = arg;
	void *p[8];
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		for (unsigned i = 0; i < 8; i++)
			p[i] = strata_malloc(sc_small_size[ind]);
		for (unsigned i = 0; i < 8; i++)
			strata_free(p[i]);
	}
	tsd_t *tsd = tsd_get();
	probe->arena = tsd->arena;
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		probe->ncached[ind] = tcache_bin_ncached(&tsd->tcache->bins[ind]);
		probe->curregs[ind] = curregs(tsd->arena, ind);
	}
	return NULL;
}

Test(tcache, thread_exit_gives_the_cached_blocks_back) {
	exit_probe_t probe;
	memset(&probe, 0, sizeof(probe));
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, cache_and_exit, &probe), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_not_null(probe.arena);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		cr_assert_geq(probe.ncached[ind], 8, "class %u", ind);
		cr_assert_eq(curregs(probe.arena, ind),
		             probe.curregs[ind] - probe.ncached[ind],
		             "class %u: cached blocks not returned", ind);
	}
}

/* ---- tcache:false ---- */

static void boot_without_tcache(void) {
	setenv("STRATA_CONF", "tcache:false", 1);
	boot();
}

TestSuite(tcache_off, .init = boot_without_tcache, .timeout = 60);

Test(tcache_off, strata_conf_tcache_false_leaves_threads_uncached) {
	cr_assert_not(opt.tcache);
	cr_assert_eq(tcache_nbins, 0);
	tsd_t *tsd = tsd_get();
	cr_assert_eq(tsd->tcache, &tcache_disabled);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		void *p = strata_malloc(sc_small_size[ind]);
		size_t live = curregs(tsd->arena, ind);
		strata_free(p);
		cr_assert_eq(curregs(tsd->arena, ind), live - 1,
		             "class %u: the free went to the arena", ind);
		cr_assert_eq(tcache_bin_ncached(&tsd->tcache->bins[ind]), 0);
	}
}

static void *check_uncached(void *arg) {
	(void)arg;
	void *p = strata_malloc(64);
	strata_free(p);
	return tsd_get()->tcache == &tcache_disabled ? NULL : (void *)1;
}

Test(tcache_off, new_threads_have_no_cache_either) {
	pthread_t t;
	void *result = (void *)2;
	cr_assert_eq(pthread_create(&t, NULL, check_uncached, NULL), 0);
	pthread_join(t, &result);
	cr_assert_null(result);
}

/* A malloc that takes the block at the low-water mark: the cached block,
 * the mark one lower, no fill from the arena. */
Test(tcache, malloc_at_the_low_water_mark_pops_and_lowers_it) {
	tsd_t *tsd = tsd_get();
	tcache_t *tc = tsd->tcache;
	cr_assert_neq(tc, &tcache_disabled, "the test thread has a cache");
	unsigned ind = sc_index_compute(64);
	size_t size = sc_small_size[ind];
	tcache_bin_t *bin = &tc->bins[ind];
	void *p[8];
	for (unsigned i = 0; i < 8; i++)
		cr_assert_not_null(p[i] = strata_malloc(size));
	for (unsigned i = 0; i < 8; i++)
		strata_free(p[i]);
	unsigned cached = tcache_bin_ncached(bin);
	cr_assert_geq(cached, 8);
	void *taken[3];
	for (unsigned round = 0; round < 3; round++) {
		bin->low_water = tcache_pos(bin->head); /* as a GC visit leaves it */
		void *next = bin->head->ptr;
		stats_arena_t before, after;
		memset(&before, 0, sizeof(before));
		memset(&after, 0, sizeof(after));
		stats_arena_read(tc->arena, &before);
		uint64_t bytes = tsd->allocated_bytes;
		volatile unsigned char *q = strata_malloc(size);
		cr_assert_eq((void *)q, next, "round %u: the cached block", round);
		q[0] = 1;
		q[size - 1] = 2;
		taken[round] = (void *)q;
		cr_assert_eq(tcache_bin_ncached(bin), cached - 1 - round);
		cr_assert_eq(tcache_bin_low_water(bin), cached - 1 - round,
		             "round %u: the mark follows the pop", round);
		cr_assert_geq(tsd->allocated_bytes, bytes + size);
		stats_arena_read(tc->arena, &after);
		cr_assert_eq(after.bins[ind].nfills, before.bins[ind].nfills,
		             "round %u: no fill", round);
	}
	for (unsigned round = 0; round < 3; round++)
		strata_free(taken[round]);
}

/* The cache ages by the bytes it serves: mallocs of blocks past
 * tcache_max (1 MiB here, a periodic event at every one) leave an unused
 * bin alone, where counting them would visit every bin several times and
 * flush three quarters of it each time; cached mallocs of another class
 * as many bytes do age it. */
Test(tcache, only_cached_bytes_age_the_cache) {
	tsd_t *tsd = tsd_get();
	tcache_t *tc = tsd->tcache;
	cr_assert_neq(tc, &tcache_disabled, "the test thread has a cache");
	unsigned ind = sc_index_compute(64);
	tcache_bin_t *bin = &tc->bins[ind];
	void *p[8];
	for (unsigned i = 0; i < 8; i++)
		cr_assert_not_null(p[i] = strata_malloc(64));
	for (unsigned i = 0; i < 8; i++)
		strata_free(p[i]);
	unsigned cached = tcache_bin_ncached(bin);
	cr_assert_geq(cached, 8);
	size_t big = (size_t)1 << 20;
	cr_assert_gt(big, opt.tcache_max);
	/* One event each: three times the events that visit every bin. */
	size_t rounds = 3 * (size_t)tcache_nbins;
	uint64_t events_before = tsd->next_event_bytes;
	for (size_t i = 0; i < rounds; i++) {
		volatile unsigned char *q = strata_malloc(big);
		cr_assert_not_null(q);
		q[0] = 1;
		q[big - 1] = 2;
		strata_free((void *)q);
	}
	cr_assert_gt(tsd->next_event_bytes, events_before, "events came");
	cr_assert_eq(tcache_bin_ncached(bin), cached,
	             "1 MiB blocks flushed the 64-byte bin");
	/* The same bytes through the cache (4 KiB blocks) do visit it. */
	size_t small = 4096;
	for (size_t i = 0; i < rounds * (TSD_EVENT_BYTES / small); i++) {
		volatile unsigned char *q = strata_malloc(small);
		cr_assert_not_null(q);
		q[0] = 1;
		strata_free((void *)q);
	}
	cr_assert_lt(tcache_bin_ncached(bin), cached,
	             "cached mallocs aged the unused bin");
}
