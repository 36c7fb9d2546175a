/*
 * extent.c — chunk page maps: run placement, release, in-place growth.
 */
#include "extent.h"

#include <string.h>

#include "base.h"
#include "bitmap.h"
#include "pages.h"

size_t chunk_pages(void) { return CHUNK_BYTES >> lg_page; }

void extents_init(extents_t *ex, const backend_placement_t *placement) {
	memset(ex, 0, sizeof(*ex));
	mutex_init(&ex->lock, "extents");
	ex->placement = *placement;
}

static void list_push(chunk_t **head, chunk_t *c) {
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void list_remove(chunk_t **head, chunk_t *c) {
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static uint32_t longest_free_run(const chunk_t *c) {
	size_t best = 0, i = 0;
	while (i < c->npages) {
		size_t start = bitmap_find(c->alloc_map, c->npages, i, false);
		if (start >= c->npages)
			break;
		size_t end = bitmap_find(c->alloc_map, c->npages, start, true);
		if (end - start > best)
			best = end - start;
		i = end;
	}
	return (uint32_t)best;
}

/* First free run of npages starting at a multiple of align_pages, or
 * npages_in_chunk when there is none. */
static size_t chunk_find_run(const chunk_t *c, size_t npages,
                             size_t align_pages) {
	size_t i = 0;
	while (i + npages <= c->npages) {
		size_t start = bitmap_find(c->alloc_map, c->npages, i, false);
		start = align_up(start, align_pages);
		if (start + npages > c->npages)
			break;
		size_t used = bitmap_find(c->alloc_map, c->npages, start, true);
		if (used >= start + npages)
			return start;
		i = used + 1;
	}
	return c->npages;
}

static chunk_t *chunk_create(extents_t *ex) {
	chunk_t *c = ex->spare_descs;
	if (c != NULL)
		ex->spare_descs = c->next;
	else if ((c = base_alloc(sizeof(*c), CACHELINE_BYTES)) == NULL)
		return NULL;
	char *addr = pages_reserve(CHUNK_BYTES, CHUNK_BYTES, &ex->placement);
	if (addr == NULL) {
		c->next = ex->spare_descs;
		ex->spare_descs = c;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->npages = (uint32_t)chunk_pages();
	c->nfree_pages = c->longest_free_pages = c->npages;
	if (ex->placement.wants_hugepage)
		pages_advise_hugepage(addr, CHUNK_BYTES, true);
	list_push(&ex->chunks, c);
	ex->nchunks++;
	return c;
}

static void chunk_destroy(extents_t *ex, chunk_t *c) {
	list_remove(&ex->chunks, c);
	ex->nchunks--;
	ex->dirty_pages -= c->ndirty_pages;
	ex->muzzy_pages -= c->nmuzzy_pages;
	pages_unmap(c->addr, CHUNK_BYTES);
	c->next = ex->spare_descs;
	ex->spare_descs = c;
}

/* The chunk with the fewest free pages whose longest run could fit. */
static chunk_t *best_chunk(extents_t *ex, size_t npages, size_t align_pages,
                           size_t *start_out) {
	chunk_t *best = NULL;
	size_t best_start = 0;
	for (chunk_t *c = ex->chunks; c != NULL; c = c->next) {
		if (c->longest_free_pages < npages)
			continue;
		if (best != NULL && c->nfree_pages >= best->nfree_pages)
			continue;
		size_t start = chunk_find_run(c, npages, align_pages);
		if (start < c->npages) {
			best = c;
			best_start = start;
		}
	}
	*start_out = best_start;
	return best;
}

static void take_pages(extents_t *ex, chunk_t *c, size_t start,
                       size_t npages, bool *is_zeroed) {
	*is_zeroed = !bitmap_any_in_range(c->unzeroed_map, start, npages);
	size_t dirty = 0, muzzy = 0;
	for (size_t i = start; i < start + npages; i++) {
		dirty += bitmap_get(c->dirty_map, i);
		muzzy += bitmap_get(c->muzzy_map, i);
	}
	bitmap_assign_range(c->alloc_map, start, npages, true);
	bitmap_assign_range(c->dirty_map, start, npages, false);
	bitmap_assign_range(c->muzzy_map, start, npages, false);
	bitmap_assign_range(c->unzeroed_map, start, npages, true);
	c->ndirty_pages -= (uint32_t)dirty;
	c->nmuzzy_pages -= (uint32_t)muzzy;
	ex->dirty_pages -= dirty;
	ex->muzzy_pages -= muzzy;
	c->nfree_pages -= (uint32_t)npages;
	c->longest_free_pages = longest_free_run(c);
	ex->active_pages += npages;
}

void *extents_alloc(extents_t *ex, size_t npages, size_t align_pages,
                    chunk_t **chunk_out, bool *is_zeroed) {
	size_t start;
	chunk_t *c = best_chunk(ex, npages, align_pages, &start);
	if (c == NULL) {
		if ((c = chunk_create(ex)) == NULL)
			return NULL;
		start = 0;
	}
	take_pages(ex, c, start, npages, is_zeroed);
	*chunk_out = c;
	return c->addr + (start << lg_page);
}

static bool chunk_is_spare(const extents_t *ex, const chunk_t *self) {
	for (const chunk_t *c = ex->chunks; c != NULL; c = c->next)
		if (c != self && c->nfree_pages == c->npages)
			return false;
	return true;
}

void extents_free(extents_t *ex, chunk_t *c, void *addr, size_t npages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	bitmap_assign_range(c->alloc_map, start, npages, false);
	bitmap_assign_range(c->dirty_map, start, npages, true);
	c->ndirty_pages += (uint32_t)npages;
	ex->dirty_pages += npages;
	c->nfree_pages += (uint32_t)npages;
	c->longest_free_pages = longest_free_run(c);
	ex->active_pages -= npages;
	if (c->nfree_pages == c->npages && !chunk_is_spare(ex, c))
		chunk_destroy(ex, c);
}

bool extents_grow(extents_t *ex, chunk_t *c, void *addr, size_t npages,
                  size_t extra_pages) {
	size_t start = (size_t)((char *)addr - c->addr) >> lg_page;
	size_t from = start + npages;
	if (from + extra_pages > c->npages ||
	    bitmap_any_in_range(c->alloc_map, from, extra_pages))
		return false;
	bool is_zeroed;
	take_pages(ex, c, from, extra_pages, &is_zeroed);
	return true;
}

void extents_release_all(extents_t *ex) {
	while (ex->chunks != NULL)
		chunk_destroy(ex, ex->chunks);
	ex->active_pages = 0;
}
