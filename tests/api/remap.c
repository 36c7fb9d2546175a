/*
 * remap.c — realloc of a huge block to another huge size by remapping its
 * pages (backend remap, BACKEND_CAP_REMAP) instead of copying them:
 * contents, the zeroed tail of rallocx's ZERO, alignment, usable size,
 * free and double free afterwards, the arena's statistics and the
 * thread's counters, the copy path when the backend refuses.  The fake
 * counts its remap calls, which is the proof that no copy was made.
 *
 * The same file runs where remap is not offered (the fake with
 * STRATA_FAKE_REMAP=0, and built as a version-3 backend): realloc then
 * copies, every result is the same, and the fake aborts if remap is
 * called.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "expect_abort.h"
#include "fake_backend.h"
#include "strata.h"

#define MIB ((size_t)1 << 20)

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(remap, .init = boot, .timeout = 120);

/* One byte of a pattern every 512 bytes: every page, whatever its size. */
#define STRIDE 512u

static unsigned char pattern_of(size_t i) {
	return (unsigned char)(i / STRIDE * 7 + 3);
}

static void fill(unsigned char *p, size_t n) {
	for (size_t i = 0; i < n; i += STRIDE)
		p[i] = pattern_of(i);
}

static void expect_filled(const unsigned char *p, size_t n, const char *what) {
	for (size_t i = 0; i < n; i += STRIDE)
		if (p[i] != pattern_of(i))
			cr_assert_fail("%s: byte %zu of %zu changed", what, i, n);
}

static void expect_zero(const unsigned char *p, size_t from, size_t to) {
	for (size_t i = from; i < to; i += 64)
		if (p[i] != 0)
			cr_assert_fail("byte %zu of %zu is 0x%02x", i, to, p[i]);
}

static unsigned long remaps(void) { return fake_counters().remap_calls; }

/* Remap calls expected for n resizes: n where the fake offers it. */
static unsigned long expected(unsigned long n) {
	return fake_offers_remap() ? n : 0;
}

static uint64_t ctl_u64(const char *name) {
	uint64_t v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static size_t ctl_size(const char *name) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static unsigned thread_arena(void) {
	unsigned a = 0;
	size_t len = sizeof(a);
	cr_assert_eq(strata_ctl("thread.arena", &a, &len, NULL, 0), 0);
	return a;
}

/* stats.arenas.<i>.<leaf> after a new epoch. */
static uint64_t arena_stat(unsigned arena, const char *leaf, bool is_size) {
	uint64_t one = 1;
	cr_assert_eq(strata_ctl("epoch", NULL, NULL, &one, sizeof(one)), 0);
	char name[96];
	snprintf(name, sizeof(name), "stats.arenas.%u.%s", arena, leaf);
	return is_size ? ctl_size(name) : ctl_u64(name);
}

/* The huge class of size bytes: arenas.lextent.<j> whose size it is. */
static unsigned lextent_of(size_t size) {
	unsigned n = 0;
	size_t len = sizeof(n);
	cr_assert_eq(strata_ctl("arenas.nlextents", &n, &len, NULL, 0), 0);
	char name[64];
	for (unsigned j = 0; j < n; j++) {
		snprintf(name, sizeof(name), "arenas.lextent.%u.size", j);
		if (ctl_size(name) == size)
			return j;
	}
	cr_assert_fail("no large class of %zu bytes", size);
	return 0;
}

static size_t curlextents(unsigned arena, size_t size) {
	char leaf[64];
	snprintf(leaf, sizeof(leaf), "lextents.%u.curlextents", lextent_of(size));
	return (size_t)arena_stat(arena, leaf, true);
}

Test(remap, growth_2x_and_4x_keeps_every_page_and_remaps) {
	size_t n = 4 * MIB;
	unsigned long before = remaps();
	unsigned char *p = strata_malloc(n);
	cr_assert_not_null(p);
	fill(p, n);
	p = strata_realloc(p, 2 * n);
	cr_assert_not_null(p);
	expect_filled(p, n, "grown 2x");
	fill(p, 2 * n);
	p = strata_realloc(p, 8 * n);
	cr_assert_not_null(p);
	expect_filled(p, 2 * n, "grown 4x");
	cr_assert_eq(remaps() - before, expected(2));
	fill(p, 8 * n); /* the whole grown block is writable */
	cr_assert_eq(strata_malloc_usable_size(p), strata_nallocx(8 * n, 0));
	strata_free(p);
}

Test(remap, rallocx_zero_reads_zero_in_the_grown_tail) {
	size_t n = 6 * MIB;
	unsigned char *p = strata_malloc(n);
	cr_assert_not_null(p);
	memset(p, 0xee, strata_malloc_usable_size(p));
	size_t old = strata_malloc_usable_size(p);
	unsigned char *q = strata_rallocx(p, 3 * n, STRATA_MALLOCX_ZERO);
	cr_assert_not_null(q);
	size_t usable = strata_sallocx(q, 0);
	cr_assert_geq(usable, 3 * n);
	for (size_t i = 0; i < old; i += 4096)
		cr_assert_eq(q[i], 0xee, "byte %zu", i);
	expect_zero(q, old, usable);
	cr_assert_eq(q[usable - 1], 0);
	strata_free(q);
}

Test(remap, growth_keeps_a_chunk_and_an_asked_alignment) {
	unsigned char *p = strata_malloc(3 * MIB);
	cr_assert_not_null(p);
	p = strata_realloc(p, 9 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % (2 * MIB), 0, "a huge block is chunk-aligned");
	strata_free(p);

	/* The freed block, cached, may be grown for this one (a refit):
	 * only the growth below is counted. */
	int flags = STRATA_MALLOCX_LG_ALIGN(24); /* 16 MiB */
	p = strata_mallocx(5 * MIB, flags);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % (16 * MIB), 0, "not 16 MiB-aligned");
	fill(p, 5 * MIB);
	unsigned long before = remaps();
	p = strata_rallocx(p, 20 * MIB, flags);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % (16 * MIB), 0, "lost the 16 MiB alignment");
	expect_filled(p, 5 * MIB, "aligned growth");
	cr_assert_eq(remaps() - before, expected(1));
	strata_free(p);
}

