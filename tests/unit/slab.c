/*
 * slab.c — bins and slabs, for every small class: a whole slab's regions
 * are distinct, inside it and at multiples of the class size; an emptied
 * slab that is not the bin's current one gives its pages back; a double
 * free or a pointer inside a region is reported in one line naming it,
 * then abort().  Each test works in a manual arena of its own, so no
 * thread cache holds its regions.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "expect_abort.h"
#include "fake_backend.h"
#include "pagemap.h"
#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(slab, .init = boot, .timeout = 60);

static arena_t *new_arena(void) {
	backend_placement_t placement = { .node = -1 };
	unsigned index;
	cr_assert_eq(arena_create_manual(&placement, -2, -2, &index), 0);
	arena_t *a = arena_get(index);
	cr_assert_not_null(a);
	return a;
}

/* Room for three whole slabs of any class (the spare-slab test fills
 * three; at 64 KiB pages one slab holds SC_SLAB_MAXREGS regions). */
static void *regions[3 * SC_SLAB_MAXREGS];
static run_t *runs[3 * SC_SLAB_MAXREGS];

static run_t *run_of(const void *p) {
	pm_entry_t e = pagemap_lookup(addr_of(p));
	cr_assert_neq(e, 0, "%p not registered", p);
	return pm_desc(e);
}

/* Fill n regions of class ind; every one must come. */
static void fill(arena_t *a, unsigned ind, void **out, unsigned n) {
	cr_assert_eq(arena_fill_small(a, ind, out, n), n, "class %u", ind);
}

static void free_batch(arena_t *a, unsigned ind, void **ptrs, unsigned n) {
	for (unsigned i = 0; i < n; i++)
		runs[i] = run_of(ptrs[i]);
	arena_dalloc_small_batch(a, ind, ptrs, runs, n);
}

/* free's region-start test (slab_region_at) against division, for every
 * byte offset of a whole slab of every class: exact index, and "start"
 * exactly at multiples of the size. */
Test(slab, region_start_test_matches_division_at_every_offset) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		slab_t s = { .run = { .region_size = (uint16_t)sc_small_size[ind],
			             .div_m64 = UINT64_MAX / sc_small_size[ind] + 1 } };
		size_t size = sc_small_size[ind];
		for (size_t off = 0; off < sc_slab[ind].slab_bytes; off++) {
			size_t idx;
			bool at_start = slab_region_at(&s, off, &idx);
			if (idx != off / size || at_start != (off % size == 0))
				cr_assert_fail("class %u (size %zu) offset %zu: index "
				         "%zu start %d", ind, size, off, idx,
				         at_start);
		}
	}
}

/* Sized delete's class test (slab_size_matches) against the class lookup,
 * for every size up to past the small classes and every class, on the
 * fields slab creation sets. */
Test(slab, sized_free_range_matches_the_class_lookup) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		slab_t s = { .run = { .region_size = (uint16_t)sc_small_size[ind],
			             .size_min = sc_small_min[ind],
			             .size_span = (uint16_t)(sc_small_size[ind] -
			                                     sc_small_min[ind]) } };
		for (size_t size = 0; size <= 2 * SC_SMALL_MAX; size++) {
			bool want = sc_index(size == 0 ? 1 : size) == ind;
			if (slab_size_matches(&s, size) != want)
				cr_assert_fail("class %u size %zu: %d", ind, size,
				               !want);
		}
		cr_assert(slab_size_matches(&s, sc_small_size[ind]));
	}
	/* Beyond 64 KiB, where a 16-bit field would wrap. */
	slab_t s = { .run = { .region_size = 8, .size_min = 0, .size_span = 8 } };
	cr_assert(!slab_size_matches(&s, (size_t)1 << 16));
	cr_assert(!slab_size_matches(&s, SIZE_MAX));
}

