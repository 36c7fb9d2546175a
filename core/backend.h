/*
 * backend.h — the contract between the portable core and a memory backend,
 * version 4.  docs/backend-contract.md is the long form, operation by
 * operation.
 *
 * Exactly one backend is compiled in (meson -Dmemory_backend=NAME) and
 * exports `backend_default`.  Only core/pages.c calls it.  System services
 * that are not memory (clock, thread id, stderr ...) are core/prim.h.
 *
 * Memory is described by state, not by system call:
 *   reserved   address space owned by strata; what reserve() returns is
 *              also committed and zeroed;
 *   committed  accessible; reads return what was last written, or zero for
 *              pages never written since they were last made zero;
 *   lazy       committed, but the contents are undefined: the OS may take
 *              the pages back at any time (RSS falls later), the next write
 *              keeps them;
 *   zeroed     committed, reads as zero, no RSS until touched.
 *
 * Preconditions of every operation, stated once: addr and size are multiples
 * of info.page_bytes, size > 0, [addr, addr+size) lies inside the one
 * reservation that reserve() returned together with `region`.  Every
 * operation returns 0 or an errno value, is thread-safe, never calls malloc
 * (directly or through libc functions that may; probe_late alone may), and
 * leaves the caller's errno unchanged.
 *
 * The struct is versioned and append-only from version 2 on: a new
 * operation goes at the end and raises BACKEND_VERSION; the core accepts
 * a backend of any version from 2 to BACKEND_VERSION and never calls an
 * operation newer than the backend's version.  An optional operation the
 * backend can never offer is NULL and its capability bit clear; a backend
 * whose probe finds the feature missing on this machine clears the bit
 * although the operation exists.  The core tests the bit, never the
 * pointer, and never calls an operation whose bit is clear.
 */
#ifndef STRATA_BACKEND_H
#define STRATA_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#define BACKEND_VERSION 4

/* Tiers a backend can name: strata_tier's values are 0 .. count - 1. */
#define BACKEND_TIER_COUNT ((unsigned)STRATA_TIER_PMEM + 1)

/* Capability bits: what a backend promises beyond the required operations
 * (docs/backend-contract.md has a paragraph on each). */
enum {
	/* advise_hugepage is present; reserve() honours wants_hugepage by
	 * aligning to hugepage_bytes and asking the OS for huge pages. */
	BACKEND_CAP_HUGEPAGE = 1u << 0,
	/* placement.node and placement.policy are honoured; current_node is
	 * present and tells the node the calling thread runs on. */
	BACKEND_CAP_NUMA = 1u << 1,
	/* tiers other than DEFAULT may be asked for; tier_mask says which. */
	BACKEND_CAP_TIERS = 1u << 2,
	/* placement.is_tagged maps memory that can hold allocation tags;
	 * the mte backend maps every reservation so and has tag checking on
	 * in the mode info.tag_check asks (the core tags blocks then). */
	BACKEND_CAP_TAGGING = 1u << 3,
	/* purge(LAZY) really is lazy (else the core only ever asks EAGER). */
	BACKEND_CAP_PURGE_LAZY = 1u << 4,
	/* placement.pmem_dir is honoured: file-backed memory in that
	 * directory, at most pmem_max_bytes of it. */
	BACKEND_CAP_PMEM_DIR = 1u << 5,
	/* Version 3: probe_late is present and finishes what init could not
	 * probe without allocating. */
	BACKEND_CAP_PROBE_LATE = 1u << 6,
	/* Version 3: provider_name is present. */
	BACKEND_CAP_PROVIDER_NAME = 1u << 7,
	/* Version 4: remap is present and moves or resizes a reservation's
	 * pages without copying them. */
	BACKEND_CAP_REMAP = 1u << 8,
};

/* Filled once by init(). */
typedef struct backend_info {
	size_t page_bytes;     /* OS base page size, a power of two >= 4096 */
	size_t hugepage_bytes; /* 0 when the OS has none */
	unsigned node_count;   /* >= 1 */
	unsigned tier_mask;    /* bit (1u << strata_tier) per tier on hand */
	unsigned caps;         /* BACKEND_CAP_* */
	/* Appended: the machine's shape, shown by ctl system.* and the
	 * stats; a backend that leaves them zero reports "unknown". */
	uint64_t memory_node_mask; /* bit n: node n (< 64) has memory */
	uint64_t tier_node_mask[BACKEND_TIER_COUNT]; /* nodes of each tier */
	char thp_mode[12];     /* the kernel's THP mode: "always", "madvise",
	                        * "never"; "" unknown */
	/* In, set by the core before init (opt.mte): how a backend with
	 * BACKEND_CAP_TAGGING checks tags, BACKEND_TAG_*.  A backend that
	 * honours it sets BACKEND_CAP_TAGGING; one that cannot (no tagging
	 * hardware, or BACKEND_TAG_OFF) leaves the bit clear. */
	unsigned tag_check;
} backend_info_t;

