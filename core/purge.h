/*
 * purge.h — the purge layer: when and how much to purge, and the wake-up
 * of the background purger.
 *
 * A purge_t is one arena's decay state: the dirty and the muzzy curve
 * (decay.c) and the earliest time a pass could purge something.  It lives
 * in the arena's extents_t and is guarded by the extents lock, except
 * where said.  extent.c runs the purge pass (it owns the page maps): it
 * asks purge_excess how many pages are due, purges them, and reports what
 * is left.  The background thread sleeps here (purge_sleep_until) until
 * the earliest deadline or a wake-up.  Lower layers wake it with
 * purge_notify / purge_wake; this layer calls nothing but decay.c and
 * pthreads, so a purge step can be started from any layer above without a
 * cycle.  Pages become eligible when a free returns them (dirty), or when
 * a lazy purge leaves them muzzy; -1 ms disables a curve, 0 purges at
 * once (the caller runs the pass right after the free, with no bin lock
 * held).
 */
#ifndef STRATA_PURGE_H
#define STRATA_PURGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decay.h"
#include "util.h"

typedef enum purge_state { PURGE_DIRTY = 0, PURGE_MUZZY = 1 } purge_state_t;

typedef struct purge {
	decay_t curve[2]; /* by purge_state_t */
	/* Earliest time a pass could purge something (DECAY_NEVER: nothing
	 * waits); read without the lock to skip needless passes. */
	_Atomic uint64_t due_ns;
	/* The curves' decay times again, for readers without the lock (the
	 * free path's purge_is_immediate, ctl): written with the curve. */
	_Atomic long decay_ms[2];
} purge_t;

HIDDEN void purge_init(purge_t *p, long dirty_decay_ms, long muzzy_decay_ms);
/* The decay time of a curve; may be read without the lock. */
static inline long purge_decay_ms(const purge_t *p, purge_state_t s) {
	return atomic_load_explicit(&p->decay_ms[s], memory_order_relaxed);
}
/* 0 or EINVAL (ms < -1).  The caller updates the deadline, then calls
 * purge_wake after unlocking. */
HIDDEN int purge_set_decay_ms(purge_t *p, purge_state_t s, long ms);
/* Of npages pages in state s, how many are due for purging at now_ns
 * (all of them with is_forced, none when the curve is disabled). */
static inline size_t purge_excess(purge_t *p, purge_state_t s,
                                  uint64_t now_ns, size_t npages,
                                  bool is_forced) {
	if (is_forced)
		return npages;
	return npages - decay_limit(&p->curve[s], now_ns, npages);
}
/* After a pass: npages remain in state s. */
static inline void purge_left(purge_t *p, purge_state_t s, size_t npages) {
	decay_purged(&p->curve[s], npages);
}
/* Recompute and publish the deadline from the pages in each state. */
static inline uint64_t purge_set_deadline(purge_t *p, size_t dirty_pages,
                                          size_t muzzy_pages) {
	uint64_t d = decay_deadline_ns(&p->curve[PURGE_DIRTY], dirty_pages);
	uint64_t m = decay_deadline_ns(&p->curve[PURGE_MUZZY], muzzy_pages);
	uint64_t due = d < m ? d : m;
	atomic_store_explicit(&p->due_ns, due, memory_order_relaxed);
	return due;
}
/* The published deadline (no lock). */
static inline uint64_t purge_due_ns(const purge_t *p) {
	return atomic_load_explicit(&p->due_ns, memory_order_relaxed);
}
/* The dirty curve is 0 ms: pages freed are purged right after the free
 * (no lock).  A muzzy curve of 0 ms alone means no muzzy stage: the
 * dirty curve's purges are eager (extent.c). */
static inline bool purge_is_immediate(const purge_t *p) {
	return purge_decay_ms(p, PURGE_DIRTY) == 0;
}

/* ---- the purger's wake-up (no lock of the caller's matters) ---- */

/* The background thread exists (true) or left (false). */
HIDDEN void purge_set_purger(bool is_present);
/* New purgeable pages: wake the purger if it sleeps without a deadline
 * (one relaxed load otherwise). */
HIDDEN void purge_notify(void);
/* A setting changed: the purger recomputes its deadline now. */
HIDDEN void purge_wake(void);
/* Purger thread only: sleep until deadline_ns (decay clock), a wake-up,
 * or at most max_sleep_ns. */
HIDDEN void purge_sleep_until(uint64_t deadline_ns, uint64_t max_sleep_ns);

HIDDEN void purge_prefork(void);
HIDDEN void purge_postfork_parent(void);
HIDDEN void purge_postfork_child(void);

#endif
