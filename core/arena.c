/*
 * arena.c — the arena table, large and huge runs, manual arenas.
 */
#include "arena.h"

#include <errno.h>
#include <string.h>

#include "base.h"
#include "background.h"
#include "conf.h"
#include "memlimit.h"
#include "pagemap.h"
#include "run_list.h"

_Atomic(arena_t *) arenas[ARENAS_MAX];
unsigned narenas_auto;
atomic_uint narenas_total;
MUTEX_GLOBAL(arenas_lock, "arenas");
static atomic_uint next_auto;
#define NODES_MAX 64u
static atomic_uint next_auto_of_node[NODES_MAX];
/* Destroyed manual arenas, kept for reuse by the next create. */
static arena_t *spare_arenas[ARENAS_MAX];
static unsigned nspare_arenas;

/* Settings and state of a fresh arena; locks and the recycled
 * descriptor lists are left as they are. */
static void arena_reset(arena_t *a, unsigned index,
                        const backend_placement_t *placement) {
	a->index = index;
	a->is_manual = false;
	a->dirty_decay_ms = opt.dirty_decay_ms;
	a->muzzy_decay_ms = opt.muzzy_decay_ms;
	uint64_t now = decay_now_ns();
	decay_init(&a->decay_dirty, a->dirty_decay_ms, now);
	decay_init(&a->decay_muzzy, a->muzzy_decay_ms, now);
	atomic_store(&a->decay_due_ns, DECAY_NEVER);
	a->extents.placement = *placement;
	a->extents.active_pages = 0;
	a->extents.dirty_pages = a->extents.muzzy_pages = 0;
	a->extents.purge = (purge_stats_t){ 0 };
	a->large = (large_stats_t){ 0 };
	memset(a->lextents, 0, sizeof(a->lextents));
	a->huge_cached_bytes = a->huge_cached_dirty_bytes = 0;
	a->huge_cached_count = 0;
	a->huge_live_bytes = 0;
	atomic_store(&a->nthreads, 0);
	for (unsigned i = 0; i < SC_NSMALL; i++)
		a->bins[i].stats = (bin_stats_t){ 0 };
}

static void arena_lock_all(arena_t *a) {
	for (unsigned i = 0; i < SC_NSMALL; i++)
		mutex_lock(&a->bins[i].lock);
	mutex_lock(&a->extents.lock);
}

static void arena_unlock_all(arena_t *a) {
	mutex_unlock(&a->extents.lock);
	for (unsigned i = 0; i < SC_NSMALL; i++)
		mutex_unlock(&a->bins[i].lock);
}

/* Caller holds arenas_lock.  A destroyed arena is recycled in place,
 * under its own locks: a purger or statistics reader that picked up the
 * pointer before the destroy may still be about to lock it, and then
 * finds a consistent (empty or new) arena. */
static arena_t *arena_new(unsigned index, const backend_placement_t *pl) {
	arena_t *a;
	if (nspare_arenas != 0) {
		a = spare_arenas[--nspare_arenas];
		arena_lock_all(a);
		arena_reset(a, index, pl);
		arena_unlock_all(a);
	} else {
		a = base_alloc(sizeof(*a), CACHELINE_BYTES); /* zeroed */
		if (a == NULL)
			return NULL;
		extents_init(&a->extents, pl);
		for (unsigned i = 0; i < SC_NSMALL; i++)
			mutex_init(&a->bins[i].lock, "bin");
		arena_reset(a, index, pl);
	}
	atomic_store_explicit(&arenas[index], a, memory_order_release);
	return a;
}

/* Huge pages wherever the backend offers them (thp:never turns that off),
 * for automatic and manual arenas alike. */
static bool arena_wants_hugepage(void) {
	return pages_has_cap(BACKEND_CAP_HUGEPAGE) && opt.thp != THP_NEVER;
}

/* Automatic arenas: a home node each when there are several. */
static backend_placement_t auto_placement(unsigned index) {
	backend_placement_t pl = { .node = -1 };
	if (pages_info.node_count > 1 && pages_has_cap(BACKEND_CAP_NUMA))
		pl.node = (int)(index % pages_info.node_count);
	pl.wants_hugepage = arena_wants_hugepage();
	return pl;
}

int arenas_boot(unsigned narenas) {
	if (narenas == 0)
		narenas = 1;
	if (narenas > ARENAS_MAX / 2)
		narenas = ARENAS_MAX / 2;
	narenas_auto = narenas;
	atomic_store(&narenas_total, narenas);
	backend_placement_t placement = auto_placement(0);
	mutex_lock(&arenas_lock);
	arena_t *a0 = arena_new(0, &placement);
	mutex_unlock(&arenas_lock);
	return a0 == NULL ? ENOMEM : 0;
}

