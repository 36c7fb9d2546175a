/*
 * memlimit.h — mem_limit_soft and mem_limit_hard: the charged total.
 *
 * Charged memory is what strata holds that may be resident: allocated,
 * dirty and muzzy pages of every arena, huge mappings and metadata.  This
 * module is a plain counter with the two thresholds: extent.c charges and
 * uncharges it (the one place that takes memory from the pages layer),
 * base.c's mapped bytes are read in; callers consult it and act:
 *   above the soft limit, the periodic thread event purges every arena;
 *   a new chunk or huge mapping that would pass the hard limit is refused
 *   (ENOMEM) after the arena has purged what it could.
 * 0 means no limit.  It calls nothing above it.
 */
#ifndef STRATA_MEMLIMIT_H
#define STRATA_MEMLIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Allocated, dirty and muzzy pages of every arena's chunks. */
extern HIDDEN atomic_size_t memlimit_chunk_pages;
/* Bytes of huge mappings that may be resident (live or cached dirty). */
extern HIDDEN atomic_size_t memlimit_huge_bytes;
extern HIDDEN atomic_uint_fast64_t memlimit_soft_hits, memlimit_hard_hits;

/* Inline: charged on every page-state change in extent.c. */
static inline void memlimit_charge_pages(ptrdiff_t npages) {
	atomic_fetch_add_explicit(&memlimit_chunk_pages, (size_t)npages,
	                          memory_order_relaxed);
}
static inline void memlimit_charge_huge(ptrdiff_t bytes) {
	atomic_fetch_add_explicit(&memlimit_huge_bytes, (size_t)bytes,
	                          memory_order_relaxed);
}

HIDDEN size_t memlimit_charged_bytes(void);
/* True when taking bytes more would pass the hard limit (counts a hit). */
HIDDEN bool memlimit_would_exceed_hard(size_t bytes);
/* True when the charged total is above the soft limit (counts a hit);
 * the caller then purges. */
HIDDEN bool memlimit_is_above_soft(void);

#endif
