/*
 * selftest.c - sanity check for the NUMA VM harness.
 *
 * For every configured NUMA node N: map a few pages, bind them to N with
 * mbind(MPOL_BIND), touch them, then ask the kernel with move_pages()
 * (nodes == NULL: query only) which node each page actually lives on.
 *
 * Exit status: 0 only if there are at least two nodes and every page bound
 * to node N was found on node N; 1 otherwise.
 *
 * Build (static, links libnuma.a from libnuma-dev):
 *   cc -O2 -static -o selftest tests/vm/selftest.c -lnuma
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES_PER_NODE 16

static int check_node(int node, long page_size)
{
	size_t len = (size_t)PAGES_PER_NODE * (size_t)page_size;
	void *pages[PAGES_PER_NODE];
	int status[PAGES_PER_NODE];
	unsigned long mask[16];
	int ok = 1;

	if ((unsigned)node >= sizeof(mask) * 8) {
		printf("node %d: node id too large for this test\n", node);
		return 0;
	}

	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("node %d: mmap failed: %s\n", node, strerror(errno));
		return 0;
	}

	memset(mask, 0, sizeof(mask));
	mask[node / (8 * sizeof(unsigned long))] |=
		1UL << (node % (8 * sizeof(unsigned long)));
	if (mbind(p, len, MPOL_BIND, mask, sizeof(mask) * 8, MPOL_MF_STRICT) != 0) {
		printf("node %d: mbind failed: %s\n", node, strerror(errno));
		munmap(p, len);
		return 0;
	}

	for (int i = 0; i < PAGES_PER_NODE; i++) {
		p[(size_t)i * (size_t)page_size] = (char)(i + 1); /* fault in */
		pages[i] = p + (size_t)i * (size_t)page_size;
		status[i] = -12345;
	}

	if (move_pages(0, PAGES_PER_NODE, pages, NULL, status, 0) != 0) {
		printf("node %d: move_pages query failed: %s\n", node,
		       strerror(errno));
		munmap(p, len);
		return 0;
	}

	int on_node = 0;
	for (int i = 0; i < PAGES_PER_NODE; i++) {
		if (status[i] == node) {
			on_node++;
		} else {
			ok = 0;
			if (status[i] < 0)
				printf("node %d: page %d status error %d (%s)\n",
				       node, i, status[i], strerror(-status[i]));
			else
				printf("node %d: page %d found on node %d\n",
				       node, i, status[i]);
		}
	}
	printf("node %d: %d/%d pages bound to node %d are on node %d: %s\n",
	       node, on_node, PAGES_PER_NODE, node, node, ok ? "OK" : "FAIL");

	/* Also exercise libnuma's own allocator for this node. */
	void *q = numa_alloc_onnode((size_t)page_size, node);
	if (q == NULL) {
		printf("node %d: numa_alloc_onnode failed\n", node);
		ok = 0;
	} else {
		int st = -12345;
		memset(q, 0xa5, (size_t)page_size);
		if (move_pages(0, 1, &q, NULL, &st, 0) != 0 || st != node) {
			printf("node %d: numa_alloc_onnode page on node %d: FAIL\n",
			       node, st);
			ok = 0;
		} else {
			printf("node %d: numa_alloc_onnode page on node %d: OK\n",
			       node, st);
		}
		numa_free(q, (size_t)page_size);
	}

	munmap(p, len);
	return ok;
}

int main(void)
{
	long page_size = sysconf(_SC_PAGESIZE);

	if (numa_available() < 0) {
		printf("selftest: NUMA not available in this kernel\n");
		return 1;
	}

	int nodes = numa_num_configured_nodes();
	int max_node = numa_max_node();
	printf("selftest: %d configured node(s), max node id %d, page size %ld\n",
	       nodes, max_node, page_size);

	int all_ok = 1, checked = 0;
	for (int n = 0; n <= max_node; n++) {
		long long free_b = 0;
		long long size = numa_node_size64(n, &free_b);
		if (size <= 0) {
			printf("node %d: no memory, skipped\n", n);
			continue;
		}
		printf("node %d: %lld MiB total, %lld MiB free\n", n,
		       size >> 20, free_b >> 20);
		checked++;
		if (!check_node(n, page_size))
			all_ok = 0;
	}

	if (checked < 2) {
		printf("selftest: FAIL: need at least 2 nodes with memory, got %d\n",
		       checked);
		return 1;
	}
	printf("selftest: %s (%d nodes checked)\n", all_ok ? "PASS" : "FAIL",
	       checked);
	return all_ok ? 0 : 1;
}
