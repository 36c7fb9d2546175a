/*
 * numa.c — placement of reservations: hugepage alignment and advice, and
 * the memory policy (mbind) that pins a range to a node, a tier's nodes, or
 * spreads it over them.
 *
 * The policy is set once, on a fresh reservation that has no pages yet, so
 * every page faulted in later follows it; purging keeps it, and so does
 * remap (the kernel moves the mapping with its policy and advice; the
 * grown tail gets both again all the same, as reserve gives them).
 * System calls are made directly (no libnuma): nothing here allocates.
 *
 * Policies (include/strata.h strata_policy) map to the kernel's:
 *   strict     MPOL_BIND over the allowed nodes (no fallback; the kernel
 *              reclaims or, at worst, the fault fails, never moves);
 *   preferred  MPOL_PREFERRED for one node, MPOL_PREFERRED_MANY for a
 *              tier of several (falls back to MPOL_PREFERRED on kernels
 *              before 5.15); with neither node nor tier: local allocation;
 *   interleave MPOL_INTERLEAVE over the allowed nodes.
 * Allowed nodes: the placement's node if any (it must belong to the asked
 * tier), else the tier's nodes, else every node with memory.
 */
#define _GNU_SOURCE
#include "numa.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "posix.h"
#include "topology.h"

#ifndef MPOL_PREFERRED
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#endif
#define MPOL_PREFERRED_MANY_ 5

static topology_t topo;

int numa_backend_init(backend_info_t *info) {
	int saved_errno = errno;
	posix_init(info);
	topo_probe(&topo);
	info->hugepage_bytes = topo.hugepage_bytes;
	info->node_count = topo.node_count;
	info->tier_mask = topo.tier_mask;
	info->memory_node_mask = topo.memory_nodes.bits[0];
	for (unsigned t = 0; t < BACKEND_TIER_COUNT; t++)
		info->tier_node_mask[t] = topo.tier_nodes[t].bits[0];
	info->caps |= BACKEND_CAP_NUMA;
	if (topo.hugepage_bytes > info->page_bytes)
		info->caps |= BACKEND_CAP_HUGEPAGE;
	else
		info->hugepage_bytes = 0;
	if (topo.tier_mask & ~(1u << STRATA_TIER_DEFAULT))
		info->caps |= BACKEND_CAP_TIERS;
	errno = saved_errno;
	return 0;
}

/* The nodes a placement may use; ENOTSUP when it names what is not here
 * (tags and PMEM files are not offered at all).  *is_default: no policy
 * needs setting at all. */
static int allowed_nodes(const backend_placement_t *pl, nodemask_t *m,
                         bool *is_default) {
	if (pl->is_tagged || pl->pmem_dir != NULL ||
	    (unsigned)pl->tier >= BACKEND_TIER_COUNT ||
	    !(topo.tier_mask & (1u << pl->tier)))
		return ENOTSUP;
	const nodemask_t *tier = &topo.tier_nodes[pl->tier];
	*is_default = false;
	if (pl->node >= 0) {
		/* A memoryless node (CPUs only) is no place to prefer; its
		 * threads take memory from wherever the kernel finds it. */
		if (pl->tier == STRATA_TIER_DEFAULT &&
		    pl->policy == STRATA_POLICY_PREFERRED &&
		    (unsigned)pl->node < topo.node_count &&
		    !nodemask_has(tier, (unsigned)pl->node)) {
			*is_default = true;
			return 0;
		}
		if (!nodemask_has(tier, (unsigned)pl->node))
			return ENOTSUP;
		*m = (nodemask_t){ 0 };
		nodemask_set(m, (unsigned)pl->node);
		return 0;
	}
	if (pl->node != STRATA_NODE_ANY)
		return ENOTSUP;
	*m = *tier;
	*is_default = pl->tier == STRATA_TIER_DEFAULT &&
	              pl->policy != STRATA_POLICY_INTERLEAVE;
	return 0;
}

static int set_policy(void *addr, size_t size, int mode,
                      const nodemask_t *m) {
	return syscall(SYS_mbind, addr, size, mode, m->bits,
	               (unsigned long)TOPO_NODES_MAX, 0u) == 0 ? 0 : errno;
}

static bool has_one_node(const nodemask_t *m) {
	unsigned n = 0;
	for (unsigned w = 0; w < TOPO_MASK_WORDS; w++)
		n += (unsigned)__builtin_popcountll(m->bits[w]);
	return n == 1;
}

