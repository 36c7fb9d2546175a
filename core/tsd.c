/*
 * tsd.c — thread state setup, the thread-exit flush, the registry of
 * thread records (for per-thread statistics) and the periodic thread
 * event (cache aging, node check, soft memory limit, purge when due).
 */
#include "tsd.h"
#include "guard.h"
#include "prof.h"

#include <errno.h>
#include <pthread.h>

#include "background.h"
#include "base.h"
#include "conf.h"
#include "decay.h"
#include "list.h"
#include "pages.h"
#include "prim.h"
#include "memlimit.h"

__thread tsd_t tsd_tls __attribute__((tls_model("initial-exec"))) = {
	.tcache = &tcache_disabled,
};
static pthread_key_t tsd_key;
MUTEX_GLOBAL(registry_lock, "threads");
static thread_record_t *registry, *spare_records;

/* A record for a new thread; NULL when metadata is exhausted (the thread
 * then runs unlisted). */
static thread_record_t *registry_add(uint64_t thread_id, uint64_t now_ns) {
	mutex_lock(&registry_lock);
	thread_record_t *rec = spare_records;
	if (rec != NULL)
		spare_records = rec->next;
	else
		rec = base_alloc(sizeof(*rec), CACHELINE_BYTES);
	if (rec != NULL) {
		rec->thread_id = thread_id;
		atomic_store_explicit(&rec->allocated_bytes, 0,
		                      memory_order_relaxed);
		atomic_store_explicit(&rec->deallocated_bytes, 0,
		                      memory_order_relaxed);
		rec->stats_mark_bytes = 0;
		rec->stats_mark_ns = now_ns;
		rec->perf_read_ns = 0;
		perfctr_clear(&rec->perf);
		rec->perf.mode = PERFCTR_FOLLOW;
		LIST_PUSH(&registry, rec, next, prev);
	}
	mutex_unlock(&registry_lock);
	return rec;
}

/* Registry lock held: the counters close with the record. */
static void registry_unlink(thread_record_t *rec) {
	perfctr_close(&rec->perf);
	LIST_REMOVE(&registry, rec, next, prev);
	rec->next = spare_records;
	spare_records = rec;
}

void tsd_for_each(void (*fn)(thread_record_t *rec, void *arg), void *arg) {
	mutex_lock(&registry_lock);
	for (thread_record_t *r = registry; r != NULL; r = r->next)
		fn(r, arg);
	mutex_unlock(&registry_lock);
}

void tsd_publish(tsd_t *tsd) {
	thread_record_t *rec = tsd->record;
	if (rec == NULL)
		return;
	atomic_store_explicit(&rec->allocated_bytes, tsd->allocated_bytes,
	                      memory_order_relaxed);
	atomic_store_explicit(&rec->deallocated_bytes, tsd->deallocated_bytes,
	                      memory_order_relaxed);
}

/* The counters are opened outside the lock and published whole; closing
 * unpublishes them first, so a reader never reads a closed descriptor. */
int tsd_perf_update(tsd_t *tsd) {
	thread_record_t *rec = tsd->record;
	tsd->perf_generation = atomic_load_explicit(&perfctr_generation,
	                                            memory_order_relaxed);
	if (rec == NULL)
		return ENOMEM;
	if (!perfctr_wants_change(&rec->perf))
		return 0;
	perfctr_t pc = rec->perf;
	if (pc.is_open) {
		mutex_lock(&registry_lock);
		perfctr_clear(&rec->perf);
		mutex_unlock(&registry_lock);
		perfctr_close(&pc);
	} else {
		perfctr_open(&pc, prim_thread_id(), tsd->allocated_bytes);
		mutex_lock(&registry_lock);
		rec->perf = pc;
		mutex_unlock(&registry_lock);
	}
	return 0;
}

/* perf_events.active changed since the thread last looked. */
static NOINLINE void tsd_perf_update_slow(tsd_t *tsd) {
	tsd_perf_update(tsd);
}

void tsd_prefork(void) { mutex_prefork(&registry_lock); }
void tsd_postfork_parent(void) { mutex_postfork_parent(&registry_lock); }

/* Only the forking thread lives on in the child.  Every record's
 * counters watch a parent thread: they close, and the child's thread
 * opens its own at its next event if it wants them. */
