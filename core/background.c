/*
 * background.c — the purger thread: its start/stop protocol and its loop
 * (purge every arena, sleep in the purge layer until the earliest
 * deadline).  It sits above the arenas and is called by nobody below
 * them: lower layers wake it through purge.h.
 */
#include "background.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "arena.h"
#include "conf.h"
#include "decay.h"
#include "export.h"
#include "purge.h"
#include "sync.h"

/* Longest sleep without a deadline: how soon the thread notices that it
 * is the last one and must leave. */
#define IDLE_CHECK_NS ((uint64_t)1000000000)

static mutex_t bg_lock = MUTEX_INITIALIZER("background");
static atomic_bool bg_running;
static atomic_long threads_alive;

bool background_is_running(void) { return atomic_load(&bg_running); }
void background_thread_arrived(void) { atomic_fetch_add(&threads_alive, 1); }
void background_thread_left(void) { atomic_fetch_sub(&threads_alive, 1); }

static uint64_t earliest_deadline(void) {
	uint64_t best = DECAY_NEVER;
	arenas_for_each(a) {
		uint64_t d = extents_decay_deadline(&a->extents);
		if (d < best)
			best = d;
	}
	return best;
}

static void decay_all(void) {
	arenas_for_each(a)
		extents_decay(&a->extents, false);
}

static void *background_main(void *arg) {
	(void)arg;
	for (;;) {
		if (opt.background_thread)
			decay_all();
		/* off: not even a clock read */
		uint64_t export_ns = export_is_on() ? export_tick(decay_now_ns())
		                                    : DECAY_NEVER;
		if (atomic_load(&threads_alive) <= 0)
			break; /* nobody left to purge for */
		if (!__atomic_load_n(&opt.background_thread, __ATOMIC_RELAXED) &&
		    !export_is_on())
			break; /* ctl background_thread:false, no export */
		uint64_t d = opt.background_thread ? earliest_deadline()
		                                   : DECAY_NEVER;
		purge_sleep_until(d < export_ns ? d : export_ns, IDLE_CHECK_NS);
	}
	purge_set_purger(false);
	atomic_store(&bg_running, false);
	return NULL;
}

/* The arena's pages in use or dirty (what frees will have to return, or
 * have left to return), read under its lock if it is free right now
 * (busy: the next thread event asks again): it only decides when to
 * start. */
static bool holds_enough(arena_t *a) {
	if (a == NULL)
		return false;
	extents_t *ex = &a->extents;
	if (!mutex_trylock(&ex->lock))
		return false;
	size_t bytes = ((ex->active_pages + ex->dirty_pages) << lg_page) +
	               ex->huge_live_bytes + ex->huge_cached_dirty_bytes;
	mutex_unlock(&ex->lock);
	return bytes >= BACKGROUND_START_BYTES;
}

/* stats_export runs the thread even without background purging; purging
 * starts it only when there is memory to return. */
void background_maybe_start(arena_t *a) {
	if (atomic_load(&bg_running) ||
	    !(export_is_on() ||
	      (opt.background_thread && holds_enough(a))))
		return;
	mutex_lock(&bg_lock);
	if (atomic_load(&bg_running)) {
		mutex_unlock(&bg_lock);
		return;
	}
	atomic_store(&bg_running, true);
	purge_set_purger(opt.background_thread);
	mutex_unlock(&bg_lock);
	/* The thread inherits a mask blocking every signal. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t thread;
	if (pthread_create(&thread, &attr, background_main, NULL) != 0) {
		purge_set_purger(false);
		atomic_store(&bg_running, false);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void background_prefork(void) { mutex_prefork(&bg_lock); }
void background_postfork_parent(void) { mutex_postfork_parent(&bg_lock); }

void background_postfork_child(void) {
	mutex_postfork_child(&bg_lock);
	atomic_store(&bg_running, false);
	atomic_store(&threads_alive, 1);
}
