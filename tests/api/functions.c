/*
 * functions.c — every public allocation function on every size class:
 * usable sizes, zeroing (also of a reused dirty block), realloc across
 * every class boundary, the mallocx flags, sized deallocation, and manual
 * arenas with their error codes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "expect_abort.h"
#include "fake_backend.h"
#include "old_caller.h"
#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(functions, .init = boot, .timeout = 60);

/* Every small and large class, and the first huge ones. */
#define LAST_CLASS_BYTES ((size_t)8 << 20)
#define EACH_CLASS(ind) \
	for (unsigned ind = 0; sc_class_size(ind) <= LAST_CLASS_BYTES; ind++)

static unsigned char pattern_of(size_t i, unsigned seed) {
	return (unsigned char)(i * 13 + seed * 7 + 1);
}

static void fill(void *p, size_t n, unsigned seed) {
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = pattern_of(i, seed);
}

static void expect_filled(const void *p, size_t n, unsigned seed,
                          const char *what) {
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != pattern_of(i, seed))
			cr_assert_fail("%s: byte %zu of %zu changed", what, i, n);
}

static void expect_zero(const void *p, size_t from, size_t to,
                        const char *what) {
	const unsigned char *c = p;
	for (size_t i = from; i < to; i++)
		if (c[i] != 0)
			cr_assert_fail("%s: byte %zu of %zu is 0x%02x", what, i,
			               to, c[i]);
}

/* The least request size of a class. */
static size_t class_low(unsigned ind) {
	return ind == 0 ? 1 : sc_class_size(ind - 1) + 1;
}

