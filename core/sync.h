/*
 * sync.h — locks with contention counters, and the atomics the core uses.
 *
 * A mutex_t is a pthread mutex plus statistics kept under the lock itself
 * (so they need no atomics): acquisitions, how many had to wait, total and
 * longest wait in nanoseconds, and how often the owner thread changed.  An
 * uncontended lock costs one trylock; the clock is read only on contention.
 */
#ifndef STRATA_SYNC_H
#define STRATA_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

typedef struct mutex_stats {
	uint64_t ops;            /* acquisitions */
	uint64_t contended_ops;  /* acquisitions that found it held */
	uint64_t wait_ns;        /* total time spent waiting */
	uint64_t max_wait_ns;    /* longest single wait */
	uint64_t owner_switches; /* acquisitions by another thread than the last */
} mutex_stats_t;

typedef struct mutex {
	pthread_mutex_t lock;
	mutex_stats_t stats;
	const void *last_owner;
	const char *name;
	bool fork_taken; /* locked by mutex_prefork, to be unlocked after */
} mutex_t;

#define MUTEX_INITIALIZER(nm) \
	{ PTHREAD_MUTEX_INITIALIZER, { 0, 0, 0, 0, 0 }, NULL, nm }

/* A process-wide mutex (one per module, defined at file scope) that the
 * statistics list by name: the definition also places a pointer to it in
 * the linker section strata_mutexes, so the set is known without any
 * registration call at run time.  name must be unique among them. */
#define MUTEX_GLOBAL(var, nm)                                              \
	static mutex_t var = MUTEX_INITIALIZER(nm);                        \
	static mutex_t *const var##_registered                             \
	    __attribute__((used, section("strata_mutexes"))) = &var

HIDDEN void mutex_init(mutex_t *m, const char *name);
HIDDEN void mutex_lock_slow(mutex_t *m);
/* Identity of the calling thread, cheap: the address of a thread-local. */
HIDDEN const void *thread_self_id(void);

static inline void mutex_note_owner(mutex_t *m) {
	const void *self = thread_self_id();
	m->stats.ops++;
	if (m->last_owner != self) {
		m->stats.owner_switches++;
		m->last_owner = self;
	}
}

static inline void mutex_lock(mutex_t *m) {
	if (likely(pthread_mutex_trylock(&m->lock) == 0)) {
		mutex_note_owner(m);
		return;
	}
	mutex_lock_slow(m);
}

static inline void mutex_unlock(mutex_t *m) {
	pthread_mutex_unlock(&m->lock);
}

/* fork: the parent holds every lock across fork(); the child re-creates
 * them (they may have been held by threads that no longer exist).  A lock
 * the forking thread itself holds (a signal handler forked while the
 * interrupted code was inside the allocator) is left as it is, not waited
 * for: mutex_prefork leaves fork_taken false and the parent's postfork
 * does not unlock it. */
HIDDEN void mutex_prefork(mutex_t *m);
static inline void mutex_postfork_parent(mutex_t *m) {
	if (m->fork_taken) {
		m->fork_taken = false;
		mutex_unlock(m);
	}
}
static inline void mutex_postfork_child(mutex_t *m) {
	pthread_mutex_init(&m->lock, NULL);
	m->last_owner = NULL;
	m->fork_taken = false;
}

/* Copy of the counters, taken under the lock. */
HIDDEN void mutex_stats_read(mutex_t *m, mutex_stats_t *out);

/* The process-wide mutexes (MUTEX_GLOBAL), in link order; i < count. */
HIDDEN unsigned mutex_global_count(void);
HIDDEN mutex_t *mutex_global(unsigned i);

#endif /* STRATA_SYNC_H */
