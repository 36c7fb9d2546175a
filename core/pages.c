/*
 * pages.c — wraps the build's backend (backend_default); the only file of
 * the core that calls a backend operation.
 */
#include "pages.h"

#include <errno.h>

backend_info_t pages_info;
size_t page_bytes;
unsigned lg_page;
atomic_size_t pages_mapped_bytes;

static const backend_t *const backend = &backend_default;

/* Capabilities whose operation is missing are dropped, so that the rest of
 * the core can trust a bit without checking the pointer. */
static void pages_drop_unbacked_caps(void) {
	if (backend->advise_hugepage == NULL)
		pages_info.caps &= ~(unsigned)BACKEND_CAP_HUGEPAGE;
	if (backend->current_node == NULL)
		pages_info.caps &= ~(unsigned)BACKEND_CAP_NUMA;
}

int pages_boot(void) {
	if (backend->version < 1 || backend->init == NULL)
		return EINVAL;
	int err = backend->init(&pages_info);
	if (err != 0)
		return err;
	if (!is_pow2(pages_info.page_bytes) || pages_info.page_bytes < 4096)
		return EINVAL;
	if (pages_info.node_count == 0)
		pages_info.node_count = 1;
	pages_drop_unbacked_caps();
	page_bytes = pages_info.page_bytes;
	lg_page = lg_floor(page_bytes);
	return 0;
}

const char *pages_backend_name(void) { return backend->name; }

void *pages_reserve(size_t size, size_t align,
                    const backend_placement_t *placement) {
	void *addr = NULL;
	if (backend->reserve(size, align, placement, &addr) != 0)
		return NULL;
	atomic_fetch_add_explicit(&pages_mapped_bytes, size,
	                          memory_order_relaxed);
	return addr;
}

void pages_unmap(void *addr, size_t size) {
	if (backend->unmap(addr, size) == 0)
		atomic_fetch_sub_explicit(&pages_mapped_bytes, size,
		                          memory_order_relaxed);
}

int pages_purge(void *addr, size_t size, backend_purge_t how,
                bool *is_zeroed) {
	*is_zeroed = false;
	if (how == BACKEND_PURGE_LAZY && !pages_has_cap(BACKEND_CAP_PURGE_LAZY))
		how = BACKEND_PURGE_EAGER;
	return backend->purge(addr, size, how, is_zeroed);
}

int pages_advise_hugepage(void *addr, size_t size, bool want) {
	if (!pages_has_cap(BACKEND_CAP_HUGEPAGE))
		return ENOTSUP;
	return backend->advise_hugepage(addr, size, want);
}

unsigned pages_current_node(void) {
	unsigned node = 0;
	if (pages_has_cap(BACKEND_CAP_NUMA) && backend->current_node(&node) != 0)
		node = 0;
	return node;
}
