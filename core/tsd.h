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
#include "tcache.h"
#include "util.h"

enum tsd_state {
	TSD_UNINIT = 0,   /* no arena, no cache yet */
	TSD_ACTIVE,       /* cache in use (or off by option/arena binding) */
	TSD_EXITING,      /* key destructor ran: no cache from now on */
};

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
} tsd_t;

extern HIDDEN __thread tsd_t tsd_tls __attribute__((tls_model("initial-exec")));

static ALWAYS_INLINE tsd_t *tsd_get(void) { return &tsd_tls; }

/* Called after init for a thread in TSD_UNINIT; 0 or ENOMEM. */
HIDDEN int tsd_slow_init(tsd_t *tsd);
HIDDEN int tsd_boot(void);
/* Periodic work, when allocated_bytes reached next_event_bytes. */
HIDDEN void tsd_event(tsd_t *tsd);
/* Point the thread at arena a (cache off for manual arenas). */
HIDDEN void tsd_bind_arena(tsd_t *tsd, arena_t *a);

#endif
