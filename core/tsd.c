/*
 * tsd.c — thread state setup and the thread-exit flush.
 */
#include "tsd.h"

#include <errno.h>
#include <pthread.h>

#include "background.h"
#include "conf.h"
#include "memlimit.h"

__thread tsd_t tsd_tls __attribute__((tls_model("initial-exec"))) = {
	.tcache = &tcache_disabled,
};
static pthread_key_t tsd_key;

static void tsd_release_cache(tsd_t *tsd) {
	if (tsd->tcache != &tcache_disabled) {
		tcache_destroy(tsd->tcache);
		tsd->tcache = &tcache_disabled;
	}
}

static void tsd_exit(void *arg) {
	tsd_t *tsd = arg;
	tsd_release_cache(tsd);
	/* The arena stays: later destructors may still allocate, uncached. */
	if (tsd->arena != NULL)
		atomic_fetch_sub(&tsd->arena->nthreads, 1);
	tsd->state = TSD_EXITING;
	background_thread_left();
}

int tsd_boot(void) { return pthread_key_create(&tsd_key, tsd_exit); }

void tsd_bind_arena(tsd_t *tsd, arena_t *a) {
	if (tsd->state == TSD_ACTIVE) {
		if (tsd->arena != NULL)
			atomic_fetch_sub(&tsd->arena->nthreads, 1);
		atomic_fetch_add(&a->nthreads, 1);
	}
	tsd->arena = a;
	bool wants_cache = opt.tcache && !a->is_manual &&
	                   tsd->state == TSD_ACTIVE;
	if (!wants_cache) {
		tsd_release_cache(tsd);
		return;
	}
	if (tsd->tcache == &tcache_disabled) {
		tcache_t *tc = tcache_create(a);
		if (tc != NULL)
			tsd->tcache = tc;
	} else {
		tcache_flush_all(tsd->tcache);
		tsd->tcache->arena = a;
	}
}

int tsd_slow_init(tsd_t *tsd) {
	if (tsd->is_reentrant)
		return 0;
	tsd->is_reentrant = true;
	arena_t *a = arena_choose_auto();
	if (a == NULL) {
		tsd->is_reentrant = false;
		return ENOMEM;
	}
	tsd->state = TSD_ACTIVE;
	background_thread_arrived();
	tsd_bind_arena(tsd, a);
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	pthread_setspecific(tsd_key, tsd);
	tsd->is_reentrant = false;
	return 0;
}

void tsd_event(tsd_t *tsd) {
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	if (tsd->tcache != &tcache_disabled)
		tcache_gc_step(tsd->tcache);
	memlimit_check_soft();
	background_maybe_start();
	if (!background_is_running() && tsd->arena != NULL)
		arena_decay(tsd->arena, false);
}