static uint64_t thread_counter(const char *name) {
	uint64_t v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

/* ---- malloc, calloc ---- */

Test(functions, malloc_gives_the_class_usable_size_for_every_class) {
	EACH_CLASS(ind) {
		size_t sizes[] = { class_low(ind), sc_class_size(ind) };
		for (unsigned k = 0; k < 2; k++) {
			char *p = strata_malloc(sizes[k]);
			cr_assert_not_null(p, "malloc(%zu)", sizes[k]);
			size_t usable = strata_malloc_usable_size(p);
			cr_assert_eq(usable, sc_usable_size(ind), "malloc(%zu)",
			             sizes[k]);
			cr_assert_eq(strata_sallocx(p, 0), usable);
			cr_assert_eq((uintptr_t)p % (sizes[k] >= 16 ? 16 : 8), 0,
			             "malloc(%zu) misaligned", sizes[k]);
			fill(p, usable, ind);
			expect_filled(p, usable, ind, "malloc");
			strata_free(p);
		}
	}
}

Test(functions, malloc_of_zero_returns_a_unique_freeable_block) {
	void *p = strata_malloc(0), *q = strata_malloc(0);
	cr_assert(p != NULL && q != NULL && p != q);
	cr_assert_geq(strata_malloc_usable_size(p), 1);
	strata_free(p);
	strata_free(q);
}

/* The block calloc returns may be one just freed dirty: still zero. */
Test(functions, calloc_zeroes_every_class_even_a_reused_dirty_block) {
	EACH_CLASS(ind) {
		size_t size = sc_class_size(ind);
		for (unsigned round = 0; round < 3; round++) {
			char *dirty = strata_malloc(size);
			cr_assert_not_null(dirty);
			memset(dirty, 0xa5, strata_malloc_usable_size(dirty));
			strata_free(dirty);
			size_t count = round == 0 ? 1 : round == 1 ? size : 2;
			size_t each = round == 0 ? size : round == 1 ? 1 : size / 2;
			char *p = strata_calloc(count, each);
			cr_assert_not_null(p, "calloc(%zu, %zu)", count, each);
			expect_zero(p, 0, count * each, "calloc");
			strata_free(p);
		}
	}
}

Test(functions, malloc_usable_size_of_null_is_zero) {
	cr_assert_eq(strata_malloc_usable_size(NULL), 0);
	cr_assert_eq(strata_sallocx(NULL, 0), 0);
}

/* ---- realloc ---- */

Test(functions, realloc_of_null_allocates_every_class) {
	EACH_CLASS(ind) {
		size_t size = sc_class_size(ind);
		char *p = strata_realloc(NULL, size);
		cr_assert_not_null(p);
		cr_assert_eq(strata_malloc_usable_size(p), sc_usable_size(ind));
		fill(p, size, ind);
		strata_free(p);
	}
}

Test(functions, realloc_to_zero_frees_and_returns_null) {
	EACH_CLASS(ind) {
		char *p = strata_malloc(sc_class_size(ind));
		cr_assert_not_null(p);
		uint64_t before = thread_counter("thread.deallocated");
		cr_assert_null(strata_realloc(p, 0), "class %u", ind);
		cr_assert_eq(thread_counter("thread.deallocated") - before,
		             sc_usable_size(ind), "class %u not freed", ind);
	}
}

/* Up through every class boundary (last size of a class, first of the
 * next), then back down: the common prefix survives every move. */
Test(functions, realloc_across_every_class_boundary_preserves_contents) {
	size_t top = 0;
	char *p = strata_malloc(1);
	fill(p, 1, 0);
	size_t have = 1;
	EACH_CLASS(ind) {
		size_t sizes[] = { sc_class_size(ind), sc_class_size(ind) + 1 };
		for (unsigned k = 0; k < 2; k++) {
			p = strata_realloc(p, sizes[k]);
			cr_assert_not_null(p, "realloc up to %zu", sizes[k]);
			cr_assert_geq(strata_malloc_usable_size(p), sizes[k]);
			expect_filled(p, have, 0, "realloc up");
			fill(p, sizes[k], 0);
			have = top = sizes[k];
		}
	}
	for (unsigned ind = sc_index(top); ind-- > 0;) {
		size_t sizes[] = { sc_class_size(ind) + 1, sc_class_size(ind) };
		for (unsigned k = 0; k < 2; k++) {
			p = strata_realloc(p, sizes[k]);
			cr_assert_not_null(p, "realloc down to %zu", sizes[k]);
			cr_assert_eq(strata_malloc_usable_size(p),
			             sc_usable_size(sc_index(sizes[k])),
			             "shrunk block keeps its old class");
			expect_filled(p, sizes[k], 0, "realloc down");
		}
	}
	strata_free(p);
}

/* From every class to every other class with the ZERO flag: the bytes
 * kept are the old ones, the bytes gained are zero. */
Test(functions, rallocx_zero_keeps_old_bytes_and_zeroes_new_ones) {
	for (unsigned from = 0; sc_class_size(from) <= ((size_t)1 << 20);
	     from += 3)
		EACH_CLASS(to) {
			size_t old_size = sc_class_size(from);
			size_t new_size = sc_class_size(to);
			char *p = strata_mallocx(old_size, STRATA_MALLOCX_ZERO);
			cr_assert_not_null(p);
			size_t old_usable = strata_sallocx(p, 0);
			fill(p, old_usable, from);
			p = strata_rallocx(p, new_size, STRATA_MALLOCX_ZERO);
			cr_assert_not_null(p, "rallocx %zu -> %zu", old_size,
			                   new_size);
			size_t usable = strata_sallocx(p, 0);
			cr_assert_geq(usable, new_size);
			size_t kept = old_usable < usable ? old_usable : usable;
			expect_filled(p, kept, from, "rallocx");
			expect_zero(p, kept, usable, "rallocx gained bytes");
			strata_free(p);
		}
}

/* ---- mallocx flags ---- */

Test(functions, mallocx_zero_zeroes_every_class_even_a_reused_dirty_block) {
	EACH_CLASS(ind) {
		size_t size = sc_class_size(ind);
		char *dirty = strata_malloc(size);
		memset(dirty, 0x5a, strata_malloc_usable_size(dirty));
		strata_free(dirty);
		char *p = strata_mallocx(size, STRATA_MALLOCX_ZERO);
		cr_assert_not_null(p);
		expect_zero(p, 0, strata_sallocx(p, 0), "mallocx ZERO");
		strata_free(p);
	}
}

Test(functions, mallocx_align_gives_aligned_blocks_up_to_2_mib) {
	for (unsigned lg = 0; lg <= 21; lg++) {
		size_t align = (size_t)1 << lg;
		size_t sizes[] = { 1, 8, 24, align, align + 1, 3 * align,
			           100000 };
		for (unsigned k = 0; k < ARRAY_LEN(sizes); k++) {
			int flags = STRATA_MALLOCX_ALIGN(align);
			cr_assert_eq(flags, STRATA_MALLOCX_LG_ALIGN(lg));
			char *p = strata_mallocx(sizes[k], flags);
			cr_assert_not_null(p, "mallocx(%zu, align %zu)",
			                   sizes[k], align);
			cr_assert_eq((uintptr_t)p % align, 0,
			             "mallocx(%zu, align %zu) = %p", sizes[k],
			             align, (void *)p);
			size_t usable = strata_sallocx(p, 0);
			cr_assert_geq(usable, sizes[k]);
			cr_assert_eq(strata_nallocx(sizes[k], flags), usable,
			             "nallocx(%zu, align %zu)", sizes[k], align);
			fill(p, usable, lg);
			strata_sdallocx(p, sizes[k], flags);
		}
	}
}

/* Disabled: a zero size with an alignment above 8 is served from the 8-byte
 * class, unaligned (core/api.c class_for rounds 0 up to the alignment, which
 * stays 0); enable once that is fixed. */
Test(functions, zero_size_with_any_alignment_is_aligned) {
	for (unsigned lg = 0; lg <= 21; lg++) {
		size_t align = (size_t)1 << lg;
		void *p[3] = { strata_mallocx(0, STRATA_MALLOCX_ALIGN(align)),
			       strata_aligned_alloc(align, 0), NULL };
		if (align >= sizeof(void *))
			cr_assert_eq(strata_posix_memalign(&p[2], align, 0), 0);
		for (unsigned k = 0; k < 3; k++) {
			if (p[k] == NULL && k == 2 && align < sizeof(void *))
				continue;
			cr_assert_not_null(p[k]);
			cr_assert_eq((uintptr_t)p[k] % align, 0,
			             "call %u, align %zu: %p", k, align, p[k]);
			strata_free(p[k]);
		}
	}
}

Test(functions, aligned_alloc_and_posix_memalign_align_every_power_of_two) {
	for (unsigned lg = 3; lg <= 21; lg++) {
		size_t align = (size_t)1 << lg;
		char *p = strata_aligned_alloc(align, align);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % align, 0);
		memset(p, 1, align);
		strata_free_aligned_sized(p, align, align);
		void *q = NULL;
		cr_assert_eq(strata_posix_memalign(&q, align, 3 * align + 5), 0);
		cr_assert_eq((uintptr_t)q % align, 0);
		memset(q, 2, 3 * align + 5);
		strata_free(q);
	}
}

