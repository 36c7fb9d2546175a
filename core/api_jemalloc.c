/*
 * api_jemalloc.c — what jemalloc's API has beyond strata's core entry
 * points: strata_xallocx (resize in place, never move), and in the
 * drop-in library jemalloc's unprefixed names whose strata functions live
 * elsewhere (mallctl*, malloc_stats_print) plus the malloc_conf global an
 * application may define.  jemalloc's flag encoding is strata's
 * (STRATA_MALLOCX_* in strata.h), so no flag is translated here.
 */
#include <stdbool.h>
#include <string.h>

#include "api_internal.h"
#include "arena.h"
#include "conf_app.h"
#include "guard.h"
#include "pagemap.h"
#include "report.h"
#include "sizeclass.h"
#include "strata.h"
#include "tag.h"
#include "tsd.h"

#define FLAG_LG_ALIGN_MASK 0x3f

/* Large runs grow or shrink in place; a slab region never changes class.
 * target is tried first, then fallback (jemalloc: size + extra, then
 * size).  Returns the class the block has afterwards. */
static unsigned resize_large(void *ptr, run_t *run, unsigned old_ind,
                             unsigned target, unsigned fallback) {
	size_t old_usize = sc_usable_size(old_ind);
	if (!sc_is_small(target) &&
	    api_resize_large(ptr, run, old_usize, target))
		return target;
	if (fallback != target && !sc_is_small(fallback) &&
	    api_resize_large(ptr, run, old_usize, fallback))
		return fallback;
	return old_ind;
}

static void account_resize(void *ptr, size_t old_usize, size_t usize,
                           int flags) {
	tsd_t *tsd = tsd_get();
	tsd->allocated_bytes += usize;
	tsd->uncached_bytes += usize;
	if (STRATA_STATS)
		tsd->deallocated_bytes += old_usize;
	if ((flags & STRATA_MALLOCX_ZERO) && usize > old_usize)
		memset((char *)ptr + old_usize, 0, usize - old_usize);
}

/* jemalloc's xallocx: the block keeps its address; its usable size
 * afterwards is returned, which is the old one when no resize was
 * possible (the caller compares it against size). */
size_t strata_xallocx(void *ptr, size_t size, size_t extra, int flags) {
	uintptr_t addr = tag_strip(ptr);
	pm_entry_t e = pagemap_lookup(addr);
	if (STRATA_PROF && !pm_is_entry(e) && guard_owns((void *)addr)) {
		size_t usize = guard_usable_size((void *)addr);
		if (usize == 0) /* a guarded block stays as it is */
			report_bad_pointer("xallocx of", (void *)addr,
			                   "not a live block of this allocator");
		return usize;
	}
	api_check_live("xallocx of", (void *)addr, e);
	unsigned old_ind = pm_ind(e);
	size_t old_usize = sc_usable_size(old_ind);
	size_t lg_align = (size_t)flags & FLAG_LG_ALIGN_MASK;
	if (size == 0)
		size = 1;
	if (size > SC_SIZE_MAX || lg_align >= sizeof(size_t) * 8 - 1 ||
	    (addr & (((size_t)1 << lg_align) - 1)) != 0)
		return old_usize;
	if (extra > SC_SIZE_MAX - size)
		extra = SC_SIZE_MAX - size;
	unsigned lo = sc_index(size), hi = sc_index(size + extra);
	if (lo <= old_ind && old_ind <= hi)
		return old_usize; /* already a fitting class */
	run_t *run = pm_desc(e);
	if ((e & PM_SLAB) || addr_of(run->addr) != addr)
		return old_usize;
	unsigned ind = resize_large(ptr, run, old_ind, hi, lo);
	if (ind == old_ind)
		return old_usize;
	size_t usize = sc_usable_size(ind);
	account_resize(ptr, old_usize, usize, flags);
	return usize;
}

#ifdef STRATA_DROP_IN
#define EXPORT __attribute__((visibility("default")))

EXPORT size_t xallocx(void *ptr, size_t size, size_t extra, int flags)
    __attribute__((alias("strata_xallocx")));

/* The ctl and stats functions live in other translation units, so these
 * are wrappers (a tail jump each), not aliases; none is on a fast path. */
EXPORT int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
                   size_t newlen) {
	return strata_ctl(name, oldp, oldlenp, newp, newlen);
}

EXPORT int mallctlnametomib(const char *name, size_t *mibp,
                            size_t *miblenp) {
	return strata_ctl_nametomib(name, mibp, miblenp);
}

EXPORT int mallctlbymib(const size_t *mib, size_t miblen, void *oldp,
                        size_t *oldlenp, void *newp, size_t newlen) {
	return strata_ctl_bymib(mib, miblen, oldp, oldlenp, newp, newlen);
}

/* jemalloc's opts letters that strata also has mean the same ("J" JSON,
 * "g" no general section, "a" no per-arena detail, "x" no mutexes); the
 * rest ("m", "d", "b", "l", "e", "h") select detail strata's output does
 * not split that way and are ignored.  A NULL write_cb writes to stderr,
 * as jemalloc's default malloc_message does. */
EXPORT void malloc_stats_print(void (*write_cb)(void *, const char *),
                               void *cbopaque, const char *opts) {
	strata_stats_print(write_cb, cbopaque, opts);
}
#endif
