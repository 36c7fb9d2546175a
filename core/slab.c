/*
 * slab.c — bins: small regions out of slabs, with out-of-band bitmaps.
 *
 * A slab emptied by a free is returned to its extents at once, unless it
 * is the current one or the bin has no spare yet (one emptied slab is
 * kept, so a bin that empties and refills does not create and destroy a
 * slab each time); so a burst of frees gives back whole pages.  This file
 * calls down only: extent.c for pages, pagemap.c, base.c for descriptors.
 */
#include "slab.h"

#include <string.h>

#include "base.h"
#include "bitmap.h"
#include "pagemap.h"
#include "report.h"

void bin_init(bin_t *bin) { mutex_init(&bin->lock, "bin"); }

void bin_reset(bin_t *bin, struct arena *owner, extents_t *extents,
               bool is_manual) {
	bin->owner = owner;
	bin->extents = extents;
	bin->pm_flags = is_manual ? PM_SLAB | PM_NO_TCACHE : PM_FAST_FLAGS;
	bin->stats = (bin_stats_t){ 0 };
}

static slab_t *slab_desc_get(bin_t *bin, unsigned ind) {
	run_t *run = run_list_pop(&bin->spare_descs);
	if (run != NULL)
		return slab_of(run);
	return base_alloc(sizeof(slab_t) + align_up(slab_live_len(ind), 8) +
	                      sc_slab[ind].bitmap_words * sizeof(uint64_t),
	                  CACHELINE_BYTES);
}

static run_t *slab_create(bin_t *bin, unsigned ind) {
	const slab_geometry_t *geo = &sc_slab[ind];
	slab_t *slab = slab_desc_get(bin, ind);
	if (slab == NULL)
		return NULL;
	extents_t *ex = bin->extents;
	size_t npages = geo->slab_bytes >> lg_page;
	chunk_t *chunk;
	bool is_zeroed;
	mutex_lock(&ex->lock);
	char *addr = extents_alloc(ex, npages, 1, &chunk, &is_zeroed);
	if (addr != NULL &&
	    pagemap_set(addr_of(addr), npages,
	                pm_make(slab, bin->pm_flags)) != 0) {
		extents_free(ex, chunk, addr, npages);
		addr = NULL;
	}
	mutex_unlock(&ex->lock);
	if (addr == NULL) {
		run_list_push(&bin->spare_descs, &slab->run);
		return NULL;
	}
	slab->run = (run_t){ .addr = addr, .bytes = geo->slab_bytes,
		             .arena = bin->owner, .chunk = chunk, .ind = ind,
		             .kind = RUN_SLAB };
	slab->nfree = slab->nregs = geo->nregs;
	slab->run.region_size = (uint16_t)sc_small_size[ind];
	slab->run.size_min = sc_small_min[ind];
	slab->run.size_span = (uint16_t)(sc_small_size[ind] - sc_small_min[ind]);
	slab->run.div_m64 = UINT64_MAX / sc_small_size[ind] + 1;
	memset(slab->live, 0, slab_live_len(ind));
	slab->bitmap = (uint64_t *)(void *)(slab->live +
	                                    align_up(slab_live_len(ind), 8));
	memset(slab->bitmap, 0, geo->bitmap_words * sizeof(uint64_t));
	bitmap_assign_range(slab->bitmap, 0, geo->nregs, true);
	bin->stats.nslabs_created++;
	bin->stats.curslabs++;
	return &slab->run;
}

/* Returns the pages that became dirty. */
static size_t slab_destroy(bin_t *bin, run_t *run) {
	extents_t *ex = bin->extents;
	size_t npages = run->bytes >> lg_page;
	mutex_lock(&ex->lock);
	pagemap_set(addr_of(run->addr), npages, 0);
	extents_free(ex, run->chunk, run->addr, npages);
	mutex_unlock(&ex->lock);
	bin->stats.curslabs--;
	run_list_push(&bin->spare_descs, run);
	return npages;
}

