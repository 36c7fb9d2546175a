/*
 * backend.h — the contract between the portable core and a memory backend.
 *
 * Exactly one backend is compiled in (meson -Dmemory_backend=NAME) and
 * exports `backend_default`.  Only core/pages.c calls it.
 *
 * Memory is described by state, not by system call:
 *   reserved   address space owned by strata, not accessible, no RSS;
 *   committed  accessible; reads return what was last written, or zero for
 *              pages never written since they were last made zero;
 *   lazy       committed, but the contents are undefined: the OS may take
 *              the pages back at any time (RSS falls later), the next write
 *              keeps them;
 *   zeroed     committed, reads as zero, no RSS until touched.
 *
 * Preconditions of every operation, stated once: addr and size are multiples
 * of info.page_bytes, size > 0, [addr, addr+size) lies inside one region
 * obtained from reserve().  Every operation returns 0 or an errno value,
 * is thread-safe, never calls malloc (directly or through libc functions
 * that may), and leaves the caller's errno unchanged.
 *
 * The struct is versioned and append-only: a new operation goes at the end
 * and raises BACKEND_VERSION.  An optional operation the backend can never
 * offer is NULL and its capability bit clear; a backend whose probe finds
 * the feature missing on this machine clears the bit although the
 * operation exists.  The core tests the bit, never the pointer, and never
 * calls an operation whose bit is clear.
 */
#ifndef STRATA_BACKEND_H
#define STRATA_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#define BACKEND_VERSION 1

/* Capability bits: what a backend promises beyond the required operations. */
enum {
	/* advise_hugepage is present; reserve() honours wants_hugepage by
	 * aligning to hugepage_bytes and asking the OS for huge pages. */
	BACKEND_CAP_HUGEPAGE = 1u << 0,
	/* placement.node and placement.policy are honoured; current_node is
	 * present and tells the node the calling thread runs on. */
	BACKEND_CAP_NUMA = 1u << 1,
	/* tiers other than DEFAULT may be asked for; tier_mask says which. */
	BACKEND_CAP_TIERS = 1u << 2,
	/* placement.is_tagged maps memory that can hold allocation tags. */
	BACKEND_CAP_TAGGING = 1u << 3,
	/* purge(LAZY) really is lazy (else the core only ever asks EAGER). */
	BACKEND_CAP_PURGE_LAZY = 1u << 4,
};

/* Filled once by init(). */
typedef struct backend_info {
	size_t page_bytes;     /* OS base page size, a power of two >= 4096 */
	size_t hugepage_bytes; /* 0 when the OS has none */
	unsigned node_count;   /* >= 1 */
	unsigned tier_mask;    /* bit (1u << strata_tier) per tier on hand */
	unsigned caps;         /* BACKEND_CAP_* */
} backend_info_t;

/* Where a reservation's memory should come from; decided once, at reserve. */
typedef struct backend_placement {
	int tier;             /* strata_tier */
	int node;             /* -1: any node */
	int policy;           /* strata_policy */
	bool wants_hugepage;  /* back with huge pages where the OS allows */
	bool is_tagged;       /* needs BACKEND_CAP_TAGGING */
} backend_placement_t;

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
	 * page_bytes) placed as *placement asks.  The range comes back
	 * committed and zeroed.  ENOMEM when the OS refuses, ENOTSUP when the
	 * placement cannot be honoured at all (strict policy). */
	int (*reserve)(size_t size, size_t align,
	               const backend_placement_t *placement, void **addr);

	/* reserved -> committed and zeroed. */
	int (*commit)(void *addr, size_t size);
	/* committed/lazy -> reserved: inaccessible, RSS released. */
	int (*decommit)(void *addr, size_t size);

	/* LAZY: committed -> lazy.  EAGER: -> RSS released now; *is_zeroed
	 * tells whether the range now reads as zero (true for anonymous
	 * private memory, false e.g. for shared or file-backed tiers). */
	int (*purge)(void *addr, size_t size, backend_purge_t how,
	             bool *is_zeroed);

	/* Give the range back to the OS.  The range may be a sub-range of a
	 * reservation at its start or end. */
	int (*unmap)(void *addr, size_t size);

	/* ---- optional ---- */

	/* BACKEND_CAP_HUGEPAGE: ask for (want) or against huge pages. */
	int (*advise_hugepage)(void *addr, size_t size, bool want);
	/* BACKEND_CAP_NUMA: the node the calling thread runs on now. */
	int (*current_node)(unsigned *node);
} backend_t;

/* The backend chosen at build time. */
extern const backend_t backend_default;

#endif /* STRATA_BACKEND_H */
