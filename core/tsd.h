/*
 * tsd.h — thread state: the cache pointer, the thread's byte counters and
 * its arena, in one initial-exec TLS block the fast paths reach without a
 * call.  Counters are plain (no atomics): only the owning thread writes
 * them.  tsd_slow_init() runs on the first miss of a new thread and
 * registers a pthread key whose destructor flushes the cache at exit.
 */
#ifndef STRATA_TSD_H
#define STRATA_TSD_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "perfctr.h"
#include "tcache.h"
#include "util.h"

enum tsd_state {
	TSD_UNINIT = 0,   /* no arena, no cache yet */
	TSD_ACTIVE,       /* cache in use (or off by option/arena binding) */
	TSD_EXITING,      /* key destructor ran: no cache from now on */
};

/* Frees a thread makes before its first allocation that bypass the
 * cache (see free_slow). */
#define TSD_FREES_BEFORE_CACHE 32

/* Every TSD_EVENT_BYTES allocated, the thread does its periodic work
 * (tcache aging); one compare on the fast path covers it. */
#define TSD_EVENT_BYTES ((uint64_t)64 << 10)

typedef struct tsd {
	tcache_t *tcache;           /* &tcache_disabled when none */
	uint64_t allocated_bytes;   /* usable bytes handed out, cumulative */
	uint64_t deallocated_bytes; /* usable bytes taken back, cumulative */
	uint64_t next_event_bytes;
	arena_t *arena;
	uint8_t state;              /* enum tsd_state */
	bool is_reentrant;          /* inside tsd_slow_init */
	bool is_auto_arena;         /* arena chosen by strata, not the user */
	uint8_t frees_before_init;  /* frees seen while TSD_UNINIT */
	unsigned node;              /* NUMA node the arena choice was made on */
	struct thread_record *record; /* this thread in the registry */
	/* Of allocated_bytes, those no thread cache serves (classes past
	 * tcache_max, over-aligned blocks, resizes in place): the cache's
	 * garbage collection is paced by the rest (tsd_event). */
	uint64_t uncached_bytes;
	uint64_t gc_at_bytes;       /* cached bytes due for the next GC step */
	uint64_t rate_mark_bytes;   /* allocated_bytes at the last rate read */
	uint64_t rate_mark_ns;      /* (thread.allocation_rate, own thread) */
	/* The heap profiler's countdown (prof.c): next_event_bytes is never
	 * above prof_sample_at, so the fast path's one compare covers it.
	 * prof_sample_at is the nearer of the profiler's own point and
	 * guarded sampling's (guard.c), so the slow path tests one too. */
	uint64_t prof_sample_at;    /* UINT64_MAX: this thread does not sample */
	uint64_t prof_own_at;       /* the profiler's point alone */
	uint64_t prof_periodic_at;  /* the periodic event's own threshold */
	uint64_t prof_prng;
	uint64_t prof_event_mark;   /* allocated_bytes counted process-wide */
	bool prof_thread_active;    /* thread.prof.active */
	char prof_name[16];         /* thread.prof.name */
	unsigned perf_generation;   /* perfctr_generation last acted on */
	uint64_t guard_sample_at;   /* guarded sampling's point alone */
} tsd_t;

/* A live thread as statistics see it.  Records live in metadata, not in
 * the thread's TLS: a reader never touches another thread's TLS, which a
 * thread that exits without its key destructor running (first allocation
 * in the last round of destructors) would leave dangling.  The owner
 * publishes its counters into its record at each periodic event and at
 * exit; readers hold the registry lock. */
typedef struct thread_record {
	struct thread_record *next, *prev;
	uint64_t thread_id;                   /* OS thread id */
	_Atomic uint64_t allocated_bytes;     /* published by the owner */
	_Atomic uint64_t deallocated_bytes;
	uint64_t stats_mark_bytes;  /* allocated_bytes at the last print, */
	uint64_t stats_mark_ns;     /* written under the registry lock */
	perfctr_t perf;             /* the owner's event counters */
	/* Their values as the printer last read them (registry lock held):
	 * once per print, whose start time marks them. */
	uint64_t perf_read_ns;
	uint64_t perf_count[PERFCTR_NEVENTS];
	int perf_err[PERFCTR_NEVENTS];
} thread_record_t;

extern HIDDEN __thread tsd_t tsd_tls __attribute__((tls_model("initial-exec")));

static ALWAYS_INLINE tsd_t *tsd_get(void) { return &tsd_tls; }

/* Called after init for a thread in TSD_UNINIT; 0 or ENOMEM. */
HIDDEN int tsd_slow_init(tsd_t *tsd);
HIDDEN int tsd_boot(void);
/* Periodic work, when allocated_bytes reached next_event_bytes. */
HIDDEN void tsd_event(tsd_t *tsd);
/* Point the thread at arena a (cache off for manual arenas).  is_counted:
 * the caller already added this thread to a->nthreads (arena_get_counted).
 * Automatic arenas are never destroyed, so they need no such care. */
HIDDEN void tsd_bind_arena(tsd_t *tsd, arena_t *a, bool is_counted);

/* Visit every live thread's record under the registry lock. */
HIDDEN void tsd_for_each(void (*fn)(thread_record_t *rec, void *arg),
                         void *arg);
/* Copy the calling thread's counters into its record now. */
HIDDEN void tsd_publish(tsd_t *tsd);
/* Open or close the calling thread's event counters as its mode and
 * perf_events.active ask (perfctr.h); ENOMEM when it has no record. */
HIDDEN int tsd_perf_update(tsd_t *tsd);

HIDDEN void tsd_prefork(void);
HIDDEN void tsd_postfork_parent(void);
HIDDEN void tsd_postfork_child(void);

#endif
