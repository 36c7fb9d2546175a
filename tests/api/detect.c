/*
 * detect.c — invalid and double frees are caught at the call, through the
 * thread cache: an interior or misaligned free, a non-adjacent double
 * free, a realloc of a freed or interior pointer, through every entry
 * point (free, free_sized, sdallocx, dallocx, realloc, rallocx, xallocx),
 * each reported in one line naming the pointer before the block can be
 * handed out again; and the smaller API defects around them (nallocx of
 * PTRDIFF_MAX, unknown mallocx flags, realloc in a manual arena,
 * posix_memalign's errno, memalign's huge alignments, decay time caps).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "api_internal.h"
#include "arena.h"
#include "expect_abort.h"
#include "extent.h"
#include "pagemap.h"
#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(detect, .init = boot, .timeout = 120);

typedef struct misuse {
	char *ptr;   /* the pointer the report must name */
	char *other;
	size_t size;
	int flags;
} misuse_t;

/* Nothing but the misuse may abort: the child writes a fresh block then
 * hands out blocks of the same size, so a detection that came only later
 * (at a flush) would have let the child exit 0. */
static void reuse_after(size_t size) {
	for (int i = 0; i < 4; i++) {
		char *volatile q = strata_malloc(size);
		memset(q, 0x5a, size);
	}
}

static void free_at(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	reuse_after(m->size);
}

static void free_p_q_p(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	strata_free(m->other);
	strata_free(m->ptr);
	reuse_after(m->size);
}

static void free_sized_p_q_p(void *arg) {
	misuse_t *m = arg;
	strata_free_sized(m->ptr, m->size);
	strata_free_sized(m->other, m->size);
	strata_free_sized(m->ptr, m->size);
	reuse_after(m->size);
}

static void sdallocx_p_q_p(void *arg) {
	misuse_t *m = arg;
	strata_sdallocx(m->ptr, m->size, m->flags);
	strata_sdallocx(m->other, m->size, m->flags);
	strata_sdallocx(m->ptr, m->size, m->flags);
	reuse_after(m->size);
}

static void dallocx_p_q_p(void *arg) {
	misuse_t *m = arg;
	strata_dallocx(m->ptr, m->flags);
	strata_dallocx(m->other, m->flags);
	strata_dallocx(m->ptr, m->flags);
	reuse_after(m->size);
}

static void free_sized_at(void *arg) {
	misuse_t *m = arg;
	strata_free_sized(m->ptr, m->size);
	reuse_after(m->size);
}

static void sdallocx_at(void *arg) {
	misuse_t *m = arg;
	strata_sdallocx(m->ptr, m->size, 0);
	reuse_after(m->size);
}

/* free(a); b = malloc(); realloc(a, size): b is another class's block
 * (had b been given a's block back, a would be b's pointer again: no
 * allocator can tell).  flags 1: no b at all, for a large run, whose
 * address any new run may reuse. */
static void realloc_freed(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	if (m->flags != 1) {
		char *volatile b = strata_malloc(m->size * 4 + 1);
		memset(b, 1, m->size);
	}
	char *volatile r = strata_realloc(m->ptr, m->size);
	memset(r, 2, m->size);
}

static void rallocx_freed(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	if (m->flags != 1) {
		char *volatile b = strata_malloc(m->size * 4 + 1);
		memset(b, 1, m->size);
	}
	char *volatile r = strata_rallocx(m->ptr, m->size * 2, 0);
	memset(r, 2, m->size);
}

static void xallocx_freed(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	(void)strata_xallocx(m->ptr, m->size * 2, 0, 0);
}

static void realloc_at(void *arg) {
	misuse_t *m = arg;
	char *volatile r = strata_realloc(m->ptr, m->size * 3);
	memset(r, 2, m->size);
}

