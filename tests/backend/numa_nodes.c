/*
 * numa_nodes.c — the numa backend places memory where arenas ask: a
 * strict node arena's pages are on that node, a node or tier the machine
 * lacks is refused at arena creation, and threads use automatic arenas
 * whose home node is theirs.  Linked with libstrata.so: the real backend.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "numa_probe.h"
#include "strata.h"

#define MIB ((size_t)1 << 20)

TestSuite(numa_nodes, .timeout = 60);

static unsigned create_arena(int node, strata_policy policy,
                             strata_tier tier) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.node = node;
	opts.policy = policy;
	opts.tier = tier;
	unsigned index = 0;
	int err = strata_arena_create(&opts, &index);
	cr_assert_eq(err, 0, "strata_arena_create: %s", strerror(err));
	return index;
}

/* Allocate sizes[] from the arena, touch everything, and count the pages
 * the kernel reports off node. */
static void assert_sizes_on_node(unsigned arena, int node,
                                 const size_t *sizes, size_t n) {
	void *blocks[64];
	cr_assert_leq(n, 64);
	for (size_t i = 0; i < n; i++) {
		blocks[i] = strata_mallocx(sizes[i], STRATA_MALLOCX_ARENA(arena));
		cr_assert_not_null(blocks[i], "%zu bytes", sizes[i]);
		memset(blocks[i], 0xa5, sizes[i]);
	}
	for (size_t i = 0; i < n; i++) {
		long off = probe_pages_off_node(blocks[i], sizes[i], node);
		cr_assert_eq(off, 0, "%ld pages of a %zu-byte block off node %d",
		             off, sizes[i], node);
		strata_dallocx(blocks[i], STRATA_MALLOCX_ARENA(arena));
	}
}

Test(numa_nodes, strict_node_0_arena_pages_are_all_on_node_0) {
	unsigned arena = create_arena(0, STRATA_POLICY_STRICT,
	                              STRATA_TIER_DEFAULT);
	/* Small (slabs), large (chunk runs) and huge (own mapping): 6 MiB. */
	size_t sizes[40];
	size_t n = 0;
	for (; n < 32; n++)
		sizes[n] = (size_t)64 << (n % 12); /* 64 B .. 128 KiB */
	sizes[n++] = 512 * 1024;
	sizes[n++] = 1 * MIB;
	sizes[n++] = 3 * MIB;
	assert_sizes_on_node(arena, 0, sizes, n);
	cr_assert_eq(strata_arena_destroy(arena), 0);
}

/* realloc remaps a huge block (backend remap): the grown tail follows
 * the arena's strict policy as a fresh reservation would. */
Test(numa_nodes, a_strict_arena_huge_block_grown_by_realloc_stays_on_node_0) {
	unsigned arena = create_arena(0, STRATA_POLICY_STRICT,
	                              STRATA_TIER_DEFAULT);
	int flags = STRATA_MALLOCX_ARENA(arena);
	size_t size = 3 * MIB;
	char *p = strata_mallocx(size, flags);
	cr_assert_not_null(p);
	memset(p, 0x5a, size);
	for (int i = 0; i < 3; i++) {
		p = strata_rallocx(p, size * 4, flags);
		cr_assert_not_null(p);
		cr_assert_eq(p[size - 1], 0x5a, "contents kept");
		size *= 4;
		memset(p, 0x5a, size);
		cr_assert_eq(probe_pages_off_node(p, size, 0), 0,
		             "pages of a %zu-byte block off node 0", size);
	}
	uint64_t nremap = 0, one = 1;
	size_t len = sizeof(nremap);
	char name[64];
	snprintf(name, sizeof(name), "stats.arenas.%u.large.nremap", arena);
	cr_assert_eq(strata_ctl("epoch", NULL, NULL, &one, sizeof(one)), 0);
	cr_assert_eq(strata_ctl(name, &nremap, &len, NULL, 0), 0);
	cr_assert_eq(nremap, 3, "every growth remapped");
	strata_dallocx(p, flags);
	cr_assert_eq(strata_arena_destroy(arena), 0);
}

