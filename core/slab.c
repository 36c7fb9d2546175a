/*
 * slab.c — bins: small regions out of slabs, with out-of-band bitmaps.
 *
 * Each bin keeps its current slab (no list), the other slabs that have a
 * free region (nonfull) and those that have none (full).  A slab emptied
 * by a free is returned to its arena's chunks at once, unless it is the
 * current one or the bin has no spare yet (one emptied slab is kept, so
 * a bin that empties and refills does not create and destroy a slab each
 * time); so a burst of frees gives back whole pages.
 */
#include <string.h>

#include "arena.h"
#include "base.h"
#include "bitmap.h"
#include "pagemap.h"
#include "report.h"
#include "run_list.h"

static run_t *slab_desc_get(bin_t *bin, unsigned ind) {
	run_t *run = run_list_pop(&bin->spare_descs);
	if (run != NULL)
		return run;
	return base_alloc(sizeof(run_t) + sc_slab[ind].bitmap_words *
	                                      sizeof(uint64_t),
	                  CACHELINE_BYTES);
}

static run_t *slab_create(arena_t *a, bin_t *bin, unsigned ind) {
	const slab_geometry_t *geo = &sc_slab[ind];
	run_t *run = slab_desc_get(bin, ind);
	if (run == NULL)
		return NULL;
	size_t npages = geo->slab_bytes >> lg_page;
	chunk_t *chunk;
	bool is_zeroed;
	mutex_lock(&a->extents.lock);
	char *addr = extents_alloc(&a->extents, npages, 1, &chunk, &is_zeroed);
	uint64_t flags = PM_SLAB | (a->is_manual ? PM_NO_TCACHE : PM_FAST);
	if (addr != NULL &&
	    pagemap_set(addr_of(addr), npages, pm_make(run, ind, flags)) != 0) {
		extents_free(&a->extents, chunk, addr, npages);
		addr = NULL;
	}
	mutex_unlock(&a->extents.lock);
	if (addr == NULL) {
		run_list_push(&bin->spare_descs, run);
		return NULL;
	}
	*run = (run_t){ .addr = addr, .bytes = geo->slab_bytes, .arena = a,
		        .chunk = chunk, .ind = ind, .kind = RUN_SLAB,
		        .nfree = geo->nregs, .nregs = geo->nregs };
	memset(run->bitmap, 0, geo->bitmap_words * sizeof(uint64_t));
	bitmap_assign_range(run->bitmap, 0, geo->nregs, true);
	bin->stats.nslabs_created++;
	bin->stats.curslabs++;
	return run;
}

static void slab_destroy(arena_t *a, bin_t *bin, run_t *run) {
	size_t npages = run->bytes >> lg_page;
	mutex_lock(&a->extents.lock);
	pagemap_set(addr_of(run->addr), npages, 0);
	extents_free(&a->extents, run->chunk, run->addr, npages);
	mutex_unlock(&a->extents.lock);
	bin->stats.curslabs--;
	run_list_push(&bin->spare_descs, run);
	arena_after_free(a);
}

/* A slab to take regions from: the current one, a non-full one, or new. */
static run_t *bin_current_slab(arena_t *a, bin_t *bin, unsigned ind) {
	if (bin->cur != NULL && bin->cur->nfree != 0)
		return bin->cur;
	if (bin->cur != NULL)
		run_list_push(&bin->full, bin->cur);
	bin->cur = run_list_pop(&bin->nonfull);
	if (bin->cur == NULL && bin->empty != NULL) {
		bin->cur = bin->empty;
		bin->empty = NULL;
	}
	if (bin->cur == NULL)
		bin->cur = slab_create(a, bin, ind);
	return bin->cur;
}

static unsigned slab_take(run_t *run, void **out, unsigned n) {
	size_t size = sc_small_size[run->ind];
	unsigned got = 0;
	size_t i = 0;
	while (got < n && run->nfree != 0) {
		i = bitmap_find(run->bitmap, run->nregs, i, true);
		bitmap_clear(run->bitmap, i);
		run->nfree--;
		out[got++] = run->addr + i * size;
	}
	return got;
}

unsigned arena_fill_small(arena_t *a, unsigned ind, void **out, unsigned n) {
	bin_t *bin = &a->bins[ind];
	unsigned got = 0;
	mutex_lock(&bin->lock);
	while (got < n) {
		run_t *run = bin_current_slab(a, bin, ind);
		if (run == NULL)
			break;
		got += slab_take(run, out + got, n - got);
	}
	bin->stats.nmalloc += got;
	bin->stats.curregs += got;
	bin->stats.nfills++;
	mutex_unlock(&bin->lock);
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

/* Region index of ptr in run, reporting a pointer that is not the start of
 * a region or that is already free. */
static size_t slab_region_checked(const run_t *run, const void *ptr) {
	size_t off = (size_t)((const char *)ptr - run->addr);
	size_t idx = (size_t)(((uint64_t)off * sc_div_magic[run->ind]) >> 32);
	if (idx * sc_small_size[run->ind] != off || idx >= run->nregs)
		report_bad_pointer("free of", ptr,
		                   "not the start of an allocated block");
	if (bitmap_get(run->bitmap, idx))
		report_bad_pointer("double free of", ptr,
		                   "block is already free");
	return idx;
}

/* Caller holds bin->lock; may destroy the slab. */
static void bin_return(arena_t *a, bin_t *bin, run_t *run, void *ptr) {
	bitmap_set(run->bitmap, slab_region_checked(run, ptr));
	run->nfree++;
	if (run == bin->cur)
		return;
	if (run->nfree == 1) {
		run_list_remove(&bin->full, run);
		run_list_push(&bin->nonfull, run);
	}
	if (run->nfree == run->nregs) {
		run_list_remove(&bin->nonfull, run);
		/* One empty slab stays, so a bin that empties and refills a
		 * slab repeatedly does not create and destroy it each time. */
		if (bin->empty == NULL)
			bin->empty = run;
		else
			slab_destroy(a, bin, run);
	}
}

void arena_dalloc_small_batch(arena_t *a, unsigned ind, void *const *ptrs,
                              run_t *const *runs, unsigned n) {
	bin_t *bin = &a->bins[ind];
	mutex_lock(&bin->lock);
	for (unsigned i = 0; i < n; i++)
		bin_return(a, bin, runs[i], ptrs[i]);
	bin->stats.ndalloc += n;
	bin->stats.curregs -= n;
	bin->stats.nflushes++;
	mutex_unlock(&bin->lock);
}

void arena_dalloc_small(run_t *run, void *ptr) {
	arena_dalloc_small_batch(run->arena, run->ind, &ptr, &run, 1);
}

void arena_drop_empty_slabs(arena_t *a) {
	for (unsigned i = 0; i < SC_NSMALL; i++) {
		bin_t *bin = &a->bins[i];
		/* Read under the lock: a forced purge is rare, and an unlocked
		 * peek raced with the bin's owners writing bin->empty. */
		mutex_lock(&bin->lock);
		run_t *run = bin->empty;
		bin->empty = NULL;
		if (run != NULL)
			slab_destroy(a, bin, run);
		mutex_unlock(&bin->lock);
	}
}
