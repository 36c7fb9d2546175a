/*
 * jemalloc_api.c — jemalloc's unprefixed API as libstrata.so answers it:
 * the flag values (jemalloc's MALLOCX_* spelled out, as its header has
 * them), xallocx's in-place contract, mallctl* against strata_ctl,
 * malloc_stats_print's output, and the application's malloc_conf global
 * bound to this program's definition.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "strata.h"

TestSuite(jemalloc_api, .timeout = 30);

/* jemalloc 5.3's jemalloc_macros.h, value for value. */
#define JE_MALLOCX_LG_ALIGN(la) ((int)(la))
#define JE_MALLOCX_ALIGN(a) ((int)(__builtin_ffsl((long)(a)) - 1))
#define JE_MALLOCX_ZERO ((int)0x40)
#define JE_MALLOCX_TCACHE_NONE ((int)((0 + 1) << 8))
#define JE_MALLOCX_ARENA(a) ((int)(((unsigned)(a) + 1) << 20))

void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
size_t xallocx(void *ptr, size_t size, size_t extra, int flags);
size_t sallocx(const void *ptr, int flags);
void dallocx(void *ptr, int flags);
void sdallocx(void *ptr, size_t size, int flags);
size_t nallocx(size_t size, int flags);
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
            size_t newlen);
int mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp);
int mallctlbymib(const size_t *mib, size_t miblen, void *oldp,
                 size_t *oldlenp, void *newp, size_t newlen);
void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                        const char *opts);

/* This program configures its allocator as a jemalloc program would.  The
 * suites build with -fvisibility=hidden, which would keep the definition
 * out of the dynamic symbol table (for jemalloc too): say default. */
__attribute__((visibility("default"))) const char *malloc_conf = "narenas:3";

Test(jemalloc_api, flag_values_are_jemallocs) {
	cr_assert_eq(STRATA_MALLOCX_LG_ALIGN(12), JE_MALLOCX_LG_ALIGN(12));
	for (size_t a = 1; a <= ((size_t)1 << 30); a <<= 1)
		cr_assert_eq(STRATA_MALLOCX_ALIGN(a), JE_MALLOCX_ALIGN(a));
	cr_assert_eq(STRATA_MALLOCX_ZERO, JE_MALLOCX_ZERO);
	cr_assert_eq(STRATA_MALLOCX_TCACHE_NONE, JE_MALLOCX_TCACHE_NONE);
	for (unsigned a = 0; a < 4096; a += 97)
		cr_assert_eq(STRATA_MALLOCX_ARENA(a), JE_MALLOCX_ARENA(a));
}

Test(jemalloc_api, mallocx_honours_alignment_and_zero) {
	unsigned char *p = mallocx(3000, JE_MALLOCX_ALIGN(4096) | JE_MALLOCX_ZERO);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % 4096, 0);
	for (size_t i = 0; i < 3000; i++)
		cr_assert_eq(p[i], 0, "byte %zu not zero", i);
	cr_assert_eq(sallocx(p, 0), strata_malloc_usable_size(p));
	cr_assert_geq(sallocx(p, 0), 3000);
	dallocx(p, JE_MALLOCX_TCACHE_NONE);
}

Test(jemalloc_api, mallocx_arena_flag_reaches_that_arena) {
	unsigned arena;
	size_t len = sizeof(arena);
	cr_assert_eq(mallctl("arenas.create", &arena, &len, NULL, 0), 0);
	char *p = mallocx(40000, JE_MALLOCX_ARENA(arena) |
	                         JE_MALLOCX_TCACHE_NONE);
	cr_assert_not_null(p);
	memset(p, 1, 40000);
	char name[64];
	snprintf(name, sizeof(name), "stats.arenas.%u.allocated", arena);
	uint64_t epoch = 1;
	len = sizeof(epoch);
	mallctl("epoch", &epoch, &len, &epoch, len);
	size_t allocated = 0;
	len = sizeof(allocated);
	cr_assert_eq(mallctl(name, &allocated, &len, NULL, 0), 0);
	cr_assert_geq(allocated, 40000);
	sdallocx(p, 40000, JE_MALLOCX_TCACHE_NONE);
}