Test(functions, rallocx_keeps_the_alignment_asked) {
	for (unsigned lg = 4; lg <= 21; lg++) {
		int flags = STRATA_MALLOCX_LG_ALIGN(lg);
		size_t align = (size_t)1 << lg;
		char *p = strata_mallocx(8, flags);
		fill(p, 8, lg);
		size_t sizes[] = { align + 8, 5 * align, 16, align };
		for (unsigned k = 0; k < ARRAY_LEN(sizes); k++) {
			p = strata_rallocx(p, sizes[k], flags);
			cr_assert_not_null(p);
			cr_assert_eq((uintptr_t)p % align, 0,
			             "rallocx to %zu lost align %zu", sizes[k],
			             align);
			expect_filled(p, 8, lg, "rallocx aligned");
		}
		strata_dallocx(p, 0);
	}
}

Test(functions, mallocx_without_tcache_serves_and_frees_every_class) {
	int none = STRATA_MALLOCX_TCACHE_NONE;
	EACH_CLASS(ind) {
		size_t size = sc_class_size(ind);
		char *p[4];
		for (unsigned k = 0; k < 4; k++) {
			p[k] = strata_mallocx(size, none | STRATA_MALLOCX_ZERO);
			cr_assert_not_null(p[k]);
			expect_zero(p[k], 0, size, "mallocx TCACHE_NONE|ZERO");
			fill(p[k], size, k);
		}
		for (unsigned k = 0; k < 4; k++) {
			expect_filled(p[k], size, k, "TCACHE_NONE block");
			strata_sdallocx(p[k], size, none);
		}
	}
}

Test(functions, nallocx_equals_sallocx_after_mallocx_for_every_class) {
	int flag_sets[] = { 0, STRATA_MALLOCX_ZERO, STRATA_MALLOCX_TCACHE_NONE,
		            STRATA_MALLOCX_LG_ALIGN(6), STRATA_MALLOCX_ALIGN(4096),
		            STRATA_MALLOCX_ARENA(0) };
	EACH_CLASS(ind) {
		size_t sizes[] = { class_low(ind), sc_class_size(ind) };
		for (unsigned f = 0; f < ARRAY_LEN(flag_sets); f++)
			for (unsigned k = 0; k < 2; k++) {
				void *p = strata_mallocx(sizes[k], flag_sets[f]);
				cr_assert_not_null(p);
				cr_assert_eq(strata_nallocx(sizes[k], flag_sets[f]),
				             strata_sallocx(p, 0),
				             "size %zu flags 0x%x", sizes[k],
				             flag_sets[f]);
				strata_dallocx(p, flag_sets[f]);
			}
	}
}