void tsd_postfork_child(void) {
	mutex_postfork_child(&registry_lock);
	thread_record_t *self = tsd_get()->record;
	while (registry != NULL) {
		thread_record_t *r = registry;
		registry_unlink(r);
	}
	if (self != NULL) { /* back from the spare list */
		thread_record_t **link = &spare_records;
		while (*link != self)
			link = &(*link)->next;
		*link = self->next;
		self->next = self->prev = NULL;
		self->thread_id = prim_thread_id(); /* the child's own */
		registry = self;
	}
	/* its next event reopens them if the thread wants them */
	atomic_fetch_add_explicit(&perfctr_generation, 1, memory_order_relaxed);
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
	if (tsd->record != NULL) {
		mutex_lock(&registry_lock);
		registry_unlink(tsd->record);
		mutex_unlock(&registry_lock);
		tsd->record = NULL;
	}
	background_thread_left();
}

int tsd_boot(void) { return pthread_key_create(&tsd_key, tsd_exit); }

void tsd_bind_arena(tsd_t *tsd, arena_t *a, bool is_counted) {
	if (tsd->state == TSD_ACTIVE) {
		if (tsd->arena != NULL)
			atomic_fetch_sub(&tsd->arena->nthreads, 1);
		if (!is_counted)
			atomic_fetch_add(&a->nthreads, 1);
	} else if (is_counted) {
		atomic_fetch_sub(&a->nthreads, 1);
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
	arena_t *a = arena_choose_auto_counted(tsd->node);
	if (a == NULL) {
		tsd->is_reentrant = false;
		return ENOMEM;
	}
	tsd->state = TSD_ACTIVE;
	tsd->is_auto_arena = true;
	tsd->rate_mark_ns = decay_now_ns();
	tsd->record = registry_add(prim_thread_id(),
	                           tsd->rate_mark_ns);
	tsd_publish(tsd);
	tsd_perf_update(tsd);
	background_thread_arrived();
	tsd_bind_arena(tsd, a, true);
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	tsd->gc_at_bytes =
	    tsd->allocated_bytes - tsd->uncached_bytes + TSD_EVENT_BYTES;
	if (STRATA_PROF) {
		tsd->prof_periodic_at = tsd->next_event_bytes;
		tsd->guard_sample_at = UINT64_MAX; /* drawn below */
		prof_tsd_init(tsd);
		guard_countdown(tsd);
	}
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
	arena_t *a = arena_choose_auto_counted(node);
	if (a != NULL)
		tsd_bind_arena(tsd, a, true);
}

void tsd_event(tsd_t *tsd) {
	/* An event brought forward by the profiler's sample point alone
	 * does no periodic work. */
	if (STRATA_PROF && tsd->allocated_bytes < tsd->prof_periodic_at) {
		tsd->next_event_bytes = tsd->prof_periodic_at;
		if (tsd->prof_sample_at < tsd->next_event_bytes)
			tsd->next_event_bytes = tsd->prof_sample_at;
		tsd_publish(tsd);
		return;
	}
	tsd->next_event_bytes = tsd->allocated_bytes + TSD_EVENT_BYTES;
	if (STRATA_PROF) {
		tsd->prof_periodic_at = tsd->next_event_bytes;
		if (tsd->prof_sample_at < tsd->next_event_bytes)
			tsd->next_event_bytes = tsd->prof_sample_at;
	}
	tsd_publish(tsd);
	if (unlikely(tsd->perf_generation !=
	             atomic_load_explicit(&perfctr_generation,
	                                  memory_order_relaxed)))
		tsd_perf_update_slow(tsd);
	if (tsd->state == TSD_ACTIVE)
		tsd_check_node(tsd);
	/* The cache ages by the bytes it serves: counting blocks it never
	 * holds too, a thread of 1 MiB blocks would cross TSD_EVENT_BYTES at
	 * every malloc and visit each bin before it could be used again,
	 * flushing what its next small mallocs need. */
	uint64_t cached_bytes = tsd->allocated_bytes - tsd->uncached_bytes;
	if (tsd->tcache != &tcache_disabled &&
	    cached_bytes >= tsd->gc_at_bytes) {
		tsd->gc_at_bytes = cached_bytes + TSD_EVENT_BYTES;
		tcache_gc_step(tsd->tcache);
	}
	if (memlimit_is_above_soft())
		arenas_purge_all();
	background_maybe_start(tsd->arena);
	if (!background_is_running() && tsd->arena != NULL)
		arena_decay_if_due(tsd->arena);
	if (STRATA_PROF && opt.prof &&
	    (tsd->prof_own_at == UINT64_MAX ||
	     atomic_load_explicit(&prof_event_dumps, memory_order_relaxed)))
		prof_event(tsd);
}
