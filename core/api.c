/*
 * api.c — the strata_* entry points: fast paths inline here, everything
 * else in the *_slow functions below them.
 *
 * strata_malloc hit: size check, class table load, byte-counter compare
 * (statistics and periodic work in one), TLS cache load and a pop whose
 * one compare also tracks the low-water mark — 23 instructions with gcc
 * -O2 on x86-64, no call, no lock, no system call.  strata_free hit: two
 * pagemap loads, one flag test, a push that also refuses an immediate
 * double free, the deallocated counter — 33 instructions.  The callgrind
 * guard (tests/perf) fails the build when either grows.
 *
 * The pointer boundary: this is the only file that sees tagged pointers
 * (tag.h).  Every entry point strips the caller's pointer once and passes
 * the untagged address down (thread cache, arena, slab, pagemap); a block
 * gets its tag back on the way out (tag_block_alloc) and a new one on the
 * way in (tag_block_free) — nothing at all in builds without tags.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "api_internal.h"
#include "arena.h"
#include "background.h"
#include "guard.h"
#include "init.h"
#include "pagemap.h"
#include "prof.h"
#include "report.h"
#include "sizeclass.h"
#include "slab.h"
#include "strata.h"
#include "tag.h"
#include "tcache.h"
#include "tsd.h"
#include "vg.h"

_Static_assert(TAG_SPAN_BYTES == CHUNK_BYTES, "tag.h's span is a chunk");

#define FLAG_LG_ALIGN_MASK 0x3f
#define FLAG_ZERO STRATA_MALLOCX_ZERO
#define FLAG_TCACHE_NONE STRATA_MALLOCX_TCACHE_NONE
#define FLAG_ARENA_SHIFT 20
/* jemalloc's flag bits: lg_align (0..5), zero (6), the tcache field
 * (8..19: strata knows only TCACHE_NONE, 1 << 8) and the arena field. */
#define FLAG_TCACHE_FIELD 0xfff00u
#define FLAG_BIT7 0x80u

/* Flags naming nothing strata has: bit 7, or an explicit tcache. */
static bool flags_unknown(int flags) {
	unsigned tc = (unsigned)flags & FLAG_TCACHE_FIELD;
	return ((unsigned)flags & FLAG_BIT7) != 0 ||
	       (tc != 0 && tc != (unsigned)FLAG_TCACHE_NONE);
}

/* ---- sizes and classes ---- */

/* Class serving size bytes aligned to align (a power of two), or -1 when
 * no class can (too big).  Small classes are multiples of every power of
 * two up to their spacing, so rounding the size up to the alignment is
 * enough below a page; above it, the run itself is aligned. */
static int class_for(size_t size, size_t align) {
	if (size > SC_SIZE_MAX || align > SC_SIZE_MAX / 2)
		return -1;
	if (size == 0)
		size = 1; /* a zero-byte block still has an address to align */
	if (align > 8)
		size = align_up(size, align);
	if (size > SC_SIZE_MAX)
		return -1;
	if (align > page_bytes && size <= SC_SMALL_MAX)
		return (int)SC_NSMALL;
	unsigned ind = sc_index(size);
	if (sc_usable_size(ind) > SC_SIZE_MAX) /* no block that big exists */
		return -1;
	return (int)ind;
}

/* ---- allocation ---- */

static void *alloc_from_arena(arena_t *a, unsigned ind, size_t align,
                              bool zero) {
	if (sc_is_small(ind))
		return arena_malloc_small(a, ind, zero);
	return arena_malloc_large(a, ind, align, zero);
}

static arena_t *arena_for_flags(tsd_t *tsd, int flags) {
	unsigned field = (unsigned)flags >> FLAG_ARENA_SHIFT;
	if (field == 0)
		return tsd->arena;
	return field - 1 < ARENAS_MAX ? arena_get(field - 1) : NULL;
}

static bool uses_tcache(const tsd_t *tsd, int flags) {
	return tsd->tcache != &tcache_disabled &&
	       (flags & (FLAG_TCACHE_NONE | ~((1 << FLAG_ARENA_SHIFT) - 1))) == 0;
}

