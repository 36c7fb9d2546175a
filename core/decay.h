/*
 * decay.h — when to purge: jemalloc's smoothstep decay curve.
 *
 * Time is cut into DECAY_NSTEPS epochs per decay period.  The pages that
 * became eligible (dirty, or muzzy) during each epoch are remembered in a
 * backlog; a page freed k epochs ago may stay with weight
 * 1 - smoothstep(k / DECAY_NSTEPS).  So a burst of frees is returned
 * along a smooth curve over decay_ms, not in one storm of madvise calls,
 * and nothing freed more than decay_ms ago is kept.  -1 disables purging,
 * 0 purges at once.  Time comes from an injectable clock so tests step it.
 * A decay_t is guarded by the lock of the extents it describes.
 */
#ifndef STRATA_DECAY_H
#define STRATA_DECAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DECAY_NSTEPS 200u
#define DECAY_NEVER UINT64_MAX

typedef struct decay {
	long decay_ms;
	uint64_t epoch_ns;           /* length of one epoch */
	uint64_t epoch_start_ns;     /* start of the current epoch */
	size_t npages_last;          /* eligible pages after the last update */
	size_t backlog[DECAY_NSTEPS]; /* [DECAY_NSTEPS-1] is the newest */
} decay_t;

typedef uint64_t decay_clock_fn(void);

HIDDEN void decay_boot(void);
HIDDEN void decay_init(decay_t *d, long decay_ms, uint64_t now_ns);
/* Advance to now_ns with npages currently eligible; returns how many of
 * them may stay (npages when decay is disabled, 0 when it is 0 ms). */
HIDDEN size_t decay_limit(decay_t *d, uint64_t now_ns, size_t npages);
/* Record that npages remain eligible after a purge. */
HIDDEN void decay_purged(decay_t *d, size_t npages);
/* When decay_limit could next allow less: DECAY_NEVER when nothing is
 * eligible, decay is disabled, or it is 0 ms (frees purge inline). */
HIDDEN uint64_t decay_deadline_ns(const decay_t *d, size_t npages);

HIDDEN uint64_t decay_now_ns(void);
/* Tests: replace the monotonic clock (NULL restores it). */
HIDDEN void decay_set_clock(decay_clock_fn *clock);

#endif
