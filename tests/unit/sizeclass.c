/*
 * sizeclass.c — every size class round-trips: size -> class -> usable size
 * is at least the request, and no smaller class would have served it.
 */
#include <criterion/criterion.h>

#include "sizeclass.h"
#include "strata.h"

/* Boot the allocator so that page size and tables are set. */
static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(sizeclass, .init = boot, .timeout = 60);

Test(sizeclass, small_classes_follow_jemalloc_spacing) {
	cr_assert_eq(sc_small_size[0], 8);
	for (unsigned i = 1; i < SC_NSMALL; i++) {
		size_t prev = sc_small_size[i - 1], size = sc_small_size[i];
		cr_assert_gt(size, prev, "class %u not increasing", i);
		cr_assert_eq(size % 16, 0, "class %u (%zu) not a quantum multiple", i, size);
		size_t group = prev < 16 ? 8 : prev < 64 ? 16
		               : (size_t)1 << (lg_floor(prev) - 2);
		cr_assert_eq(size - prev, group, "class %u spacing %zu", i, size - prev);
	}
	cr_assert_eq(sc_small_size[SC_NSMALL - 1], SC_SMALL_MAX);
}

Test(sizeclass, computed_classes_continue_the_table) {
	for (unsigned i = 0; i < SC_NSMALL; i++)
		cr_assert_eq(sc_class_size(i), sc_small_size[i]);
	cr_assert_eq(sc_class_size(SC_NSMALL), 16384);
	for (unsigned i = SC_NSMALL; i < 200; i++) {
		size_t size = sc_class_size(i), next = sc_class_size(i + 1);
		cr_assert_gt(next, size);
		cr_assert_eq(sc_index_compute(size), i, "class %u (%zu)", i, size);
		cr_assert_eq(sc_index_compute(size + 1), i + 1);
	}
}

/* Every size from 1 to 4 MiB: the class fits and is the least that does. */
Test(sizeclass, every_size_maps_to_the_least_fitting_class) {
	for (size_t size = 1; size <= ((size_t)4 << 20); size++) {
		unsigned ind = sc_index(size);
		cr_assert_geq(sc_class_size(ind), size, "size %zu", size);
		if (ind > 0)
			cr_assert_lt(sc_class_size(ind - 1), size, "size %zu", size);
	}
}

/* Every class, at the boundary sizes, through the public API. */
Test(sizeclass, every_class_round_trips_through_malloc) {
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)8 << 20); ind++) {
		size_t size = sc_class_size(ind);
		size_t lo = ind == 0 ? 1 : sc_class_size(ind - 1) + 1;
		size_t sizes[] = { lo, size };
		for (unsigned k = 0; k < 2; k++) {
			size_t req = sizes[k];
			char *p = strata_malloc(req);
			cr_assert_not_null(p, "malloc(%zu)", req);
			size_t usable = strata_malloc_usable_size(p);
			cr_assert_geq(usable, req);
			cr_assert_eq(usable, sc_usable_size(ind), "size %zu", req);
			cr_assert_eq(strata_nallocx(req, 0), usable);
			p[0] = 1;
			p[usable - 1] = 2;
			strata_free(p);
		}
	}
}

/* Large classes are whole pages: usable size is the least page multiple at
 * or above the class, whatever the page size. */
Test(sizeclass, large_usable_sizes_are_page_multiples) {
	for (unsigned ind = SC_NSMALL; ind < 120; ind++) {
		size_t usable = sc_usable_size(ind);
		cr_assert_eq(usable % page_bytes, 0);
		cr_assert_geq(usable, sc_class_size(ind));
		cr_assert_lt(usable - sc_class_size(ind), page_bytes);
	}
}

Test(sizeclass, slab_geometry_fits_and_wastes_little) {
	for (unsigned i = 0; i < SC_NSMALL; i++) {
		const slab_geometry_t *g = &sc_slab[i];
		cr_assert_eq(g->slab_bytes % page_bytes, 0);
		cr_assert_geq(g->nregs, 1);
		cr_assert_leq((size_t)g->nregs * sc_small_size[i], g->slab_bytes);
		cr_assert_leq(g->nregs, SC_SLAB_MAXREGS);
		cr_assert_eq(g->bitmap_words, (g->nregs + 63) / 64);
		size_t waste = g->slab_bytes - (size_t)g->nregs * sc_small_size[i];
		/* at most one region's worth, or 1/64, whichever is larger */
		cr_assert(waste < sc_small_size[i] || waste * 64 <= g->slab_bytes,
		          "class %u wastes %zu of %u", i, waste, g->slab_bytes);
	}
}

Test(sizeclass, division_magic_is_exact_for_region_offsets) {
	for (unsigned i = 0; i < SC_NSMALL; i++)
		for (unsigned r = 0; r < sc_slab[i].nregs; r++) {
			uint64_t off = (uint64_t)r * sc_small_size[i];
			cr_assert_eq((off * sc_div_magic[i]) >> 32, r,
			             "class %u region %u", i, r);
		}
}
