/*
 * linked.c — an out-of-tree program built against an installed strata
 * (through strata-config, shared and static): allocates with alignment
 * and arena flags and checks the effects through strata_ctl.  Prints
 * "linked: ok" and exits 0, or names the first check that failed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strata.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "linked: failed: %s\n", #cond);       \
			return 1;                                             \
		}                                                             \
	} while (0)

static uint64_t thread_allocated(void) {
	uint64_t v = 0;
	size_t len = sizeof(v);
	strata_ctl("thread.allocated", &v, &len, NULL, 0);
	return v;
}

int main(void) {
	const char *version = NULL;
	size_t len = sizeof(version);
	CHECK(strata_ctl("version", &version, &len, NULL, 0) == 0);
	CHECK(strcmp(version, STRATA_VERSION) == 0);

	uint64_t before = thread_allocated();
	size_t size = 100000, align = 65536;
	char *p = strata_mallocx(size, STRATA_MALLOCX_ALIGN(align));
	CHECK(p != NULL);
	CHECK(((uintptr_t)p & (align - 1)) == 0);
	memset(p, 0x5a, size);
	CHECK(strata_sallocx(p, 0) >= size);
	CHECK(strata_nallocx(size, STRATA_MALLOCX_ALIGN(align)) ==
	      strata_sallocx(p, 0));
	CHECK(thread_allocated() - before >= size);
	strata_sdallocx(p, size, STRATA_MALLOCX_ALIGN(align));

	strata_arena_opts opts;
	unsigned arena;
	strata_arena_opts_init(&opts);
	CHECK(strata_arena_create(&opts, &arena) == 0);
	char name[64];
	snprintf(name, sizeof(name), "stats.arenas.%u.allocated", arena);
	size_t in_arena = 0;
	len = sizeof(in_arena);
	unsigned char *q = strata_mallocx(1 << 20, STRATA_MALLOCX_ZERO |
	                                               STRATA_MALLOCX_ARENA(arena));
	CHECK(q != NULL && q[12345] == 0 && q[(1 << 20) - 1] == 0);
	CHECK(strata_ctl(name, &in_arena, &len, NULL, 0) == 0);
	CHECK(in_arena >= 1 << 20);
	strata_dallocx(q, 0);
	CHECK(strata_arena_destroy(arena) == 0);
	printf("linked: ok (strata %s, arena %u held %zu bytes)\n", version,
	       arena, in_arena);
	return 0;
}