static int place(void *addr, size_t size, strata_policy policy,
                 const nodemask_t *m) {
	if (policy == STRATA_POLICY_STRICT)
		return set_policy(addr, size, MPOL_BIND, m);
	if (policy == STRATA_POLICY_INTERLEAVE)
		return set_policy(addr, size, MPOL_INTERLEAVE, m);
	if (has_one_node(m))
		return set_policy(addr, size, MPOL_PREFERRED, m);
	int err = set_policy(addr, size, MPOL_PREFERRED_MANY_, m);
	if (err != EINVAL)
		return err;
	/* Before Linux 5.15: prefer the tier's first node. */
	nodemask_t first = { 0 };
	for (unsigned n = 0; n < TOPO_NODES_MAX; n++)
		if (nodemask_has(m, n)) {
			nodemask_set(&first, n);
			break;
		}
	return set_policy(addr, size, MPOL_PREFERRED, &first);
}

/* How a mapping for pl is laid out: the nodes it may use (none to set
 * when is_default), whether it is advised for huge pages, and the
 * alignment, raised to the huge page size when it is. */
typedef struct layout {
	nodemask_t nodes;
	bool is_default, is_huge;
	size_t align;
} layout_t;

static int layout_for(const backend_placement_t *pl, size_t align,
                      layout_t *l) {
	int err = allowed_nodes(pl, &l->nodes, &l->is_default);
	if (err != 0)
		return err;
	l->is_huge = pl->wants_hugepage && topo.hugepage_bytes != 0;
	l->align = l->is_huge && align < topo.hugepage_bytes
	               ? topo.hugepage_bytes
	               : align;
	return 0;
}

static int reserve(size_t size, size_t align, const backend_placement_t *pl,
                   void **addr) {
	layout_t l;
	int err = layout_for(pl, align, &l);
	if (err != 0)
		return err;
	void *p;
	if ((err = posix_reserve_prot(size, l.align, 0, &p)) != 0)
		return err;
	if (l.is_huge)
		madvise(p, size, MADV_HUGEPAGE); /* advice: failure is harmless */
	if (!l.is_default && (err = place(p, size, pl->policy, &l.nodes)) != 0) {
		posix_unmap(p, size, 0);
		return err == EINVAL ? ENOTSUP : err;
	}
	*addr = p;
	return 0;
}

/* One provider, as in posix: region 0. */
int numa_backend_reserve(size_t size, size_t align,
                         const backend_placement_t *placement, void **addr,
                         backend_region_t *region) {
	int saved_errno = errno;
	int err = reserve(size, align, placement, addr);
	errno = saved_errno;
	*region = 0;
	return err;
}

/* posix's mremap, the alignment raised as reserve raises it, then the
 * grown tail advised and placed as reserve would: the kernel already
 * extends the moved mapping's policy and huge page advice over it, so
 * a failure here changes nothing that matters and is ignored. */
static int remap(void *old_addr, size_t old_size, size_t new_size,
                 size_t align, const backend_placement_t *pl,
                 backend_region_t region, void **new_addr) {
	layout_t l;
	int err = layout_for(pl, align, &l);
	if (err != 0)
		return err;
	char *p;
	err = posix_remap(old_addr, old_size, new_size, l.align, pl, region,
	                  (void **)&p);
	if (err != 0)
		return err;
	if (new_size > old_size) {
		size_t tail = new_size - old_size;
		if (l.is_huge)
			madvise(p + old_size, tail, MADV_HUGEPAGE);
		if (!l.is_default)
			place(p + old_size, tail, pl->policy, &l.nodes);
	}
	*new_addr = p;
	return 0;
}

int numa_backend_remap(void *old_addr, size_t old_size, size_t new_size,
                       size_t align, const backend_placement_t *placement,
                       backend_region_t region, void **new_addr) {
	int saved_errno = errno;
	int err = remap(old_addr, old_size, new_size, align, placement, region,
	                new_addr);
	errno = saved_errno;
	return err;
}

int numa_backend_advise_hugepage(void *addr, size_t size, bool want) {
	int saved_errno = errno;
	int err = madvise(addr, size, want ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) == 0
	              ? 0
	              : errno;
	errno = saved_errno;
	return err;
}

int numa_backend_current_node(unsigned *node) {
	int saved_errno = errno;
	unsigned cpu, n;
	/* getcpu is a vDSO call on x86-64 and arm64: no system call. */
	int err = getcpu(&cpu, &n) == 0 ? 0 : errno;
	errno = saved_errno;
	if (err == 0)
		*node = n < topo.node_count ? n : 0;
	return err;
}
