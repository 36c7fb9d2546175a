/*
 * stats.h — statistics gathered on demand from the arenas (each read under
 * the lock that guards it) and printed as text, JSON or Prometheus text.
 */
#ifndef STRATA_STATS_H
#define STRATA_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "strata.h"
#include "util.h"

typedef struct stats_arena {
	size_t small_allocated_bytes, large_allocated_bytes;
	size_t active_bytes, dirty_bytes, muzzy_bytes, mapped_bytes;
	size_t retained_bytes;
	uint64_t small_nmalloc, small_ndalloc, large_nmalloc, large_ndalloc;
	uint64_t large_nremap; /* huge runs resized by remapping */
	uint64_t large_nrefit; /* cached mappings remapped for a new block */
	unsigned nthreads;
	purge_stats_t purge;
	mutex_stats_t extents_mutex;
	bin_stats_t bins[SC_NSMALL];
	lextent_stats_t lextents[ARENA_NLEXTENTS];
	mutex_stats_t bins_mutex[SC_NSMALL];
} stats_arena_t;

typedef struct stats_totals {
	size_t allocated_bytes; /* live blocks, usable bytes (cached ones too) */
	size_t active_bytes;    /* pages backing live runs */
	size_t metadata_bytes;  /* reserved for metadata */
	size_t resident_bytes;  /* active + dirty + metadata: an upper bound */
	size_t mapped_bytes;    /* reserved from the backend */
	size_t dirty_bytes, muzzy_bytes;
	size_t retained_bytes;  /* purged address space kept for reuse */
	unsigned narenas;
} stats_totals_t;

/* Adds arena a's figures into *out (which the caller zeroed). */
HIDDEN void stats_arena_read(arena_t *a, stats_arena_t *out);
HIDDEN void stats_totals_read(stats_totals_t *out);
/* Adds the counters of in into *sum (the longest wait is the maximum). */
HIDDEN void stats_mutex_merge(mutex_stats_t *sum, const mutex_stats_t *in);
/* stats_print:true: print to (a copy of) stderr at exit, in the form of
 * stats_print_opts. */
HIDDEN void stats_print_register_at_exit(void);
/* The Prometheus form of strata_stats_print with at most top_threads
 * threads one by one (by allocation rate) and the rest as thread="other";
 * allocates nothing and leaves the calling thread unregistered (the
 * background thread's export). */
HIDDEN void stats_print_prometheus(strata_write_cb *write_cb, void *opaque,
                                   unsigned top_threads);
/* Large (and huge) size classes: SC_NSMALL + j for j < stats_nlextents(). */
HIDDEN unsigned stats_nlextents(void);

/* ---- readers of one piece of an arena, for ctl and the printer, so
 * that neither reaches into arena_t; each takes the lock that guards what
 * it reads, and only that one ---- */

/* Process-wide events and states outside the arenas. */
typedef struct stats_process {
	bool is_background_running;
	uint64_t mem_limit_soft_hits, mem_limit_hard_hits;
	size_t mem_limit_cgroup_bytes, mem_limit_soft_bytes;
} stats_process_t;

/* An arena's settings (unlocked: each is one aligned word). */
typedef struct stats_arena_settings {
	unsigned index;
	long dirty_decay_ms, muzzy_decay_ms;
	unsigned tier; /* strata_tier of its placement */
	int node;      /* NUMA node of its placement, -1 for any */
	const char *provider; /* what serves it (pages_provider_name) */
} stats_arena_settings_t;

HIDDEN void stats_process_read(stats_process_t *out);

/* The machine's shape as the backend's probe found it. */
typedef struct stats_system {
	const char *backend;   /* its name: "posix", "numa", ... */
	size_t page_bytes, hugepage_bytes, cacheline_bytes;
	unsigned node_count;
	unsigned tier_mask;    /* bit (1u << strata_tier) per tier on hand */
	unsigned caps;         /* BACKEND_CAP_* */
	bool has_hugepage, has_numa;
	uint64_t memory_node_mask; /* bit n: node n (< 64) has memory */
	uint64_t tier_node_mask[BACKEND_TIER_COUNT];
	const char *thp;       /* kernel THP mode, "unknown" when unread */
} stats_system_t;

HIDDEN void stats_system_read(stats_system_t *out);
HIDDEN void stats_arena_settings_read(arena_t *a,
                                      stats_arena_settings_t *out);
/* Bin j's counters and its lock's (either out may be NULL), under the bin
 * lock. */
HIDDEN void stats_bin_read(arena_t *a, unsigned j, bin_stats_t *out,
                           mutex_stats_t *mutex_out);
/* Large class SC_NSMALL + j (j < ARENA_NLEXTENTS), under the extents
 * lock. */
HIDDEN void stats_lextent_read(arena_t *a, unsigned j, lextent_stats_t *out);
/* The counters of the arena's extents lock. */
HIDDEN void stats_extents_mutex_read(arena_t *a, mutex_stats_t *out);

#endif