/* Tag check modes (backend_info.tag_check), in the order of opt.mte's
 * choices: a tag mismatch faults at the access (SYNC), at the next
 * kernel entry (ASYNC), or tags are not used (OFF). */
enum { BACKEND_TAG_SYNC = 0, BACKEND_TAG_ASYNC = 1, BACKEND_TAG_OFF = 2 };

/* Where a reservation's memory should come from; decided once, at reserve.
 * The core hands the backend only placements that passed
 * pages_placement_check(), so every field is in range and every feature
 * asked for has its capability bit. */
typedef struct backend_placement {
	strata_tier tier;
	int node;              /* STRATA_NODE_ANY or a node < node_count */
	strata_policy policy;
	bool wants_hugepage;   /* back with huge pages where the OS allows */
	bool is_tagged;        /* needs BACKEND_CAP_TAGGING */
	/* NULL, or a directory for file-backed PMEM (tier PMEM,
	 * BACKEND_CAP_PMEM_DIR); the string outlives every reservation made
	 * with this placement. */
	const char *pmem_dir;
	size_t pmem_max_bytes; /* with pmem_dir: bound on its size, 0 none */
} backend_placement_t;

/* Which of the backend's providers a reservation came from (a memkind
 * kind, one PMEM file, ...).  reserve() picks it; the core stores it and
 * hands it back unchanged to purge() and unmap() of that reservation.  A
 * backend with one provider may always answer 0. */
typedef uint32_t backend_region_t;

typedef enum backend_purge {
	BACKEND_PURGE_LAZY,  /* committed -> lazy */
	BACKEND_PURGE_EAGER, /* committed/lazy -> RSS released now */
} backend_purge_t;

typedef struct backend {
	unsigned version; /* BACKEND_VERSION the backend was written against */
	const char *name;

	/* Probe the hardware and fill *info.  Called once, before anything
	 * else, from the first allocation of the process. */
	int (*init)(backend_info_t *info);

	/* Reserve size bytes aligned to align (a power of two, a multiple of
	 * page_bytes) placed as *placement asks (never NULL).  The range
	 * comes back committed and zeroed; *region names where it came from.
	 * ENOMEM when the OS refuses, ENOTSUP when the placement cannot be
	 * honoured at all (unknown tier or node, a feature whose bit is
	 * clear, strict policy). */
	int (*reserve)(size_t size, size_t align,
	               const backend_placement_t *placement, void **addr,
	               backend_region_t *region);

	/* LAZY: committed -> lazy.  EAGER: -> RSS released now; *is_zeroed
	 * tells whether the range now reads as zero (true for anonymous
	 * private memory, false e.g. for shared or file-backed tiers).  Any
	 * page-aligned sub-range of the reservation `region`. */
	int (*purge)(void *addr, size_t size, backend_region_t region,
	             backend_purge_t how, bool *is_zeroed);

	/* Give a reservation back: addr, size and region exactly as reserve()
	 * returned them, never a part of one. */
	int (*unmap)(void *addr, size_t size, backend_region_t region);

	/* ---- optional ---- */

	/* BACKEND_CAP_HUGEPAGE: ask for (want) or against huge pages. */
	int (*advise_hugepage)(void *addr, size_t size, bool want);
	/* BACKEND_CAP_NUMA: the node the calling thread runs on now. */
	int (*current_node)(unsigned *node);

	/* ---- version 3 ---- */

	/* BACKEND_CAP_PROBE_LATE: the part of the probe that may call malloc
	 * (a library under the backend that allocates while it looks at the
	 * machine).  Called once, outside every allocator lock, after the
	 * allocator is ready and before the first placement is checked; it
	 * may add bits to info->tier_mask and info->caps, nothing else. */
	int (*probe_late)(backend_info_t *info);

	/* BACKEND_CAP_PROVIDER_NAME: the name of the provider a placement is
	 * served from (a memkind kind, ...), for statistics: a string that
	 * lives as long as the process.  Never allocates, takes no lock. */
	const char *(*provider_name)(const backend_placement_t *placement);

	/* ---- version 4 ---- */

	/* BACKEND_CAP_REMAP: resize the whole reservation old_addr +
	 * old_size (region, reserved with *placement) to new_size, moving
	 * it if need be, without copying: the first min(old, new) bytes
	 * keep their contents, a grown tail is committed and zeroed and
	 * placed as reserve() would place it, *new_addr is aligned to
	 * align and keeps the region id.  On success the old range is no
	 * longer the caller's (unless *new_addr is old_addr); on failure
	 * (ENOMEM, EINVAL when it cannot honour align without moving a
	 * shrunk range) the old reservation is untouched. */
	int (*remap)(void *old_addr, size_t old_size, size_t new_size,
	             size_t align, const backend_placement_t *placement,
	             backend_region_t region, void **new_addr);
} backend_t;

/* The backend chosen at build time. */
extern const backend_t backend_default;

#endif /* STRATA_BACKEND_H */
