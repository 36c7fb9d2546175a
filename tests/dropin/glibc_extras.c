/*
 * glibc_extras.c — glibc's functions beyond the standard, answered from
 * strata's statistics: malloc_trim gives pages back (and says so),
 * mallinfo2/mallinfo agree with stats.allocated, malloc_stats and
 * malloc_info print strata's figures in glibc's shapes, mallopt returns
 * what glibc returns and maps M_TRIM_THRESHOLD 0 onto decay 0.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "strata.h"

/* Decay off in every arena: the pages freed by a burst stay dirty until
 * malloc_trim.  (The runner has started strata already, so a STRATA_CONF
 * set here would come too late.) */
static void no_decay(void) {
	unsigned n = 0;
	size_t len = sizeof(n);
	strata_ctl("arenas.narenas", &n, &len, NULL, 0);
	long off = -1;
	char name[64];
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
		strata_ctl(name, NULL, NULL, &off, sizeof(off));
		snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", i);
		strata_ctl(name, NULL, NULL, &off, sizeof(off));
	}
}
TestSuite(glibc_extras, .timeout = 60, .init = no_decay);

static size_t stat_size(const char *name) {
	uint64_t epoch = 1;
	size_t len = sizeof(epoch), v = 0;
	strata_ctl("epoch", &epoch, &len, &epoch, len);
	len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static size_t rss_kib(void) {
	FILE *f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	unsigned long size, resident;
	cr_assert_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return resident * (size_t)sysconf(_SC_PAGESIZE) / 1024;
}

#define BURST 2000
#define BLOCK 16384

Test(glibc_extras, malloc_trim_returns_pages_after_a_burst) {
	static char *blocks[BURST];
	for (int i = 0; i < BURST; i++) {
		blocks[i] = malloc(BLOCK);
		cr_assert_not_null(blocks[i]);
		memset(blocks[i], i, BLOCK);
	}
	for (int i = 0; i < BURST; i++)
		free(blocks[i]);
	size_t rss_before = rss_kib();
	size_t dirty_before = stat_size("stats.dirty");
	cr_assert_gt(dirty_before, BURST * (size_t)BLOCK / 2,
	             "freed pages not kept dirty (%zu)", dirty_before);
	cr_assert_eq(malloc_trim(0), 1);
	size_t rss_after = rss_kib();
	cr_assert_lt(stat_size("stats.dirty"), dirty_before / 10);
	cr_assert_lt(rss_after + BURST * (BLOCK / 1024) / 2, rss_before,
	             "RSS %zu KiB -> %zu KiB", rss_before, rss_after);
	cr_assert_eq(malloc_trim(0), 0, "nothing left to release");
}

Test(glibc_extras, mallinfo2_agrees_with_stats_allocated) {
	void *keep[64];
	for (int i = 0; i < 64; i++) {
		keep[i] = malloc(50000);
		memset(keep[i], 1, 50000);
	}
	struct mallinfo2 mi = mallinfo2();
	size_t allocated = stat_size("stats.allocated");
	/* The few blocks the test runner allocates in between. */
	size_t slack = 256 << 10;
	cr_assert_geq(mi.uordblks + slack, allocated);
	cr_assert_leq(mi.uordblks, allocated + slack);
	cr_assert_geq(mi.uordblks, 64 * 50000);
	cr_assert_geq(mi.arena, mi.uordblks);
	cr_assert_eq(mi.arena, mi.uordblks + mi.fordblks);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	struct mallinfo old = mallinfo();
#pragma GCC diagnostic pop
	cr_assert_eq((size_t)old.uordblks, mi.uordblks);
	for (int i = 0; i < 64; i++)
		free(keep[i]);
}

/* The figures malloc_info printed, read again right after: printing must
 * not allocate (an unbuffered stream over a fixed buffer), and the purger
 * may move dirty pages in between, so a few tries are allowed. */
static char info_buf[1 << 16];

static bool malloc_info_matches_ctl(void) {
	memset(info_buf, 0, sizeof(info_buf));
	FILE *f = fmemopen(info_buf, sizeof(info_buf) - 1, "w");
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	cr_assert_eq(malloc_info(0, f), 0);
	size_t now = stat_size("stats.active") + stat_size("stats.dirty");
	fclose(f);
	const char *buf = info_buf;
	cr_assert_not_null(strstr(buf, "<malloc version=\"1\">"));
	cr_assert_not_null(strstr(buf, "<heap nr=\"0\">"));
	cr_assert_not_null(strstr(buf, "</malloc>"));
	const char *cur = strstr(buf, "</heap>\n<total");
	cr_assert_not_null(cur, "%s", buf);
	cur = strstr(cur, "<system type=\"current\" size=\"");
	cr_assert_not_null(cur);
	size_t held = strtoull(cur + strlen("<system type=\"current\" size=\""),
	                       NULL, 10);
	return held == now;
}

Test(glibc_extras, malloc_info_prints_strata_figures_as_glibc_xml) {
	bool is_same = false;
	for (int i = 0; i < 5 && !is_same; i++)
		is_same = malloc_info_matches_ctl();
	cr_assert(is_same, "malloc_info's current size is active + dirty");
	FILE *f;
	f = fopen("/dev/null", "w");
	cr_assert_eq(malloc_info(1, f), -1, "glibc refuses options != 0");
	fclose(f);
}

Test(glibc_extras, malloc_stats_prints_glibc_shape) {
	fflush(stderr);
	int saved = dup(2);
	char path[] = "/tmp/strata-malloc-stats-XXXXXX";
	int fd = mkstemp(path);
	dup2(fd, 2);
	malloc_stats();
	fflush(stderr);
	dup2(saved, 2);
	char text[8192] = "";
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(path);
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(text, "Arena 0:\nsystem bytes     ="), "%s", text);
	cr_assert_not_null(strstr(text, "Total (incl. mmap):"));
	cr_assert_not_null(strstr(text, "in use bytes     ="));
}

Test(glibc_extras, mallopt_returns_glibcs_values_and_maps_trim_zero) {
	cr_assert_eq(mallopt(M_MXFAST, 64), 1);
	cr_assert_eq(mallopt(M_MXFAST, 4096), 0, "above glibc's MAX_FAST_SIZE");
	cr_assert_eq(mallopt(M_MMAP_THRESHOLD, 1 << 20), 1);
	cr_assert_eq(mallopt(M_MMAP_THRESHOLD, 1 << 30), 0);
	cr_assert_eq(mallopt(M_ARENA_MAX, 2), 1);
	cr_assert_eq(mallopt(M_TOP_PAD, 0), 1);
	long ms = -2;
	size_t len = sizeof(ms);
	cr_assert_eq(strata_ctl("arena.0.dirty_decay_ms", &ms, &len, NULL, 0), 0);
	cr_assert_eq(ms, -1, "the suite runs with decay off");
	cr_assert_eq(mallopt(M_TRIM_THRESHOLD, 0), 1);
	cr_assert_eq(strata_ctl("arena.0.dirty_decay_ms", &ms, &len, NULL, 0), 0);
	cr_assert_eq(ms, 0, "M_TRIM_THRESHOLD 0 did not set decay 0");
	cr_assert_eq(strata_ctl("arena.0.muzzy_decay_ms", &ms, &len, NULL, 0), 0);
	cr_assert_eq(ms, 0);
}
