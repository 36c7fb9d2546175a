/*
 * decay.c — the decay curve: the backlog, the smoothstep table and the
 * injectable clock.  A leaf; purge.c applies it per arena.
 */
#include "decay.h"

#include <string.h>

#include "prim.h"

#define SMOOTHSTEP_BITS 24

/* h[i] = smoothstep((i + 1) / N) in fixed point: the weight of pages freed
 * in the epoch N-1-i epochs ago (h[N-1] = 1 for the newest). */
static uint32_t smoothstep[DECAY_NSTEPS];

static decay_clock_fn *clock_fn = prim_clock_ns;

uint64_t decay_now_ns(void) { return clock_fn(); }

void decay_set_clock(decay_clock_fn *clock) {
	clock_fn = clock != NULL ? clock : prim_clock_ns;
}

void decay_boot(void) {
	for (unsigned i = 0; i < DECAY_NSTEPS; i++) {
		double x = (double)(i + 1) / DECAY_NSTEPS;
		double h = x * x * (3.0 - 2.0 * x);
		smoothstep[i] = (uint32_t)(h * (double)(1u << SMOOTHSTEP_BITS) + 0.5);
	}
}

void decay_init(decay_t *d, long decay_ms, uint64_t now_ns) {
	memset(d, 0, sizeof(*d));
	d->decay_ms = decay_ms;
	d->epoch_ns = decay_ms > 0 ? (uint64_t)decay_ms * 1000000u / DECAY_NSTEPS
	                           : 0;
	if (d->epoch_ns == 0 && decay_ms > 0)
		d->epoch_ns = 1;
	d->epoch_start_ns = now_ns;
}

static void backlog_shift(decay_t *d, uint64_t nepochs) {
	if (nepochs >= DECAY_NSTEPS) {
		memset(d->backlog, 0, sizeof(d->backlog));
		return;
	}
	memmove(d->backlog, d->backlog + nepochs,
	        (DECAY_NSTEPS - nepochs) * sizeof(size_t));
	memset(d->backlog + DECAY_NSTEPS - nepochs, 0,
	       nepochs * sizeof(size_t));
}

size_t decay_limit(decay_t *d, uint64_t now_ns, size_t npages) {
	if (d->decay_ms < 0)
		return npages;
	if (d->decay_ms == 0)
		return 0;
	if (now_ns > d->epoch_start_ns + d->epoch_ns) {
		uint64_t nepochs = (now_ns - d->epoch_start_ns) / d->epoch_ns;
		backlog_shift(d, nepochs);
		d->epoch_start_ns += nepochs * d->epoch_ns;
	}
	if (npages > d->npages_last)
		d->backlog[DECAY_NSTEPS - 1] += npages - d->npages_last;
	d->npages_last = npages;
	uint64_t limit = 0;
	for (unsigned i = 0; i < DECAY_NSTEPS; i++)
		limit += (uint64_t)d->backlog[i] * smoothstep[i];
	limit >>= SMOOTHSTEP_BITS;
	return limit < npages ? (size_t)limit : npages;
}

void decay_purged(decay_t *d, size_t npages) { d->npages_last = npages; }

uint64_t decay_deadline_ns(const decay_t *d, size_t npages) {
	/* With 0 ms, frees purge inline (extents_dirtied); what stays was
	 * left on purpose (a mostly live hugepage) and waits for more frees,
	 * so the purger must not spin on it. */
	if (d->decay_ms <= 0 || npages == 0)
		return DECAY_NEVER;
	return d->epoch_start_ns + d->epoch_ns;
}
