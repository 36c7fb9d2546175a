/*
 * background.c — the purger thread's loop and its start/stop protocol.
 */
#include "background.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "decay.h"
#include "prim.h"

/* Longest sleep without a deadline: how soon the thread notices that it
 * is the last one and must leave. */
#define IDLE_CHECK_NS ((uint64_t)1000000000)

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond;
static bool bg_cond_ready;
static atomic_bool bg_running;
static atomic_bool bg_sleeping_idle; /* no deadline: needs a notify */
static bool bg_wake_pending;
static atomic_long threads_alive;

bool background_is_running(void) { return atomic_load(&bg_running); }
void background_thread_arrived(void) { atomic_fetch_add(&threads_alive, 1); }
void background_thread_left(void) { atomic_fetch_sub(&threads_alive, 1); }

static uint64_t realtime_deadline_ns(uint64_t sleep_ns, struct timespec *ts) {
	uint64_t t = prim_clock_ns() + sleep_ns;
	ts->tv_sec = (time_t)(t / 1000000000u);
	ts->tv_nsec = (long)(t % 1000000000u);
	return t;
}

static uint64_t earliest_deadline(void) {
	uint64_t best = DECAY_NEVER;
	unsigned n = atomic_load(&narenas_total);
	for (unsigned i = 0; i < n; i++) {
		arena_t *a = atomic_load(&arenas[i]);
		if (a == NULL)
			continue;
		uint64_t d = arena_decay_deadline(a);
		if (d < best)
			best = d;
	}
	return best;
}

static void decay_all(void) {
	unsigned n = atomic_load(&narenas_total);
	for (unsigned i = 0; i < n; i++) {
		arena_t *a = atomic_load(&arenas[i]);
		if (a != NULL)
			arena_decay(a, false);
	}
}

/* Sleep until the deadline (decay clock), a wake-up or the idle check. */
static void sleep_until(uint64_t deadline) {
	uint64_t now = decay_now_ns();
	if (deadline != DECAY_NEVER && deadline <= now)
		return;
	uint64_t sleep_ns = deadline == DECAY_NEVER ? IDLE_CHECK_NS
	                                            : deadline - now;
	if (sleep_ns > IDLE_CHECK_NS)
		sleep_ns = IDLE_CHECK_NS;
	struct timespec ts;
	realtime_deadline_ns(sleep_ns, &ts);
	pthread_mutex_lock(&bg_lock);
	atomic_store(&bg_sleeping_idle, deadline == DECAY_NEVER);
	while (!bg_wake_pending &&
	       pthread_cond_timedwait(&bg_cond, &bg_lock, &ts) == 0)
		;
	bg_wake_pending = false;
	atomic_store(&bg_sleeping_idle, false);
	pthread_mutex_unlock(&bg_lock);
}

static void *background_main(void *arg) {
	(void)arg;
	for (;;) {
		decay_all();
		if (atomic_load(&threads_alive) <= 0)
			break; /* nobody left to purge for */
		sleep_until(earliest_deadline());
	}
	atomic_store(&bg_running, false);
	return NULL;
}

static void cond_init(void) {
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&bg_cond, &attr);
	pthread_condattr_destroy(&attr);
	bg_cond_ready = true;
}

void background_maybe_start(void) {
	if (!opt.background_thread || atomic_load(&bg_running))
		return;
	pthread_mutex_lock(&bg_lock);
	if (atomic_load(&bg_running)) {
		pthread_mutex_unlock(&bg_lock);
		return;
	}
	if (!bg_cond_ready)
		cond_init();
	atomic_store(&bg_running, true);
	pthread_mutex_unlock(&bg_lock);
	/* The thread inherits a mask blocking every signal. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t thread;
	if (pthread_create(&thread, &attr, background_main, NULL) != 0)
		atomic_store(&bg_running, false);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void background_wake(void) {
	if (!atomic_load(&bg_running))
		return;
	pthread_mutex_lock(&bg_lock);
	bg_wake_pending = true;
	pthread_cond_signal(&bg_cond);
	pthread_mutex_unlock(&bg_lock);
}

void background_notify(void) {
	if (atomic_load_explicit(&bg_sleeping_idle, memory_order_relaxed))
		background_wake();
}

void background_prefork(void) { pthread_mutex_lock(&bg_lock); }
void background_postfork_parent(void) { pthread_mutex_unlock(&bg_lock); }

void background_postfork_child(void) {
	pthread_mutex_init(&bg_lock, NULL);
	if (bg_cond_ready)
		cond_init();
	atomic_store(&bg_running, false);
	atomic_store(&bg_sleeping_idle, false);
	bg_wake_pending = false;
	atomic_store(&threads_alive, 1);
}