/* ---- sized deallocation ---- */

Test(functions, sized_frees_accept_every_size_of_the_class) {
	EACH_CLASS(ind) {
		size_t sizes[] = { class_low(ind), sc_class_size(ind) };
		for (unsigned k = 0; k < 2; k++) {
			size_t size = sizes[k];
			strata_free_sized(strata_malloc(size), size);
			strata_sdallocx(strata_mallocx(size, 0), size, 0);
			strata_sdallocx(strata_mallocx(size, STRATA_MALLOCX_TCACHE_NONE),
			                size, STRATA_MALLOCX_TCACHE_NONE);
			for (unsigned lg = 3; lg <= 13; lg += 5) {
				size_t align = (size_t)1 << lg;
				size_t asize = align_up(size, align);
				strata_free_aligned_sized(
				    strata_aligned_alloc(align, asize), align, asize);
				strata_sdallocx(
				    strata_mallocx(size, STRATA_MALLOCX_ALIGN(align)),
				    size, STRATA_MALLOCX_ALIGN(align));
			}
		}
	}
	strata_free_sized(NULL, 16);
	strata_free_aligned_sized(NULL, 64, 64);
	strata_sdallocx(NULL, 16, 0);
}

typedef struct sized_misuse {
	void *ptr;
	size_t size;
} sized_misuse_t;

static void free_with_wrong_size(void *arg) {
	sized_misuse_t *m = arg;
	strata_free_sized(m->ptr, m->size);
}

static void sdallocx_with_wrong_size(void *arg) {
	sized_misuse_t *m = arg;
	strata_sdallocx(m->ptr, m->size, 0);
}

/* A size that names a class with another usable size: the next class up,
 * or the smallest class. */
Test(functions, sized_free_with_a_wrong_size_is_reported_and_aborts) {
	EACH_CLASS(ind) {
		void *p = strata_malloc(sc_class_size(ind));
		cr_assert_not_null(p);
		size_t wrong[] = { sc_usable_size(ind) + 1, 1 };
		for (unsigned k = 0; k < (ind == 0 ? 1u : 2u); k++) {
			sized_misuse_t m = { .ptr = p, .size = wrong[k] };
			expect_abort_naming(free_with_wrong_size, &m, p,
			                    "sized free of");
			expect_abort_naming(sdallocx_with_wrong_size, &m, p,
			                    "sized free of");
		}
		strata_free(p);
	}
}

/* ---- arenas ---- */

static unsigned auto_arenas(void) {
	unsigned n = 0;
	size_t len = sizeof(n);
	cr_assert_eq(strata_ctl("opt.narenas", &n, &len, NULL, 0), 0);
	cr_assert_geq(n, 1);
	return n;
}

static unsigned create_default_arena(void) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned index = 0;
	cr_assert_eq(strata_arena_create(&opts, &index), 0);
	cr_assert_geq(index, auto_arenas(), "manual arena %u among automatic",
	              index);
	return index;
}

Test(functions, arena_opts_init_fills_the_defaults) {
	strata_arena_opts opts;
	memset(&opts, 0x77, sizeof(opts));
	strata_arena_opts_init(&opts);
	cr_assert_eq(opts.struct_bytes, sizeof(opts));
	cr_assert_eq(opts.tier, STRATA_TIER_DEFAULT);
	cr_assert_eq(opts.node, STRATA_NODE_ANY);
	cr_assert_eq(opts.policy, STRATA_POLICY_PREFERRED);
	cr_assert_eq(opts.dirty_decay_ms, STRATA_DECAY_DEFAULT);
	cr_assert_eq(opts.muzzy_decay_ms, STRATA_DECAY_DEFAULT);
	cr_assert_null(opts.pmem_dir);
	cr_assert_eq(opts.pmem_max_bytes, 0);
}

