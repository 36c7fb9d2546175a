/*
 * tcache.c — thread cache fills, flushes, aging and the cache registry.
 */
#include "tcache.h"

#include <stddef.h>
#include <string.h>

#include "base.h"
#include "list.h"
#include "pagemap.h"
#include "report.h"
#include "sizeclass.h"
#include "slab.h"

#define NCACHED_SMALL_MIN 20u
#define NCACHED_SMALL_MAX 200u
#define NCACHED_LARGE 20u

/* The sentinel every disabled bin points at: always empty and full. */
static tcache_entry_t disabled_slots[1];
tcache_t tcache_disabled;
uint16_t tcache_small_bin_off[(SC_SMALL_MAX >> 3) + 1];
unsigned tcache_nbins;
static uint16_t ncached_max[TCACHE_NBINS_MAX];
static size_t stack_slots_total;

MUTEX_GLOBAL(tcaches_lock, "tcaches");
static tcache_t *tcaches_live, *tcaches_spare;

/* Point a bin at its stack of n slots starting at slot (plus the sentinel
 * slot after them); or, with n == 0, at the shared empty sentinel, which
 * is NULL from the start and never written: threads creating their caches
 * at once all point bins at it. */
static void tcache_bin_init(tcache_t *tc, unsigned ind, tcache_entry_t *slot,
                            unsigned n) {
	tcache_bin_t *bin = &tc->bins[ind];
	if (n > 0)
		slot[n] = (tcache_entry_t){ NULL, NULL };
	bin->head = slot + n;
	bin->empty = bin->low_water = tcache_pos(slot + n);
	bin->full = tcache_pos(slot);
	/* tcache_disabled's stay 0, never written: threads that have not
	 * booted read them racing with the boot (their pop fails anyway). */
	if (tc != &tcache_disabled)
		bin->small_size =
		    sc_is_small(ind) ? (uint16_t)sc_small_size[ind] : 0;
	tc->nfill[ind] = (uint16_t)(n / 2);
}

void tcache_boot(size_t tcache_max_bytes) {
	for (unsigned i = 0; i < TCACHE_NBINS_MAX; i++)
		tcache_bin_init(&tcache_disabled, i, disabled_slots, 0);
	for (size_t i = 0; i < ARRAY_LEN(tcache_small_bin_off); i++)
		__atomic_store_n(&tcache_small_bin_off[i],
		                 (uint16_t)offsetof(tcache_t,
		                                    bins[sc_small_index[i]]),
		                 __ATOMIC_RELAXED);
	tcache_nbins = tcache_max_bytes == 0 ? 0 : sc_index(tcache_max_bytes) + 1;
	if (tcache_nbins > TCACHE_NBINS_MAX)
		tcache_nbins = TCACHE_NBINS_MAX;
	stack_slots_total = 0;
	for (unsigned i = 0; i < tcache_nbins; i++) {
		unsigned n = NCACHED_LARGE;
		if (sc_is_small(i)) {
			n = 2u * sc_slab[i].nregs;
			n = n < NCACHED_SMALL_MIN ? NCACHED_SMALL_MIN
			    : n > NCACHED_SMALL_MAX ? NCACHED_SMALL_MAX : n;
		}
		ncached_max[i] = (uint16_t)n;
		stack_slots_total += n + 1; /* + sentinel */
	}
}

static void registry_add(tcache_t *tc) {
	LIST_PUSH(&tcaches_live, tc, next, prev);
}

static void registry_remove(tcache_t *tc) {
	LIST_REMOVE(&tcaches_live, tc, next, prev);
}

static tcache_t *tcache_get_memory(void) {
	tcache_t *tc = tcaches_spare;
	if (tc != NULL) {
		tcaches_spare = tc->next;
		return tc;
	}
	tc = base_alloc(sizeof(*tc), CACHELINE_BYTES);
	if (tc == NULL)
		return NULL;
	tc->stack_mem = base_alloc(stack_slots_total * sizeof(tcache_entry_t),
	                           CACHELINE_BYTES);
	if (tc->stack_mem == NULL)
		return NULL; /* tc stays unused in base; rare and bounded */
	tc->stack_slots = stack_slots_total;
	return tc;
}

tcache_t *tcache_create(arena_t *a) {
	mutex_lock(&tcaches_lock);
	tcache_t *tc = tcache_get_memory();
	if (tc != NULL)
		registry_add(tc);
	mutex_unlock(&tcaches_lock);
	if (tc == NULL)
		return NULL;
	tcache_entry_t *slot = tc->stack_mem;
	for (unsigned i = 0; i < TCACHE_NBINS_MAX; i++) {
		if (i >= tcache_nbins) {
			tcache_bin_init(tc, i, disabled_slots, 0);
			continue;
		}
		tcache_bin_init(tc, i, slot, ncached_max[i]);
		slot += ncached_max[i] + 1;
	}
	tc->arena = a;
	tc->gc_next_bin = 0;
	return tc;
}

static tcache_entry_t *bin_empty_slot(const tcache_bin_t *bin) {
	return bin->head + tcache_bin_ncached(bin);
}

/* The live byte of small block ptr of class ind, whose slab's entry is
 * e: what its cache entry carries. */
static uint8_t *small_live_byte(void *ptr, pm_entry_t e, unsigned ind) {
	slab_t *slab = pm_desc(e);
	return &slab->live[slab_index_of(
	    (size_t)((char *)ptr - slab->run.addr), ind)];
}

