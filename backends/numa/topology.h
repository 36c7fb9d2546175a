/*
 * topology.h — the machine as the numa backend sees it, read once from
 * /sys at init: hugepage size, which nodes have memory, which memory tier
 * each node belongs to.
 *
 * Probing never calls malloc (init runs inside the process's first malloc):
 * files are read with open/read into stack buffers, directories with the
 * getdents64 system call.  Node sets are fixed-size bitmaps.
 */
#ifndef STRATA_NUMA_TOPOLOGY_H
#define STRATA_NUMA_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h" /* strata_tier, BACKEND_TIER_COUNT */

/* Node ids the backend can name: Linux's largest MAX_NUMNODES. */
#define TOPO_NODES_MAX 1024u
#define TOPO_MASK_WORDS (TOPO_NODES_MAX / 64)

typedef struct nodemask {
	uint64_t bits[TOPO_MASK_WORDS];
} nodemask_t;

typedef struct topology {
	size_t hugepage_bytes;   /* 0: the kernel has no transparent huge pages */
	unsigned node_count;     /* highest online node + 1 */
	nodemask_t memory_nodes; /* nodes that have memory */
	nodemask_t tier_nodes[BACKEND_TIER_COUNT]; /* [DEFAULT] == memory_nodes */
	unsigned tier_mask;      /* bit (1u << tier) for each non-empty tier */
	bool has_tiering_sysfs;  /* the kernel exported memory_tiering */
} topology_t;

/* Fill *t from /sys; never fails: what cannot be read takes the value of a
 * single-node machine without tiers. */
void topo_probe(topology_t *t);

/* Parse a kernel node list ("0-2,5") into *m; false when malformed. */
bool topo_parse_list(const char *s, nodemask_t *m);

static inline bool nodemask_has(const nodemask_t *m, unsigned node) {
	return node < TOPO_NODES_MAX &&
	       (m->bits[node / 64] >> (node % 64) & 1u) != 0;
}
static inline void nodemask_set(nodemask_t *m, unsigned node) {
	if (node < TOPO_NODES_MAX)
		m->bits[node / 64] |= (uint64_t)1 << (node % 64);
}
static inline bool nodemask_is_empty(const nodemask_t *m) {
	for (unsigned w = 0; w < TOPO_MASK_WORDS; w++)
		if (m->bits[w] != 0)
			return false;
	return true;
}

#endif
