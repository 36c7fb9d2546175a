/*
 * memlimit.h — mem_limit_soft and mem_limit_hard: the charged total.
 *
 * Charged memory is what strata holds that may be resident: allocated,
 * dirty and muzzy pages of every arena, huge mappings and metadata.  This
 * module is a plain counter with the two thresholds: extent.c charges and
 * uncharges it (the one place that takes memory from the pages layer),
 * base.c's mapped bytes are read in; callers consult it and act:
 *   above the soft limit (mem_limit_soft, else 7/8 of the cgroup's
 *   memory limit), the periodic thread event purges every arena;
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

/* Bytes of allocated, dirty and muzzy chunk pages and of huge mappings
 * that may be resident (live or cached dirty), of every arena. */
extern HIDDEN atomic_size_t memlimit_bytes;
extern HIDDEN atomic_uint_fast64_t memlimit_soft_hits, memlimit_hard_hits;

/* Give bytes back (purged, unmapped). */
static inline void memlimit_uncharge(size_t bytes) {
	atomic_fetch_sub_explicit(&memlimit_bytes, bytes, memory_order_relaxed);
}

HIDDEN size_t memlimit_charged_bytes(void);
/* Charge bytes unless that would pass the hard limit; false (a hit
 * counted, nothing charged) when it would. */
HIDDEN bool memlimit_try_charge(size_t bytes);
/* True when bytes more would pass the hard limit now (no hit counted). */
HIDDEN bool memlimit_would_exceed_hard(size_t bytes);
/* True when the charged total is above the soft limit (counts a hit);
 * the caller then purges. */
HIDDEN bool memlimit_is_above_soft(void);

/* At boot, after the options: read the cgroup's memory limit (prim.h).
 * While mem_limit_soft is not set, the soft limit is 7/8 of it, so
 * strata purges everything it holds free before the container's
 * memory.high throttles it or memory.max OOM-kills it. */
HIDDEN void memlimit_boot(void);
/* The cgroup memory limit read at boot (0: none). */
HIDDEN size_t memlimit_cgroup_bytes(void);
/* The soft limit in force: mem_limit_soft, else 7/8 of the cgroup's
 * limit, else 0 (none). */
HIDDEN size_t memlimit_soft_bytes(void);

#endif