/* Arena i, creating it if it is automatic and missing.  Caller holds
 * arenas_lock. */
static arena_t *arena_get_locked(unsigned i) {
	arena_t *a = atomic_load_explicit(&arenas[i], memory_order_relaxed);
	if (a == NULL && i < narenas_auto) {
		backend_placement_t placement = auto_placement(i);
		a = arena_new(i, &placement);
	}
	return a;
}

arena_t *arena_get(unsigned i) {
	arena_t *a = atomic_load_explicit(&arenas[i], memory_order_acquire);
	if (likely(a != NULL) || i >= narenas_auto)
		return a;
	mutex_lock(&arenas_lock);
	a = arena_get_locked(i);
	mutex_unlock(&arenas_lock);
	return a;
}

arena_t *arena_get_counted(unsigned i) {
	if (i >= ARENAS_MAX)
		return NULL;
	mutex_lock(&arenas_lock);
	arena_t *a = arena_get_locked(i);
	if (a != NULL)
		atomic_fetch_add(&a->nthreads, 1);
	mutex_unlock(&arenas_lock);
	return a;
}

arena_t *arena_choose_auto(unsigned node) {
	unsigned nodes = pages_info.node_count;
	unsigned i;
	if (nodes > 1 && narenas_auto >= nodes) {
		/* A turn counter per node, so every arena of a node serves. */
		node %= nodes;
		unsigned per_node = narenas_auto / nodes;
		unsigned turn = atomic_fetch_add(&next_auto_of_node[node % NODES_MAX], 1);
		i = (turn % per_node) * nodes + node;
	} else {
		i = atomic_fetch_add(&next_auto, 1) % narenas_auto;
	}
	arena_t *a = arena_get(i);
	return a != NULL ? a : arena_get(0);
}

static int placement_check(const backend_placement_t *pl) {
	if (pl->tier < 0 || pl->tier > 31 ||
	    !(pages_info.tier_mask & (1u << pl->tier)))
		return ENOTSUP;
	if (pl->node != -1 && (!pages_has_cap(BACKEND_CAP_NUMA) ||
	                       pl->node < 0 ||
	                       (unsigned)pl->node >= pages_info.node_count))
		return ENOTSUP;
	if (pl->policy == 2 /* interleave */ && !pages_has_cap(BACKEND_CAP_NUMA))
		return ENOTSUP;
	if (pl->is_tagged && !pages_has_cap(BACKEND_CAP_TAGGING))
		return ENOTSUP;
	return 0;
}

int arena_create_manual(const backend_placement_t *placement,
                        long dirty_decay_ms, long muzzy_decay_ms,
                        unsigned *index) {
	int err = placement_check(placement);
	if (err != 0)
		return err;
	/* Manual arenas follow thp like automatic ones. */
	backend_placement_t pl = *placement;
	pl.wants_hugepage = arena_wants_hugepage();
	mutex_lock(&arenas_lock);
	/* Indices stop at MANUAL_ARENA_MAX so that STRATA_MALLOCX_ARENA(i)
	 * still fits the int flags (4095 would wrap to "no arena"). */
	unsigned i = narenas_auto;
	while (i <= MANUAL_ARENA_MAX &&
	       atomic_load_explicit(&arenas[i], memory_order_relaxed) != NULL)
		i++;
	arena_t *a = i <= MANUAL_ARENA_MAX ? arena_new(i, &pl) : NULL;
	if (a != NULL) {
		a->is_manual = true;
		if (dirty_decay_ms != -2)
			arena_set_decay_ms(a, false, dirty_decay_ms);
		if (muzzy_decay_ms != -2)
			arena_set_decay_ms(a, true, muzzy_decay_ms);
		if (i >= atomic_load(&narenas_total))
			atomic_store(&narenas_total, i + 1);
		*index = i;
	}
	mutex_unlock(&arenas_lock);
	return a != NULL ? 0 : i > MANUAL_ARENA_MAX ? EAGAIN : ENOMEM;
}

static void huge_cache_evict(arena_t *a, run_t *run);

