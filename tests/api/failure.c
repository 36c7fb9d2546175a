/*
 * failure.c — the allocator when the backend refuses memory.  The fake
 * backend fails reserves on demand; a request that needs new memory then
 * returns NULL with ENOMEM (never a crash), blocks handed out before keep
 * their contents, and once reserves succeed again so does allocation.
 * Criterion runs each test in a fresh process, so each starts from an
 * allocator that has not booted yet.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "extent.h"
#include "fake_backend.h"
#include "sizeclass.h"
#include "strata.h"

TestSuite(failure, .timeout = 60);

#define HUGE_BYTES ((size_t)4 << 20)
/* Lifts a fake_fail_reserve_after() limit for the rest of the test. */
#define PLENTY 100000000ul
/* Blocks one test may hold: enough to exhaust what one chunk holds of the
 * smallest class several times over. */
#define MAX_BLOCKS ((size_t)1 << 20)

static void *blocks[MAX_BLOCKS];
static size_t block_bytes[MAX_BLOCKS];
static size_t nblocks;

static unsigned char pattern_of(size_t block, size_t i) {
	return (unsigned char)(block * 31 + i * 7 + 1);
}

static void keep(void *p, size_t size) {
	cr_assert_lt(nblocks, MAX_BLOCKS, "never ran out of memory");
	unsigned char *c = p;
	for (size_t i = 0; i < size; i++)
		c[i] = pattern_of(nblocks, i);
	blocks[nblocks] = p;
	block_bytes[nblocks++] = size;
}

static void expect_kept_blocks_intact(void) {
	for (size_t b = 0; b < nblocks; b++) {
		const unsigned char *c = blocks[b];
		for (size_t i = 0; i < block_bytes[b]; i++)
			if (c[i] != pattern_of(b, i))
				cr_assert_fail("block %zu (%zu bytes) byte %zu "
				               "changed", b, block_bytes[b], i);
	}
}

static void free_kept_blocks(void) {
	for (size_t b = 0; b < nblocks; b++)
		strata_free(blocks[b]);
	nblocks = 0;
}

/* One block of every class up to a huge one, filled. */
static void keep_one_of_every_class(void) {
	for (unsigned ind = 0; sc_class_size(ind) <= HUGE_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		void *p = strata_malloc(size);
		cr_assert_not_null(p, "malloc(%zu) before any failure", size);
		keep(p, size);
	}
}

/* Allocates size until malloc fails; the failure must be NULL + ENOMEM. */
static void allocate_until_enomem(size_t size) {
	for (;;) {
		errno = 0;
		void *p = strata_malloc(size);
		if (p == NULL) {
			cr_assert_eq(errno, ENOMEM, "malloc(%zu): errno %d",
			             size, errno);
			return;
		}
		keep(p, size);
	}
}

static void expect_every_class_allocates(void) {
	for (unsigned ind = 0; sc_class_size(ind) <= HUGE_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		void *p = strata_malloc(size);
		cr_assert_not_null(p, "malloc(%zu) after reserves recovered",
		                   size);
		memset(p, 0xee, size);
		strata_free(p);
	}
}

Test(failure, small_malloc_returns_enomem_once_slabs_are_exhausted) {
	keep_one_of_every_class();
	size_t before = nblocks;
	fake_fail_reserve(true);
	for (unsigned ind = 0; ind < SC_NSMALL; ind++)
		allocate_until_enomem(sc_class_size(ind));
	cr_assert_gt(nblocks, before, "existing chunks served nothing");
	expect_kept_blocks_intact();
	fake_fail_reserve(false);
	expect_every_class_allocates();
	expect_kept_blocks_intact();
	free_kept_blocks();
}

Test(failure, large_malloc_returns_enomem_once_chunks_are_exhausted) {
	keep_one_of_every_class();
	fake_fail_reserve(true);
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= CHUNK_BYTES; ind++)
		allocate_until_enomem(sc_class_size(ind));
	expect_kept_blocks_intact();
	fake_fail_reserve(false);
	expect_every_class_allocates();
	expect_kept_blocks_intact();
	free_kept_blocks();
}

Test(failure, huge_malloc_returns_enomem_at_once) {
	keep_one_of_every_class();
	fake_fail_reserve(true);
	for (unsigned ind = sc_index(CHUNK_BYTES + 1);
	     sc_class_size(ind) <= ((size_t)64 << 20); ind++) {
		size_t size = sc_class_size(ind);
		errno = 0;
		cr_assert_null(strata_malloc(size), "malloc(%zu)", size);
		cr_assert_eq(errno, ENOMEM);
	}
	expect_kept_blocks_intact();
	fake_fail_reserve(false);
	expect_every_class_allocates();
	expect_kept_blocks_intact();
	free_kept_blocks();
}

