/*
 * tcache.h — per-thread caches: one LIFO stack of free blocks per class.
 *
 * A hit takes no lock, calls through no pointer and makes no system call:
 * strata_malloc's fast path is a table load for the class, a TLS load for
 * the cache, a pop, a low-water update and the block's live byte set;
 * strata_free's is the pagemap walk, the region-start and live-byte test
 * (slab.h) and a push.
 * Misses fill or flush half a stack in one batch (one bin lock per batch).
 * Every TSD_EVENT_BYTES allocated through the cache (blocks past tcache_max
 * do not count), one bin is aged: three quarters of what
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

/* One cached block: its address and its live byte (slab.h: the byte in
 * the slab descriptor for a small region, run_t.live for a large run).
 * The pop sets the byte (the block is the application's now) through the
 * pointer stored beside the block, so malloc reaches it with no lookup;
 * the free path has tested and cleared it before the push. */
typedef struct tcache_entry {
	void *ptr;
	uint8_t *live;
} tcache_entry_t;

/* One class's stack, laid out as in jemalloc's cache_bin: it grows down
 * from a NULL sentinel entry, and positions are compared by the low 16
 * bits of their address (a stack spans far less than 64 KiB).  Folding
 * the low-water mark into the pop test makes a hit one compare:
 *   pop   fails (slow path) when head is at the low-water position, which
 *         is also where it is when empty;
 *   push  fails when head is at the full position.  A double free never
 *         reaches the push: the live byte was already clear. */
typedef struct tcache_bin {
	tcache_entry_t *head; /* the block popped next; head->ptr NULL if empty */
	uint16_t low_water;  /* position of head at the low-water mark */
	uint16_t empty;      /* position of head when empty (the sentinel) */
	uint16_t full;       /* position of head when full */
	/* The class's size for a small class, 0 for a large one and in
	 * tcache_disabled (whose pops always fail): what the malloc fast
	 * path counts, read beside the head it loads anyway. */
	uint16_t small_size;
} tcache_bin_t;
_Static_assert(SC_SMALL_MAX <= UINT16_MAX, "small sizes fit small_size");

static ALWAYS_INLINE uint16_t tcache_pos(const tcache_entry_t *slot) {
	return (uint16_t)(uintptr_t)slot;
}
static inline unsigned tcache_bin_ncached(const tcache_bin_t *b) {
	return (uint16_t)(b->empty - tcache_pos(b->head)) /
	       sizeof(tcache_entry_t);
}
static inline unsigned tcache_bin_ncached_max(const tcache_bin_t *b) {
	return (uint16_t)(b->empty - b->full) / sizeof(tcache_entry_t);
}
static inline unsigned tcache_bin_low_water(const tcache_bin_t *b) {
	return (uint16_t)(b->empty - b->low_water) / sizeof(tcache_entry_t);
}

/* Hit path: false when the pop would go below the low-water mark. */
static ALWAYS_INLINE bool tcache_bin_pop_fast(tcache_bin_t *b, void **out) {
	tcache_entry_t *head = b->head;
	if (unlikely(tcache_pos(head) == b->low_water))
		return false;
	b->head = head + 1;
	if (STRATA_DETECT)
		*head->live = 1;
	*out = head->ptr;
	return true;
}

/* Pop that lowers the low-water mark; NULL only when empty. */
static inline void *tcache_bin_pop(tcache_bin_t *b) {
	tcache_entry_t *head = b->head;
	if (tcache_pos(head) == b->empty)
		return NULL;
	if (tcache_pos(head) == b->low_water)
		b->low_water = tcache_pos(head + 1);
	b->head = head + 1;
	if (STRATA_DETECT)
		*head->live = 1;
	return head->ptr;
}

/* Hit path: false when full.  The caller has checked and cleared live. */
static ALWAYS_INLINE bool tcache_bin_push_fast(tcache_bin_t *b, void *ptr,
                                               uint8_t *live) {
	tcache_entry_t *head = b->head;
	if (unlikely(tcache_pos(head) == b->full))
		return false;
	if (STRATA_DETECT)
		head[-1] = (tcache_entry_t){ ptr, live };
	else
		head[-1].ptr = ptr;
	b->head = head - 1;
	return true;
}

typedef struct tcache {
	tcache_bin_t bins[TCACHE_NBINS_MAX];
	uint16_t nfill[TCACHE_NBINS_MAX]; /* blocks per fill, adapted by GC */
	arena_t *arena;
	unsigned gc_next_bin;
	struct tcache *next, *prev; /* registry of live caches */
	tcache_entry_t *stack_mem;
	size_t stack_slots;
} tcache_t;

extern HIDDEN tcache_t tcache_disabled;

/* (size + 7) >> 3 -> byte offset of the size's bin in a tcache_t, for
 * every size up to SC_SMALL_MAX (sc_small_index, scaled): the malloc fast
 * path's class lookup with no multiply.  Zero before tcache_boot: bin 0
 * of the thread's cache, which is tcache_disabled (always empty) until
 * the boot is over. */
extern HIDDEN uint16_t tcache_small_bin_off[(SC_SMALL_MAX >> 3) + 1];

static ALWAYS_INLINE tcache_bin_t *tcache_small_bin(tcache_t *tc,
                                                    size_t size) {
	/* Relaxed: it may race with the boot's writes (a plain load). */
	size_t off = __atomic_load_n(&tcache_small_bin_off[(size + 7) >> 3],
	                             __ATOMIC_RELAXED);
	return (tcache_bin_t *)(void *)((char *)tc + off);
}
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