Test(remap, shrink_to_a_smaller_huge_class_remaps_in_place) {
	size_t n = 40 * MIB;
	unsigned char *p = strata_malloc(n);
	cr_assert_not_null(p);
	fill(p, n);
	unsigned long before = remaps();
	unsigned char *q = strata_realloc(p, 10 * MIB);
	cr_assert_not_null(q);
	expect_filled(q, 10 * MIB, "shrunk");
	cr_assert_eq(strata_malloc_usable_size(q), strata_nallocx(10 * MIB, 0));
	cr_assert_eq(remaps() - before, expected(1));
	if (fake_offers_remap())
		cr_assert_eq(q, p, "a shrink stays where it is");
	/* Down to a large run inside a chunk: the copy path, as before. */
	unsigned char *r = strata_realloc(q, MIB);
	cr_assert_not_null(r);
	expect_filled(r, MIB, "shrunk into a chunk");
	cr_assert_eq(remaps() - before, expected(1));
	strata_free(r);
}

Test(remap, allocated_bytes_and_class_counts_follow_a_remap) {
	unsigned arena = thread_arena();
	size_t small = strata_nallocx(5 * MIB, 0), big = strata_nallocx(17 * MIB, 0);
	uint64_t allocated = arena_stat(arena, "large.allocated", true);
	uint64_t nremap = arena_stat(arena, "large.nremap", false);
	size_t small_live = curlextents(arena, small);
	size_t big_live = curlextents(arena, big);
	void *p = strata_malloc(5 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq(arena_stat(arena, "large.allocated", true), allocated + small);
	cr_assert_eq(curlextents(arena, small), small_live + 1);
	p = strata_realloc(p, 17 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq(arena_stat(arena, "large.allocated", true), allocated + big);
	cr_assert_eq(arena_stat(arena, "large.nremap", false),
	             nremap + expected(1));
	cr_assert_eq(curlextents(arena, small), small_live);
	cr_assert_eq(curlextents(arena, big), big_live + 1);
	strata_free(p);
	cr_assert_eq(arena_stat(arena, "large.allocated", true), allocated);
	cr_assert_eq(curlextents(arena, big), big_live);
}

Test(remap, thread_counters_count_a_remap_as_realloc_counts_a_resize) {
	size_t small = strata_nallocx(4 * MIB, 0), big = strata_nallocx(12 * MIB, 0);
	void *p = strata_malloc(4 * MIB);
	cr_assert_not_null(p);
	uint64_t allocated = ctl_u64("thread.allocated");
	uint64_t deallocated = ctl_u64("thread.deallocated");
	p = strata_realloc(p, 12 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq(ctl_u64("thread.allocated") - allocated, big);
	cr_assert_eq(ctl_u64("thread.deallocated") - deallocated, small);
	strata_free(p);
}

/* The memory the arena holds maps what it says: mapped follows the block
 * (and the fake's reservations agree). */
Test(remap, mapped_bytes_follow_the_remapped_block) {
	unsigned arena = thread_arena();
	void *p = strata_malloc(8 * MIB);
	cr_assert_not_null(p);
	uint64_t mapped = arena_stat(arena, "mapped", true);
	p = strata_realloc(p, 24 * MIB);
	cr_assert_not_null(p);
	if (fake_offers_remap())
		cr_assert_eq(arena_stat(arena, "mapped", true),
		             mapped + strata_nallocx(24 * MIB, 0) -
		                 strata_nallocx(8 * MIB, 0));
	strata_free(p);
}

/* ---- free and double free ---- */

typedef struct misuse {
	void *ptr, *old;
} misuse_t;

static void free_twice(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	strata_free(m->ptr);
}

static void free_old(void *arg) { strata_free(((misuse_t *)arg)->old); }

Test(remap, free_after_remap_works_and_a_second_free_is_reported) {
	void *p = strata_malloc(4 * MIB);
	cr_assert_not_null(p);
	void *q = strata_realloc(p, 16 * MIB);
	cr_assert_not_null(q);
	misuse_t m = { .ptr = q, .old = p };
	expect_abort_naming(free_twice, &m, q, "double free");
	/* The old address of a moved block reads as freed. */
	if (q != p)
		expect_abort_naming(free_old, &m, p, "double free");
	strata_free(q);
	void *r = strata_malloc(16 * MIB); /* the arena still serves */
	cr_assert_not_null(r);
	strata_free(r);
}

/* ---- the copy path ---- */

Test(remap, a_refused_remap_falls_back_to_the_copy) {
	unsigned arena = thread_arena();
	unsigned char *p = strata_malloc(4 * MIB);
	cr_assert_not_null(p);
	fill(p, 4 * MIB);
	unsigned long failures = fake_counters().remap_failures;
	uint64_t nremap = arena_stat(arena, "large.nremap", false);
	fake_fail_remap(true);
	unsigned char *q = strata_realloc(p, 12 * MIB);
	fake_fail_remap(false);
	cr_assert_not_null(q);
	expect_filled(q, 4 * MIB, "copied");
	cr_assert_eq(fake_counters().remap_failures - failures, expected(1));
	cr_assert_eq(arena_stat(arena, "large.nremap", false), nremap);
	cr_assert_eq(strata_malloc_usable_size(q), strata_nallocx(12 * MIB, 0));
	misuse_t m = { .old = p };
	if (q != p) /* freed by the copy: the entry was put back, then freed */
		expect_abort_naming(free_old, &m, p, "double free");
	strata_free(q);
}

/* A growth that needs memory the backend refuses fails as realloc fails:
 * NULL, errno ENOMEM, the old block intact and still freeable. */
Test(remap, a_growth_without_memory_returns_null_and_keeps_the_block) {
	unsigned char *p = strata_malloc(4 * MIB);
	cr_assert_not_null(p);
	fill(p, 4 * MIB);
	fake_fail_reserve(true);
	errno = 0;
	void *q = strata_realloc(p, 64 * MIB);
	fake_fail_reserve(false);
	cr_assert_null(q);
	cr_assert_eq(errno, ENOMEM);
	expect_filled(p, 4 * MIB, "kept");
	cr_assert_eq(strata_malloc_usable_size(p), strata_nallocx(4 * MIB, 0));
	strata_free(p);
}

/* A manual arena's block is remapped inside its arena. */
Test(remap, a_manual_arena_block_stays_in_its_arena) {
	unsigned arena = 0;
	size_t len = sizeof(arena);
	cr_assert_eq(strata_ctl("arenas.create", &arena, &len, NULL, 0), 0);
	int flags = STRATA_MALLOCX_ARENA(arena) | STRATA_MALLOCX_TCACHE_NONE;
	unsigned char *p = strata_mallocx(4 * MIB, flags);
	cr_assert_not_null(p);
	fill(p, 4 * MIB);
	unsigned long before = remaps();
	p = strata_rallocx(p, 10 * MIB, flags);
	cr_assert_not_null(p);
	expect_filled(p, 4 * MIB, "manual arena");
	cr_assert_eq(remaps() - before, expected(1));
	cr_assert_eq(arena_stat(arena, "large.allocated", true),
	             strata_nallocx(10 * MIB, 0));
	/* Plain realloc keeps it there too. */
	p = strata_realloc(p, 30 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq(arena_stat(arena, "large.allocated", true),
	             strata_nallocx(30 * MIB, 0));
	strata_dallocx(p, flags);
	cr_assert_eq(arena_stat(arena, "large.allocated", true), 0);
}

/* Run with mem_limit_hard (meson: "remap mem_limit_hard"): a growth the
 * limit allows is remapped, one past it fails as realloc fails, the block
 * intact, and counts the refusals a malloc of that size counts: the
 * remap attempt adds none of its own. */
Test(remap, a_growth_past_the_hard_limit_is_refused_once) {
	size_t limit = ctl_size("opt.mem_limit_hard");
	if (limit == 0)
		cr_skip_test("mem_limit_hard is not set");
	unsigned char *p = strata_malloc(4 * MIB);
	cr_assert_not_null(p);
	fill(p, 4 * MIB);
	unsigned long before = remaps();
	p = strata_realloc(p, 12 * MIB);
	cr_assert_not_null(p);
	cr_assert_eq(remaps() - before, expected(1));
	uint64_t hits = ctl_u64("stats.mem_limit.hard_hits");
	cr_assert_null(strata_malloc(limit + 4 * MIB));
	uint64_t malloc_hits = ctl_u64("stats.mem_limit.hard_hits") - hits;
	cr_assert_gt(malloc_hits, 0);
	hits += malloc_hits;
	errno = 0;
	cr_assert_null(strata_realloc(p, limit + 4 * MIB));
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(ctl_u64("stats.mem_limit.hard_hits") - hits, malloc_hits);
	expect_filled(p, 4 * MIB, "kept");
	strata_free(p);
}