/* Pop from the cache or fill it; NULL when the class is not cached. */
static void *alloc_cached(tsd_t *tsd, unsigned ind) {
	tcache_t *tc = tsd->tcache;
	if (ind >= tcache_nbins)
		return NULL;
	if (sc_is_small(ind))
		return tcache_alloc_small_fill(tc, ind);
	return tcache_bin_pop(&tc->bins[ind]);
}

static tsd_t *tsd_ready(void) {
	if (malloc_init() != 0)
		return NULL;
	tsd_t *tsd = tsd_get();
	if (unlikely(tsd->state == TSD_UNINIT) && tsd_slow_init(tsd) != 0)
		return NULL;
	if (tsd->arena == NULL)
		tsd->arena = arena_get(0);
	return tsd;
}

/* The live byte of ptr (untagged, the start of a block), e its entry. */
static uint8_t *live_byte_of(void *ptr, pm_entry_t e) {
	run_t *run = pm_desc(e);
	if (e & PM_SLAB)
		return &slab_of(run)->live[slab_index_of(
		    (size_t)((char *)ptr - run->addr), pm_ind(e))];
	return &run->live;
}

/* ptr (untagged) is a block the application has just been handed: set its
 * live byte.  Blocks popped from a thread cache had it set by the pop. */
static void mark_live(void *ptr) {
	*live_byte_of(ptr, pagemap_lookup(addr_of(ptr))) = 1;
}
#if STRATA_PROF
static NOINLINE void *alloc_sampled(tsd_t *tsd, void *p, unsigned ind,
                                    size_t align, int flags);
#endif
/* junk / zero (malloc_fill != 0). */
static NOINLINE void fill_on_alloc(void *p, size_t usize) {
	if (malloc_fill & FILL_ZERO)
		vg_fill(p, 0, usize);
	else if (malloc_fill & FILL_JUNK_ALLOC)
		vg_fill(p, JUNK_ALLOC_BYTE, usize);
}

