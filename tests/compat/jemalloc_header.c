/*
 * jemalloc_header.c — a program written against jemalloc's own header and
 * linked with -ljemalloc, as a jemalloc user's program is.  It calls every
 * function of jemalloc's API and checks who answered: with libstrata.so
 * preloaded, each pointer must be a live block in strata's pagemap
 * (strata_malloc_usable_size, looked up at run time, is non-zero), mallctl
 * must answer strata's names ("version" is strata's, stats.allocated
 * moves by what was allocated), and malloc_stats_print must print strata's
 * statistics.  Without the preload the same checks show jemalloc.
 *   jemalloc_header            prints "allocator: strata" or "jemalloc",
 *                              then one line per check; exit 1 on failure
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

const char *malloc_conf = "narenas:3";

static size_t (*strata_usable)(const void *);
static int failures;

static void check(int ok, const char *what) {
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

/* A block strata owns: with strata in the process, its pagemap knows it. */
static int is_strata_block(const void *p) {
	return strata_usable != NULL && strata_usable(p) != 0;
}

static size_t allocated_now(void) {
	uint64_t epoch = 1;
	size_t len = sizeof(epoch), v = 0;
	mallctl("epoch", &epoch, &len, &epoch, len);
	len = sizeof(v);
	return mallctl("stats.allocated", &v, &len, NULL, 0) == 0 ? v : 0;
}

static void stats_cb(void *opaque, const char *text) {
	size_t *seen = opaque;
	seen[0] += strlen(text);
	if (strstr(text, "\"backend\"") != NULL)
		seen[1] = 1; /* strata's JSON names its backend */
	if (strstr(text, "\"jemalloc\"") != NULL)
		seen[2] = 1; /* jemalloc's JSON opens with "jemalloc" */
}

static void check_allocx(int strata) {
	void *p = mallocx(1000, MALLOCX_ALIGN(256) | MALLOCX_ZERO);
	check(p != NULL && (uintptr_t)p % 256 == 0 && ((char *)p)[999] == 0,
	      "mallocx(MALLOCX_ALIGN(256) | MALLOCX_ZERO)");
	check(sallocx(p, 0) == nallocx(1000, MALLOCX_ALIGN(256)) &&
	      sallocx(p, 0) == malloc_usable_size(p), "sallocx == nallocx");
	check(!strata || is_strata_block(p), "mallocx block is the allocator's");
	p = rallocx(p, 70000, MALLOCX_TCACHE_NONE);
	check(p != NULL && (!strata || is_strata_block(p)),
	      "rallocx block is the allocator's");
	size_t x = xallocx(p, 70000, 100000, 0);
	check(x >= 70000 && x == sallocx(p, 0), "xallocx returns usable size");
	sdallocx(p, x, 0);
	void *q = mallocx(64, MALLOCX_TCACHE_NONE | MALLOCX_LG_ALIGN(6));
	check(q != NULL && (!strata || is_strata_block(q)),
	      "mallocx(MALLOCX_TCACHE_NONE) block is the allocator's");
	dallocx(q, MALLOCX_TCACHE_NONE);
	unsigned arena = 0;
	size_t len = sizeof(arena);
	check(mallctl("arenas.create", &arena, &len, NULL, 0) == 0,
	      "mallctl arenas.create");
	void *r = mallocx(5000, MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE);
	check(r != NULL && (!strata || is_strata_block(r)),
	      "mallocx(MALLOCX_ARENA) block is the allocator's");
	dallocx(r, MALLOCX_TCACHE_NONE);
}

static void check_mallctl(int strata) {
	const char *version = NULL;
	size_t len = sizeof(version);
	check(mallctl("version", &version, &len, NULL, 0) == 0 &&
	      (strata ? strcmp(version, "0.1.0") == 0
	              : strncmp(version, "5.", 2) == 0),
	      "mallctl version is the expected allocator's");
	printf("     version: %s\n", version ? version : "(none)");
	size_t before = allocated_now();
	void *big = malloc(8 << 20);
	memset(big, 1, 8 << 20);
	size_t after = allocated_now();
	check(after >= before + (8 << 20), "stats.allocated moves by 8 MiB");
	check(!strata || is_strata_block(big), "malloc block is the allocator's");
	free(big);
	size_t mib[4], miblen = 4, size = 0;
	len = sizeof(size);
	check(mallctlnametomib("arenas.bin.0.size", mib, &miblen) == 0 &&
	      mallctlbymib(mib, miblen, &size, &len, NULL, 0) == 0 && size == 8,
	      "mallctlnametomib + mallctlbymib arenas.bin.0.size");
	/* A name only strata has. */
	size_t limit = 0;
	len = sizeof(limit);
	int err = mallctl("opt.mem_limit_hard", &limit, &len, NULL, 0);
	check(strata ? err == 0 : err == ENOENT, "strata-only ctl name");
	unsigned narenas = 0;
	len = sizeof(narenas);
	mallctl("opt.narenas", &narenas, &len, NULL, 0);
	printf("     opt.narenas: %u (malloc_conf says narenas:3)\n", narenas);
}

/* jemalloc's own mallctl, from libjemalloc.so.2 itself (loaded, as the
 * program needs it, but bypassed under the preload): its stats.allocated
 * must not have seen the program's blocks. */
static void check_jemalloc_bypassed(void) {
	void *je = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD);
	int (*je_ctl)(const char *, void *, size_t *, void *, size_t) =
	    je ? (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(
	             je, "mallctl")
	       : NULL;
	check(je_ctl != NULL && (void *)je_ctl != (void *)mallctl,
	      "libjemalloc.so.2 is loaded and its mallctl is not the one called");
	if (je_ctl == NULL)
		return;
	uint64_t epoch = 1;
	size_t len = sizeof(epoch), allocated = 0;
	je_ctl("epoch", &epoch, &len, &epoch, len);
	len = sizeof(allocated);
	je_ctl("stats.allocated", &allocated, &len, NULL, 0);
	printf("     jemalloc's own stats.allocated: %zu\n", allocated);
	check(allocated < (1 << 20), "jemalloc itself served none of it");
}

int main(void) {
	strata_usable = (size_t (*)(const void *))dlsym(
	    RTLD_DEFAULT, "strata_malloc_usable_size");
	int strata = strata_usable != NULL;
	printf("allocator: %s\n", strata ? "strata" : "jemalloc");
	check_allocx(strata);
	check_mallctl(strata);
	size_t seen[3] = { 0, 0, 0 };
	malloc_stats_print(stats_cb, seen, "J");
	check(seen[0] > 100 && (strata ? seen[1] : seen[2]),
	      "malloc_stats_print prints the expected allocator's stats");
	if (strata)
		check_jemalloc_bypassed();
	printf("%d failed\n", failures);
	return failures != 0;
}
