/*
 * tcache.h — per-thread caches: one LIFO stack of free blocks per class.
 *
 * A hit takes no lock, calls through no pointer and makes no system call:
 * strata_malloc's fast path is a table load for the class, a TLS load for
 * the cache, a pop and a low-water update; strata_free's is the pagemap
 * walk, a double-free check against the top of the stack and a push.
 * Misses fill or flush half a stack in one batch (one bin lock per batch).
 * Every TSD_EVENT_BYTES allocated, one bin is aged: three quarters of what
 * it did not use since the last visit (its low-water mark) go back to the
 * arena, and its fill size adapts.  Thread exit flushes everything.
 *
 * A thread without a usable cache (not initialised yet, tcache:false, bound
 * to a manual arena, exiting) points at tcache_disabled, whose stacks hold
 * nothing and take nothing, so the fast paths need no extra test.
 */
#ifndef STRATA_TCACHE_H
#define STRATA_TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "util.h"

/* Bins for classes up to 2 MiB (tcache_max can be set that high). */
#define TCACHE_NBINS_MAX 65u

typedef struct tcache_bin {
	void **stack;        /* stack[-1] is a NULL sentinel */
	uint16_t ncached;
	uint16_t ncached_max;
	uint16_t low_water;  /* least ncached since the last GC visit */
	uint16_t nfill;      /* blocks taken per fill, adapted by GC */
} tcache_bin_t;

typedef struct tcache {
	tcache_bin_t bins[TCACHE_NBINS_MAX];
	arena_t *arena;
	unsigned gc_next_bin;
	struct tcache *next, *prev; /* registry of live caches */
	void **stack_mem;
	size_t stack_slots;
} tcache_t;

extern HIDDEN tcache_t tcache_disabled;
/* Classes 0 .. tcache_nbins-1 are cached (from opt tcache_max). */
extern HIDDEN unsigned tcache_nbins;

HIDDEN void tcache_boot(size_t tcache_max_bytes);
/* A cache bound to arena a; NULL when metadata is exhausted. */
HIDDEN tcache_t *tcache_create(arena_t *a);
/* Flush everything and recycle the cache. */
HIDDEN void tcache_destroy(tcache_t *tc);
HIDDEN void tcache_flush_all(tcache_t *tc);

/* Miss paths. */
HIDDEN void *tcache_alloc_small_fill(tcache_t *tc, unsigned ind);
HIDDEN void tcache_flush_bin(tcache_t *tc, unsigned ind, unsigned keep);
/* Age one bin. */
HIDDEN void tcache_gc_step(tcache_t *tc);

HIDDEN void tcache_prefork(void);
HIDDEN void tcache_postfork_parent(void);
HIDDEN void tcache_postfork_child(tcache_t *survivor);

#endif
