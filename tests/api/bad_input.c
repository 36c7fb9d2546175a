/*
 * bad_input.c — what the API does with requests it cannot honour: sizes
 * that overflow or exceed PTRDIFF_MAX, impossible alignments, and pointers
 * that are not live blocks.  Impossible requests fail with NULL (or an
 * error code) and the errno the standard names, leaving existing blocks
 * intact; invalid and double frees are reported in one line naming the
 * pointer, then abort (checked in a forked child).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include "expect_abort.h"
#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(bad_input, .init = boot, .timeout = 60);

/* Sizes kept opaque so the compiler cannot fold or warn about them. */
static volatile size_t size_max = SIZE_MAX;
static volatile size_t ptrdiff_over = (size_t)PTRDIFF_MAX + 1;

/* Every class up to a few huge ones. */
#define LAST_CLASS_BYTES ((size_t)8 << 20)

static void fill(void *p, size_t n, unsigned seed) {
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(seed + i * 7);
}

static void expect_filled(const void *p, size_t n, unsigned seed) {
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(c[i], (unsigned char)(seed + i * 7),
		             "byte %zu of %zu changed", i, n);
}

/* ---- sizes ---- */

Test(bad_input, calloc_overflow_returns_null_with_enomem) {
	size_t pairs[][2] = {
		{ SIZE_MAX / 2 + 1, 2 },
		{ 2, SIZE_MAX / 2 + 1 },
		{ SIZE_MAX, SIZE_MAX },
		{ (size_t)1 << 32, (size_t)1 << 32 },
		{ SIZE_MAX / 16 + 1, 16 },
	};
	for (unsigned i = 0; i < ARRAY_LEN(pairs); i++) {
		errno = 0;
		void *p = strata_calloc(pairs[i][0], pairs[i][1]);
		cr_assert_null(p, "calloc(%zu, %zu)", pairs[i][0], pairs[i][1]);
		cr_assert_eq(errno, ENOMEM, "calloc(%zu, %zu)", pairs[i][0],
		             pairs[i][1]);
	}
}

Test(bad_input, calloc_product_above_ptrdiff_max_returns_null_with_enomem) {
	errno = 0;
	size_t half = ptrdiff_over / 2;
	cr_assert_null(strata_calloc(half, 2));
	cr_assert_eq(errno, ENOMEM);
}

Test(bad_input, reallocarray_overflow_returns_null_and_keeps_the_block) {
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		char *p = strata_malloc(size);
		cr_assert_not_null(p);
		fill(p, size, ind);
		errno = 0;
		cr_assert_null(strata_reallocarray(p, size_max / 2 + 1, 2),
		               "class %u", ind);
		cr_assert_eq(errno, ENOMEM);
		cr_assert_geq(strata_malloc_usable_size(p), size);
		expect_filled(p, size, ind);
		strata_free(p);
	}
}

Test(bad_input, malloc_of_sizes_no_machine_has_returns_null_with_enomem) {
	size_t sizes[] = { size_max, ptrdiff_over, size_max - 4096,
		           (size_t)PTRDIFF_MAX, (size_t)1 << 62 };
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		errno = 0;
		cr_assert_null(strata_malloc(sizes[i]), "malloc(%zu)", sizes[i]);
		cr_assert_eq(errno, ENOMEM, "malloc(%zu)", sizes[i]);
		errno = 0;
		cr_assert_null(strata_mallocx(sizes[i], 0), "mallocx(%zu)",
		               sizes[i]);
		cr_assert_eq(strata_nallocx(sizes[i] > (size_t)PTRDIFF_MAX
		                                ? sizes[i] : size_max, 0), 0);
	}
}

Test(bad_input, realloc_to_huge_sizes_returns_null_and_keeps_the_block) {
	size_t sizes[] = { size_max, ptrdiff_over, (size_t)1 << 62 };
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		char *p = strata_malloc(size);
		cr_assert_not_null(p);
		fill(p, size, ind + 3);
		for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
			errno = 0;
			cr_assert_null(strata_realloc(p, sizes[i]),
			               "class %u to %zu", ind, sizes[i]);
			cr_assert_eq(errno, ENOMEM);
			errno = 0;
			cr_assert_null(strata_rallocx(p, sizes[i], 0));
			cr_assert_eq(errno, ENOMEM);
		}
		cr_assert_geq(strata_malloc_usable_size(p), size);
		expect_filled(p, size, ind + 3);
		strata_free(p);
	}
}

/* ---- alignments ---- */

