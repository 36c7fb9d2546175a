/*
 * demo.c — the profiler's demo: two call sites with known live bytes, run
 * under the preloaded libstrata.so with MALLOC_CONF=prof:true,...  Built
 * -O2 without frame pointers, as Debian builds.  Prints each site's live
 * usable bytes ("site NAME BYTES") for tests/prof/wired.sh.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile keep[1 << 20];
static size_t nkeep;

__attribute__((noinline)) size_t site_small_blocks(size_t n) {
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		char *p = malloc(48);
		memset(p, 1, 48);
		bytes += malloc_usable_size(p);
		keep[nkeep++] = p;
	}
	return bytes;
}

__attribute__((noinline)) size_t site_large_blocks(size_t n) {
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		char *p = malloc(40000);
		p[0] = 1;
		bytes += malloc_usable_size(p);
		keep[nkeep++] = p;
	}
	return bytes;
}

/* Allocated and freed at once: in the allocated totals, not live. */
__attribute__((noinline)) void site_freed(size_t n) {
	for (size_t i = 0; i < n; i++) {
		char *volatile p = malloc(1000);
		p[0] = 1;
		free(p);
	}
}

int main(int argc, char **argv) {
	size_t scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
	printf("site site_small_blocks %zu\n", site_small_blocks(scale << 19));
	printf("site site_large_blocks %zu\n", site_large_blocks(scale * 800));
	site_freed(scale << 15);
	return 0;
}