Test(jemalloc_api, nallocx_is_what_mallocx_gives) {
	for (size_t size = 1; size < 200000; size = size * 3 / 2 + 1) {
		void *p = mallocx(size, 0);
		cr_assert_not_null(p);
		cr_assert_eq(nallocx(size, 0), sallocx(p, 0), "size %zu", size);
		dallocx(p, 0);
	}
}

/* A large block grows in place when the pages after it are free, never
 * moves, and reports its size; a small block cannot change class. */
Test(jemalloc_api, xallocx_resizes_in_place_or_returns_old_size) {
	char *small = mallocx(100, 0);
	size_t small_usize = sallocx(small, 0);
	cr_assert_eq(xallocx(small, 5000, 0, 0), small_usize);
	cr_assert_eq(xallocx(small, small_usize, 0, 0), small_usize);

	char *big = mallocx(64 << 10, JE_MALLOCX_TCACHE_NONE);
	memset(big, 7, 64 << 10);
	size_t got = xallocx(big, 128 << 10, 0, JE_MALLOCX_ZERO);
	cr_assert_eq(got, sallocx(big, 0), "return value is not the usable size");
	if (got >= (128 << 10)) {
		cr_assert_eq(big[(64 << 10) - 1], 7);
		cr_assert_eq(big[(128 << 10) - 1], 0, "grown tail not zeroed");
	}
	size_t shrunk = xallocx(big, 20 << 10, 0, 0);
	cr_assert_eq(shrunk, sallocx(big, 0));
	cr_assert_lt(shrunk, 64 << 10, "large block did not shrink in place");
	cr_assert_eq(big[0], 7);
	dallocx(small, 0);
	dallocx(big, 0);
}

Test(jemalloc_api, rallocx_keeps_contents) {
	char *p = mallocx(10, 0);
	memcpy(p, "strata", 7);
	p = rallocx(p, 100000, JE_MALLOCX_ZERO);
	cr_assert_str_eq(p, "strata");
	cr_assert_eq(p[99999], 0);
	dallocx(p, 0);
}

Test(jemalloc_api, mallctl_names_and_mibs_answer_as_strata_ctl) {
	const char *version = NULL;
	size_t len = sizeof(version);
	cr_assert_eq(mallctl("version", &version, &len, NULL, 0), 0);
	cr_assert_str_eq(version, STRATA_VERSION);
	cr_assert_eq(mallctl("no.such.name", NULL, NULL, NULL, 0), ENOENT);

	size_t mib[4], miblen = 4;
	cr_assert_eq(mallctlnametomib("arenas.bin.0.size", mib, &miblen), 0);
	size_t sizes[3];
	for (size_t i = 0; i < 3; i++) {
		mib[2] = i;
		len = sizeof(sizes[i]);
		cr_assert_eq(mallctlbymib(mib, miblen, &sizes[i], &len, NULL, 0), 0);
	}
	cr_assert(sizes[0] < sizes[1] && sizes[1] < sizes[2]);
}

static void collect(void *opaque, const char *text) {
	size_t *n = opaque;
	*n += strlen(text);
	if (strstr(text, "\"backend\"") != NULL)
		n[1] = 1;
}

Test(jemalloc_api, malloc_stats_print_prints_strata_stats) {
	size_t seen[2] = { 0, 0 };
	malloc_stats_print(collect, seen, "J");
	cr_assert_gt(seen[0], 200, "only %zu bytes of output", seen[0]);
	cr_assert_eq(seen[1], 1, "not strata's JSON (no \"backend\" key)");
}

/* Linked against libstrata.so (which defines malloc_conf weakly, as
 * libjemalloc.so.2 does), this program exports its own malloc_conf, and
 * the global scope that binds strata's GOT reference finds it first: the
 * string strata reads is this program's. */
Test(jemalloc_api, application_malloc_conf_is_the_one_strata_sees) {
	const char **seen = dlsym(RTLD_DEFAULT, "malloc_conf");
	cr_assert_eq(seen, &malloc_conf, "malloc_conf binds to %p, not %p",
	             (void *)seen, (void *)&malloc_conf);
	cr_assert_str_eq(*seen, "narenas:3");
	void *lib = dlopen("libstrata.so.0", RTLD_NOW | RTLD_NOLOAD);
	cr_assert_not_null(lib, "%s", dlerror());
	cr_assert_neq(dlsym(lib, "malloc_conf"), NULL,
	              "libstrata.so does not define malloc_conf");
	dlclose(lib);
}