Test(numa_nodes, preferred_and_interleave_arenas_serve_memory) {
	strata_policy policies[] = { STRATA_POLICY_PREFERRED,
		                     STRATA_POLICY_INTERLEAVE };
	for (unsigned i = 0; i < 2; i++) {
		unsigned arena = create_arena(0, policies[i],
		                              STRATA_TIER_DEFAULT);
		size_t sizes[] = { 100, 40000, 2 * MIB + 4096 };
		/* One node here, so even interleaved pages are on node 0. */
		assert_sizes_on_node(arena, 0, sizes, 3);
		cr_assert_eq(strata_arena_destroy(arena), 0);
	}
}

static int node_count(void) {
	char buf[256] = "";
	int fd = open("/sys/devices/system/node/online", O_RDONLY);
	if (fd < 0)
		return 1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 1;
	char *last = buf;
	for (char *p = buf; *p != '\0'; p++)
		if (*p == ',' || *p == '-')
			last = p + 1;
	return atoi(last) + 1;
}

Test(numa_nodes, a_node_the_machine_lacks_is_refused) {
	int missing = node_count() + 6; /* node 7 on a one-node machine */
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned index = 12345;
	strata_policy policies[] = { STRATA_POLICY_STRICT,
		                     STRATA_POLICY_PREFERRED,
		                     STRATA_POLICY_INTERLEAVE };
	for (unsigned i = 0; i < 3; i++) {
		opts.node = missing;
		opts.policy = policies[i];
		cr_assert_eq(strata_arena_create(&opts, &index), ENOTSUP,
		             "node %d policy %d", missing, policies[i]);
	}
	cr_assert_eq(index, 12345, "no arena index is handed out");
}

/* True when the kernel lists a memory tier faster than DRAM (id < 4). */
static int has_fast_tier(void) {
	char path[96];
	for (int id = 0; id < 4; id++) {
		snprintf(path, sizeof(path),
		         "/sys/devices/virtual/memory_tiering/memory_tier%d", id);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

Test(numa_nodes, dram_tier_is_served_and_a_missing_tier_refused) {
	unsigned arena = create_arena(STRATA_NODE_ANY, STRATA_POLICY_STRICT,
	                              STRATA_TIER_DRAM);
	size_t sizes[] = { 64, 64 * 1024, 3 * MIB };
	assert_sizes_on_node(arena, 0, sizes, 3);
	cr_assert_eq(strata_arena_destroy(arena), 0);
	if (has_fast_tier())
		cr_skip_test("this machine has a tier faster than DRAM");
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_HBM;
	cr_assert_eq(strata_arena_create(&opts, &arena), ENOTSUP);
}

Test(numa_nodes, threads_allocate_from_automatic_arenas_of_their_node) {
	unsigned narenas = 0;
	size_t len = sizeof(narenas);
	cr_assert_eq(strata_ctl("opt.narenas", &narenas, &len, NULL, 0), 0);
	int nodes = node_count();
	unsigned cpu = 0, node = 0;
	cr_assert_eq(getcpu(&cpu, &node), 0);
	/* Enough allocation to pass the node re-check (every 64 KiB). */
	for (int i = 0; i < 64; i++)
		strata_free(strata_malloc(4096));
	unsigned index = 9999;
	cr_assert_eq(strata_thread_arena_get(&index), 0);
	cr_assert_lt(index, narenas, "an automatic arena (0..%u)", narenas - 1);
	if (nodes > 1 && narenas >= (unsigned)nodes)
		cr_assert_eq(index % (unsigned)nodes, node);
	void *p = strata_malloc(256 * 1024);
	memset(p, 1, 256 * 1024);
	cr_assert_eq(probe_pages_off_node(p, 256 * 1024, (int)node), 0);
	strata_free(p);
}