/* Give every slab descriptor of a bin back to its spare list. */
static void bin_discard(bin_t *bin) {
	run_t *lists[] = { bin->cur, bin->empty, bin->nonfull, bin->full };
	bin->cur = bin->empty = bin->nonfull = bin->full = NULL;
	for (unsigned l = 0; l < ARRAY_LEN(lists); l++) {
		run_t *run = lists[l];
		while (run != NULL) {
			run_t *next = l < 2 ? NULL : run->next;
			pagemap_set(addr_of(run->addr), run->bytes >> lg_page, 0);
			run_list_push(&bin->spare_descs, run);
			run = next;
		}
	}
	bin->stats = (bin_stats_t){ 0 };
}

int arena_destroy(unsigned index) {
	if (index >= ARENAS_MAX)
		return EINVAL;
	mutex_lock(&arenas_lock);
	arena_t *a = atomic_load_explicit(&arenas[index], memory_order_relaxed);
	if (a == NULL || !a->is_manual ||
	    atomic_load(&a->nthreads) != 0) {
		mutex_unlock(&arenas_lock);
		return a != NULL && a->is_manual ? EBUSY : EINVAL;
	}
	atomic_store_explicit(&arenas[index], NULL, memory_order_release);
	/* Under every lock of the arena: a purger or statistics reader that
	 * loaded the pointer before it was cleared waits, then finds it empty. */
	arena_lock_all(a);
	for (unsigned i = 0; i < SC_NSMALL; i++)
		bin_discard(&a->bins[i]);
	while (a->large_runs != NULL) {
		run_t *run = run_list_pop(&a->large_runs);
		pagemap_set(addr_of(run->addr), 1, 0);
		run_list_push(&a->spare_run_descs, run);
	}
	while (a->huge_runs != NULL) {
		run_t *run = run_list_pop(&a->huge_runs);
		a->huge_live_bytes -= run->bytes;
		pagemap_set(addr_of(run->addr), 1, 0);
		pages_unmap(run->addr, run->bytes);
		atomic_fetch_sub(&memlimit_huge_bytes, run->bytes);
		run_list_push(&a->spare_run_descs, run);
	}
	while (a->huge_cache != NULL)
		huge_cache_evict(a, a->huge_cache);
	extents_release_all(&a->extents);
	arena_unlock_all(a);
	spare_arenas[nspare_arenas++] = a;
	mutex_unlock(&arenas_lock);
	return 0;
}

/* ---- large and huge ---- */

/* Per-class counters of large and huge runs (extents lock held). */
static void lextent_count(arena_t *a, unsigned ind, bool is_alloc) {
	unsigned j = ind - SC_NSMALL;
	if (j >= ARENA_NLEXTENTS)
		return;
	if (is_alloc) {
		a->lextents[j].nmalloc++;
		a->lextents[j].curlextents++;
	} else {
		a->lextents[j].ndalloc++;
		a->lextents[j].curlextents--;
	}
}

static run_t *run_desc_get(arena_t *a) {
	run_t *run = run_list_pop(&a->spare_run_descs);
	return run != NULL ? run : base_alloc(sizeof(run_t), CACHELINE_BYTES);
}

static uint64_t run_flags(const arena_t *a) {
	return a->is_manual ? PM_NO_TCACHE : 0;
}

/* Freed huge mappings wait in the arena's cache (at most HUGE_CACHE_MAX)
 * so that a program cycling through big buffers does not pay mmap, page
 * faults and munmap each time.  Those of oversize_threshold bytes or more
 * are purged eagerly when freed (as jemalloc does for oversize
 * allocations): they keep their address space but no RSS.  The others
 * stay dirty until decay unmaps them, oldest first.  A cached mapping
 * serves a request of its size down to half of it. */
#define HUGE_CACHE_MAX 16u

static void huge_cache_unlink(arena_t *a, run_t *run) {
	run_list_remove(&a->huge_cache, run);
	a->huge_cached_bytes -= run->bytes;
	a->huge_cached_count--;
	if (!run->is_zeroed)
		a->huge_cached_dirty_bytes -= run->bytes;
}

static void huge_cache_evict(arena_t *a, run_t *run) {
	huge_cache_unlink(a, run);
	pages_unmap(run->addr, run->bytes);
	if (!run->is_zeroed)
		atomic_fetch_sub(&memlimit_huge_bytes, run->bytes);
	run_list_push(&a->spare_run_descs, run);
}

static run_t *huge_cache_oldest(arena_t *a, bool dirty_only) {
	run_t *oldest = NULL;
	for (run_t *r = a->huge_cache; r != NULL; r = r->next)
		if (!dirty_only || !r->is_zeroed)
			oldest = r;
	return oldest;
}