static NOINLINE void *alloc_slow(size_t size, size_t align, int flags) {
	tsd_t *tsd = tsd_ready();
	int ind = class_for(size, align);
	if (tsd == NULL || ind < 0) {
		errno = ENOMEM;
		return NULL;
	}
	arena_t *a = arena_for_flags(tsd, flags);
	if (a == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Under memcheck, vg_alloc zeroes once the block is announced. */
	bool zero = (flags & FLAG_ZERO) != 0 && !STRATA_VALGRIND;
	void *p = NULL;
	size_t usize = sc_usable_size((unsigned)ind);
	if (uses_tcache(tsd, flags) && align <= page_bytes &&
	    (unsigned)ind < tcache_nbins) {
		p = alloc_cached(tsd, (unsigned)ind);
		if (p != NULL && zero)
			memset(p, 0, usize);
	} else
		tsd->uncached_bytes += usize;
	if (p == NULL) {
		p = alloc_from_arena(a, (unsigned)ind, align, zero);
		if (p == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		mark_live(p);
	}
	if (unlikely(malloc_fill != 0) && !zero)
		fill_on_alloc(p, usize);
	tsd->allocated_bytes += usize;
	if (tsd->allocated_bytes >= tsd->next_event_bytes) {
#if STRATA_PROF
		if (tsd->allocated_bytes >= tsd->prof_sample_at)
			p = alloc_sampled(tsd, p, (unsigned)ind, align, flags);
#endif
		tsd_event(tsd);
	} else
		tsd_publish(tsd); /* slow path anyway: keep the record exact */
	/* Aligned beyond a chunk: a mapping of its own (arena.c). */
	return vg_alloc(tag_block_alloc_in(addr_of(p), usize,
	                                   align <= CHUNK_BYTES),
	                size, usize,
	                (flags & FLAG_ZERO) != 0 || (malloc_fill & FILL_ZERO));
}

/* A small size's block from its bin, when no periodic event is due:
 * above the bin's low-water mark only (below_mark false: the hit path),
 * or below it too, moving the mark (true).  false sends the caller on. */
static ALWAYS_INLINE bool malloc_cached(size_t size, bool below_mark,
                                        void **out) {
	if (likely(size <= SC_SMALL_MAX)) {
		tsd_t *tsd = tsd_get();
		tcache_bin_t *b = tcache_small_bin(tsd->tcache, size);
		uint64_t allocated = tsd->allocated_bytes + b->small_size;
		void *p;
		if (likely(allocated < tsd->next_event_bytes &&
		           (below_mark ? (p = tcache_bin_pop(b)) != NULL
		                       : tcache_bin_pop_fast(b, &p)))) {
			tsd->allocated_bytes = allocated;
			*out = vg_alloc(tag_block_alloc(addr_of(p), b->small_size),
			                size, b->small_size, false);
			return true;
		}
	}
	return false;
}

/* The hit path of malloc (and of operator new, override.h): a small size
 * whose bin has a block above its low-water mark, and no periodic event
 * due.  false sends the caller to malloc_miss. */
static ALWAYS_INLINE bool malloc_hit(size_t size, void **out) {
	return malloc_cached(size, false, out);
}

/* malloc_hit's miss.  The commonest by far is a bin whose head has only
 * reached its low-water mark (tcache_gc_step's measure of what the bin
 * did not use): the block below is popped here, moving the mark, without
 * alloc_slow's round of checks.  An empty bin, a periodic event due or a
 * size beyond the small classes go on to alloc_slow. */
static NOINLINE void *malloc_miss(size_t size) {
	void *p;
	if (malloc_cached(size, true, &p))
		return p;
	return alloc_slow(size, 0, 0);
}

void *strata_malloc(size_t size) {
	void *p;
	if (likely(malloc_hit(size, &p)))
		return p;
	return malloc_miss(size);
}

void *strata_calloc(size_t count, size_t size) {
	size_t bytes;
	if (unlikely(__builtin_mul_overflow(count, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_slow(bytes, 0, FLAG_ZERO);
}

void *strata_mallocx(size_t size, int flags) {
	size_t lg_align = (size_t)flags & FLAG_LG_ALIGN_MASK;
	if (lg_align >= sizeof(size_t) * 8 - 1 || flags_unknown(flags)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_slow(size, (size_t)1 << lg_align & ~(size_t)1, flags);
}

static void *aligned_or_null(size_t align, size_t size) {
	if (!is_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_slow(size, align, 0);
}

int strata_posix_memalign(void **out, size_t align, size_t size) {
	if (!is_pow2(align) || align < sizeof(void *))
		return EINVAL;
	/* glibc's: ENOMEM in errno on failure, errno untouched on success. */
	int saved = errno;
	void *p = alloc_slow(size, align, 0);
	if (p == NULL) {
		errno = ENOMEM;
		return ENOMEM;
	}
	errno = saved;
	*out = p;
	return 0;
}

void *strata_aligned_alloc(size_t align, size_t size) {
	return aligned_or_null(align, size);
}

/* glibc's memalign rounds an alignment that is not a power of two up;
 * EINVAL only above SIZE_MAX / 2 + 1: a possible but unservable alignment
 * (2^62, 2^63) is ENOMEM. */
void *strata_memalign(size_t align, size_t size) {
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_pow2(align))
		align = align <= 1 ? 1 : (size_t)1 << lg_ceil(align);
	return alloc_slow(size, align, 0);
}

void *strata_valloc(size_t size) {
	if (malloc_init() != 0) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_slow(size, page_bytes, 0);
}

void *strata_pvalloc(size_t size) {
	if (malloc_init() != 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (size > SC_SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_slow(align_up(size == 0 ? 1 : size, page_bytes),
	                  page_bytes, 0);
}

/* ---- deallocation ---- */

/* The live byte of the block ptr (untagged, pagemap entry e) starts, after
 * checking that ptr is the start of a block the application holds; any
 * other pointer is reported here, before anything is changed: what names
 * the call ("free of"), twice the call on a block already free ("double
 * free of"). */
static uint8_t *live_byte_checked(const char *what, const char *twice,
                                  void *ptr, pm_entry_t e) {
	if (!pm_is_entry(e)) {
		if (e == PM_FREED)
			report_bad_pointer(twice, ptr,
			                   "block was already freed");
		report_bad_pointer(what, ptr,
		                   "not a live block of this allocator (invalid "
		                   "or double free)");
	}
	run_t *run = pm_desc(e);
	uint8_t *live;
	if (e & PM_SLAB) {
		slab_t *slab = slab_of(run);
		unsigned ind = pm_ind(e);
		size_t off = (size_t)((char *)ptr - run->addr);
		uint32_t idx = slab_index_of(off, ind);
		if (idx >= slab->nregs)
			report_bad_pointer(what, ptr,
			                   "not a block: past the last region of "
			                   "its slab");
		char *start = run->addr + (size_t)idx * sc_small_size[ind];
		if (start != (char *)ptr)
			report_bad_pointer_in(what, ptr,
			                      "points inside the block at", start);
		live = &slab->live[idx];
	} else {
		if (run->addr != (char *)ptr)
			report_bad_pointer_in(what, ptr,
			                      "points inside the block at",
			                      run->addr);
		live = &run->live;
	}
	if (STRATA_DETECT && *live == 0) /* 1, or LIVE_SAMPLED: held */
		report_bad_pointer(twice, ptr, "block is already free");
	return live;
}

void api_check_live(const char *what, const void *addr, uint64_t e) {
	live_byte_checked(what, what, (void *)(uintptr_t)addr, e);
}

/* Push onto the cache, flushing half when full; false when not cached. */
static bool dalloc_cached(tsd_t *tsd, void *ptr, unsigned ind,
                          uint8_t *live) {
	if (ind >= tcache_nbins)
		return false;
	tcache_bin_t *bin = &tsd->tcache->bins[ind];
	if (!tcache_bin_push_fast(bin, ptr, live)) {
		tcache_flush_bin(tsd->tcache, ind,
		                 tcache_bin_ncached_max(bin) / 2);
		tcache_bin_push_fast(bin, ptr, live);
	}
	return true;
}

#if STRATA_PROF
/* p, just allocated, goes back (free again) because another block is
 * handed out in its place. */
static void give_back(tsd_t *tsd, void *p, pm_entry_t e, bool cached) {
	uint8_t *live = live_byte_checked("free of", "double free of", p, e);
	*live = 0;
	if (cached && dalloc_cached(tsd, p, pm_ind(e), live))
		return;
	if (e & PM_SLAB)
		arena_dalloc_small(pm_desc(e), p);
	else
		arena_dalloc_large(pm_desc(e));
}

/* The allocation crossed the thread's guarded-sampling point: p is
 * replaced by a guarded block (guard.h) when one can serve it; blocks of
 * a manual arena keep their arena. */
static void *alloc_guarded(tsd_t *tsd, void *p, unsigned ind,
                           size_t align, int flags) {
	size_t usize = sc_usable_size(ind);
	if (!guard_fits(usize, align, page_bytes)) {
		guard_countdown_mean(tsd);
		return p;
	}
	guard_countdown(tsd);
	if (((unsigned)flags >> FLAG_ARENA_SHIFT) != 0 || tsd->arena->is_manual)
		return p;
	void *q = guard_alloc(usize, align, (flags & FLAG_ZERO) != 0, 0);
	if (q == NULL)
		return p;
	give_back(tsd, p, pagemap_lookup(addr_of(p)), uses_tcache(tsd, flags));
	if (unlikely(malloc_fill != 0) && !(flags & FLAG_ZERO))
		fill_on_alloc(q, usize);
	return q;
}

/* -Ddetect=false: the small block p (pagemap entry e) the profiler samples
 * is served again from a run of whole pages flagged PM_SAMPLED, and p goes
 * back; NULL when there is no such run. */
static void *sampled_small_in_pages(tsd_t *tsd, void *p, pm_entry_t e,
                                    unsigned ind, int flags) {
	/* Recomputed rather than kept live across alloc_slow's calls. */
	arena_t *a = arena_for_flags(tsd, flags);
	void *q = arena_malloc_sampled_small(a, ind, (flags & FLAG_ZERO) != 0);
	if (q != NULL) {
		mark_live(q);
		give_back(tsd, p, e, uses_tcache(tsd, flags));
	}
	return q;
}

/* The allocation crossed the thread's sample point (prof_sample_at, the
 * nearer of the two): guarded sampling's first, then the profiler's.  For
 * the profiler's, p's live byte becomes LIVE_SAMPLED (extent.h), which
 * sends its free to free_slow, and the profiler records it.  A build
 * without the free fast path's live-byte test (STRATA_DETECT 0) serves a
 * small block again from a run of whole pages flagged PM_SAMPLED in the
 * pagemap (p goes back).  The usable size stays the class's. */
static NOINLINE void *alloc_sampled(tsd_t *tsd, void *p, unsigned ind,
                                    size_t align, int flags) {
	if (tsd->allocated_bytes >= tsd->guard_sample_at) {
		void *q = alloc_guarded(tsd, p, ind, align, flags);
		/* A guarded block is not profiled as well: a profiler point
		 * crossed too stays crossed, for the next allocation. */
		if (q != p || tsd->allocated_bytes < tsd->prof_own_at)
			return q;
	}
	if (tsd->allocated_bytes < tsd->prof_own_at || !prof_sample_begin(tsd))
		return p;
	void *q = p;
	pm_entry_t e = pagemap_lookup(addr_of(p));
	bool is_marked = true;
	if (!(e & PM_SLAB) || STRATA_DETECT) {
		*live_byte_of(p, e) = LIVE_SAMPLED;
	} else {
		q = sampled_small_in_pages(tsd, p, e, ind, flags);
		is_marked = q != NULL;
		if (q == NULL)
			q = p;
	}
	prof_sample_end(tsd, q, sc_usable_size(ind), is_marked);
	return q;
}
#endif

#if STRATA_PROF
/* ptr is a guarded block (guard_owns). */
static NOINLINE void free_guarded(void *ptr) {
	size_t usize = guard_free(ptr, 0);
	tsd_t *tsd = tsd_get();
	if (STRATA_STATS && tsd->state == TSD_ACTIVE) {
		tsd->deallocated_bytes += usize;
		tsd_publish(tsd);
	}
}
#endif

static NOINLINE void free_slow(void *ptr, pm_entry_t e, int flags) {
#if STRATA_PROF
	/* NULL has no pagemap entry either (page 0 is never the
	 * allocator's): one test for both. */
	if (unlikely(!pm_is_entry(e))) {
		if (ptr == NULL)
			return;
		if (guard_owns(ptr)) {
			free_guarded(ptr);
			return;
		}
	}
#else
	if (ptr == NULL)
		return;
#endif
	uint8_t *live = live_byte_checked("free of", "double free of", ptr, e);
#if STRATA_PROF
	/* Before anything is released; neither mark is cleared yet. */
	if (unlikely(*live == LIVE_SAMPLED ||
	             (!STRATA_DETECT && (e & PM_SAMPLED))))
		prof_free_sampled(ptr);
#endif
	*live = 0;
	run_t *run = pm_desc(e);
	unsigned ind = pm_ind(e);
	size_t usize = sc_usable_size(ind);
	/* Untagged first: the junk goes in through the untagged address. */
	tag_block_free(addr_of(ptr), usize);
	if (unlikely(malloc_fill & FILL_JUNK_FREE))
		vg_fill(ptr, JUNK_FREE_BYTE, usize);
	tsd_t *tsd = tsd_get();
	/* A thread's first frees, before it ever allocates, go back to the
	 * blocks' owners: caching another thread's block here and reusing it
	 * would share its cache line with the owner (passive false sharing).
	 * A thread that keeps freeing gets its cache after a few. */
	if (tsd->state == TSD_UNINIT &&
	    ++tsd->frees_before_init < TSD_FREES_BEFORE_CACHE)
		tsd = NULL;
	else
		tsd = tsd_ready();
	bool cacheable = tsd != NULL && !(e & (PM_NO_TCACHE | PM_SAMPLED)) &&
	                 uses_tcache(tsd, flags & FLAG_TCACHE_NONE);
	if (!cacheable || !dalloc_cached(tsd, ptr, ind, live)) {
		if (e & PM_SLAB)
			arena_dalloc_small(run, ptr);
		else
			arena_dalloc_large(run);
	}
	/* No purger start here (background.h): free may run under the C
	 * library's own locks. */
	if (STRATA_STATS && tsd != NULL) {
		tsd->deallocated_bytes += usize;
		tsd_publish(tsd);
	}
}

/* ptr untagged, e its pagemap entry. */
static ALWAYS_INLINE void free_impl(void *ptr, pm_entry_t e) {
	if (!STRATA_DETECT && likely(e & PM_FAST)) {
		/* Benchmarking only: the push with no check (util.h). */
		slab_t *slab = pm_fast_desc(e);
		tsd_t *tsd = tsd_get();
		if (likely(tcache_bin_push_fast(&tsd->tcache->bins[slab->run.ind],
		                                ptr, NULL))) {
			tag_block_free(addr_of(ptr), slab->run.region_size);
			if (STRATA_STATS)
				tsd->deallocated_bytes += slab->run.region_size;
			return;
		}
	} else if (likely(e & PM_FAST)) {
		/* The region-start and live-byte test (slab.h); anything else,
		 * and a full cache, goes to free_slow, which reports. */
		slab_t *slab = pm_fast_desc(e);
		size_t idx;
		bool at_start = slab_region_at(
		    slab, (size_t)((char *)ptr - slab->run.addr), &idx);
		uint8_t *live = &slab->live[idx];
		if (likely(at_start && *live == 1)) {
			tsd_t *tsd = tsd_get();
			*live = 0;
			if (unlikely(!tcache_bin_push_fast(
			        &tsd->tcache->bins[slab->run.ind], ptr, live))) {
				*live = 1; /* free_slow tests it again */
				free_slow(ptr, e, 0);
				return;
			}
			tag_block_free(addr_of(ptr), slab->run.region_size);
			if (STRATA_STATS)
				tsd->deallocated_bytes += slab->run.region_size;
			return;
		}
	}
	free_slow(ptr, e, 0);
}

void strata_free(void *ptr) {
	vg_free(ptr);
	uintptr_t addr = tag_strip(ptr);
	free_impl((void *)addr, pagemap_lookup(addr));
}

void strata_dallocx(void *ptr, int flags) {
	if (flags & FLAG_TCACHE_NONE) {
		vg_free(ptr);
		uintptr_t addr = tag_strip(ptr);
		free_slow((void *)addr, pagemap_lookup(addr), flags);
		return;
	}
	strata_free(ptr);
}

/* Sized frees check the size against the block's class: a mismatch is a
 * caller bug that would otherwise corrupt the size accounting. */
static void sized_free(void *ptr, size_t size, size_t align, int flags) {
	if (ptr == NULL)
		return;
	vg_free(ptr);
	void *p = (void *)tag_strip(ptr);
	pm_entry_t e = pagemap_lookup(addr_of(p));
	int ind = class_for(size, align);
	size_t have = 0;
	if (pm_is_entry(e))
		have = sc_usable_size(pm_ind(e));
#if STRATA_PROF
	else if (guard_owns(p))
		have = guard_usable_size(p); /* 0: guard_free reports */
#endif
	if (have != 0 && (ind < 0 || sc_usable_size((unsigned)ind) != have))
		report_bad_pointer("sized free of", p,
		                   "size does not match the allocation");
	if (flags & FLAG_TCACHE_NONE)
		free_slow(p, e, flags);
	else
		free_impl(p, e);
}

void strata_sdallocx(void *ptr, size_t size, int flags) {
	size_t lg_align = (size_t)flags & FLAG_LG_ALIGN_MASK;
	sized_free(ptr, size, lg_align ? (size_t)1 << lg_align : 0, flags);
}

void strata_free_sized(void *ptr, size_t size) { sized_free(ptr, size, 0, 0); }

void strata_free_aligned_sized(void *ptr, size_t align, size_t size) {
	sized_free(ptr, size, align, 0);
}

/* ---- sizes ---- */

size_t strata_malloc_usable_size(const void *ptr) {
	if (ptr == NULL)
		return 0;
	pm_entry_t e = pagemap_lookup(tag_strip(ptr));
#if STRATA_PROF
	if (unlikely(!pm_is_entry(e)) && guard_owns((void *)tag_strip(ptr)))
		return vg_size(ptr, guard_usable_size((void *)tag_strip(ptr)));
#endif
	return !pm_is_entry(e) ? 0 : vg_size(ptr, sc_usable_size(pm_ind(e)));
}

size_t strata_sallocx(const void *ptr, int flags) {
	(void)flags;
	return strata_malloc_usable_size(ptr);
}

size_t strata_nallocx(size_t size, int flags) {
	if (malloc_init() != 0)
		return 0;
	size_t lg_align = (size_t)flags & FLAG_LG_ALIGN_MASK;
	int ind = class_for(size, lg_align ? (size_t)1 << lg_align : 0);
	return ind < 0 ? 0 : sc_usable_size((unsigned)ind);
}

/* ---- realloc ---- */

static void *realloc_move(void *ptr, size_t old_usize, size_t size,
                          size_t align, int flags) {
	void *p = alloc_slow(size, align, flags & ~FLAG_ZERO);
	if (p == NULL)
		return NULL; /* the old block stays valid */
	memcpy(p, ptr, old_usize < size ? old_usize : size);
	if (flags & FLAG_ZERO && size > old_usize)
		memset((char *)p + old_usize, 0,
		       strata_malloc_usable_size(p) - old_usize);
	strata_free(ptr);
	return p;
}

bool api_resize_large(void *ptr, run_t *run, size_t old_usize,
                      unsigned ind) {
	/* A sampled block keeps the size the profiler recorded. */
	if (STRATA_PROF && run->live == LIVE_SAMPLED)
		return false;
	size_t usize = sc_usable_size(ind);
	if (usize < old_usize) /* the tail is free once the arena has it */
		tag_resize(ptr, old_usize, usize);
	if (!arena_resize_large_in_place(run, ind)) {
		if (usize < old_usize)
			tag_resize(ptr, usize, old_usize);
		return false;
	}
	if (usize > old_usize) /* the grown tail takes ptr's tag */
		tag_resize(ptr, old_usize, usize);
	return true;
}

/* A huge block resized to another huge class by remapping its pages
 * (arena_resize_huge), or NULL: the copy follows.  Not a block the
 * profiler sampled (it keeps the size recorded), a tagged one (the one
 * backend with tags has no remap: its granules' tags would have to move
 * too), nor one asked into another arena by the flags. */
static void *realloc_remap(void *ptr, pm_entry_t e, unsigned ind,
                           size_t align, int flags) {
	run_t *run = pm_desc(e);
	unsigned arena_field = (unsigned)flags >> FLAG_ARENA_SHIFT;
	if ((e & (PM_SLAB | PM_SAMPLED)) || run->kind != RUN_HUGE ||
	    (STRATA_PROF && run->live == LIVE_SAMPLED) ||
	    tag_strip(ptr) != (uintptr_t)ptr ||
	    (arena_field != 0 && arena_field - 1 != run->arena->index))
		return NULL;
	return arena_resize_huge(run, ind, align);
}

#if STRATA_PROF
/* A guarded block stays where it is when its class and alignment still
 * fit, else moves (out of the pool unless the move is sampled too). */
static void *realloc_guarded(void *ptr, size_t size, int ind, size_t align,
                             int flags) {
	size_t old_usize = guard_usable_size((void *)tag_strip(ptr));
	if (old_usize == 0)
		report_bad_pointer("realloc of", ptr,
		                   "not a live block of this allocator");
	if (ind < 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (sc_usable_size((unsigned)ind) == old_usize &&
	    ((uintptr_t)ptr & (align - 1)) == 0)
		return ptr;
	/* realloc_move's steps, written out so that realloc_impl keeps
	 * realloc_move inlined. */
	void *p = alloc_slow(size, align, flags & ~FLAG_ZERO);
	if (p == NULL)
		return NULL;
	memcpy(p, ptr, old_usize < size ? old_usize : size);
	if (flags & FLAG_ZERO && size > old_usize)
		memset((char *)p + old_usize, 0,
		       strata_malloc_usable_size(p) - old_usize);
	strata_free(ptr);
	return p;
}
#endif

/* ptr is the caller's (tagged) pointer: it is what stays valid or gets
 * copied from; addr, its untagged address, is what goes down. */
static void *realloc_impl(void *ptr, size_t size, size_t align, int flags) {
	uintptr_t addr = tag_strip(ptr);
	pm_entry_t e = pagemap_lookup(addr);
	int ind = class_for(size, align);
#if STRATA_PROF
	if (unlikely(!pm_is_entry(e)) && guard_owns((void *)addr))
		return realloc_guarded(ptr, size, ind, align, flags);
#endif
	live_byte_checked("realloc of", "realloc of freed block", (void *)addr,
	                  e);
	if (ind < 0) {
		errno = ENOMEM;
		return NULL;
	}
	unsigned old_ind = pm_ind(e);
	size_t old_usize = sc_usable_size(old_ind);
	if (STRATA_VALGRIND) { /* memcheck sees every realloc move */
		vg_open_slack(ptr, old_usize);
		return realloc_move(ptr, old_usize, size, align, flags);
	}
	if ((unsigned)ind == old_ind && (addr & (align - 1)) == 0)
		return ptr;
	size_t usize = sc_usable_size((unsigned)ind);
	/* A remapped tail reads as zero already; a large run's may not. */
	bool is_zeroed = false;
	void *q = NULL;
	if (!(e & (PM_SLAB | PM_SAMPLED)) && !sc_is_small((unsigned)ind) &&
	    (addr & (align - 1)) == 0 &&
	    api_resize_large(ptr, pm_desc(e), old_usize, (unsigned)ind))
		q = ptr;
	else if ((q = realloc_remap(ptr, e, (unsigned)ind, align, flags)))
		is_zeroed = true;
	if (q != NULL) {
		tsd_t *tsd = tsd_get();
		tsd->allocated_bytes += usize;
		tsd->uncached_bytes += usize;
		if (STRATA_STATS)
			tsd->deallocated_bytes += old_usize;
		if (flags & FLAG_ZERO && usize > old_usize && !is_zeroed)
			memset((char *)ptr + old_usize, 0, usize - old_usize);
		return q;
	}
	/* A block of a manual arena stays there (its tier and node). */
	run_t *run = pm_desc(e);
	if ((e & PM_NO_TCACHE) && ((unsigned)flags >> FLAG_ARENA_SHIFT) == 0)
		flags |= STRATA_MALLOCX_ARENA(run->arena->index) |
		         FLAG_TCACHE_NONE;
	return realloc_move(ptr, old_usize, size, align, flags);
}

void *strata_realloc(void *ptr, size_t size) {
	if (ptr == NULL)
		return strata_malloc(size);
	if (size == 0) { /* glibc's behaviour: free, return NULL */
		strata_free(ptr);
		return NULL;
	}
	return realloc_impl(ptr, size, 1, 0);
}

void *strata_reallocarray(void *ptr, size_t count, size_t size) {
	size_t bytes;
	if (__builtin_mul_overflow(count, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return strata_realloc(ptr, bytes);
}

void *strata_rallocx(void *ptr, size_t size, int flags) {
	size_t lg_align = (size_t)flags & FLAG_LG_ALIGN_MASK;
	if (ptr == NULL)
		return strata_mallocx(size, flags);
	if (lg_align >= sizeof(size_t) * 8 - 1 || flags_unknown(flags)) {
		errno = EINVAL;
		return NULL;
	}
	return realloc_impl(ptr, size == 0 ? 1 : size, (size_t)1 << lg_align,
	                    flags);
}

#ifdef STRATA_DROP_IN
#include "override.h"
#endif
