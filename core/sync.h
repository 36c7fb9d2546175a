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

/* How many mutex_t this thread holds or is acquiring: raised before the
 * acquisition starts and lowered after the release ends, so a signal
 * handler that reads 0 knows the thread it interrupted holds none and is
 * in the middle of taking none (mutex_prefork). */
extern HIDDEN __thread unsigned mutex_depth
    __attribute__((tls_model("initial-exec")));

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
	mutex_depth++;
	atomic_signal_fence(memory_order_seq_cst);
	if (likely(pthread_mutex_trylock(&m->lock) == 0)) {
		mutex_note_owner(m);
		return;
	}
	mutex_lock_slow(m);
}

static inline bool mutex_trylock(mutex_t *m) {
	mutex_depth++;
	atomic_signal_fence(memory_order_seq_cst);
	if (pthread_mutex_trylock(&m->lock) == 0) {
		mutex_note_owner(m);
		return true;
	}
	atomic_signal_fence(memory_order_seq_cst);
	mutex_depth--;
	return false;
}

static inline void mutex_unlock(mutex_t *m) {
	pthread_mutex_unlock(&m->lock);
	atomic_signal_fence(memory_order_seq_cst);
	mutex_depth--;
}

/* fork: the parent holds every lock across fork(); the child re-creates
 * them (they may have been held by threads that no longer exist).  The
 * locks taken for fork do not count in mutex_depth.  When the forking
 * thread holds none of its own (mutex_depth 0: every fork but one from a
 * signal handler that interrupted the allocator), each lock is waited for.
 * Otherwise a lock may be the interrupted code's own, which waiting would
 * never get: it is taken only if it comes free within a bounded number of
 * tries, and one not taken (fork_taken false) is left as it is by the
 * parent's postfork. */
HIDDEN void mutex_prefork(mutex_t *m);
static inline void mutex_postfork_parent(mutex_t *m) {
	if (m->fork_taken) {
		m->fork_taken = false;
		pthread_mutex_unlock(&m->lock);
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
