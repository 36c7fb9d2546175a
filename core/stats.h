/*
 * stats.h — statistics gathered on demand from the arenas (each read under
 * the lock that guards it) and printed as text, JSON or Prometheus text.
 */
#ifndef STRATA_STATS_H
#define STRATA_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "util.h"

typedef struct stats_arena {
	size_t small_allocated_bytes, large_allocated_bytes;
	size_t active_bytes, dirty_bytes, muzzy_bytes, mapped_bytes;
	size_t retained_bytes;
	uint64_t small_nmalloc, small_ndalloc, large_nmalloc, large_ndalloc;
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
/* Large (and huge) size classes: SC_NSMALL + j for j < stats_nlextents(). */
HIDDEN unsigned stats_nlextents(void);

#endif
