/*
 * purge.c — the per-arena purge policy over the two decay curves, and the
 * sleep and wake-up of the background purger.
 */
#include "purge.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "prim.h"
#include "sync.h"

/* The option parser's cap (CONF_DECAY_MS_MAX, 2^40 ms): beyond it ms *
 * 10^6 would wrap, so ctl and arena creation are refused there too. */
#define PURGE_DECAY_MS_MAX (1L << 40)

void purge_init(purge_t *p, long dirty_decay_ms, long muzzy_decay_ms) {
	uint64_t now = decay_now_ns();
	decay_init(&p->curve[PURGE_DIRTY], dirty_decay_ms, now);
	decay_init(&p->curve[PURGE_MUZZY], muzzy_decay_ms, now);
	atomic_store_explicit(&p->decay_ms[PURGE_DIRTY], dirty_decay_ms,
	                      memory_order_relaxed);
	atomic_store_explicit(&p->decay_ms[PURGE_MUZZY], muzzy_decay_ms,
	                      memory_order_relaxed);
	atomic_store(&p->due_ns, DECAY_NEVER);
}

int purge_set_decay_ms(purge_t *p, purge_state_t s, long ms) {
	if (ms < -1 || ms > PURGE_DECAY_MS_MAX)
		return EINVAL;
	decay_init(&p->curve[s], ms, decay_now_ns());
	atomic_store_explicit(&p->decay_ms[s], ms, memory_order_relaxed);
	return 0;
}

/* ---- wake-up ---- */

static mutex_t wait_lock = MUTEX_INITIALIZER("purge_wait");
static pthread_cond_t wait_cond;
static bool is_cond_ready;
static atomic_bool has_purger;
static atomic_bool is_sleeping_idle; /* no deadline: needs a notify */
static bool is_wake_pending;

static void cond_init(void) {
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wait_cond, &attr);
	pthread_condattr_destroy(&attr);
	is_cond_ready = true;
}

void purge_set_purger(bool is_present) {
	mutex_lock(&wait_lock);
	if (!is_cond_ready)
		cond_init();
	atomic_store(&has_purger, is_present);
	mutex_unlock(&wait_lock);
}

void purge_wake(void) {
	if (!atomic_load(&has_purger))
		return;
	mutex_lock(&wait_lock);
	is_wake_pending = true;
	pthread_cond_signal(&wait_cond);
	mutex_unlock(&wait_lock);
}

void purge_notify(void) {
	if (atomic_load_explicit(&is_sleeping_idle, memory_order_relaxed))
		purge_wake();
}

/* The absolute CLOCK_MONOTONIC time sleep_ns from now. */
static void monotonic_deadline(uint64_t sleep_ns, struct timespec *ts) {
	uint64_t t = prim_clock_ns() + sleep_ns;
	ts->tv_sec = (time_t)(t / 1000000000u);
	ts->tv_nsec = (long)(t % 1000000000u);
}

void purge_sleep_until(uint64_t deadline_ns, uint64_t max_sleep_ns) {
	uint64_t now = decay_now_ns();
	if (deadline_ns != DECAY_NEVER && deadline_ns <= now)
		return;
	uint64_t sleep_ns = deadline_ns == DECAY_NEVER ? max_sleep_ns
	                                               : deadline_ns - now;
	if (sleep_ns > max_sleep_ns)
		sleep_ns = max_sleep_ns;
	struct timespec ts;
	monotonic_deadline(sleep_ns, &ts);
	mutex_lock(&wait_lock);
	atomic_store(&is_sleeping_idle, deadline_ns == DECAY_NEVER);
	while (!is_wake_pending &&
	       pthread_cond_timedwait(&wait_cond, &wait_lock.lock, &ts) == 0)
		;
	is_wake_pending = false;
	atomic_store(&is_sleeping_idle, false);
	mutex_unlock(&wait_lock);
}

void purge_prefork(void) { mutex_prefork(&wait_lock); }
void purge_postfork_parent(void) { mutex_postfork_parent(&wait_lock); }

/* The child has no purger; it starts its own on demand. */
void purge_postfork_child(void) {
	mutex_postfork_child(&wait_lock);
	if (is_cond_ready)
		cond_init();
	atomic_store(&has_purger, false);
	atomic_store(&is_sleeping_idle, false);
	is_wake_pending = false;
}