Test(bad_input, posix_memalign_rejects_bad_alignments_leaving_out_untouched) {
	size_t aligns[] = { 0, 1, 2, 3, 4, 5, 6, 7, 12, 24, 40, 48, 100,
		            4095, 4097, 12288, ((size_t)1 << 20) + 8,
		            SIZE_MAX, SIZE_MAX / 2 };
	void *const sentinel = (void *)(uintptr_t)0x5e5e5e5e;
	for (unsigned i = 0; i < ARRAY_LEN(aligns); i++) {
		for (size_t size = 0; size <= 4096; size += 1024) {
			void *out = sentinel;
			errno = 1234;
			int rc = strata_posix_memalign(&out, aligns[i], size);
			cr_assert_eq(rc, EINVAL, "align %zu size %zu: %d",
			             aligns[i], size, rc);
			cr_assert_eq(out, sentinel, "align %zu: *out written",
			             aligns[i]);
			cr_assert_eq(errno, 1234, "posix_memalign set errno");
		}
	}
}

Test(bad_input, posix_memalign_of_impossible_size_returns_enomem) {
	void *const sentinel = (void *)(uintptr_t)0x5e5e5e5e;
	size_t sizes[] = { size_max, ptrdiff_over, (size_t)1 << 62 };
	for (unsigned lg = 3; lg <= 21; lg++)
		for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
			void *out = sentinel;
			errno = 1234;
			int rc = strata_posix_memalign(&out, (size_t)1 << lg,
			                               sizes[i]);
			cr_assert_eq(rc, ENOMEM, "align 2^%u size %zu: %d", lg,
			             sizes[i], rc);
			cr_assert_eq(out, sentinel);
			cr_assert_eq(errno, ENOMEM, "glibc leaves ENOMEM");
		}
}

Test(bad_input, aligned_alloc_rejects_non_power_of_two_with_einval) {
	size_t aligns[] = { 0, 3, 5, 6, 12, 24, 48, 100, 4095, 12288,
		            SIZE_MAX };
	for (unsigned i = 0; i < ARRAY_LEN(aligns); i++) {
		errno = 0;
		cr_assert_null(strata_aligned_alloc(aligns[i], 4096),
		               "aligned_alloc(%zu)", aligns[i]);
		cr_assert_eq(errno, EINVAL, "aligned_alloc(%zu)", aligns[i]);
	}
}

Test(bad_input, aligned_alloc_of_impossible_size_returns_null_with_enomem) {
	errno = 0;
	cr_assert_null(strata_aligned_alloc(64, size_max));
	cr_assert_eq(errno, ENOMEM);
}

/* Alignments of 2^48 and beyond need more address space than a 48-bit
 * machine has; the flag field itself stops at 2^63. */
Test(bad_input, mallocx_with_absurd_lg_align_returns_null) {
	for (unsigned lg = 48; lg < 64; lg++) {
		errno = 0;
		cr_assert_null(strata_mallocx(1, STRATA_MALLOCX_LG_ALIGN(lg)),
		               "lg_align %u", lg);
		cr_assert_neq(errno, 0, "lg_align %u left errno alone", lg);
		cr_assert_null(strata_rallocx(NULL, 1,
		                              STRATA_MALLOCX_LG_ALIGN(lg)));
	}
}

/* ---- invalid and double frees ---- */

typedef struct misuse {
	void *ptr;
	void *other;
	int flags;
	size_t size;
} misuse_t;

static void free_once(void *arg) { strata_free(((misuse_t *)arg)->ptr); }

static void free_twice(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	strata_free(m->ptr);
}

static void free_sized_twice(void *arg) {
	misuse_t *m = arg;
	strata_free_sized(m->ptr, m->size);
	strata_free_sized(m->ptr, m->size);
}

/* p, q, p: the second free of p is not the top of the cache. */
static void free_p_q_p(void *arg) {
	misuse_t *m = arg;
	strata_dallocx(m->ptr, m->flags);
	strata_dallocx(m->other, m->flags);
	strata_dallocx(m->ptr, m->flags);
}