static const size_t small_sizes[] = { 32, 64, 256, 1024 };
/* 8, 48 and 20000 B, a large and a huge size. */
static size_t pqp_sizes(unsigned i) {
	size_t s[] = { 8, 48, 20000, (size_t)200 << 10, (size_t)5 << 20 };
	return i < ARRAY_LEN(s) ? s[i] : 0;
}

Test(detect, interior_free_of_a_small_block_is_caught_at_the_call) {
	for (unsigned i = 0; i < ARRAY_LEN(small_sizes); i++) {
		size_t size = small_sizes[i];
		char *a = strata_malloc(size);
		cr_assert_not_null(a);
		misuse_t m = { .ptr = a + 16, .size = size };
		expect_abort_naming(free_at, &m, m.ptr, "free of");
		m.ptr = a + size / 2;
		expect_abort_naming(free_at, &m, m.ptr, "free of");
		strata_free(a);
	}
}

Test(detect, misaligned_free_of_a_small_block_is_caught_at_the_call) {
	for (unsigned i = 0; i < ARRAY_LEN(small_sizes); i++) {
		size_t size = small_sizes[i];
		char *a = strata_malloc(size);
		misuse_t m = { .ptr = a + 1, .size = size };
		expect_abort_naming(free_at, &m, m.ptr, "free of");
		strata_free(a);
	}
}

/* The report also names the block the pointer points into. */
Test(detect, interior_free_report_names_the_block) {
	char *a = strata_malloc(64);
	misuse_t m = { .ptr = a + 16, .size = 64 };
	child_outcome_t out = run_in_child(free_at, &m);
	char want[64];
	snprintf(want, sizeof(want), "inside the block at %p", (void *)a);
	cr_assert(strstr(out.text, want) != NULL, "'%s'", out.text);
	strata_free(a);
}

Test(detect, non_adjacent_double_free_is_caught_at_the_call) {
	for (unsigned i = 0; pqp_sizes(i) != 0; i++) {
		size_t size = pqp_sizes(i);
		char *a = strata_malloc(size), *b = strata_malloc(size);
		cr_assert(a != NULL && b != NULL);
		misuse_t m = { .ptr = a, .other = b, .size = size };
		expect_abort_naming(free_p_q_p, &m, a, "double free");
		expect_abort_naming(free_sized_p_q_p, &m, a, "double free");
		expect_abort_naming(sdallocx_p_q_p, &m, a, "double free");
		m.flags = STRATA_MALLOCX_TCACHE_NONE;
		expect_abort_naming(dallocx_p_q_p, &m, a, "double free");
		expect_abort_naming(sdallocx_p_q_p, &m, a, "double free");
		strata_free(a);
		strata_free(b);
	}
}

/* Without the catch, the three mallocs after free(a); free(b); free(a)
 * would be a, b, a. */
static void pqp_then_three_mallocs(void *arg) {
	misuse_t *m = arg;
	strata_free(m->ptr);
	strata_free(m->other);
	strata_free(m->ptr);
	char *x = strata_malloc(m->size), *y = strata_malloc(m->size);
	char *z = strata_malloc(m->size);
	if (x == z || y == z || x == y)
		_exit(3);
}

Test(detect, no_block_is_handed_out_twice_after_a_double_free) {
	char *a = strata_malloc(48), *b = strata_malloc(48);
	misuse_t m = { .ptr = a, .other = b, .size = 48 };
	expect_abort_naming(pqp_then_three_mallocs, &m, a, "double free");
	strata_free(a);
	strata_free(b);
}

Test(detect, double_free_of_large_and_huge_blocks_says_double_free) {
	size_t sizes[] = { (size_t)100 << 10, (size_t)1 << 20, (size_t)6 << 20 };
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		char *a = strata_malloc(sizes[i]);
		cr_assert_not_null(a);
		misuse_t m = { .ptr = a, .size = sizes[i],
			       .flags = STRATA_MALLOCX_TCACHE_NONE };
		expect_abort_naming(dallocx_p_q_p, &m, a, "double free");
		/* Said as such, not as "not a live block (... double free)". */
		child_outcome_t out = run_in_child(dallocx_p_q_p, &m);
		cr_assert(strncmp(out.text, "strata: double free of ", 23) == 0,
		          "'%s'", out.text);
		strata_free(a);
	}
}

