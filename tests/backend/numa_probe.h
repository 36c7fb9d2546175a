/*
 * numa_probe.h — what the kernel says about memory the allocator handed
 * out: the node each page is on (move_pages with no target: a query, no
 * page moves) and the huge-page share of mappings (/proc/self/smaps).
 * Shared by the numa backend suites and the multi-node VM test.
 */
#ifndef STRATA_TESTS_NUMA_PROBE_H
#define STRATA_TESTS_NUMA_PROBE_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Pages of [addr, addr + len) that are not on node (or not present);
 * -1 when the kernel cannot answer. */
static inline long probe_pages_off_node(const void *addr, size_t len,
                                        int node) {
	enum { BATCH = 256 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(page - 1);
	uintptr_t end = (uintptr_t)addr + len;
	long off = 0;
	while (p < end) {
		void *pages[BATCH];
		int status[BATCH];
		unsigned n = 0;
		for (; n < BATCH && p < end; n++, p += page)
			pages[n] = (void *)p;
		/* A page the kernel holds for a moment (khugepaged collapsing
		 * its range, a migration: no node told) is asked again, for up
		 * to 2 s (an emulated guest on a loaded host is slow to finish
		 * one); a page misplaced stays misplaced, and one still
		 * unreadable counts as off. */
		for (int retry = 0;; retry++) {
			if (syscall(SYS_move_pages, 0, (unsigned long)n, pages,
			            NULL, status, 0) != 0)
				return -1;
			bool is_busy = false;
			for (unsigned i = 0; i < n; i++)
				is_busy |= status[i] < 0;
			if (!is_busy || retry == 40)
				break;
			usleep(50000);
		}
		for (unsigned i = 0; i < n; i++)
			off += status[i] != node;
	}
	return off;
}

/* Rss and AnonHugePages (kB) summed over the mappings of /proc/self/smaps
 * that overlap any of the n ranges [starts[i], starts[i] + lens[i]). */
typedef struct probe_smaps {
	unsigned long rss_kb, anon_huge_kb;
} probe_smaps_t;

static inline int probe_smaps_sum(void *const *starts, const size_t *lens,
                                  size_t n, probe_smaps_t *out) {
	FILE *f = fopen("/proc/self/smaps", "r");
	if (f == NULL)
		return -1;
	char line[512];
	int is_counted = 0;
	unsigned long kb;
	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			is_counted = 0;
			for (size_t i = 0; i < n && !is_counted; i++) {
				uintptr_t s = (uintptr_t)starts[i];
				is_counted = s < hi && s + lens[i] > lo;
			}
		} else if (is_counted && sscanf(line, "Rss: %lu kB", &kb) == 1) {
			out->rss_kb += kb;
		} else if (is_counted &&
		           sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			out->anon_huge_kb += kb;
		}
	}
	fclose(f);
	return 0;
}

#endif
