/*
 * memkind_tiers.c — a hot lookup table in HBM and a cold log in PMEM, with
 * strata's memkind backend (docs/backends/memkind.md), printing where each
 * landed: the NUMA node of its first page and, for a file-backed log, the
 * file it lives in.
 *
 *   MEMKIND_HBW_NODES=1 MEMKIND_DAX_KMEM_NODES=2 ./memkind_tiers
 *   ./memkind_tiers /mnt/pmem0        (the log in a PMEM file there)
 *
 * A tier the machine lacks falls back to the default tier, and says so.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "strata.h"

static unsigned arena_for(strata_tier tier, const char *dir,
                          const char *what) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = tier;
	opts.pmem_dir = dir;
	unsigned arena = 0;
	int err = strata_arena_create(&opts, &arena);
	if (err == 0)
		return arena;
	printf("%s: %s; using the default tier\n", what, strerror(err));
	opts.tier = STRATA_TIER_DEFAULT;
	opts.pmem_dir = NULL;
	return strata_arena_create(&opts, &arena) == 0 ? arena : 0;
}

static int node_of(void *p) {
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
	int status = -1;
	if (syscall(SYS_move_pages, 0, 1ul, &page, NULL, &status, 0) != 0)
		return -1;
	return status;
}

/* The path of the mapping that holds p, from /proc/self/maps. */
static void print_backing(const char *what, void *p) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		int at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2 ||
		    (uintptr_t)p < lo || (uintptr_t)p >= hi)
			continue;
		printf("%s: %p on node %d, %s", what, p, node_of(p),
		       line[at] != '\0' && line[at] != '\n' ? line + at
		                                            : "anonymous\n");
		break;
	}
	if (f != NULL)
		fclose(f);
}

int main(int argc, char **argv) {
	const char *pmem_dir = argc > 1 ? argv[1] : NULL;
	unsigned hot = arena_for(STRATA_TIER_HBM, NULL, "hot table in HBM");
	unsigned cold = arena_for(STRATA_TIER_PMEM, pmem_dir, "cold log in PMEM");
	size_t table_bytes = 4 << 20, log_bytes = 16 << 20;
	unsigned *table = strata_mallocx(table_bytes, STRATA_MALLOCX_ARENA(hot));
	char *log = strata_mallocx(log_bytes, STRATA_MALLOCX_ARENA(cold));
	if (table == NULL || log == NULL)
		return 1;
	for (size_t i = 0; i < table_bytes / sizeof(*table); i++)
		table[i] = (unsigned)(i * 2654435761u);
	for (size_t i = 0; i < log_bytes; i += 64)
		snprintf(log + i, 64, "entry %zu: %u\n", i / 64, table[i % 1024]);
	print_backing("hot table", table);
	print_backing("cold log", log);
	strata_dallocx(log, STRATA_MALLOCX_ARENA(cold));
	strata_dallocx(table, STRATA_MALLOCX_ARENA(hot));
	return 0;
}