/* p, q, p through the cache, then a flush hands all three back. */
static void free_p_q_p_then_flush(void *arg) {
	free_p_q_p(arg);
	strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

Test(bad_input, free_of_a_stack_address_is_reported_and_aborts) {
	char buf[64];
	misuse_t m = { .ptr = buf + 16 };
	__asm__ volatile("" : : "r"(m.ptr) : "memory");
	expect_abort_naming(free_once, &m, m.ptr, "free of");
}

Test(bad_input, free_of_memory_never_allocated_is_reported_and_aborts) {
	size_t bytes = (size_t)4 << 20;
	char *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(region, MAP_FAILED);
	size_t offsets[] = { 0, 16, 4096, (size_t)2 << 20, bytes - 64 };
	for (unsigned i = 0; i < ARRAY_LEN(offsets); i++) {
		misuse_t m = { .ptr = region + offsets[i] };
		expect_abort_naming(free_once, &m, m.ptr, "free of");
	}
	munmap(region, bytes);
}

/* Every free checks the region start at the call (detect.c checks that
 * nothing is handed out first); the flush here only adds a chance. */
static void free_once_then_flush(void *arg) {
	free_once(arg);
	strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

static void dallocx_without_tcache(void *arg) {
	strata_dallocx(((misuse_t *)arg)->ptr, STRATA_MALLOCX_TCACHE_NONE);
}

Test(bad_input, free_of_a_pointer_inside_a_small_block_is_reported) {
	for (unsigned ind = 1; ind < SC_NSMALL; ind++) {
		char *p = strata_malloc(sc_class_size(ind));
		misuse_t m = { .ptr = p + 8 };
		expect_abort_naming(free_once_then_flush, &m, m.ptr, "free of");
		expect_abort_naming(dallocx_without_tcache, &m, m.ptr,
		                    "free of");
		strata_free(p);
	}
}

Test(bad_input, free_of_a_pointer_inside_a_large_block_is_reported) {
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= LAST_CLASS_BYTES;
	     ind++) {
		char *p = strata_malloc(sc_class_size(ind));
		cr_assert_not_null(p);
		size_t usable = strata_malloc_usable_size(p);
		size_t inside[] = { 8, 16, page_bytes, usable / 2,
			            usable - 16 };
		for (unsigned i = 0; i < ARRAY_LEN(inside); i++) {
			misuse_t m = { .ptr = p + inside[i] };
			expect_abort_naming(free_once, &m, m.ptr, "free of");
		}
		strata_free(p);
	}
}

Test(bad_input, immediate_double_free_is_reported_for_every_class) {
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		void *p = strata_malloc(sc_class_size(ind));
		misuse_t m = { .ptr = p };
		expect_abort_naming(free_twice, &m, p, "double free");
		strata_free(p);
	}
}

/* Guaranteed: without the thread cache, every free checks the block's
 * state at once, so a double free is reported at the second free however
 * many frees came between. */
Test(bad_input, non_adjacent_double_free_without_tcache_is_reported) {
	int none = STRATA_MALLOCX_TCACHE_NONE;
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		void *p = strata_mallocx(size, none);
		void *q = strata_mallocx(size, none);
		void *keep = strata_mallocx(size, none);
		cr_assert(p != NULL && q != NULL && keep != NULL);
		misuse_t m = { .ptr = p, .other = q, .flags = none };
		expect_abort_naming(free_p_q_p, &m, p, "double free");
		strata_dallocx(p, none);
		strata_dallocx(q, none);
		strata_dallocx(keep, none);
	}
}

/* Through the thread cache too, p, q, p is seen at the second free of p
 * (the live byte); the flush after it is never reached. */
static void expect_p_q_p_reported_at_flush(unsigned ind) {
	size_t size = sc_class_size(ind);
	void *p = strata_malloc(size);
	void *q = strata_malloc(size);
	cr_assert(p != NULL && q != NULL);
	misuse_t m = { .ptr = p, .other = q, .flags = 0 };
	expect_abort_naming(free_p_q_p_then_flush, &m, p, "double free");
	strata_free(p);
	strata_free(q);
}

Test(bad_input, non_adjacent_double_free_of_small_block_is_reported_at_flush) {
	for (unsigned ind = 0; ind < SC_NSMALL; ind++)
		expect_p_q_p_reported_at_flush(ind);
}

/* Large classes up to tcache_max sit in the cache too. */
Test(bad_input, non_adjacent_double_free_of_cached_large_block_is_reported_at_flush) {
	size_t tcache_max = 0, len = sizeof(tcache_max);
	cr_assert_eq(strata_ctl("opt.tcache_max", &tcache_max, &len, NULL, 0), 0);
	for (unsigned ind = SC_NSMALL; sc_class_size(ind) <= tcache_max; ind++)
		expect_p_q_p_reported_at_flush(ind);
}

/* Above tcache_max a large free goes straight to the arena, so the second
 * free of p finds no live block there at once. */
Test(bad_input, non_adjacent_double_free_of_uncached_large_block_is_reported) {
	size_t tcache_max = 0, len = sizeof(tcache_max);
	cr_assert_eq(strata_ctl("opt.tcache_max", &tcache_max, &len, NULL, 0), 0);
	unsigned ind = SC_NSMALL;
	while (sc_class_size(ind) <= tcache_max)
		ind++;
	for (; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		void *p = strata_malloc(size);
		void *q = strata_malloc(size);
		cr_assert(p != NULL && q != NULL);
		misuse_t m = { .ptr = p, .other = q, .flags = 0 };
		expect_abort_naming(free_p_q_p, &m, p, "double free");
		strata_free(p);
		strata_free(q);
	}
}

Test(bad_input, immediate_double_sized_free_is_reported_for_every_class) {
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++) {
		size_t size = sc_class_size(ind);
		void *p = strata_malloc(size);
		misuse_t m = { .ptr = p, .size = size };
		expect_abort_naming(free_sized_twice, &m, p, "double free");
		strata_free_sized(p, size);
	}
}