Test(slab, whole_slab_regions_are_distinct_inside_and_class_aligned) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		const slab_geometry_t *g = &sc_slab[ind];
		size_t size = sc_small_size[ind];
		fill(a, ind, regions, g->nregs);
		run_t *run = run_of(regions[0]);
		cr_assert_eq(run->kind, RUN_SLAB);
		cr_assert_eq(run->ind, ind);
		cr_assert_eq(run->bytes, g->slab_bytes);
		cr_assert_eq(addr_of(run->addr) % page_bytes, 0);
		cr_assert_eq(slab_of(run)->nfree, 0, "class %u: slab not full", ind);
		for (unsigned i = 0; i < g->nregs; i++) {
			char *p = regions[i];
			cr_assert_eq(run_of(p), run, "class %u region %u", ind, i);
			cr_assert_geq(p, run->addr);
			cr_assert_leq(p + size, run->addr + run->bytes,
			              "class %u region %u past the slab", ind, i);
			cr_assert_eq((size_t)(p - run->addr) % size, 0,
			             "class %u region %u misaligned", ind, i);
			/* Strictly ascending implies distinct. */
			if (i > 0)
				cr_assert_gt(p, (char *)regions[i - 1],
				             "class %u region %u", ind, i);
			memset(p, (int)i, size); /* writable end to end */
		}
		/* Every page of the slab leads to it. */
		for (size_t off = 0; off < run->bytes; off += page_bytes)
			cr_assert_eq(run_of(run->addr + off), run);
		/* One more region comes from another slab. */
		fill(a, ind, regions + g->nregs, 1);
		cr_assert_neq(run_of(regions[g->nregs]), run, "class %u", ind);
	}
}

/* A region's alignment is the largest power of two dividing its class
 * size (slab starts are page-aligned), so 2^k-byte classes are 2^k-aligned. */
Test(slab, regions_are_aligned_to_the_power_of_two_in_their_size) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		size_t size = sc_small_size[ind];
		size_t align = size & -size;
		unsigned n = sc_slab[ind].nregs < 64 ? sc_slab[ind].nregs : 64;
		fill(a, ind, regions, n);
		for (unsigned i = 0; i < n; i++)
			cr_assert_eq(addr_of(regions[i]) % align, 0,
			             "class %u (%zu) region %u", ind, size, i);
	}
}

/* The first slab emptied while not current stays as the bin's spare (the
 * next slab the bin needs); a second one emptied gives its pages back and
 * leaves the pagemap. */
Test(slab, an_emptied_slab_is_kept_as_spare_and_the_next_returns_its_pages) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		const slab_geometry_t *g = &sc_slab[ind];
		size_t npages = g->slab_bytes >> lg_page;
		unsigned n = g->nregs;
		fill(a, ind, regions, 3 * n);
		run_t *first = run_of(regions[0]);
		run_t *second = run_of(regions[n]);
		run_t *third = run_of(regions[2 * n]);
		cr_assert(first != second && second != third && first != third);
		cr_assert_eq(a->bins[ind].cur, third);
		size_t active = a->extents.active_pages;
		size_t curslabs = a->bins[ind].stats.curslabs;
		char *second_addr = second->addr;
		/* All but one region: the slab stays where it is. */
		free_batch(a, ind, regions, n - 1);
		cr_assert_eq(a->extents.active_pages, active, "class %u", ind);
		/* Its last region: it becomes the spare, pages and all. */
		free_batch(a, ind, regions + n - 1, 1);
		cr_assert_eq(a->bins[ind].empty, first, "class %u", ind);
		cr_assert_eq(a->extents.active_pages, active);
		cr_assert_neq(pagemap_lookup(addr_of(first->addr)), 0);
		/* A second emptied slab: its pages go back. */
		free_batch(a, ind, regions + n, n);
		cr_assert_eq(a->extents.active_pages, active - npages,
		             "class %u", ind);
		cr_assert_eq(a->bins[ind].stats.curslabs, curslabs - 1);
		for (size_t off = 0; off < g->slab_bytes; off += page_bytes)
			cr_assert_eq(pagemap_lookup(addr_of(second_addr) + off), 0,
			             "class %u page %zu", ind, off / page_bytes);
		/* Emptying the current slab keeps it current; the spare serves
		 * once it is full again. */
		free_batch(a, ind, regions + 2 * n, n);
		cr_assert_eq(a->bins[ind].cur, third);
		fill(a, ind, regions, n + 1);
		cr_assert_eq(run_of(regions[0]), third);
		cr_assert_eq(run_of(regions[n]), first, "class %u", ind);
		cr_assert_null(a->bins[ind].empty);
		free_batch(a, ind, regions, n + 1);
		arena_drop_empty_slabs(a);
		cr_assert_null(a->bins[ind].empty);
	}
}

Test(slab, freed_region_is_handed_out_again_lowest_first) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		unsigned n = sc_slab[ind].nregs < 8 ? sc_slab[ind].nregs : 8;
		fill(a, ind, regions, n);
		void *again[2];
		free_batch(a, ind, &regions[n - 1], 1);
		if (n > 1)
			free_batch(a, ind, &regions[0], 1);
		fill(a, ind, again, n > 1 ? 2 : 1);
		cr_assert_eq(again[0], regions[0], "class %u", ind);
		if (n > 1)
			cr_assert_eq(again[1], regions[n - 1], "class %u", ind);
	}
}

