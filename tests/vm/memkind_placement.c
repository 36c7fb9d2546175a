/*
 * memkind_placement.c — the memkind backend on a machine with three NUMA
 * nodes, run inside the VM of tests/vm (memkind_vm.sh).
 *
 * memkind is told which nodes are which through its own environment:
 * MEMKIND_HBW_NODES=1 and MEMKIND_DAX_KMEM_NODES=2, set before the first
 * arena is created (the backend asks memkind then).  On CPU 0 (node 0),
 * for each tier and policy an arena allocates small, large and huge
 * blocks, touches them, and every page is looked up with move_pages: HBM
 * pages must be on node 1, PMEM (DAX_KMEM) pages on node 2, DRAM and
 * DEFAULT pages on node 0.  Linked with libstrata.so (dynamic: memkind is
 * a shared library); prints one OK/FAIL line per arena, exits 0 only when
 * every page of every arena is where its tier says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../backend/numa_probe.h"
#include "strata.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static int failures;

typedef struct tier_case {
	const char *name;
	strata_tier tier;
	strata_policy policy;
	int node;
} tier_case_t;

/* Small (slabs), large (chunk runs), huge (own reservation): 7.5 MiB. */
static const size_t sizes[] = { 64, 512, 4 * KIB, 32 * KIB, 256 * KIB,
	                        1 * MIB, 6 * MIB };
#define REPEAT 2

/* Pages of [p, p + len) per node (nodes 0..3, -1: not found). */
static void count_nodes(const char *p, size_t len, long per_node[4]) {
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	for (size_t at = 0; at < len; at += page) {
		void *pg = (void *)(((uintptr_t)p + at) & ~(uintptr_t)(page - 1));
		int status = -1;
		if (syscall(SYS_move_pages, 0, 1ul, &pg, NULL, &status, 0) == 0 &&
		    status >= 0 && status < 4)
			per_node[status]++;
	}
}

/* The node's free memory as its meminfo says, to tell a node that ran
 * short from a placement that went wrong. */
static void print_node_free(int node) {
	char path[64], line[128];
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
	         node);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "MemFree") != NULL)
			printf("      %s", line);
	fclose(f);
}

static void check_case(const tier_case_t *c) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = c->tier;
	opts.policy = c->policy;
	unsigned arena;
	int err = strata_arena_create(&opts, &arena);
	if (err != 0) {
		printf("FAIL: %s: strata_arena_create: %s\n", c->name,
		       strerror(err));
		failures++;
		return;
	}
	long pages = 0, off = 0, per_node[4] = { 0 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int r = 0; r < REPEAT; r++) {
			char *p = strata_mallocx(sizes[i],
			                         STRATA_MALLOCX_ARENA(arena));
			if (p == NULL) {
				off++;
				continue;
			}
			memset(p, 0x6b, sizes[i]);
			long o = probe_pages_off_node(p, sizes[i], c->node);
			off += o < 0 ? 1 : o;
			if (o != 0)
				count_nodes(p, sizes[i], per_node);
			pages += (long)((sizes[i] + page - 1) / page);
			/* keep the block: the next one lands on new pages */
		}
	printf("%s: %s: %ld pages checked, %ld off node %d", off == 0 ? "OK  "
	       : "FAIL", c->name, pages, off, c->node);
	if (off != 0)
		printf(" (blocks off node: %ld %ld %ld %ld pages on nodes 0-3)",
		       per_node[0], per_node[1], per_node[2], per_node[3]);
	printf("\n");
	if (off != 0)
		print_node_free(c->node);
	failures += off != 0;
}

int main(void) {
	setenv("MEMKIND_HBW_NODES", "1", 1);
	setenv("MEMKIND_DAX_KMEM_NODES", "2", 1);
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0)
		printf("note: cannot pin to CPU 0: %s\n", strerror(errno));
	unsigned cpu = 0, node = 0;
	getcpu(&cpu, &node);
	printf("running on CPU %u, node %u\n", cpu, node);
	static const tier_case_t cases[] = {
		{ "DEFAULT", STRATA_TIER_DEFAULT, STRATA_POLICY_PREFERRED, 0 },
		{ "DRAM strict", STRATA_TIER_DRAM, STRATA_POLICY_STRICT, 0 },
		{ "HBM strict", STRATA_TIER_HBM, STRATA_POLICY_STRICT, 1 },
		{ "HBM preferred", STRATA_TIER_HBM, STRATA_POLICY_PREFERRED, 1 },
		{ "PMEM strict", STRATA_TIER_PMEM, STRATA_POLICY_STRICT, 2 },
		{ "PMEM preferred", STRATA_TIER_PMEM, STRATA_POLICY_PREFERRED, 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	printf("%s: memkind placement, %d failure(s)\n",
	       failures == 0 ? "PASS" : "FAIL", failures);
	return failures == 0 ? 0 : 1;
}
