/*
 * perfctr.c — opening, reading and closing a thread's event counters
 * (see perfctr.h); the registry lock and the thread state are tsd.c's.
 */
#include "perfctr.h"

#include <errno.h>

#include "conf.h"

_Atomic bool perfctr_is_active;
_Atomic unsigned perfctr_generation;
static _Atomic unsigned nfds;

void perfctr_boot(void) {
	atomic_store_explicit(&perfctr_is_active, opt.perf_events,
	                      memory_order_relaxed);
}

void perfctr_set_active(bool is_active) {
	atomic_store_explicit(&perfctr_is_active, is_active,
	                      memory_order_relaxed);
	atomic_fetch_add_explicit(&perfctr_generation, 1,
	                          memory_order_relaxed);
}

unsigned perfctr_nfds(void) {
	return atomic_load_explicit(&nfds, memory_order_relaxed);
}

void perfctr_clear(perfctr_t *pc) {
	for (unsigned i = 0; i < PERFCTR_NEVENTS; i++) {
		pc->fd[i] = -1;
		pc->err[i] = EAGAIN;
	}
	pc->base_bytes = 0;
	pc->is_open = false;
}

void perfctr_open(perfctr_t *pc, uint64_t tid, uint64_t base_bytes) {
	for (unsigned i = 0; i < PERFCTR_NEVENTS; i++) {
		pc->fd[i] = -1;
		pc->err[i] = prim_perf_open((enum prim_perf_event)i, tid,
		                            &pc->fd[i]);
		if (pc->err[i] == 0)
			atomic_fetch_add_explicit(&nfds, 1,
			                          memory_order_relaxed);
	}
	pc->base_bytes = base_bytes;
	pc->is_open = true;
}

void perfctr_close(perfctr_t *pc) {
	for (unsigned i = 0; i < PERFCTR_NEVENTS; i++) {
		if (pc->fd[i] >= 0) {
			prim_perf_close(pc->fd[i]);
			atomic_fetch_sub_explicit(&nfds, 1,
			                          memory_order_relaxed);
		}
	}
	perfctr_clear(pc);
}

int perfctr_read(const perfctr_t *pc, unsigned i, uint64_t *count) {
	if (i >= PERFCTR_NEVENTS || !pc->is_open)
		return EAGAIN;
	if (pc->err[i] != 0)
		return pc->err[i];
	return prim_perf_read(pc->fd[i], count);
}
