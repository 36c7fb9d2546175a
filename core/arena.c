/*
 * arena.c — the arena table, manual arenas and their destroy, the entry
 * points into the bins, large and huge runs with their statistics, and
 * the purge step after a free (run here, with no bin lock held).
 */
#include "arena.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "base.h"
#include "conf.h"
#include "memlimit.h"
#include "pagemap.h"
#include "pages.h"
#include "purge.h"
#include "report.h"

_Atomic(arena_t *) arenas[ARENAS_MAX];
unsigned narenas_auto;
atomic_uint narenas_total;
MUTEX_GLOBAL(arenas_lock, "arenas");
/* Destroyed manual arenas, kept for reuse by the next create. */
static arena_t *spare_arenas[ARENAS_MAX];
static unsigned nspare_arenas;

/* Settings and state of a fresh arena; locks and the recycled
 * descriptor lists are left as they are. */
static void arena_reset(arena_t *a, unsigned index,
                        const backend_placement_t *placement,
                        bool is_manual) {
	a->index = index;
	a->is_manual = is_manual;
	extents_reset(&a->extents, placement, opt.dirty_decay_ms,
	              opt.muzzy_decay_ms);
	a->large = (large_stats_t){ 0 };
	memset(a->lextents, 0, sizeof(a->lextents));
	atomic_store(&a->nthreads, 0);
	for (unsigned i = 0; i < SC_NSMALL; i++)
		bin_reset(&a->bins[i], a, &a->extents, is_manual);
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

/* Under every lock of the arena (arena_lock_all): drop its slabs, large
 * runs and huge mappings, live or cached, and unmap their memory, for a
 * manual arena destroyed or reset. */
static void arena_release_contents(arena_t *a) {
	for (unsigned i = 0; i < SC_NSMALL; i++)
		bin_discard(&a->bins[i]);
	while (a->large_runs != NULL) {
		run_t *run = run_list_pop(&a->large_runs);
		pagemap_set(addr_of(run->addr), 1, 0);
		extents_run_desc_put(&a->extents, run);
	}
	extents_release_all(&a->extents);
}

/* ctl's arenas.dirty_decay_ms / arenas.muzzy_decay_ms: the decay times of
 * arenas made from now on; ARENA_DECAY_MS_OPT while never written (then
 * opt's hold). */
static _Atomic long arena_new_decay_ms_v[2] = { ARENA_DECAY_MS_OPT,
	                                        ARENA_DECAY_MS_OPT };

long arena_new_decay_ms(bool is_muzzy) {
	long ms = atomic_load(&arena_new_decay_ms_v[is_muzzy]);
	if (ms != ARENA_DECAY_MS_OPT)
		return ms;
	return is_muzzy ? opt.muzzy_decay_ms : opt.dirty_decay_ms;
}

int arena_set_new_decay_ms(bool is_muzzy, long ms) {
	if (ms < -1 || ms > CONF_DECAY_MS_MAX)
		return EINVAL;
	atomic_store(&arena_new_decay_ms_v[is_muzzy], ms);
	return 0;
}

static void arena_apply_new_decay_ms(arena_t *a) {
	for (unsigned m = 0; m < 2; m++) {
		long ms = atomic_load(&arena_new_decay_ms_v[m]);
		if (ms != ARENA_DECAY_MS_OPT)
			arena_set_decay_ms(a, m != 0, ms);
	}
}

/* Caller holds arenas_lock.  A destroyed arena is recycled in place,
 * under its own locks: a purger or statistics reader that picked up the
 * pointer before the destroy may still be about to lock it, and then
 * finds a consistent (empty or new) arena. */
static arena_t *arena_new(unsigned index, const backend_placement_t *pl,
                          bool is_manual) {
	arena_t *a;
	if (nspare_arenas != 0) {
		a = spare_arenas[--nspare_arenas];
		arena_lock_all(a);
		arena_reset(a, index, pl, is_manual);
		arena_unlock_all(a);
	} else {
		a = base_alloc(sizeof(*a), CACHELINE_BYTES); /* zeroed */
		if (a == NULL)
			return NULL;
		extents_init(&a->extents, pl);
		for (unsigned i = 0; i < SC_NSMALL; i++)
			bin_init(&a->bins[i]);
		arena_reset(a, index, pl, is_manual);
	}
	arena_apply_new_decay_ms(a);
	if (!is_manual)
		extents_share(&a->extents);
	atomic_store_explicit(&arenas[index], a, memory_order_release);
	return a;
}

/* Huge pages where the backend offers them, for automatic and manual
 * arenas alike: thp:always asks for them; while thp is left unset, strata's
 * own hugepages knob (on by default) does; thp:default set by the user
 * leaves the system setting alone, as in jemalloc. */
static bool arena_wants_hugepage(void) {
	if (!pages_has_cap(BACKEND_CAP_HUGEPAGE))
		return false;
	return opt.thp == THP_ALWAYS ||
	       (opt.thp == THP_DEFAULT && !conf_is_set(CONF_ID_thp) &&
	        opt.hugepages);
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
	arena_t *a0 = arena_new(0, &placement, false);
	mutex_unlock(&arenas_lock);
	return a0 == NULL ? ENOMEM : 0;
}

/* Arena i, creating it if it is automatic and missing.  Caller holds
 * arenas_lock. */
static arena_t *arena_get_locked(unsigned i) {
	arena_t *a = atomic_load_explicit(&arenas[i], memory_order_relaxed);
	if (a == NULL && i < narenas_auto) {
		backend_placement_t placement = auto_placement(i);
		a = arena_new(i, &placement, false);
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

/* The least loaded automatic arena of a node (fewest threads bound, the
 * lowest index among equals; a missing one counts as empty), with one
 * more thread counted on it under the table lock, so threads starting
 * together spread out.  A thread that exits leaves its arena to the next
 * thread that starts, with the slabs, dirty pages and cached runs it
 * left there: a program that recreates its threads keeps reusing the
 * same arenas instead of spreading its memory over all of them. */
arena_t *arena_choose_auto_counted(unsigned node) {
	unsigned nodes = pages_info.node_count;
	unsigned first = 0, step = 1;
	if (nodes > 1 && narenas_auto >= nodes) {
		first = node % nodes;
		step = nodes;
	}
	mutex_lock(&arenas_lock);
	unsigned best = first, best_load = UINT_MAX;
	for (unsigned i = first; i < narenas_auto; i += step) {
		arena_t *a = atomic_load_explicit(&arenas[i],
		                                  memory_order_relaxed);
		unsigned load = a == NULL ? 0 : atomic_load(&a->nthreads);
		if (load < best_load) {
			best = i;
			best_load = load;
		}
		if (load == 0)
			break;
	}
	arena_t *a = arena_get_locked(best);
	if (a == NULL)
		a = arena_get_locked(0);
	if (a != NULL)
		atomic_fetch_add(&a->nthreads, 1);
	mutex_unlock(&arenas_lock);
	return a;
}

int arena_create_manual(const backend_placement_t *placement,
                        long dirty_decay_ms, long muzzy_decay_ms,
                        unsigned *index) {
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
	arena_t *a = i <= MANUAL_ARENA_MAX ? arena_new(i, &pl, true) : NULL;
	if (a != NULL) {
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
	arena_release_contents(a);
	arena_unlock_all(a);
	spare_arenas[nspare_arenas++] = a;
	mutex_unlock(&arenas_lock);
	return 0;
}

int arena_reset_manual(unsigned index) {
	if (index >= ARENAS_MAX)
		return EINVAL;
	mutex_lock(&arenas_lock);
	arena_t *a = atomic_load_explicit(&arenas[index], memory_order_relaxed);
	if (a == NULL || !a->is_manual) {
		mutex_unlock(&arenas_lock);
		return EINVAL;
	}
	long dirty_ms = arena_decay_ms(a, false);
	long muzzy_ms = arena_decay_ms(a, true);
	arena_lock_all(a);
	arena_release_contents(a);
	backend_placement_t pl = a->extents.placement;
	unsigned nthreads = atomic_load(&a->nthreads);
	arena_reset(a, index, &pl, true);
	atomic_store(&a->nthreads, nthreads);
	arena_unlock_all(a);
	arena_set_decay_ms(a, false, dirty_ms);
	arena_set_decay_ms(a, true, muzzy_ms);
	mutex_unlock(&arenas_lock);
	return 0;
}

/* ---- reclaim before refusing ---- */

/* A reservation or a memory-limit charge was refused: every arena purges
 * all its dirty and muzzy pages and drops its empty slabs, then unmaps
 * the address space it retains (cached huge mappings, free chunks), so
 * that the one retry that follows sees all the memory and address space
 * strata can give back.  Called with no lock held. */
static void arenas_reclaim(void) {
	arenas_for_each(a) {
		arena_decay(a, true);
		mutex_lock(&a->extents.lock);
		extents_release_retained(&a->extents);
		mutex_unlock(&a->extents.lock);
	}
}

/* ---- small: the bins ---- */

unsigned arena_fill_small(arena_t *a, unsigned ind, void **out, unsigned n) {
	unsigned got = bin_fill(&a->bins[ind], ind, out, n);
	if (got == 0) {
		arenas_reclaim();
		got = bin_fill(&a->bins[ind], ind, out, n);
	}
	return got;
}

void *arena_malloc_small(arena_t *a, unsigned ind, bool zero) {
	void *p;
	if (arena_fill_small(a, ind, &p, 1) == 0)
		return NULL;
	if (zero)
		memset(p, 0, sc_small_size[ind]);
	return p;
}

void arena_dalloc_small_batch(arena_t *a, unsigned ind, void *const *ptrs,
                              run_t *const *runs, unsigned n) {
	if (bin_dalloc_batch(&a->bins[ind], ptrs, runs, n) != 0)
		extents_dirtied(&a->extents); /* the bin lock is released */
}

void arena_dalloc_small(run_t *run, void *ptr) {
	arena_dalloc_small_batch(run->arena, run->ind, &ptr, &run, 1);
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

static uint64_t run_flags(const arena_t *a) {
	return a->is_manual ? PM_NO_TCACHE : 0;
}

/* Extents lock held. */
static void huge_register(arena_t *a, run_t *run, unsigned ind,
                          size_t usize) {
	run->ind = ind;
	extents_huge_live(&a->extents, run);
	lextent_count(a, ind, true);
	a->large.huge_nmalloc++;
	a->large.huge_allocated_bytes += usize;
}

static void *arena_malloc_huge_cached(arena_t *a, unsigned ind, size_t usize,
                                      size_t align, bool zero) {
	extents_t *ex = &a->extents;
	mutex_lock(&ex->lock);
	run_t *run = extents_huge_take_cached(ex, usize, align, zero);
	bool is_refit = false;
	if (run == NULL && !zero &&
	    (run = extents_huge_take_refit(ex, usize)) != NULL) {
		mutex_unlock(&ex->lock);
		char *addr;
		bool is_resized = extents_huge_remap(ex, run, usize, align, &addr);
		mutex_lock(&ex->lock);
		if (is_resized) {
			run->addr = addr;
			run->bytes = usize;
			is_refit = true;
		} else {
			extents_huge_put_back(ex, run);
			run = NULL;
		}
	}
	if (run != NULL &&
	    pagemap_set(addr_of(run->addr), 1, pm_make(run, run_flags(a))) != 0) {
		extents_huge_put_back(ex, run);
		run = NULL;
	}
	if (run != NULL) {
		huge_register(a, run, ind, usize);
		a->large.huge_nrefit += is_refit;
	}
	mutex_unlock(&ex->lock);
	return run != NULL ? run->addr : NULL;
}

static void *arena_malloc_huge(arena_t *a, unsigned ind, size_t usize,
                               size_t align, bool zero) {
	if (align < CHUNK_BYTES)
		align = CHUNK_BYTES;
	void *p = arena_malloc_huge_cached(a, ind, usize, align, zero);
	if (p != NULL)
		return p;
	extents_t *ex = &a->extents;
	backend_region_t region;
	char *addr = extents_huge_map(ex, usize, align, &region);
	if (addr == NULL) {
		arenas_reclaim();
		if ((addr = extents_huge_map(ex, usize, align, &region)) == NULL)
			return NULL;
	}
	mutex_lock(&ex->lock);
	run_t *run = extents_run_desc(ex);
	if (run == NULL ||
	    pagemap_set(addr_of(addr), 1, pm_make(run, run_flags(a))) != 0) {
		if (run != NULL)
			extents_run_desc_put(ex, run);
		mutex_unlock(&ex->lock);
		extents_huge_unmap(ex, addr, usize, region);
		return NULL;
	}
	*run = (run_t){ .addr = addr, .bytes = usize, .arena = a, .ind = ind,
		        .kind = RUN_HUGE, .region = region };
	huge_register(a, run, ind, usize);
	mutex_unlock(&ex->lock);
	return addr; /* a fresh reservation reads as zero */
}

static void *arena_malloc_large_once(arena_t *a, unsigned ind, size_t align,
                                     bool zero);

void *arena_malloc_large(arena_t *a, unsigned ind, size_t align, bool zero) {
	void *p = arena_malloc_large_once(a, ind, align, zero);
	if (p == NULL) {
		arenas_reclaim();
		p = arena_malloc_large_once(a, ind, align, zero);
	}
	return p;
}

/* A live large run of npages pages for class ind, registered in the
 * pagemap with flags and counted as bytes; NULL when the arena has no
 * memory.  *is_zeroed: its pages read as zero.  lextent_count leaves
 * small classes (sampled small blocks) out. */
static char *large_run_take(arena_t *a, unsigned ind, size_t npages,
                            size_t align_pages, uint64_t flags, size_t bytes,
                            bool *is_zeroed) {
	extents_t *ex = &a->extents;
	chunk_t *chunk;
	mutex_lock(&ex->lock);
	run_t *run = extents_run_desc(ex);
	char *addr = run == NULL ? NULL
	                         : extents_alloc(ex, npages, align_pages, &chunk,
	                                         is_zeroed);
	if (addr != NULL &&
	    pagemap_set(addr_of(addr), 1, pm_make(run, flags)) != 0) {
		extents_free(ex, chunk, addr, npages);
		addr = NULL;
	}
	if (addr == NULL) {
		if (run != NULL)
			extents_run_desc_put(ex, run);
		mutex_unlock(&ex->lock);
		return NULL;
	}
	*run = (run_t){ .addr = addr, .bytes = bytes, .arena = a,
		        .chunk = chunk, .ind = ind, .kind = RUN_LARGE };
	run_list_push(&a->large_runs, run);
	lextent_count(a, ind, true);
	a->large.nmalloc++;
	a->large.allocated_bytes += bytes;
	mutex_unlock(&ex->lock);
	return addr;
}

static void *arena_malloc_large_once(arena_t *a, unsigned ind, size_t align,
                                     bool zero) {
	size_t usize = sc_usable_size(ind);
	if (usize > CHUNK_BYTES || align > CHUNK_BYTES)
		return arena_malloc_huge(a, ind, usize, align, zero);
	size_t align_pages = align > page_bytes ? align >> lg_page : 1;
	bool is_zeroed = false;
	char *addr = large_run_take(a, ind, usize >> lg_page, align_pages,
	                            run_flags(a), usize, &is_zeroed);
	if (addr != NULL && zero && !is_zeroed)
		memset(addr, 0, usize);
	return addr;
}

/* Small classes reach past a page (up to SC_SMALL_MAX): the sampled block
 * gets whole pages, a RUN_LARGE of class ind flagged PM_SAMPLED. */
void *arena_malloc_sampled_small(arena_t *a, unsigned ind, bool zero) {
	size_t usize = sc_usable_size(ind);
	size_t npages = (usize + page_bytes - 1) >> lg_page;
	bool is_zeroed = false;
	char *addr = large_run_take(a, ind, npages, 1, run_flags(a) | PM_SAMPLED,
	                            npages << lg_page, &is_zeroed);
	if (addr != NULL && zero && !is_zeroed)
		memset(addr, 0, usize);
	return addr;
}

static void arena_dalloc_huge(run_t *run) {
	arena_t *a = run->arena;
	bool is_zeroed = extents_huge_drop_rss(run);
	mutex_lock(&a->extents.lock);
	pagemap_set(addr_of(run->addr), 1, PM_FREED);
	a->large.huge_ndalloc++;
	a->large.huge_allocated_bytes -= sc_usable_size(run->ind);
	lextent_count(a, run->ind, false);
	extents_huge_free(&a->extents, run, is_zeroed);
	mutex_unlock(&a->extents.lock);
	extents_dirtied(&a->extents);
}

void arena_dalloc_large(run_t *run) {
	arena_t *a = run->arena;
	if (run->kind == RUN_HUGE) {
		arena_dalloc_huge(run);
		return;
	}
	mutex_lock(&a->extents.lock);
	pagemap_set(addr_of(run->addr), 1, PM_FREED);
	run_list_remove(&a->large_runs, run);
	extents_free_large(&a->extents, run->chunk, run->addr,
	                   run->bytes >> lg_page);
	lextent_count(a, run->ind, false);
	a->large.ndalloc++;
	a->large.allocated_bytes -= run->bytes;
	extents_run_desc_put(&a->extents, run);
	mutex_unlock(&a->extents.lock);
	extents_dirtied(&a->extents);
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
		run->ind = ind; /* the pagemap entry reads it (pm_ind) */
	}
	mutex_unlock(&a->extents.lock);
	if (new_pages < old_pages)
		extents_dirtied(&a->extents); /* the tail is dirty now */
	return ok;
}

/* Extents lock held: a remapped run at addr, now of class ind, in the
 * pagemap (through the leaf held for it) and the statistics, counted as a
 * resize (freed in its old class, allocated in the new, as
 * arena_resize_large_in_place counts). */
static void huge_remapped(arena_t *a, run_t *run, char *addr, unsigned ind) {
	if (pagemap_set_held(addr_of(addr), pm_make(run, run_flags(a))) != 0)
		report_bad_pointer("realloc of", run->addr,
		                   "the page map lost the leaf held for it");
	size_t usize = sc_usable_size(ind);
	a->large.huge_allocated_bytes += usize;
	a->large.huge_allocated_bytes -= sc_usable_size(run->ind);
	a->large.huge_nremap++;
	lextent_count(a, run->ind, false);
	lextent_count(a, ind, true);
	run->ind = ind;
	extents_huge_resized(&a->extents, run, addr, usize);
}

/* The old first page reads as freed before the backend moves anything:
 * once moved, its range may become another arena's mapping, which
 * registers its own first page there.  The new address must be
 * registered once the pages have moved, when failing is too late: a
 * pagemap leaf is held for it first (no leaf, no remap: the caller
 * copies or fails with ENOMEM).  The cached mappings are left alone: one
 * of them may fit better, but they serve new blocks
 * (arena_malloc_huge_cached, which may grow one: failing to register it
 * there just puts it back, so it needs no leaf held). */
char *arena_resize_huge(run_t *run, unsigned ind, size_t align) {
	size_t usize = sc_usable_size(ind);
	if (run->kind != RUN_HUGE || usize <= CHUNK_BYTES ||
	    usize == run->bytes || !pages_has_cap(BACKEND_CAP_REMAP))
		return NULL;
	if (align < CHUNK_BYTES)
		align = CHUNK_BYTES; /* as arena_malloc_huge aligns */
	arena_t *a = run->arena;
	extents_t *ex = &a->extents;
	char *old = run->addr, *addr;
	if (pagemap_hold_leaf() != 0)
		return NULL;
	mutex_lock(&ex->lock);
	pagemap_set(addr_of(old), 1, PM_FREED); /* the leaf exists: no error */
	mutex_unlock(&ex->lock);
	if (!extents_huge_remap(ex, run, usize, align, &addr)) {
		mutex_lock(&ex->lock);
		pagemap_set(addr_of(old), 1, pm_make(run, run_flags(a)));
		mutex_unlock(&ex->lock);
		pagemap_release_leaf();
		return NULL;
	}
	mutex_lock(&ex->lock);
	huge_remapped(a, run, addr, ind);
	mutex_unlock(&ex->lock);
	return addr;
}

/* ---- purging ---- */

void arena_drop_empty_slabs(arena_t *a) {
	for (unsigned i = 0; i < SC_NSMALL; i++)
		bin_drop_empty(&a->bins[i]);
}

void arena_decay(arena_t *a, bool force_all) {
	if (force_all)
		arena_drop_empty_slabs(a);
	extents_decay(&a->extents, force_all);
}

void arena_decay_if_due(arena_t *a) {
	uint64_t due = purge_due_ns(&a->extents.purge);
	if (due != DECAY_NEVER && decay_now_ns() >= due)
		arena_decay(a, false);
}

int arena_set_decay_ms(arena_t *a, bool is_muzzy, long ms) {
	return extents_set_decay_ms(&a->extents,
	                            is_muzzy ? PURGE_MUZZY : PURGE_DIRTY, ms);
}

long arena_decay_ms(const arena_t *a, bool is_muzzy) {
	return purge_decay_ms(&a->extents.purge,
	                      is_muzzy ? PURGE_MUZZY : PURGE_DIRTY);
}

void arenas_purge_all(void) {
	arenas_for_each(a)
		arena_decay(a, true);
}

/* ---- fork ---- */

static void arenas_for_each_lock(void (*fn)(mutex_t *)) {
	arenas_for_each(a) {
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
