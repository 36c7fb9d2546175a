/*
 * numa_placement.c — the numa backend on a machine with several NUMA
 * nodes, run inside the VM of tests/vm (run.sh --nodes 3).
 *
 * Linked statically with libstrata.a, so strata is the process's malloc
 * from the first allocation on.  For every node N:
 *   - an arena bound to N (strict) and one preferring N: every page of
 *     small, large and huge allocations is on N (move_pages query);
 *   - a thread pinned to N's CPU allocates from an automatic arena whose
 *     home node is N (index % nodes == N), and its memory is on N;
 * and an interleaved arena spreads a big allocation over several nodes.
 * Prints one OK/FAIL line per check; exits 0 only when every check passed
 * and the machine has at least two nodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../backend/numa_probe.h"
#include "strata.h"

#define MIB ((size_t)1 << 20)

static int failures;

static void check(int ok, const char *what, int node, const char *detail) {
	printf("%s: node %d: %s%s%s\n", ok ? "OK  " : "FAIL", node, what,
	       detail[0] ? ": " : "", detail);
	failures += !ok;
}

/* First number of a sysfs list file ("0-2,4" -> 0, with *last = 4). */
static int read_list(const char *path, int *last) {
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	char *end = buf;
	for (char *p = buf; *p; p++)
		if (*p == ',' || *p == '-')
			end = p + 1;
	if (last != NULL)
		*last = atoi(end);
	return atoi(buf);
}

static const size_t sizes[] = { 48, 700, 3000, 12 * 1024, 40 * 1024,
	                        256 * 1024, 1 * MIB, 3 * MIB + 4096 };
enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]), REPEAT = 4 };

/* Allocate REPEAT rounds of sizes[] (about 17 MiB) with flags, touch them,
 * count pages off node, free. */
static long alloc_off_node(int flags, int node) {
	void *p[REPEAT][NSIZES];
	long off = 0;
	for (int r = 0; r < REPEAT; r++)
		for (int i = 0; i < NSIZES; i++) {
			p[r][i] = strata_mallocx(sizes[i], flags);
			if (p[r][i] == NULL)
				return -1;
			memset(p[r][i], r + 1, sizes[i]);
		}
	for (int r = 0; r < REPEAT; r++)
		for (int i = 0; i < NSIZES; i++) {
			long o = probe_pages_off_node(p[r][i], sizes[i], node);
			off += o < 0 ? 1000000 : o;
			strata_dallocx(p[r][i], flags);
		}
	return off;
}

static void check_arena(int node, strata_policy policy, const char *what) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.node = node;
	opts.policy = policy;
	unsigned arena;
	char detail[96] = "";
	int err = strata_arena_create(&opts, &arena);
	if (err != 0) {
		snprintf(detail, sizeof(detail), "create: %s", strerror(err));
		check(0, what, node, detail);
		return;
	}
	long off = alloc_off_node(STRATA_MALLOCX_ARENA(arena), node);
	snprintf(detail, sizeof(detail), "%ld pages off node", off);
	check(off == 0, what, node, detail);
	strata_arena_destroy(arena);
}

struct pinned {
	int node, nodes;
	unsigned narenas, arena;
	long off;
};

static void *pinned_thread(void *arg) {
	struct pinned *t = arg;
	/* Through volatile pointers: an unused malloc/free pair is elided. */
	void *(*volatile const malloc_v)(size_t) = malloc;
	void (*volatile const free_v)(void *) = free;
	for (int i = 0; i < 64; i++) /* past the 64 KiB node re-check */
		free_v(malloc_v(4096));
	strata_thread_arena_get(&t->arena);
	char *p = malloc(4 * MIB);
	memset(p, 7, 4 * MIB);
	t->off = probe_pages_off_node(p, 4 * MIB, t->node);
	free(p);
	return NULL;
}

static void check_thread(int node, int nodes, unsigned narenas) {
	char path[96], detail[128];
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
	         node);
	int cpu = read_list(path, NULL);
	if (cpu < 0) {
		check(1, "thread arena (node has no CPU, skipped)", node, "");
		return;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	struct pinned t = { .node = node, .nodes = nodes, .narenas = narenas,
		            .arena = 9999, .off = -1 };
	pthread_t th;
	if (pthread_create(&th, &attr, pinned_thread, &t) != 0) {
		check(0, "thread arena", node, "pthread_create failed");
		return;
	}
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	snprintf(detail, sizeof(detail),
	         "cpu %d, arena %u of %u automatic, home node %u", cpu, t.arena,
	         narenas, t.arena % (unsigned)nodes);
	check(t.arena < narenas && t.arena % (unsigned)nodes == (unsigned)node,
	      "pinned thread uses an automatic arena of its node", node, detail);
	snprintf(detail, sizeof(detail), "%ld pages off node", t.off);
	check(t.off == 0, "pinned thread's memory", node, detail);
}

static void check_interleave(int nodes) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.policy = STRATA_POLICY_INTERLEAVE;
	unsigned arena;
	char detail[96] = "";
	if (strata_arena_create(&opts, &arena) != 0) {
		check(0, "interleave arena", -1, "create failed");
		return;
	}
	int flags = STRATA_MALLOCX_ARENA(arena);
	size_t len = 16 * MIB;
	char *p = strata_mallocx(len, flags);
	memset(p, 9, len);
	int used = 0;
	for (int n = 0; n < nodes; n++)
		used += probe_pages_off_node(p, len, n) < (long)(len / 4096);
	snprintf(detail, sizeof(detail), "16 MiB spread over %d of %d nodes",
	         used, nodes);
	check(used == nodes, "interleave arena", -1, detail);
	strata_dallocx(p, flags);
	strata_arena_destroy(arena);
}

int main(void) {
	int last = 0;
	if (read_list("/sys/devices/system/node/online", &last) < 0)
		last = 0;
	int nodes = last + 1;
	unsigned narenas = 0;
	size_t len = sizeof(narenas);
	strata_ctl("opt.narenas", &narenas, &len, NULL, 0);
	printf("numa_placement: %d nodes, %u automatic arenas\n", nodes,
	       narenas);
	for (int n = 0; n < nodes; n++) {
		check_arena(n, STRATA_POLICY_STRICT, "strict arena");
		check_arena(n, STRATA_POLICY_PREFERRED, "preferred arena");
		check_thread(n, nodes, narenas);
	}
	check_interleave(nodes);
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.node = nodes + 4;
	unsigned arena;
	check(strata_arena_create(&opts, &arena) == ENOTSUP,
	      "a missing node is refused with ENOTSUP", nodes + 4, "");
	if (nodes < 2)
		printf("FAIL: fewer than two nodes: nothing was really tested\n");
	printf("numa_placement: %d failure(s)\n", failures);
	return failures == 0 && nodes >= 2 ? 0 : 1;
}
