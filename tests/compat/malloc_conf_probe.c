/*
 * malloc_conf_probe.c — what a MALLOC_CONF string did, read the way a
 * jemalloc user reads it: the opt.* values through mallctl (looked up at
 * run time, so the same binary runs with libjemalloc.so.2 or libstrata.so
 * preloaded), RSS after a burst of freed 16 MiB blocks (the oversize
 * purge), and AnonHugePages after touching 64 MiB (thp).  One "key value"
 * line each; tests/compat/malloc_conf_compare.sh compares the two runs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef int ctl_fn(const char *, void *, size_t *, void *, size_t);
static ctl_fn *ctl;

enum kind { B, U, Z, SS, S };
static const struct { const char *name; enum kind kind; } opts[] = {
	{ "opt.abort", B }, { "opt.abort_conf", B }, { "opt.narenas", U },
	{ "opt.tcache", B }, { "opt.tcache_max", Z },
	{ "opt.dirty_decay_ms", SS }, { "opt.muzzy_decay_ms", SS },
	{ "opt.background_thread", B }, { "opt.max_background_threads", Z },
	{ "opt.retain", B }, { "opt.thp", S }, { "opt.metadata_thp", S },
	{ "opt.oversize_threshold", Z }, { "opt.percpu_arena", S },
	{ "opt.dss", S }, { "opt.stats_print", B },
};

static void print_opt(const char *name, enum kind kind) {
	union { bool b; unsigned u; size_t z; ssize_t ss; const char *s; } v;
	size_t len = kind == B ? sizeof(bool) : kind == U ? sizeof(unsigned)
	           : kind == S ? sizeof(char *) : sizeof(size_t);
	memset(&v, 0, sizeof(v));
	int err = ctl(name, &v, &len, NULL, 0);
	if (err != 0) {
		printf("%s error:%d\n", name, err);
		return;
	}
	switch (kind) {
	case B: printf("%s %s\n", name, v.b ? "true" : "false"); break;
	case U: printf("%s %u\n", name, v.u); break;
	case Z: printf("%s %zu\n", name, v.z); break;
	case SS: printf("%s %zd\n", name, v.ss); break;
	case S: printf("%s %s\n", name, v.s); break;
	}
}

static long rss_kb(void) {
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	if (f != NULL)
		fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long anon_huge_kb(void) {
	char line[256];
	long kb = 0, total = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			total += kb;
	fclose(f);
	return total;
}

int main(void) {
	ctl = (ctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	if (ctl == NULL) {
		puts("no mallctl");
		return 1;
	}
	const char *version = NULL;
	size_t len = sizeof(version);
	ctl("version", &version, &len, NULL, 0);
	printf("version %s\n", version != NULL ? version : "?");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		print_opt(opts[i].name, opts[i].kind);

	/* Burst: 8 blocks of 16 MiB, touched, freed. */
	enum { NBLOCKS = 8 };
	const char *mb = getenv("PROBE_BLOCK_MB");
	const int BLOCK = (mb != NULL ? atoi(mb) : 16) << 20;
	char *volatile blocks[NBLOCKS];
	long before = rss_kb();
	for (int i = 0; i < NBLOCKS; i++) {
		blocks[i] = malloc(BLOCK);
		memset(blocks[i], 1, BLOCK);
	}
	for (int i = 0; i < NBLOCKS; i++)
		free(blocks[i]);
	printf("burst_kb %d\n", NBLOCKS * (BLOCK >> 10));
	printf("rss_kept_after_free_kb %ld\n", rss_kb() - before);

	/* thp: 64 MiB of 1 MiB blocks, touched. */
	char *volatile small[64];
	for (int i = 0; i < 64; i++) {
		small[i] = malloc(1 << 20);
		memset(small[i], 2, 1 << 20);
	}
	printf("anon_huge_kb %ld\n", anon_huge_kb());
	for (int i = 0; i < 64; i++)
		free(small[i]);
	return 0;
}