static void huge_cache_put(arena_t *a, run_t *run) {
	run_list_push(&a->huge_cache, run);
	a->huge_cached_bytes += run->bytes;
	a->huge_cached_count++;
	if (run->is_zeroed)
		atomic_fetch_sub(&memlimit_huge_bytes, run->bytes); /* no RSS */
	else
		a->huge_cached_dirty_bytes += run->bytes;
	if (a->huge_cached_count > HUGE_CACHE_MAX)
		huge_cache_evict(a, huge_cache_oldest(a, false));
}

static run_t *huge_cache_take(arena_t *a, size_t usize, size_t align,
                              bool zero) {
	run_t *best = NULL;
	for (run_t *r = a->huge_cache; r != NULL; r = r->next) {
		if (r->bytes < usize || r->bytes / 2 > usize ||
		    (addr_of(r->addr) & (align - 1)) != 0 ||
		    (zero && !r->is_zeroed))
			continue;
		if (best == NULL || r->bytes < best->bytes)
			best = r;
	}
	if (best != NULL) {
		huge_cache_unlink(a, best);
		if (best->is_zeroed)
			atomic_fetch_add(&memlimit_huge_bytes, best->bytes);
	}
	return best;
}

/* Unmap dirty cached mappings, oldest first, until npages are gone;
 * returns the pages unmapped.  Caller holds the lock. */
static size_t huge_cache_purge(arena_t *a, size_t npages) {
	size_t done = 0;
	run_t *oldest;
	while (done < npages && (oldest = huge_cache_oldest(a, true)) != NULL) {
		done += oldest->bytes >> lg_page;
		huge_cache_evict(a, oldest);
	}
	return done;
}

static void huge_register(arena_t *a, run_t *run, unsigned ind,
                          size_t usize) {
	run->ind = ind;
	a->huge_live_bytes += run->bytes;
	lextent_count(a, ind, true);
	run_list_push(&a->huge_runs, run);
	a->large.huge_nmalloc++;
	a->large.huge_allocated_bytes += usize;
}

static void *arena_malloc_huge_cached(arena_t *a, unsigned ind, size_t usize,
                                      size_t align, bool zero) {
	mutex_lock(&a->extents.lock);
	run_t *run = huge_cache_take(a, usize, align, zero);
	if (run != NULL &&
	    pagemap_set(addr_of(run->addr), 1, pm_make(run, ind, run_flags(a))) != 0) {
		huge_cache_put(a, run);
		run = NULL;
	}
	if (run != NULL)
		huge_register(a, run, ind, usize);
	mutex_unlock(&a->extents.lock);
	return run != NULL ? run->addr : NULL;
}

static void *arena_malloc_huge(arena_t *a, unsigned ind, size_t usize,
                               size_t align, bool zero) {
	if (align < CHUNK_BYTES)
		align = CHUNK_BYTES;
	void *p = arena_malloc_huge_cached(a, ind, usize, align, zero);
	if (p != NULL)
		return p;
	if (memlimit_would_exceed_hard(usize)) {
		arena_decay(a, true);
		if (memlimit_would_exceed_hard(usize))
			return NULL;
	}
	char *addr = pages_reserve(usize, align, &a->extents.placement);
	if (addr == NULL)
		return NULL;
	mutex_lock(&a->extents.lock);
	run_t *run = run_desc_get(a);
	if (run == NULL ||
	    pagemap_set(addr_of(addr), 1, pm_make(run, ind, run_flags(a))) != 0) {
		if (run != NULL)
			run_list_push(&a->spare_run_descs, run);
		mutex_unlock(&a->extents.lock);
		pages_unmap(addr, usize);
		return NULL;
	}
	*run = (run_t){ .addr = addr, .bytes = usize, .arena = a, .ind = ind,
		        .kind = RUN_HUGE };
	atomic_fetch_add(&memlimit_huge_bytes, usize);
	huge_register(a, run, ind, usize);
	mutex_unlock(&a->extents.lock);
	return addr; /* a fresh reservation reads as zero */
}