Test(detect, interior_frees_through_sized_entry_points_are_caught) {
	for (unsigned i = 0; i < ARRAY_LEN(small_sizes); i++) {
		size_t size = small_sizes[i];
		char *a = strata_malloc(size);
		misuse_t m = { .ptr = a + 16, .size = size };
		expect_abort_naming(free_sized_at, &m, m.ptr, "free of");
		expect_abort_naming(sdallocx_at, &m, m.ptr, "free of");
		strata_free(a);
	}
}

Test(detect, realloc_of_a_freed_block_is_caught) {
	size_t sizes[] = { 8, 100, 1024, 20000, (size_t)300 << 10 };
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		char *a = strata_malloc(sizes[i]);
		misuse_t m = { .ptr = a, .size = sizes[i],
			       .flags = sizes[i] > SC_SMALL_MAX };
		expect_abort_naming(realloc_freed, &m, a, "realloc of");
		expect_abort_naming(rallocx_freed, &m, a, "realloc of");
		strata_free(a);
	}
	char *a = strata_malloc((size_t)300 << 10);
	misuse_t m = { .ptr = a, .size = (size_t)300 << 10 };
	expect_abort_naming(xallocx_freed, &m, a, "xallocx of");
	strata_free(a);
}

Test(detect, realloc_of_an_interior_pointer_is_caught) {
	size_t sizes[] = { 32, 64, 256, 1024 };
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		char *a = strata_malloc(sizes[i]);
		misuse_t m = { .ptr = a + 16, .size = sizes[i] };
		expect_abort_naming(realloc_at, &m, m.ptr, "realloc of");
		m.ptr = a + 1;
		expect_abort_naming(realloc_at, &m, m.ptr, "realloc of");
		strata_free(a);
	}
}

/* The catch must not refuse what is right: every class freed, reused and
 * freed again through the cache, with flushes in between. */
Test(detect, valid_frees_of_every_class_pass_through_the_cache) {
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)4 << 20);
		     ind++) {
			size_t size = sc_class_size(ind);
			char *p[40];
			for (unsigned i = 0; i < ARRAY_LEN(p); i++) {
				p[i] = strata_malloc(size);
				cr_assert_not_null(p[i]);
				p[i][0] = (char)i;
			}
			for (unsigned i = 0; i < ARRAY_LEN(p); i++)
				strata_free_sized(p[i], size);
			char *r = strata_realloc(strata_malloc(size), size + 1);
			cr_assert_not_null(r);
			strata_free(r);
		}
		strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	}
}

/* ---- item 7: the smaller defects ---- */

static volatile size_t ptrdiff_max = PTRDIFF_MAX;

Test(detect, nallocx_of_ptrdiff_max_is_zero_as_mallocx_fails) {
	cr_assert_eq(strata_nallocx(ptrdiff_max, 0), 0);
	errno = 0;
	cr_assert_null(strata_mallocx(ptrdiff_max, 0));
	cr_assert_neq(strata_nallocx(100, 0), 0);
}

Test(detect, unknown_mallocx_flags_are_refused_with_einval) {
	int bad[] = { 0x80, 5 << 8, 0x2 << 8, 0x80 | STRATA_MALLOCX_ZERO };
	for (unsigned i = 0; i < ARRAY_LEN(bad); i++) {
		errno = 0;
		cr_assert_null(strata_mallocx(64, bad[i]), "flags 0x%x", bad[i]);
		cr_assert_eq(errno, EINVAL, "flags 0x%x", bad[i]);
		char *p = strata_malloc(64);
		p[0] = 7;
		errno = 0;
		cr_assert_null(strata_rallocx(p, 200, bad[i]));
		cr_assert_eq(errno, EINVAL);
		cr_assert_eq(p[0], 7, "the block stays");
		strata_free(p);
	}
	char *ok = strata_mallocx(64, STRATA_MALLOCX_ZERO |
	                                  STRATA_MALLOCX_TCACHE_NONE |
	                                  STRATA_MALLOCX_LG_ALIGN(6));
	cr_assert_not_null(ok);
	cr_assert_eq(ok[63], 0);
	strata_dallocx(ok, STRATA_MALLOCX_TCACHE_NONE);
}

