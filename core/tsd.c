/*
 * tsd.c — thread state setup and the thread-exit flush.
 */
#include "tsd.h"

#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "background.h"
#include "conf.h"
#include "decay.h"
#include "pages.h"
#include "memlimit.h"

__thread tsd_t tsd_tls __attribute__((tls_model("initial-exec"))) = {
	.tcache = &tcache_disabled,
};
static pthread_key_t tsd_key;
MUTEX_GLOBAL(registry_lock, "threads");
static tsd_t *registry;

static void registry_add(tsd_t *tsd) {
	mutex_lock(&registry_lock);
	tsd->prev = NULL;
	tsd->next = registry;
	if (registry != NULL)
		registry->prev = tsd;
	registry = tsd;
	mutex_unlock(&registry_lock);
}

static void registry_remove(tsd_t *tsd) {
	mutex_lock(&registry_lock);
	if (tsd->prev != NULL)
		tsd->prev->next = tsd->next;
	else
		registry = tsd->next;
	if (tsd->next != NULL)
		tsd->next->prev = tsd->prev;
	tsd->next = tsd->prev = NULL;
	mutex_unlock(&registry_lock);
}

void tsd_for_each(void (*fn)(tsd_t *tsd, void *arg), void *arg) {
	mutex_lock(&registry_lock);
	for (tsd_t *t = registry; t != NULL; t = t->next)
		fn(t, arg);
	mutex_unlock(&registry_lock);
}

void tsd_prefork(void) { mutex_prefork(&registry_lock); }
void tsd_postfork_parent(void) { mutex_postfork_parent(&registry_lock); }

/* Only the forking thread lives on in the child. */
void tsd_postfork_child(void) {
	mutex_postfork_child(&registry_lock);
	tsd_t *self = tsd_get();
	registry = NULL;
	if (self->state == TSD_ACTIVE) {
		self->next = self->prev = NULL;
		registry = self;
	}
}

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
	registry_remove(tsd);
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
	tsd->node = pages_current_node();
	arena_t *a = arena_choose_auto(tsd->node);
	if (a == NULL) {
		tsd->is_reentrant = false;
		return ENOMEM;
	}
	tsd->state = TSD_ACTIVE;
	tsd->is_auto_arena = true;
	tsd->thread_id = (uint64_t)syscall(SYS_gettid);
	tsd->rate_mark_ns = decay_now_ns();
	tsd->stats_mark_ns = tsd->rate_mark_ns;
	registry_add(tsd);
	background_thread_arrived();
	tsd_bind_arena(tsd, a);
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	pthread_setspecific(tsd_key, tsd);
	tsd->is_reentrant = false;
	return 0;
}

/* A thread that moved to another NUMA node follows with its arena. */
static void tsd_check_node(tsd_t *tsd) {
	if (!tsd->is_auto_arena || pages_info.node_count < 2)
		return;
	unsigned node = pages_current_node();
	if (node == tsd->node)
		return;
	tsd->node = node;
	arena_t *a = arena_choose_auto(node);
	if (a != NULL)
		tsd_bind_arena(tsd, a);
}

void tsd_event(tsd_t *tsd) {
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	if (tsd->state == TSD_ACTIVE)
		tsd_check_node(tsd);
	if (tsd->tcache != &tcache_disabled)
		tcache_gc_step(tsd->tcache);
	memlimit_check_soft();
	background_maybe_start();
	if (!background_is_running() && tsd->arena != NULL)
		arena_decay_if_due(tsd->arena);
}