Test(functions, arena_create_accepts_the_older_smaller_opts) {
	struct {
		opts_v1_t v1;
		unsigned char beyond[64];
	} buf;
	memset(&buf, 0xff, sizeof(buf)); /* garbage where newer fields were */
	buf.v1 = (opts_v1_t){ .struct_bytes = sizeof(opts_v1_t),
		              .tier = STRATA_TIER_DEFAULT,
		              .node = STRATA_NODE_ANY,
		              .policy = STRATA_POLICY_PREFERRED,
		              .dirty_decay_ms = 0,
		              .muzzy_decay_ms = STRATA_DECAY_DEFAULT };
	unsigned index;
	cr_assert_eq(strata_arena_create((const strata_arena_opts *)&buf.v1,
	                                 &index), 0,
	             "the missing pmem fields take their defaults");
	char *p = strata_mallocx(100, STRATA_MALLOCX_ARENA(index));
	cr_assert_not_null(p);
	memset(p, 1, 100);
	strata_free(p);
	cr_assert_eq(strata_arena_destroy(index), 0);
	buf.v1.struct_bytes = sizeof(opts_v1_t) - 1;
	cr_assert_eq(strata_arena_create((const strata_arena_opts *)&buf.v1,
	                                 &index), EINVAL);
}

/* An older program's struct, canary bytes after it: the library's
 * initializer writes its fields and not one byte past them, whether the
 * program calls the exported strata_arena_opts_init (built before it was
 * inline) or the sized one with its own sizeof; arena creation accepts
 * the result. */
typedef struct {
	opts_v1_t v1;
	unsigned char canary[64];
} v1_in_buffer_t;

static void expect_v1_defaults_and_canary_intact(const v1_in_buffer_t *buf) {
	cr_assert_eq(buf->v1.struct_bytes, sizeof(opts_v1_t));
	cr_assert_eq(buf->v1.tier, STRATA_TIER_DEFAULT);
	cr_assert_eq(buf->v1.node, STRATA_NODE_ANY);
	cr_assert_eq(buf->v1.policy, STRATA_POLICY_PREFERRED);
	cr_assert_eq(buf->v1.dirty_decay_ms, STRATA_DECAY_DEFAULT);
	cr_assert_eq(buf->v1.muzzy_decay_ms, STRATA_DECAY_DEFAULT);
	for (size_t i = 0; i < sizeof(buf->canary); i++)
		cr_assert_eq(buf->canary[i], 0xa5,
		             "byte %zu past the caller's struct was written", i);
	unsigned index;
	cr_assert_eq(strata_arena_create((const strata_arena_opts *)&buf->v1,
	                                 &index), 0);
	char *p = strata_mallocx(200, STRATA_MALLOCX_ARENA(index));
	cr_assert_not_null(p);
	memset(p, 3, 200);
	cr_assert_geq(strata_sallocx(p, 0), 200);
	strata_free(p);
	cr_assert_eq(strata_arena_destroy(index), 0);
}

Test(functions, exported_arena_opts_init_writes_only_the_first_release_struct) {
	v1_in_buffer_t buf;
	memset(&buf, 0xa5, sizeof(buf));
	old_caller_opts_init(&buf.v1);
	expect_v1_defaults_and_canary_intact(&buf);
}

Test(functions, sized_arena_opts_init_writes_only_the_callers_bytes) {
	v1_in_buffer_t buf;
	memset(&buf, 0xa5, sizeof(buf));
	cr_assert_eq(strata_arena_opts_init_sized((strata_arena_opts *)&buf.v1,
	                                          sizeof(opts_v1_t)), 0);
	expect_v1_defaults_and_canary_intact(&buf);
	cr_assert_eq(strata_arena_opts_init_sized((strata_arena_opts *)&buf.v1,
	                                          sizeof(opts_v1_t) - 1),
	             EINVAL, "smaller than any release's struct");
	cr_assert_eq(strata_arena_opts_init_sized(NULL, sizeof(opts_v1_t)),
	             EINVAL);
}

/* A program built against a newer header gets its unknown fields zeroed
 * (their default), up to its size and no further. */