static unsigned arena_of(const void *p) {
	run_t *run = pm_desc(pagemap_lookup(addr_of(p)));
	return run->arena->index;
}

Test(detect, realloc_of_a_manual_arena_block_stays_in_its_arena) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned ind;
	cr_assert_eq(strata_arena_create(&opts, &ind), 0);
	size_t sizes[] = { 16, 3000, 40000, (size_t)3 << 20 };
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		char *p = strata_mallocx(sizes[i], STRATA_MALLOCX_ARENA(ind));
		cr_assert_not_null(p);
		cr_assert_eq(arena_of(p), ind);
		memset(p, 0x33, sizes[i]);
		p = strata_realloc(p, sizes[i] * 3);
		cr_assert_not_null(p);
		cr_assert_eq(arena_of(p), ind, "size %zu moved", sizes[i]);
		cr_assert_eq(p[sizes[i] - 1], 0x33);
		strata_free(p);
	}
	cr_assert_eq(strata_arena_destroy(ind), 0);
}

Test(detect, posix_memalign_sets_enomem_on_failure_and_keeps_errno_else) {
	void *out = (void *)0x1;
	errno = 0;
	cr_assert_eq(strata_posix_memalign(&out, 64, ptrdiff_max), ENOMEM);
	cr_assert_eq(errno, ENOMEM);
	cr_assert_eq(out, (void *)0x1);
	errno = 1234;
	cr_assert_eq(strata_posix_memalign(&out, 64, 100), 0);
	cr_assert_eq(errno, 1234);
	cr_assert_eq((uintptr_t)out % 64, 0);
	strata_free(out);
}

Test(detect, memalign_of_two_to_62_or_63_is_enomem) {
	size_t aligns[] = { (size_t)1 << 62, (size_t)1 << 63,
		            ((size_t)1 << 62) + 1 };
	for (unsigned i = 0; i < ARRAY_LEN(aligns); i++) {
		errno = 0;
		cr_assert_null(strata_memalign(aligns[i], 16));
		cr_assert_eq(errno, ENOMEM, "align %zx", aligns[i]);
	}
	errno = 0;
	cr_assert_null(strata_memalign(((size_t)1 << 63) + 1, 16));
	cr_assert_eq(errno, EINVAL);
}

Test(detect, decay_time_above_the_cap_is_refused) {
	long over = (1L << 40) + 1, cap = 1L << 40;
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.dirty_decay_ms = over;
	unsigned ind;
	cr_assert_eq(strata_arena_create(&opts, &ind), EINVAL);
	opts.dirty_decay_ms = 1000;
	opts.muzzy_decay_ms = 18446744073710L;
	cr_assert_eq(strata_arena_create(&opts, &ind), EINVAL);
	strata_arena_opts_init(&opts);
	cr_assert_eq(strata_arena_create(&opts, &ind), 0);
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	long v = 18446744073710L;
	cr_assert_eq(strata_ctl(name, NULL, NULL, &v, sizeof(v)), EINVAL);
	long got = 0;
	size_t len = sizeof(got);
	cr_assert_eq(strata_ctl(name, &got, &len, NULL, 0), 0);
	cr_assert_neq(got, v);
	cr_assert_eq(strata_ctl(name, NULL, NULL, &cap, sizeof(cap)), 0);
	cr_assert_eq(strata_ctl(name, &got, &len, NULL, 0), 0);
	cr_assert_eq(got, cap);
	cr_assert_eq(strata_arena_destroy(ind), 0);
}
