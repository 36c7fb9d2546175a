/*
 * e2e.c — the profiler's modules end to end, before they are wired into
 * the allocator: two call sites allocate known byte totals through plain
 * malloc, a sampler (prof_sample.h) picks allocations, real backtraces
 * (prof_unwind.h) go into the tables (prof_table.h), and the dump writers
 * (prof_dump.h) write heap_v2, gperftools' heap format, pprof's
 * profile.proto and the recent ring as JSON.  Built -O2 without frame
 * pointers, as Debian builds.  readers.sh runs jeprof, google-pprof and
 * go tool pprof on the dumps and compares each site with the totals this
 * program prints.
 *   e2e PREFIX [LG_SAMPLE]
 * prints "site NAME alloc_bytes BYTES inuse_bytes BYTES" per site, then
 * "dump KIND PATH" per dump; the first heap_v2 dump is taken before the
 * small site's frees, for jeprof --base.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prof_dump.h"
#include "prof_sample.h"
#include "prof_table.h"
#include "prof_unwind.h"
#include "strata.h"

/* The call sites the readers must name: exported, and under GCC kept out
 * of every interprocedural pass (noipa), or -O3 clones them under another
 * name (a .constprop or .isra suffix) or inlines them. */
#if defined(__GNUC__) && !defined(__clang__)
#define VISIBLE __attribute__((visibility("default"), noipa))
#else
#define VISIBLE __attribute__((visibility("default"), noinline))
#endif

static unsigned lg_sample = 12;
static prof_sampler_t sampler;
static void *(*volatile plain_malloc)(size_t) = malloc;

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the allocation slow path will do: frames from the allocating
 * function outwards (skip 2: this hook and e2e_malloc). */
VISIBLE void e2e_sample(void *p, size_t size) {
	void *frames[PROF_FRAMES_MAX];
	unsigned n = prof_backtrace(frames, PROF_FRAMES_MAX, 2);
	prof_stack_t *s = prof_stack_intern(frames, n);
	if (s == NULL || prof_live_insert(p, size, lg_sample, s,
	                                  (uint64_t)getpid(), now_ns(),
	                                  "e2e main") != 0)
		abort();
}

VISIBLE void *e2e_malloc(size_t size) {
	void *p = plain_malloc(size);
	if (p == NULL)
		abort();
	memset(p, 0xa5, size);
	if (prof_sampler_hit(&sampler, size, lg_sample))
		e2e_sample(p, size);
	__asm__ volatile("" ::: "memory");
	return p;
}

VISIBLE void e2e_free(void *p) {
	/* ENOENT: unsampled */
	prof_live_remove(p, (uint64_t)getpid(), now_ns(), "e2e main");
	free(p);
}

#define SMALL_BYTES 64
#define SMALL_COUNT (24 << 20) / SMALL_BYTES
#define LARGE_BYTES (16 << 10)
#define LARGE_COUNT (48 << 20) / LARGE_BYTES

static void *small_blocks[SMALL_COUNT], *large_blocks[LARGE_COUNT];

/* Site one: 24 MiB in 64-byte blocks; every other one is freed. */
VISIBLE void site_small_blocks(void) {
	for (size_t i = 0; i < SMALL_COUNT; i++)
		small_blocks[i] = e2e_malloc(SMALL_BYTES);
	__asm__ volatile("" ::: "memory");
}

/* Site two: 48 MiB in 16 KiB blocks, all kept. */
VISIBLE void site_large_blocks(void) {
	for (size_t i = 0; i < LARGE_COUNT; i++)
		large_blocks[i] = e2e_malloc(LARGE_BYTES);
	__asm__ volatile("" ::: "memory");
}

static void dump(const char *label, const char *prefix, uint64_t seq,
                 const char *ext,
                 int (*writer)(int, const prof_dump_opts_t *)) {
	char path[4096];
	prof_dump_opts_t o = { .lg_sample = lg_sample, .with_accum = true,
	                       .now_ns = now_ns() };
	if (prof_dump_filename(path, sizeof path, prefix, (uint64_t)getpid(),
	                       seq, 'm', seq, ext) != 0 ||
	    prof_dump_file(path, writer, &o) != 0) {
		perror(path);
		exit(1);
	}
	printf("dump %s %s\n", label, path);
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: e2e PREFIX [LG_SAMPLE]\n");
		return 2;
	}
	if (argc > 2)
		lg_sample = (unsigned)atoi(argv[2]);
	strata_free(strata_malloc(1)); /* boots the metadata allocator */
	if (prof_table_boot(10, 16) != 0 || prof_unwind_boot() != 0 ||
	    prof_recent_set_max(8) != 0)
		return 1;
	prof_sampler_init(&sampler, prof_prng_seed((uint64_t)getpid(),
	                                           now_ns(), 0), lg_sample);
	site_small_blocks();
	site_large_blocks();
	dump("heap_before_free", argv[1], 0, "heap", prof_dump_heap_v2);
	for (size_t i = 0; i < SMALL_COUNT; i += 2)
		e2e_free(small_blocks[i]);
	printf("site site_small_blocks alloc_bytes %d inuse_bytes %d "
	       "freed_bytes -%d\n", SMALL_COUNT * SMALL_BYTES,
	       SMALL_COUNT / 2 * SMALL_BYTES, SMALL_COUNT / 2 * SMALL_BYTES);
	printf("site site_large_blocks alloc_bytes %d inuse_bytes %d\n",
	       LARGE_COUNT * LARGE_BYTES, LARGE_COUNT * LARGE_BYTES);
	printf("samples %zu live, %u stacks\n", prof_live_count(),
	       prof_stack_count());
	dump("heap", argv[1], 1, "heap", prof_dump_heap_v2);
	dump("pb", argv[1], 2, "pb", prof_dump_pprof);
	dump("gheap", argv[1], 3, "gheap", prof_dump_gperftools);
	dump("json", argv[1], 4, "json", prof_dump_recent_json);
	fflush(stdout);
	return prof_dump_leak_report(STDERR_FILENO,
	                             &(prof_dump_opts_t){ .lg_sample = lg_sample },
	                             3);
}