void *arena_malloc_large(arena_t *a, unsigned ind, size_t align, bool zero) {
	size_t usize = sc_usable_size(ind);
	if (usize > CHUNK_BYTES || align > CHUNK_BYTES)
		return arena_malloc_huge(a, ind, usize, align, zero);
	size_t npages = usize >> lg_page;
	size_t align_pages = align > page_bytes ? align >> lg_page : 1;
	chunk_t *chunk;
	bool is_zeroed = false;
	mutex_lock(&a->extents.lock);
	run_t *run = run_desc_get(a);
	char *addr = run == NULL ? NULL
	                         : extents_alloc(&a->extents, npages, align_pages,
	                                         &chunk, &is_zeroed);
	if (addr != NULL &&
	    pagemap_set(addr_of(addr), 1, pm_make(run, ind, run_flags(a))) != 0) {
		extents_free(&a->extents, chunk, addr, npages);
		addr = NULL;
	}
	if (addr == NULL) {
		if (run != NULL)
			run_list_push(&a->spare_run_descs, run);
		mutex_unlock(&a->extents.lock);
		return NULL;
	}
	*run = (run_t){ .addr = addr, .bytes = usize, .arena = a,
		        .chunk = chunk, .ind = ind, .kind = RUN_LARGE };
	run_list_push(&a->large_runs, run);
	lextent_count(a, ind, true);
	a->large.nmalloc++;
	a->large.allocated_bytes += usize;
	mutex_unlock(&a->extents.lock);
	if (zero && !is_zeroed)
		memset(addr, 0, usize);
	return addr;
}

static void arena_dalloc_huge(run_t *run) {
	arena_t *a = run->arena;
	bool is_zeroed = false;
	if (run->bytes >= opt.oversize_threshold &&
	    pages_purge(run->addr, run->bytes, BACKEND_PURGE_EAGER,
	                &is_zeroed) != 0)
		is_zeroed = false;
	mutex_lock(&a->extents.lock);
	pagemap_set(addr_of(run->addr), 1, 0);
	run_list_remove(&a->huge_runs, run);
	a->large.huge_ndalloc++;
	a->large.huge_allocated_bytes -= sc_usable_size(run->ind);
	a->huge_live_bytes -= run->bytes;
	lextent_count(a, run->ind, false);
	run->is_zeroed = is_zeroed;
	huge_cache_put(a, run);
	mutex_unlock(&a->extents.lock);
	arena_after_free(a);
}

void arena_dalloc_large(run_t *run) {
	arena_t *a = run->arena;
	if (run->kind == RUN_HUGE) {
		arena_dalloc_huge(run);
		return;
	}
	mutex_lock(&a->extents.lock);
	pagemap_set(addr_of(run->addr), 1, 0);
	run_list_remove(&a->large_runs, run);
	extents_free(&a->extents, run->chunk, run->addr, run->bytes >> lg_page);
	lextent_count(a, run->ind, false);
	a->large.ndalloc++;
	a->large.allocated_bytes -= run->bytes;
	run_list_push(&a->spare_run_descs, run);
	mutex_unlock(&a->extents.lock);
	arena_after_free(a);
}

bool arena_resize_large_in_place(run_t *run, unsigned ind) {
	size_t usize = sc_usable_size(ind);
	if (run->kind != RUN_LARGE || usize > CHUNK_BYTES)
		return false;
	arena_t *a = run->arena;
	size_t old_pages = run->bytes >> lg_page, new_pages = usize >> lg_page;
	bool ok = true;
	mutex_lock(&a->extents.lock);
	if (new_pages > old_pages)
		ok = extents_grow(&a->extents, run->chunk, run->addr, old_pages,
		                  new_pages - old_pages);
	else if (new_pages < old_pages)
		extents_free(&a->extents, run->chunk,
		             run->addr + (new_pages << lg_page),
		             old_pages - new_pages);
	if (ok) {
		a->large.allocated_bytes += usize;
		a->large.allocated_bytes -= run->bytes;
		/* The run changes class: counted as freed in the old one and
		 * allocated in the new, as a move would be. */
		lextent_count(a, run->ind, false);
		lextent_count(a, ind, true);
		run->bytes = usize;
		run->ind = ind;
		pagemap_set(addr_of(run->addr), 1,
		            pm_make(run, ind, run_flags(a)));
	}
	mutex_unlock(&a->extents.lock);
	if (new_pages < old_pages)
		arena_after_free(a); /* the tail is dirty now */
	return ok;
}

/* ---- decay ---- */

static uint64_t decay_deadline_locked(arena_t *a);

/* Dirty pages in chunks and in cached huge mappings. */
size_t arena_dirty_pages(const arena_t *a) {
	return a->extents.dirty_pages + (a->huge_cached_dirty_bytes >> lg_page);
}

