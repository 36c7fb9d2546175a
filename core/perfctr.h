/*
 * perfctr.h — per-thread event counters: cache misses, data TLB misses
 * and page faults, through prim_perf_open, for the threads that ask
 * (thread.perf_events.active) or for every thread (perf_events.active,
 * opt.perf_events at start).  A thread opens and closes its own counters
 * at slow-path points only — its first allocation, its periodic event, a
 * ctl call — never on the fast path; they close when it exits.  Any
 * thread may read them (one read(2) per event), so statistics show every
 * thread's.  An event the system refuses keeps the errno value in place
 * of its descriptor, and statistics print it as the reason.
 */
#ifndef STRATA_PERFCTR_H
#define STRATA_PERFCTR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "prim.h"
#include "util.h"

/* X(key, event, help): the statistics key (also the ctl leaf under
 * thread.perf_events) of each counter, in enum prim_perf_event order. */
#define PERFCTR_EVENTS(X)                                                     \
	X(cache_misses, PRIM_PERF_CACHE_MISSES,                               \
	  "Cache misses (the CPU's generic cache-miss event)")                \
	X(l1d_read_misses, PRIM_PERF_L1D_READ_MISSES,                         \
	  "L1 data cache read misses")                                        \
	X(llc_read_misses, PRIM_PERF_LLC_READ_MISSES,                         \
	  "Last-level cache read misses")                                     \
	X(dtlb_read_misses, PRIM_PERF_DTLB_READ_MISSES,                       \
	  "Data TLB read misses")                                             \
	X(page_faults, PRIM_PERF_PAGE_FAULTS,                                 \
	  "Page faults (a software event)")

#define PERFCTR_NEVENTS ((unsigned)PRIM_PERF_NEVENTS)

/* thread.perf_events.active as the thread last set it. */
enum perfctr_mode {
	PERFCTR_FOLLOW = 0, /* never set: follow perf_events.active */
	PERFCTR_ON,
	PERFCTR_OFF,
};

/* One thread's counters.  The owner writes them, under the thread
 * registry's lock once the record is listed; readers hold that lock. */
typedef struct perfctr {
	int fd[PERFCTR_NEVENTS];  /* -1 where err[] says why not */
	int err[PERFCTR_NEVENTS]; /* errno value of the opening, or 0 */
	uint64_t base_bytes;      /* the thread's allocated bytes at opening */
	bool is_open;
	uint8_t mode;             /* enum perfctr_mode */
} perfctr_t;

/* perf_events.active: whether threads that never chose open counters. */
extern HIDDEN _Atomic bool perfctr_is_active;
/* Bumped at each write of perf_events.active: a thread's periodic event
 * compares it with the value it saw last (one load and one compare) and
 * only then looks at its counters. */
extern HIDDEN _Atomic unsigned perfctr_generation;

/* perf_events.active from opt.perf_events. */
HIDDEN void perfctr_boot(void);
/* Write perf_events.active. */
HIDDEN void perfctr_set_active(bool is_active);
/* Descriptors open in the process (perf_events.fds). */
HIDDEN unsigned perfctr_nfds(void);

/* Whether the thread's counters should be opened or closed now. */
static inline bool perfctr_wants_change(const perfctr_t *pc) {
	bool want = pc->mode == PERFCTR_ON ||
	            (pc->mode == PERFCTR_FOLLOW &&
	             atomic_load_explicit(&perfctr_is_active,
	                                  memory_order_relaxed));
	return want != pc->is_open;
}

/* A closed set, mode kept. */
HIDDEN void perfctr_clear(perfctr_t *pc);
/* Open every event for thread tid into pc (closed before). */
HIDDEN void perfctr_open(perfctr_t *pc, uint64_t tid, uint64_t base_bytes);
/* Close every descriptor; pc is closed after. */
HIDDEN void perfctr_close(perfctr_t *pc);
/* Event i's count since opening: 0, or the errno value its opening or
 * reading gave (EAGAIN: the counters are not open). */
HIDDEN int perfctr_read(const perfctr_t *pc, unsigned i, uint64_t *count);

#endif