Test(functions, sized_arena_opts_init_zeroes_the_fields_of_a_newer_struct) {
	struct {
		strata_arena_opts known;
		uint64_t newer[2];
		unsigned char canary[16];
	} buf;
	memset(&buf, 0xa5, sizeof(buf));
	size_t bytes = offsetof(__typeof__(buf), canary);
	cr_assert_eq(strata_arena_opts_init_sized(&buf.known, bytes), 0);
	cr_assert_eq(buf.known.struct_bytes, bytes);
	cr_assert_null(buf.known.pmem_dir);
	cr_assert_eq(buf.newer[0], 0);
	cr_assert_eq(buf.newer[1], 0);
	for (size_t i = 0; i < sizeof(buf.canary); i++)
		cr_assert_eq(buf.canary[i], 0xa5);
	unsigned index;
	cr_assert_eq(strata_arena_create(&buf.known, &index), 0);
	cr_assert_eq(strata_arena_destroy(index), 0);
}

/* A program built against a newer header: fields this library does not
 * know are accepted when zero (their default) and refused otherwise. */
Test(functions, arena_create_accepts_a_newer_larger_opts_only_when_its_new_fields_are_zero) {
	struct {
		strata_arena_opts known;
		uint64_t newer[2];
	} buf;
	memset(&buf, 0, sizeof(buf));
	strata_arena_opts_init(&buf.known);
	buf.known.struct_bytes = sizeof(buf);
	unsigned index;
	cr_assert_eq(strata_arena_create(&buf.known, &index), 0);
	cr_assert_eq(strata_arena_destroy(index), 0);
	buf.newer[1] = 1;
	cr_assert_eq(strata_arena_create(&buf.known, &index), ENOTSUP);
}

/* The test backend offers file-backed PMEM: the directory reaches it as
 * asked, from a copy (the caller's string may be gone by then). */
Test(functions, pmem_dir_is_copied_at_arena_creation) {
	char dir[64] = "/mnt/pmem0/strata";
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_PMEM;
	opts.pmem_dir = dir;
	opts.pmem_max_bytes = 1u << 30;
	unsigned index;
	cr_assert_eq(strata_arena_create(&opts, &index), 0);
	memset(dir, 'x', sizeof(dir) - 1); /* the caller reuses its buffer */
	char *p = strata_mallocx(1000, STRATA_MALLOCX_ARENA(index));
	cr_assert_not_null(p);
	memset(p, 2, 1000);
	size_t max_bytes = 0;
	cr_assert_str_eq(fake_last_pmem_dir(&max_bytes), "/mnt/pmem0/strata");
	cr_assert_eq(max_bytes, 1u << 30);
	strata_free(p);
	cr_assert_eq(strata_arena_destroy(index), 0);
}

Test(functions, pmem_dir_needs_the_pmem_tier_and_a_path) {
	strata_arena_opts opts;
	unsigned index;
	strata_arena_opts_init(&opts);
	opts.pmem_dir = "/mnt/pmem0";
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL, "DEFAULT tier");
	opts.tier = STRATA_TIER_PMEM;
	opts.pmem_dir = "";
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL, "empty path");
	opts.pmem_dir = NULL;
	opts.pmem_max_bytes = 1u << 20;
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL, "bound alone");
}

