/*
 * sync.c — the contended path of mutex_t, and its prefork step.
 */
#include "sync.h"

#include "prim.h"

static __thread char thread_token;

const void *thread_self_id(void) { return &thread_token; }

void mutex_init(mutex_t *m, const char *name) {
	pthread_mutex_init(&m->lock, NULL);
	m->stats = (mutex_stats_t){ 0 };
	m->last_owner = NULL;
	m->name = name;
	m->fork_taken = false;
}

__thread unsigned mutex_depth;

/* Tries of a lock that may be this thread's own (mutex_depth above 0)
 * before it is left as it is.  No system call in the loop: a handler that
 * forks at every timer tick must not starve the code it interrupted. */
#define PREFORK_SELF_TRIES 4096

void mutex_prefork(mutex_t *m) {
	if (likely(mutex_depth == 0)) {
		pthread_mutex_lock(&m->lock); /* another thread's: wait */
		mutex_note_owner(m);
		m->fork_taken = true;
		return;
	}
	for (int i = 0; i < PREFORK_SELF_TRIES; i++) {
		if (pthread_mutex_trylock(&m->lock) == 0) {
			mutex_note_owner(m);
			m->fork_taken = true;
			return;
		}
		atomic_signal_fence(memory_order_seq_cst);
	}
	m->fork_taken = false; /* likely this thread's, interrupted */
}

void mutex_lock_slow(mutex_t *m) {
	/* A short spin catches the common case of a lock held for a few
	 * hundred cycles, before paying for a futex sleep. */
	for (int i = 0; i < 64; i++) {
		if (pthread_mutex_trylock(&m->lock) == 0)
			goto acquired_fast;
	}
	if (!STRATA_STATS) {
		pthread_mutex_lock(&m->lock);
		goto acquired_fast;
	}
	uint64_t start = prim_clock_ns();
	pthread_mutex_lock(&m->lock);
	uint64_t waited = prim_clock_ns() - start;
	m->stats.wait_ns += waited;
	if (waited > m->stats.max_wait_ns)
		m->stats.max_wait_ns = waited;
acquired_fast:
	m->stats.contended_ops++;
	mutex_note_owner(m);
}

void mutex_stats_read(mutex_t *m, mutex_stats_t *out) {
	mutex_lock(m);
	*out = m->stats;
	mutex_unlock(m);
}

/* Bounds of the strata_mutexes section, provided by the linker; weak so a
 * program with no global mutex still links. */
extern mutex_t *const __start_strata_mutexes[] __attribute__((weak, visibility("hidden")));
extern mutex_t *const __stop_strata_mutexes[] __attribute__((weak, visibility("hidden")));

unsigned mutex_global_count(void) {
	if (__start_strata_mutexes == NULL)
		return 0;
	return (unsigned)(__stop_strata_mutexes - __start_strata_mutexes);
}

mutex_t *mutex_global(unsigned i) { return __start_strata_mutexes[i]; }
