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
	uint64_t small_nmalloc, small_ndalloc, large_nmalloc, large_ndalloc;
	unsigned nthreads;
	bin_stats_t bins[SC_NSMALL];
} stats_arena_t;

typedef struct stats_totals {
	size_t allocated_bytes; /* live blocks, usable bytes (cached ones too) */
	size_t active_bytes;    /* pages backing live runs */
	size_t metadata_bytes;  /* reserved for metadata */
	size_t resident_bytes;  /* active + dirty + metadata: an upper bound */
	size_t mapped_bytes;    /* reserved from the backend */
	size_t dirty_bytes, muzzy_bytes;
	unsigned narenas;
} stats_totals_t;

/* Adds arena a's figures into *out (which the caller zeroed). */
HIDDEN void stats_arena_read(arena_t *a, stats_arena_t *out);
HIDDEN void stats_totals_read(stats_totals_t *out);
HIDDEN void stats_print_at_exit(void);

#endif
