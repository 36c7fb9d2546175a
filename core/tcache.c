/*
 * tcache.c — thread cache fills, flushes, aging and the cache registry.
 */
#include "tcache.h"

#include <string.h>

#include "base.h"
#include "pagemap.h"
#include "sizeclass.h"

#define NCACHED_SMALL_MIN 20u
#define NCACHED_SMALL_MAX 200u
#define NCACHED_LARGE 20u

static void *disabled_slots[1];
tcache_t tcache_disabled;
unsigned tcache_nbins;
static uint16_t ncached_max[TCACHE_NBINS_MAX];
static size_t stack_slots_total;

static mutex_t tcaches_lock = MUTEX_INITIALIZER("tcaches");
static tcache_t *tcaches_live, *tcaches_spare;

void tcache_boot(size_t tcache_max_bytes) {
	for (unsigned i = 0; i < TCACHE_NBINS_MAX; i++)
		tcache_disabled.bins[i].stack = &disabled_slots[1];
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
	tc->prev = NULL;
	tc->next = tcaches_live;
	if (tcaches_live != NULL)
		tcaches_live->prev = tc;
	tcaches_live = tc;
}

static void registry_remove(tcache_t *tc) {
	if (tc->prev != NULL)
		tc->prev->next = tc->next;
	else
		tcaches_live = tc->next;
	if (tc->next != NULL)
		tc->next->prev = tc->prev;
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
	tc->stack_mem = base_alloc(stack_slots_total * sizeof(void *),
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
	void **slot = tc->stack_mem;
	memset(tc->bins, 0, sizeof(tc->bins));
	for (unsigned i = 0; i < TCACHE_NBINS_MAX; i++) {
		tcache_bin_t *bin = &tc->bins[i];
		if (i >= tcache_nbins) {
			bin->stack = &disabled_slots[1];
			continue;
		}
		slot[0] = NULL; /* sentinel below the stack */
		bin->stack = slot + 1;
		bin->ncached_max = ncached_max[i];
		bin->nfill = (uint16_t)(ncached_max[i] / 2);
		slot += ncached_max[i] + 1;
	}
	tc->arena = a;
	tc->gc_next_bin = 0;
	return tc;
}

void *tcache_alloc_small_fill(tcache_t *tc, unsigned ind) {
	tcache_bin_t *bin = &tc->bins[ind];
	unsigned n = arena_fill_small(tc->arena, ind, bin->stack, bin->nfill);
	if (n == 0)
		return NULL;
	/* Pop order follows address order: reverse what the bin gave. */
	for (unsigned i = 0, j = n - 1; i < j; i++, j--) {
		void *t = bin->stack[i];
		bin->stack[i] = bin->stack[j];
		bin->stack[j] = t;
	}
	bin->ncached = (uint16_t)(n - 1);
	bin->low_water = bin->ncached;
	return bin->stack[n - 1];
}

/* Return n small blocks of class ind, one bin lock per arena met. */
static void flush_small(unsigned ind, void **ptrs, unsigned n) {
	run_t *runs[NCACHED_SMALL_MAX];
	for (unsigned i = 0; i < n; i++)
		runs[i] = pm_desc(pagemap_lookup(addr_of(ptrs[i])));
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
		arena_dalloc_large(pm_desc(pagemap_lookup(addr_of(ptrs[i]))));
}

void tcache_flush_bin(tcache_t *tc, unsigned ind, unsigned keep) {
	tcache_bin_t *bin = &tc->bins[ind];
	if (bin->ncached <= keep)
		return;
	unsigned n = bin->ncached - keep;
	/* The oldest blocks sit at the bottom of the stack. */
	if (sc_is_small(ind))
		flush_small(ind, bin->stack, n);
	else
		flush_large(bin->stack, n);
	memmove(bin->stack, bin->stack + n, keep * sizeof(void *));
	bin->ncached = (uint16_t)keep;
	if (bin->low_water > keep)
		bin->low_water = (uint16_t)keep;
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
	if (bin->low_water > 0) {
		unsigned drop = bin->low_water - bin->low_water / 4;
		tcache_flush_bin(tc, ind, bin->ncached - drop);
		if (bin->nfill > 1)
			bin->nfill /= 2;
	} else if (bin->nfill < bin->ncached_max / 2) {
		bin->nfill *= 2;
		if (bin->nfill > bin->ncached_max / 2)
			bin->nfill = bin->ncached_max / 2;
	}
	bin->low_water = bin->ncached;
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