void *tcache_alloc_small_fill(tcache_t *tc, unsigned ind) {
	tcache_bin_t *bin = &tc->bins[ind];
	void *p = tcache_bin_pop(bin);
	if (p != NULL)
		return p;
	/* Empty: blocks land below the sentinel, lowest address on top, so
	 * pops follow address order.  Each entry gets its block's live byte
	 * (one pagemap lookup per slab met: the blocks come slab by slab). */
	void *got[NCACHED_SMALL_MAX];
	unsigned n = arena_fill_small(tc->arena, ind, got, tc->nfill[ind]);
	if (n == 0)
		return NULL;
	tcache_entry_t *top = bin_empty_slot(bin);
	const char *lo = NULL, *hi = NULL;
	pm_entry_t e = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *c = got[i];
		if (c < lo || c >= hi) {
			e = pagemap_lookup(addr_of(got[i]));
			run_t *run = pm_desc(e);
			lo = run->addr;
			hi = run->addr + run->bytes;
		}
		top[(int)i - (int)n] =
		    (tcache_entry_t){ got[i], small_live_byte(got[i], e, ind) };
	}
	bin->head = top - n + 1;
	*top[-(int)n].live = 1;
	return top[-(int)n].ptr;
}

/* The run of a cached block (the cache holds untagged addresses).  Every
 * free checked the block's live byte before the push, so a block is in
 * the caches once; a run gone here would be a second line of defence. */
static run_t *cached_block_run(void *ptr) {
	pm_entry_t e = pagemap_lookup(addr_of(ptr));
	if (e == 0)
		report_bad_pointer("double free of", ptr,
		                   "block was freed twice into the thread cache");
	return pm_desc(e);
}

/* Return n small blocks of class ind, one bin lock per arena met. */
static void flush_small(unsigned ind, void **ptrs, unsigned n) {
	run_t *runs[NCACHED_SMALL_MAX];
	for (unsigned i = 0; i < n; i++)
		runs[i] = cached_block_run(ptrs[i]);
	unsigned done = 0;
	while (done < n) {
		arena_t *a = runs[done]->arena;
		/* Partition: this arena's blocks to the front of [done, n). */
		unsigned mine = done;
		for (unsigned i = done; i < n; i++) {
			if (runs[i]->arena != a)
				continue;
			void *tp = ptrs[i];
			run_t *tr = runs[i];
			ptrs[i] = ptrs[mine];
			runs[i] = runs[mine];
			ptrs[mine] = tp;
			runs[mine] = tr;
			mine++;
		}
		arena_dalloc_small_batch(a, ind, ptrs + done, runs + done,
		                         mine - done);
		done = mine;
	}
}

static void flush_large(void **ptrs, unsigned n) {
	for (unsigned i = 0; i < n; i++)
		arena_dalloc_large(cached_block_run(ptrs[i]));
}

/* Flush all but the newest keep blocks: the oldest sit nearest the
 * sentinel. */
void tcache_flush_bin(tcache_t *tc, unsigned ind, unsigned keep) {
	tcache_bin_t *bin = &tc->bins[ind];
	unsigned ncached = tcache_bin_ncached(bin);
	if (ncached <= keep)
		return;
	unsigned n = ncached - keep, low_water = tcache_bin_low_water(bin);
	tcache_entry_t *top = bin_empty_slot(bin);
	void *ptrs[NCACHED_SMALL_MAX];
	for (unsigned i = 0; i < n; i++)
		ptrs[i] = top[(int)i - (int)n].ptr;
	if (sc_is_small(ind))
		flush_small(ind, ptrs, n);
	else
		flush_large(ptrs, n);
	memmove(top - keep, bin->head, keep * sizeof(tcache_entry_t));
	bin->head = top - keep;
	if (low_water > keep)
		bin->low_water = tcache_pos(top - keep);
}

void tcache_flush_all(tcache_t *tc) {
	for (unsigned i = 0; i < tcache_nbins; i++)
		tcache_flush_bin(tc, i, 0);
}

void tcache_gc_step(tcache_t *tc) {
	if (tcache_nbins == 0)
		return;
	unsigned ind = tc->gc_next_bin;
	tc->gc_next_bin = (ind + 1) % tcache_nbins;
	tcache_bin_t *bin = &tc->bins[ind];
	unsigned low_water = tcache_bin_low_water(bin);
	unsigned half = tcache_bin_ncached_max(bin) / 2;
	if (low_water > 0) {
		unsigned drop = low_water - low_water / 4;
		tcache_flush_bin(tc, ind, tcache_bin_ncached(bin) - drop);
		if (tc->nfill[ind] > 1)
			tc->nfill[ind] /= 2;
	} else if (tc->nfill[ind] < half) {
		tc->nfill[ind] = (uint16_t)(tc->nfill[ind] * 2 > half
		                                ? half
		                                : tc->nfill[ind] * 2);
	}
	bin->low_water = tcache_pos(bin->head);
}

void tcache_destroy(tcache_t *tc) {
	tcache_flush_all(tc);
	mutex_lock(&tcaches_lock);
	registry_remove(tc);
	tc->next = tcaches_spare;
	tcaches_spare = tc;
	mutex_unlock(&tcaches_lock);
}

void tcache_prefork(void) { mutex_prefork(&tcaches_lock); }
void tcache_postfork_parent(void) { mutex_postfork_parent(&tcaches_lock); }

/* In the child only the forking thread exists: the other threads' caches
 * are forgotten (their blocks stay allocated, as in jemalloc). */
void tcache_postfork_child(tcache_t *survivor) {
	mutex_postfork_child(&tcaches_lock);
	tcaches_live = NULL;
	if (survivor != NULL && survivor != &tcache_disabled)
		registry_add(survivor);
}