Test(slab, zeroed_small_allocation_reads_as_zero_after_reuse) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		size_t size = sc_small_size[ind];
		char *p = arena_malloc_small(a, ind, false);
		cr_assert_not_null(p);
		memset(p, 0xee, size);
		arena_dalloc_small(run_of(p), p);
		char *q = arena_malloc_small(a, ind, true);
		cr_assert_eq(q, p, "class %u: the freed region comes back", ind);
		for (size_t i = 0; i < size; i++)
			cr_assert_eq(q[i], 0, "class %u byte %zu", ind, i);
	}
}

Test(slab, bin_stats_count_regions_and_slabs) {
	arena_t *a = new_arena();
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		unsigned nregs = sc_slab[ind].nregs;
		fill(a, ind, regions, nregs + 1);
		bin_stats_t s = a->bins[ind].stats;
		cr_assert_eq(s.curregs, nregs + 1, "class %u", ind);
		cr_assert_eq(s.nmalloc, nregs + 1);
		cr_assert_eq(s.curslabs, 2);
		cr_assert_eq(s.nslabs_created, 2);
		free_batch(a, ind, regions, nregs + 1);
		s = a->bins[ind].stats;
		cr_assert_eq(s.curregs, 0);
		cr_assert_eq(s.ndalloc, nregs + 1);
		cr_assert_eq(s.curslabs, 2,
		             "class %u: the current slab and the spare stay", ind);
	}
}

/* ---- reports: run in a child, whose stderr is a pipe ---- */

typedef struct report {
	int signal;     /* that ended the child, 0 if it exited */
	char text[2048]; /* what it wrote to stderr */
} report_t;

typedef enum misuse { DOUBLE_FREE_CURRENT, DOUBLE_FREE_NONFULL, INTERIOR }
misuse_t;

typedef struct misuse_args {
	unsigned ind;
	misuse_t how;
} misuse_args_t;

/* In the child: get regions of class ind from a fresh arena, then misuse
 * one as told. */
static void misuse_region(void *arg) {
	const misuse_args_t *m = arg;
	arena_t *a = new_arena();
	unsigned ind = m->ind;
	const slab_geometry_t *g = &sc_slab[ind];
	void *p[2];
	switch (m->how) {
	case DOUBLE_FREE_CURRENT:
		fill(a, ind, p, 1);
		arena_dalloc_small(run_of(p[0]), p[0]);
		arena_dalloc_small(run_of(p[0]), p[0]);
		break;
	case DOUBLE_FREE_NONFULL:
		/* A full slab, then a second: the first is no longer current. */
		fill(a, ind, regions, g->nregs + 1);
		if (g->nregs > 1) {
			free_batch(a, ind, regions, 1);
			free_batch(a, ind, regions, 1);
		} else { /* one region per slab: free the second twice */
			free_batch(a, ind, regions + 1, 1);
			free_batch(a, ind, regions + 1, 1);
		}
		break;
	case INTERIOR:
		fill(a, ind, p, 1);
		arena_dalloc_small(run_of(p[0]), (char *)p[0] + 1);
		break;
	}
}

static report_t run_child(unsigned ind, misuse_t how) {
	misuse_args_t m = { ind, how };
	child_outcome_t out = run_in_child(misuse_region, &m);
	report_t r = { 0 };
	r.signal = WIFSIGNALED(out.status) ? WTERMSIG(out.status) : 0;
	memcpy(r.text, out.text, out.len + 1);
	return r;
}

/* The report is exactly one line, "strata: <what> 0x<hex>: <why>", and
 * the pointer it names is a region (or inside one) of class ind. */
static void assert_one_line_naming(const report_t *r, const char *what,
                                   unsigned ind) {
	cr_assert_eq(r->signal, SIGABRT, "class %u: child ended by %d, said '%s'",
	             ind, r->signal, r->text);
	size_t len = strlen(r->text);
	cr_assert_gt(len, 0);
	cr_assert_eq(r->text[len - 1], '\n', "'%s'", r->text);
	cr_assert_null(memchr(r->text, '\n', len - 1), "more than one line: '%s'",
	               r->text);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "strata: %s 0x", what);
	cr_assert_eq(strncmp(r->text, prefix, strlen(prefix)), 0,
	             "class %u: '%s'", ind, r->text);
	unsigned long long v = strtoull(r->text + strlen(prefix) - 2, NULL, 16);
	cr_assert_neq(v, 0, "no pointer in '%s'", r->text);
}