/* A slab to take regions from: the current one, a non-full one, or new. */
static run_t *bin_current_slab(bin_t *bin, unsigned ind) {
	if (bin->cur != NULL && slab_of(bin->cur)->nfree != 0)
		return bin->cur;
	if (bin->cur != NULL)
		run_list_push(&bin->full, bin->cur);
	bin->cur = run_list_pop(&bin->nonfull);
	if (bin->cur == NULL && bin->empty != NULL) {
		bin->cur = bin->empty;
		bin->empty = NULL;
	}
	if (bin->cur == NULL)
		bin->cur = slab_create(bin, ind);
	return bin->cur;
}

/* Up to n free regions, lowest first, a bitmap word at a time (set bits
 * are free; none lies beyond nregs). */
static unsigned slab_take(slab_t *slab, void **out, unsigned n) {
	size_t size = slab->run.region_size;
	char *base = slab->run.addr;
	if (n > slab->nfree)
		n = slab->nfree;
	unsigned got = 0;
	for (size_t w = 0; got < n; w++) {
		uint64_t bits = slab->bitmap[w];
		if (bits == 0)
			continue;
		do {
			size_t i = (w << 6) + (size_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			out[got++] = base + i * size;
		} while (bits != 0 && got < n);
		slab->bitmap[w] = bits;
	}
	slab->nfree -= got;
	return got;
}

unsigned bin_fill(bin_t *bin, unsigned ind, void **out, unsigned n) {
	unsigned got = 0;
	mutex_lock(&bin->lock);
	while (got < n) {
		run_t *run = bin_current_slab(bin, ind);
		if (run == NULL)
			break;
		got += slab_take(slab_of(run), out + got, n - got);
	}
	bin->stats.nmalloc += got;
	bin->stats.curregs += got;
	bin->stats.nfills++;
	mutex_unlock(&bin->lock);
	return got;
}

/* Region index of ptr (untagged) in slab, reporting a pointer that is not
 * the start of a region or that is already free. */
static size_t slab_region_checked(const slab_t *slab, const void *ptr) {
	size_t off = (size_t)((const char *)ptr - slab->run.addr);
	unsigned ind = slab->run.ind;
	size_t idx = slab_index_of(off, ind);
	if (idx * sc_small_size[ind] != off || idx >= slab->nregs)
		report_bad_pointer("free of", ptr,
		                   "not the start of an allocated block");
	if (bitmap_get(slab->bitmap, idx))
		report_bad_pointer("double free of", ptr,
		                   "block is already free");
	return idx;
}

/* Caller holds bin->lock; may destroy the slab (returns its pages). */
static size_t bin_return(bin_t *bin, run_t *run, void *ptr) {
	slab_t *slab = slab_of(run);
	bitmap_set(slab->bitmap, slab_region_checked(slab, ptr));
	slab->nfree++;
	if (run == bin->cur)
		return 0;
	if (slab->nfree == 1) {
		run_list_remove(&bin->full, run);
		run_list_push(&bin->nonfull, run);
	}
	if (slab->nfree != slab->nregs)
		return 0;
	run_list_remove(&bin->nonfull, run);
	/* One empty slab stays, so a bin that empties and refills a slab
	 * repeatedly does not create and destroy it each time. */
	if (bin->empty == NULL) {
		bin->empty = run;
		return 0;
	}
	return slab_destroy(bin, run);
}

size_t bin_dalloc_batch(bin_t *bin, void *const *ptrs, run_t *const *runs,
                        unsigned n) {
	size_t dirtied = 0;
	mutex_lock(&bin->lock);
	for (unsigned i = 0; i < n; i++)
		dirtied += bin_return(bin, runs[i], ptrs[i]);
	bin->stats.ndalloc += n;
	bin->stats.curregs -= n;
	bin->stats.nflushes++;
	mutex_unlock(&bin->lock);
	return dirtied;
}

size_t bin_drop_empty(bin_t *bin) {
	/* Read under the lock: a forced purge is rare, and an unlocked peek
	 * raced with the bin's owners writing bin->empty. */
	size_t dirtied = 0;
	mutex_lock(&bin->lock);
	run_t *run = bin->empty;
	bin->empty = NULL;
	if (run != NULL)
		dirtied = slab_destroy(bin, run);
	mutex_unlock(&bin->lock);
	return dirtied;
}

void bin_discard(bin_t *bin) {
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
