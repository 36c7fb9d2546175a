/*
 * numa_hugepages.c — with the numa backend, arena memory sits on
 * transparent huge pages: a dense fill is backed almost entirely by them,
 * and decay leaves a mostly live hugepage whole instead of splitting it.
 * Run with STRATA_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 (tests/meson.build)
 * so that every free purges at once whatever it may purge.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "numa_probe.h"
#include "strata.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define CHUNK_BYTES (2 * MIB)

TestSuite(numa_hugepages, .timeout = 120);

/* The system's THP mode: "always", "madvise", "never" ("" if none). */
static const char *system_thp(void) {
	static char mode[16];
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f == NULL)
		return "";
	if (fgets(buf, sizeof(buf), f) != NULL) {
		char *open = strchr(buf, '['), *close = strchr(buf, ']');
		if (open != NULL && close > open && close - open < 16) {
			memcpy(mode, open + 1, (size_t)(close - open - 1));
			mode[close - open - 1] = '\0';
		}
	}
	fclose(f);
	return mode;
}

static int thp_is_possible(void) {
	return strcmp(system_thp(), "always") == 0 ||
	       strcmp(system_thp(), "madvise") == 0;
}

/* strata's thp option (STRATA_CONF=thp:never turns huge pages off). */
static int strata_thp_is_never(void) {
	const char *thp = NULL;
	size_t len = sizeof(thp);
	return strata_ctl("opt.thp", &thp, &len, NULL, 0) == 0 &&
	       thp != NULL && strcmp(thp, "never") == 0;
}

Test(numa_hugepages, a_dense_fill_is_at_least_90_percent_huge_pages) {
	if (!thp_is_possible())
		cr_skip_test("transparent huge pages are off on this machine");
	enum { MAX_BLOCKS = 4096 };
	static void *blocks[MAX_BLOCKS];
	static size_t sizes[MAX_BLOCKS];
	size_t n = 0, total = 0;
	uint32_t seed = 12345;
	/* 64 MiB in blocks of 32 KiB .. 1 MiB, sizes spread log-uniformly. */
	while (total < 64 * MIB && n < MAX_BLOCKS) {
		seed = seed * 1103515245u + 12345u;
		size_t size = (32 * KIB) << ((seed >> 16) % 6);
		size += ((seed >> 8) % 8) * (size / 8);
		if (size > MIB)
			size = MIB;
		blocks[n] = strata_malloc(size);
		cr_assert_not_null(blocks[n]);
		memset(blocks[n], 0x5a, size);
		sizes[n++] = size;
		total += size;
	}
	probe_smaps_t s;
	cr_assert_eq(probe_smaps_sum(blocks, sizes, n, &s), 0);
	double share = s.rss_kb ? 100.0 * (double)s.anon_huge_kb / (double)s.rss_kb
	                        : 0.0;
	cr_log_info("dense fill: %zu blocks, %zu MiB; Rss %lu kB, "
	            "AnonHugePages %lu kB (%.1f %%)",
	            n, total / MIB, s.rss_kb, s.anon_huge_kb, share);
	fprintf(stderr, "numa_hugepages: dense fill %zu MiB: AnonHugePages "
	        "%lu kB of Rss %lu kB = %.1f %%\n",
	        total / MIB, s.anon_huge_kb, s.rss_kb, share);
	cr_assert_geq(s.rss_kb, total / KIB, "the blocks are resident");
	if (!strata_thp_is_never())
		cr_assert_geq(share, 90.0);
	else if (strcmp(system_thp(), "madvise") == 0)
		cr_assert_lt(share, 10.0, "thp:never asks for no huge pages");
	for (size_t i = 0; i < n; i++)
		strata_free(blocks[i]);
}

static unsigned long chunk_anon_huge_kb(void *chunk) {
	size_t len = CHUNK_BYTES;
	probe_smaps_t s;
	cr_assert_eq(probe_smaps_sum(&chunk, &len, 1, &s), 0);
	return s.anon_huge_kb;
}

enum { NBLOCKS = 16 };
#define BLOCK_BYTES (CHUNK_BYTES / NBLOCKS)

/* Sixteen 128 KiB blocks of a fresh arena, touched: exactly its first
 * chunk, which is returned. */
static void *fill_one_chunk(int flags, char **blocks) {
	for (int i = 0; i < NBLOCKS; i++) {
		blocks[i] = strata_mallocx(BLOCK_BYTES, flags);
		cr_assert_not_null(blocks[i]);
		memset(blocks[i], 0x3c, BLOCK_BYTES);
	}
	uintptr_t mask = ~(uintptr_t)(CHUNK_BYTES - 1);
	for (int i = 1; i < NBLOCKS; i++)
		cr_assert_eq((uintptr_t)blocks[i] & mask,
		             (uintptr_t)blocks[0] & mask,
		             "all blocks share one chunk");
	return (void *)((uintptr_t)blocks[0] & mask);
}

/* The control: a forced purge may split, and the measure sees it. */
static void assert_forced_purge_splits(unsigned arena, void *chunk,
                                       unsigned long before_kb) {
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.purge", arena);
	if (strata_ctl(name, NULL, NULL, NULL, 0) != 0)
		return; /* no such control in this build */
	unsigned long forced = chunk_anon_huge_kb(chunk);
	fprintf(stderr, "numa_hugepages: %lu kB after a forced purge\n", forced);
	cr_assert_eq(forced, before_kb - CHUNK_BYTES / KIB,
	             "a forced purge splits the hugepage");
}

Test(numa_hugepages, purging_a_partly_live_hugepage_does_not_split_it) {
	if (!thp_is_possible())
		cr_skip_test("transparent huge pages are off on this machine");
	if (strata_thp_is_never())
		cr_skip_test("thp:never: no huge pages to keep whole");
	/* A manual arena of its own: no thread cache, so a free reaches the
	 * arena (and its decay) at once; decay 0 purges on every free. */
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.dirty_decay_ms = 0;
	opts.muzzy_decay_ms = 0;
	unsigned arena;
	cr_assert_eq(strata_arena_create(&opts, &arena), 0);
	int flags = STRATA_MALLOCX_ARENA(arena);
	char *blocks[NBLOCKS];
	void *chunk = fill_one_chunk(flags, blocks);
	unsigned long before = chunk_anon_huge_kb(chunk);
	cr_assert_geq(before, CHUNK_BYTES / KIB, "the chunk is a huge page");

	/* Free 30 % (5 of 16), spread over the chunk. */
	for (int i = 0; i < NBLOCKS; i += 3)
		strata_dallocx(blocks[i], flags);
	unsigned long after = chunk_anon_huge_kb(chunk);
	fprintf(stderr, "numa_hugepages: chunk AnonHugePages %lu kB before, "
	        "%lu kB after freeing 5 of 16 blocks\n", before, after);
	cr_assert_eq(after, before, "the hugepage was split by a purge");
	for (int i = 0; i < NBLOCKS; i++)
		if (i % 3 != 0)
			cr_assert_eq(blocks[i][BLOCK_BYTES - 1], 0x3c);
	assert_forced_purge_splits(arena, chunk, before);
	cr_assert_eq(strata_arena_destroy(arena), 0);
}