/* Every allocating entry point, asked for memory that needs a reserve. */
Test(failure, every_allocating_function_reports_enomem) {
	keep_one_of_every_class();
	char *small = blocks[0];
	fake_fail_reserve(true);
	void *out = (void *)small;
	size_t n = HUGE_BYTES;
	errno = 0;
	cr_assert_null(strata_calloc(1, n));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_aligned_alloc(4096, n));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_mallocx(n, STRATA_MALLOCX_ZERO));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_mallocx(64, STRATA_MALLOCX_ALIGN(1 << 22)));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_mallocx(n, STRATA_MALLOCX_TCACHE_NONE));
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(strata_posix_memalign(&out, 64, n), ENOMEM);
	cr_assert_eq(out, (void *)small, "posix_memalign wrote *out");
	errno = 0;
	cr_assert_null(strata_realloc(small, n), "realloc grew under failure");
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_rallocx(small, n, 0));
	cr_assert_eq(errno, ENOMEM);
	errno = 0;
	cr_assert_null(strata_reallocarray(small, 2, n / 2));
	cr_assert_eq(errno, ENOMEM);
	expect_kept_blocks_intact();
	fake_fail_reserve(false);
	expect_every_class_allocates();
	expect_kept_blocks_intact();
	free_kept_blocks();
}

/* Reserve i fails, for every i the boot and the first allocations of every
 * class make: each call either succeeds or fails with ENOMEM, and after
 * the failure is lifted everything allocates. */
#define FIRST_RESERVES 24

ParameterizedTestParameters(failure, reserve_n_fails_during_boot_and_first_use) {
	static unsigned long n[FIRST_RESERVES];
	for (unsigned i = 0; i < FIRST_RESERVES; i++)
		n[i] = i;
	return cr_make_param_array(unsigned long, n, FIRST_RESERVES);
}

ParameterizedTest(unsigned long *n, failure,
                  reserve_n_fails_during_boot_and_first_use) {
	fake_fail_reserve_after(*n);
	for (unsigned ind = 0; sc_class_size(ind) <= HUGE_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		errno = 0;
		void *p = strata_malloc(size);
		if (p == NULL)
			cr_assert_eq(errno, ENOMEM, "malloc(%zu) after %lu "
			             "reserves: errno %d", size, *n, errno);
		else
			keep(p, size);
	}
	expect_kept_blocks_intact();
	fake_fail_reserve_after(PLENTY);
	expect_every_class_allocates();
	expect_kept_blocks_intact();
	free_kept_blocks();
}

static void expect_arena_create_survives(void) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned index = 0;
	int rc = strata_arena_create(&opts, &index);
	cr_assert(rc == 0 || rc == ENOMEM, "arena_create: %d", rc);
	if (rc != 0)
		return;
	for (unsigned ind = 0; sc_class_size(ind) <= HUGE_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		errno = 0;
		void *p = strata_mallocx(size, STRATA_MALLOCX_ARENA(index));
		if (p == NULL)
			cr_assert_eq(errno, ENOMEM, "mallocx(%zu) errno %d",
			             size, errno);
		else
			keep(p, size);
	}
	expect_kept_blocks_intact();
	free_kept_blocks();
	cr_assert_eq(strata_arena_destroy(index), 0);
}

Test(failure, arena_create_under_failure_succeeds_or_returns_enomem) {
	strata_free(strata_malloc(1));
	fake_fail_reserve(true);
	for (unsigned i = 0; i < 8; i++)
		expect_arena_create_survives();
	fake_fail_reserve(false);
	for (unsigned limit = 0; limit < 16; limit++) {
		fake_fail_reserve_after(limit);
		expect_arena_create_survives();
	}
	fake_fail_reserve_after(PLENTY);
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned index;
	cr_assert_eq(strata_arena_create(&opts, &index), 0);
	void *p = strata_mallocx(HUGE_BYTES, STRATA_MALLOCX_ARENA(index));
	cr_assert_not_null(p);
	strata_free(p);
	cr_assert_eq(strata_arena_destroy(index), 0);
}

/* A failure in the middle of a run of frees and allocations loses
 * nothing: the blocks still held are intact and free normally. */
Test(failure, failure_between_frees_loses_no_block) {
	keep_one_of_every_class();
	for (unsigned round = 0; round < 4; round++) {
		fake_fail_reserve_after(round);
		for (unsigned ind = 0; sc_class_size(ind) <= HUGE_BYTES; ind++) {
			void *p = strata_malloc(sc_class_size(ind) * 3);
			if (p == NULL)
				cr_assert_eq(errno, ENOMEM);
			strata_free(p);
		}
		expect_kept_blocks_intact();
	}
	fake_fail_reserve_after(PLENTY);
	free_kept_blocks();
	expect_every_class_allocates();
}