Test(functions, destroyed_arena_takes_every_block_with_it) {
	unsigned a = create_default_arena();
	void *blocks[128];
	unsigned n = 0;
	EACH_CLASS(ind) {
		size_t size = sc_class_size(ind);
		char *p = strata_mallocx(size, STRATA_MALLOCX_ARENA(a));
		cr_assert_not_null(p, "mallocx(%zu, ARENA(%u))", size, a);
		cr_assert_eq(strata_malloc_usable_size(p), sc_usable_size(ind));
		fill(p, size, ind);
		cr_assert_lt(n, ARRAY_LEN(blocks));
		blocks[n++] = p;
	}
	unsigned i = 0;
	EACH_CLASS(ind)
		expect_filled(blocks[i++], sc_class_size(ind), ind, "arena block");
	cr_assert_eq(strata_arena_destroy(a), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(strata_malloc_usable_size(blocks[i]), 0,
		             "block %u of destroyed arena still known", i);
	cr_assert_eq(strata_arena_destroy(a), EINVAL, "destroyed twice");
}

Test(functions, arena_memory_is_reusable_after_destroy) {
	for (unsigned round = 0; round < 16; round++) {
		unsigned a = create_default_arena();
		EACH_CLASS(ind) {
			char *p = strata_mallocx(sc_class_size(ind),
			                         STRATA_MALLOCX_ARENA(a) |
			                             STRATA_MALLOCX_ZERO);
			cr_assert_not_null(p);
			expect_zero(p, 0, sc_class_size(ind), "recycled arena");
			memset(p, 0xcc, sc_class_size(ind));
			if (ind % 2 == 0)
				strata_free(p);
		}
		cr_assert_eq(strata_arena_destroy(a), 0);
	}
}

Test(functions, thread_bound_to_a_manual_arena_allocates_from_it) {
	unsigned a = create_default_arena();
	unsigned got = 0;
	cr_assert_eq(strata_thread_arena_set(a), 0);
	cr_assert_eq(strata_thread_arena_get(&got), 0);
	cr_assert_eq(got, a);
	void *blocks[128];
	unsigned n = 0;
	EACH_CLASS(ind) {
		blocks[n] = strata_malloc(sc_class_size(ind));
		cr_assert_not_null(blocks[n]);
		n++;
	}
	cr_assert_eq(strata_thread_arena_set(0), 0);
	cr_assert_eq(strata_arena_destroy(a), 0);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(strata_malloc_usable_size(blocks[i]), 0,
		             "block %u did not come from the bound arena", i);
}

Test(functions, thread_arena_set_and_get_round_trip_every_automatic_arena) {
	unsigned n = auto_arenas();
	for (unsigned i = 0; i < n; i++) {
		unsigned got = ~0u;
		cr_assert_eq(strata_thread_arena_set(i), 0, "arena %u", i);
		cr_assert_eq(strata_thread_arena_get(&got), 0);
		cr_assert_eq(got, i);
		void *p = strata_malloc(100);
		cr_assert_not_null(p);
		strata_free(p);
	}
	cr_assert_eq(strata_thread_arena_set(1u << 30), EINVAL);
	cr_assert_eq(strata_thread_arena_set(n + 1000), EINVAL);
	cr_assert_eq(strata_thread_arena_get(NULL), EINVAL);
}

static int create_with(strata_tier tier, int node) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = tier;
	opts.node = node;
	unsigned index = ~0u;
	int rc = strata_arena_create(&opts, &index);
	if (rc == 0)
		strata_arena_destroy(index);
	return rc;
}

/* The fake backend offers only the default tier, and one node unless
 * STRATA_FAKE_NODES says otherwise. */
Test(functions, arena_create_for_missing_tier_or_node_returns_enotsup) {
	const char *env = getenv("STRATA_FAKE_NODES");
	int nodes = env != NULL ? atoi(env) : 1;
	cr_assert_eq(create_with(STRATA_TIER_HBM, STRATA_NODE_ANY), ENOTSUP);
	cr_assert_eq(create_with(STRATA_TIER_PMEM, STRATA_NODE_ANY), ENOTSUP);
	cr_assert_eq(create_with(STRATA_TIER_DEFAULT, nodes < 5 ? 5 : nodes),
	             ENOTSUP);
	cr_assert_eq(create_with(STRATA_TIER_DEFAULT, nodes), ENOTSUP);
	cr_assert_eq(create_with(STRATA_TIER_DEFAULT, 1000000), ENOTSUP);
	for (int node = 0; node < nodes; node++)
		cr_assert_eq(create_with(STRATA_TIER_DEFAULT, node), 0,
		             "node %d", node);
}

Test(functions, arena_create_rejects_malformed_opts_with_einval) {
	strata_arena_opts opts;
	unsigned index;
	cr_assert_eq(strata_arena_create(NULL, &index), EINVAL);
	strata_arena_opts_init(&opts);
	cr_assert_eq(strata_arena_create(&opts, NULL), EINVAL);
	opts.struct_bytes = 0;
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL);
	strata_arena_opts_init(&opts);
	opts.tier = (strata_tier)99;
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL);
	strata_arena_opts_init(&opts);
	opts.node = -7;
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL);
	strata_arena_opts_init(&opts);
	opts.dirty_decay_ms = -5;
	cr_assert_eq(strata_arena_create(&opts, &index), EINVAL);
}

Test(functions, destroy_of_an_automatic_or_unknown_arena_returns_einval) {
	unsigned n = auto_arenas();
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(strata_arena_destroy(i), EINVAL, "arena %u", i);
	cr_assert_eq(strata_arena_destroy(n + 100), EINVAL);
	cr_assert_eq(strata_arena_destroy(1u << 30), EINVAL);
	cr_assert_eq(strata_arena_destroy(~0u), EINVAL);
	void *p = strata_malloc(100);
	cr_assert_not_null(p, "arena 0 still serves");
	strata_free(p);
}
