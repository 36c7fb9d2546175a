/*
 * memkind_compare.c — strata's memkind arenas against plain memkind_malloc
 * on the same kinds: malloc + free of small objects (16 to 512 bytes,
 * 64 live per thread in a ring), one and two threads, printed as
 * nanoseconds per malloc+free pair and as the ratio memkind / strata
 * (above 1: strata is faster).  Built with -Dmemory_backend=memkind and
 * linked with libstrata.so, so strata is also the process's malloc.
 *
 *   bench-memkind-compare [--quick] [--ops N] [--pmem-dir DIR]
 *
 * Kinds: MEMKIND_DEFAULT against a DEFAULT arena, MEMKIND_REGULAR against
 * a DRAM arena, a memkind_create_pmem kind against a PMEM arena with a
 * directory (default /dev/shm), and MEMKIND_HBW against an HBM arena when
 * memkind finds HBW nodes (MEMKIND_HBW_NODES).  Manual arenas have no
 * thread cache: every call takes the bin lock.  The last row compares
 * MEMKIND_DEFAULT with plain malloc, strata's automatic arenas and thread
 * cache (the DEFAULT tier as most code gets it).
 */
#define _GNU_SOURCE
#include <memkind.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strata.h"

#define RING 64

typedef struct job {
	memkind_t kind;    /* NULL: strata */
	unsigned arena;
	long ops;
	double ns;
} job_t;

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* arena AUTO: plain malloc, strata's automatic arenas and thread cache. */
#define AUTO 0xffffffffu

static void *one(job_t *j, size_t size) {
	if (j->kind != NULL)
		return memkind_malloc(j->kind, size);
	if (j->arena == AUTO)
		return malloc(size);
	return strata_mallocx(size, STRATA_MALLOCX_ARENA(j->arena));
}

static void drop(job_t *j, void *p) {
	if (j->kind != NULL)
		memkind_free(j->kind, p);
	else if (j->arena == AUTO)
		free(p);
	else
		strata_dallocx(p, STRATA_MALLOCX_ARENA(j->arena));
}

static void *run(void *arg) {
	job_t *j = arg;
	char *ring[RING] = { 0 };
	uint64_t x = 88172645463325252ull;
	double t0 = now_ns();
	for (long i = 0; i < j->ops; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t size = 16 + (x % 497);
		unsigned slot = (unsigned)(i % RING);
		if (ring[slot] != NULL)
			drop(j, ring[slot]);
		ring[slot] = one(j, size);
		if (ring[slot] == NULL)
			abort();
		ring[slot][0] = (char)i; /* used: the pair is not elided */
	}
	for (unsigned s = 0; s < RING; s++)
		if (ring[s] != NULL)
			drop(j, ring[s]);
	j->ns = now_ns() - t0;
	return NULL;
}

/* ns per malloc+free pair over nthreads threads doing ops each. */
static double measure(memkind_t kind, unsigned arena, int nthreads,
                      long ops) {
	pthread_t t[2];
	job_t jobs[2];
	for (int i = 0; i < nthreads; i++) {
		jobs[i] = (job_t){ .kind = kind, .arena = arena, .ops = ops };
		pthread_create(&t[i], NULL, run, &jobs[i]);
	}
	double ns = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		ns += jobs[i].ns;
	}
	return ns / ((double)ops * nthreads);
}

static int arena_of(strata_tier tier, const char *dir, unsigned *arena) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = tier;
	opts.pmem_dir = dir;
	return strata_arena_create(&opts, arena);
}

int main(int argc, char **argv) {
	long ops = 2000000;
	const char *dir = "/dev/shm";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			ops /= 8;
		else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
			ops = atol(argv[++i]);
		else if (strcmp(argv[i], "--pmem-dir") == 0 && i + 1 < argc)
			dir = argv[++i];
	}
	memkind_t pmem_kind = NULL;
	if (memkind_create_pmem(dir, 0, &pmem_kind) != 0)
		pmem_kind = NULL;
	struct { const char *name; memkind_t kind; strata_tier tier;
	         const char *dir; } cases[] = {
		{ "DEFAULT", MEMKIND_DEFAULT, STRATA_TIER_DEFAULT, NULL },
		{ "DRAM (REGULAR)", MEMKIND_REGULAR, STRATA_TIER_DRAM, NULL },
		{ "HBM (HBW)", MEMKIND_HBW, STRATA_TIER_HBM, NULL },
		{ "PMEM file", pmem_kind, STRATA_TIER_PMEM, dir },
	};
	printf("%-16s %7s %12s %12s %8s\n", "kind", "threads",
	       "memkind ns", "strata ns", "ratio");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		unsigned arena;
		if (cases[c].kind == NULL ||
		    memkind_check_available(cases[c].kind) != 0 ||
		    arena_of(cases[c].tier, cases[c].dir, &arena) != 0) {
			printf("%-16s not available here\n", cases[c].name);
			continue;
		}
		for (int threads = 1; threads <= 2; threads++) {
			double mk = measure(cases[c].kind, 0, threads, ops);
			double st = measure(NULL, arena, threads, ops);
			printf("%-16s %7d %12.1f %12.1f %8.2f\n", cases[c].name,
			       threads, mk, st, mk / st);
		}
	}
	for (int threads = 1; threads <= 2; threads++) {
		double mk = measure(MEMKIND_DEFAULT, 0, threads, ops);
		double st = measure(NULL, AUTO, threads, ops);
		printf("%-16s %7d %12.1f %12.1f %8.2f\n", "DEFAULT tcache",
		       threads, mk, st, mk / st);
	}
	return 0;
}