Test(slab, double_free_of_a_region_is_reported_for_every_class) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		report_t r = run_child(ind, DOUBLE_FREE_CURRENT);
		assert_one_line_naming(&r, "double free of", ind);
		cr_assert_not_null(strstr(r.text, "already free"), "'%s'", r.text);
	}
}

Test(slab, double_free_in_a_slab_that_is_not_current_is_reported) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		report_t r = run_child(ind, DOUBLE_FREE_NONFULL);
		assert_one_line_naming(&r, "double free of", ind);
	}
}

Test(slab, free_of_an_interior_pointer_is_reported_for_every_class) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		report_t r = run_child(ind, INTERIOR);
		assert_one_line_naming(&r, "free of", ind);
		cr_assert_not_null(strstr(r.text, "not the start"), "'%s'", r.text);
	}
}

static void free_again(void *p) { arena_dalloc_small(run_of(p), p); }

/* The pointer named is the one freed, to the digit. */
Test(slab, report_names_the_exact_pointer) {
	arena_t *a = new_arena();
	void *p;
	fill(a, 7, &p, 1);
	arena_dalloc_small(run_of(p), p);
	child_outcome_t out = run_in_child(free_again, p);
	cr_assert(WIFSIGNALED(out.status) && WTERMSIG(out.status) == SIGABRT);
	char want[128];
	snprintf(want, sizeof(want), "strata: double free of %p: ", p);
	cr_assert_eq(strncmp(out.text, want, strlen(want)), 0, "'%s' vs '%s'",
	             out.text, want);
}

static void *three[3 * SC_SLAB_MAXREGS];
static run_t *three_runs[3 * SC_SLAB_MAXREGS];

/* The bin operations never purge, even with a decay time of 0: a free that
 * empties a slab reports the slab's pages as dirty, and the arena purges
 * them after the bin lock is released. */
Test(slab, emptied_slab_pages_are_reported_and_purged_after_the_bin_lock) {
	backend_placement_t placement = { .node = -1 };
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		/* An arena per class: its chunk stays mostly free, so even a
		 * hugepage-backed one is purged without a forced pass. */
		unsigned index;
		cr_assert_eq(arena_create_manual(&placement, 0, 0, &index), 0);
		arena_t *a = arena_get(index);
		const slab_geometry_t *g = &sc_slab[ind];
		unsigned n = g->nregs;
		/* Three full slabs; the third is current. */
		fill(a, ind, three, 3 * n);
		for (unsigned i = 0; i < 3 * n; i++)
			three_runs[i] = run_of(three[i]);
		bin_t *bin = &a->bins[ind];
		/* The first emptied slab stays as the spare: nothing dirty. */
		cr_assert_eq(bin_dalloc_batch(bin, three, three_runs, n), 0,
		             "class %u", ind);
		/* The second goes back to the extents, dirty, unpurged. */
		fake_counters_t before = fake_counters();
		size_t dirty = a->extents.dirty_pages;
		cr_assert_eq(bin_dalloc_batch(bin, three + n, three_runs + n, n),
		             g->slab_bytes / page_bytes, "class %u", ind);
		cr_assert_eq(fake_counters().purge_lazy_calls,
		             before.purge_lazy_calls, "class %u", ind);
		cr_assert_eq(fake_counters().purge_eager_calls,
		             before.purge_eager_calls, "class %u", ind);
		cr_assert_eq(a->extents.dirty_pages,
		             dirty + g->slab_bytes / page_bytes, "class %u", ind);
		/* The arena's step purges them at once (decay 0). */
		extents_dirtied(&a->extents);
		cr_assert_eq(a->extents.dirty_pages, 0, "class %u", ind);
		cr_assert_eq(a->extents.muzzy_pages, 0, "class %u", ind);
		/* Through the arena entry point, the same in one call. */
		for (unsigned i = 2 * n; i < 3 * n; i++) /* current: stays */
			arena_dalloc_small(three_runs[i], three[i]);
		arena_decay(a, true);
		cr_assert_eq(a->extents.dirty_pages, 0, "class %u", ind);
		cr_assert_eq(arena_destroy(index), 0);
	}
}