void arena_decay(arena_t *a, bool force_all) {
	extents_t *ex = &a->extents;
	if (force_all)
		arena_drop_empty_slabs(a);
	mutex_lock(&ex->lock);
	uint64_t now = decay_now_ns();
	size_t dirty = arena_dirty_pages(a);
	size_t keep = force_all ? 0 : decay_limit(&a->decay_dirty, now, dirty);
	if (dirty > keep && (force_all || a->dirty_decay_ms >= 0)) {
		size_t n = huge_cache_purge(a, dirty - keep);
		if (dirty - keep > n)
			extents_purge(ex, dirty - keep - n, false, force_all,
			              opt.retain);
	}
	decay_purged(&a->decay_dirty, arena_dirty_pages(a));
	keep = force_all ? 0
	                 : decay_limit(&a->decay_muzzy, now, ex->muzzy_pages);
	if (ex->muzzy_pages > keep && (force_all || a->muzzy_decay_ms >= 0))
		extents_purge(ex, ex->muzzy_pages - keep, true, force_all,
		              opt.retain);
	decay_purged(&a->decay_muzzy, ex->muzzy_pages);
	decay_deadline_locked(a);
	mutex_unlock(&ex->lock);
}

/* Caller holds the extents lock. */
static uint64_t decay_deadline_locked(arena_t *a) {
	uint64_t d = decay_deadline_ns(&a->decay_dirty, arena_dirty_pages(a));
	uint64_t m = decay_deadline_ns(&a->decay_muzzy, a->extents.muzzy_pages);
	uint64_t due = d < m ? d : m;
	atomic_store_explicit(&a->decay_due_ns, due, memory_order_relaxed);
	return due;
}

uint64_t arena_decay_deadline(arena_t *a) {
	mutex_lock(&a->extents.lock);
	uint64_t due = decay_deadline_locked(a);
	mutex_unlock(&a->extents.lock);
	return due;
}

void arena_decay_if_due(arena_t *a) {
	uint64_t due = atomic_load_explicit(&a->decay_due_ns,
	                                    memory_order_relaxed);
	if (due != DECAY_NEVER && decay_now_ns() >= due)
		arena_decay(a, false);
}

int arena_set_decay_ms(arena_t *a, bool is_muzzy, long ms) {
	if (ms < -1)
		return EINVAL;
	mutex_lock(&a->extents.lock);
	/* Relaxed stores: arena_after_free reads the times without the lock. */
	if (is_muzzy) {
		__atomic_store_n(&a->muzzy_decay_ms, ms, __ATOMIC_RELAXED);
		decay_init(&a->decay_muzzy, ms, decay_now_ns());
	} else {
		__atomic_store_n(&a->dirty_decay_ms, ms, __ATOMIC_RELAXED);
		decay_init(&a->decay_dirty, ms, decay_now_ns());
	}
	decay_deadline_locked(a);
	mutex_unlock(&a->extents.lock);
	background_wake();
	return 0;
}

void arena_after_free(arena_t *a) {
	if (__atomic_load_n(&a->dirty_decay_ms, __ATOMIC_RELAXED) == 0 ||
	    __atomic_load_n(&a->muzzy_decay_ms, __ATOMIC_RELAXED) == 0) {
		arena_decay(a, false);
		return;
	}
	/* Pages are waiting now: the deadline is at most one epoch away. */
	if (atomic_load_explicit(&a->decay_due_ns, memory_order_relaxed) ==
	    DECAY_NEVER)
		arena_decay_deadline(a);
	background_notify();
}

void arenas_purge_all(void) {
	unsigned n = atomic_load(&narenas_total);
	for (unsigned i = 0; i < n; i++) {
		arena_t *a = atomic_load(&arenas[i]);
		if (a != NULL)
			arena_decay(a, true);
	}
}

/* ---- fork ---- */

static void arenas_for_each_lock(void (*fn)(mutex_t *)) {
	unsigned n = atomic_load(&narenas_total);
	for (unsigned i = 0; i < n; i++) {
		arena_t *a = atomic_load(&arenas[i]);
		if (a == NULL)
			continue;
		for (unsigned b = 0; b < SC_NSMALL; b++)
			fn(&a->bins[b].lock);
		fn(&a->extents.lock);
	}
}

void arenas_prefork(void) {
	mutex_prefork(&arenas_lock);
	arenas_for_each_lock(mutex_prefork);
}

void arenas_postfork_parent(void) {
	arenas_for_each_lock(mutex_postfork_parent);
	mutex_postfork_parent(&arenas_lock);
}

void arenas_postfork_child(void) {
	arenas_for_each_lock(mutex_postfork_child);
	mutex_postfork_child(&arenas_lock);
}
