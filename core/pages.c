/*
 * pages.c — wraps the build's backend (backend_default); the only file of
 * the core that calls a backend operation.  Owns the one check of a
 * placement against the vocabulary of include/strata.h and against what
 * the backend reported at init.
 */
#include "pages.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

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
	if (backend->version < 3 || backend->probe_late == NULL)
		pages_info.caps &= ~(unsigned)BACKEND_CAP_PROBE_LATE;
	if (backend->version < 3 || backend->provider_name == NULL)
		pages_info.caps &= ~(unsigned)BACKEND_CAP_PROVIDER_NAME;
	/* A version-3 struct ends before remap: the field is not there. */
	if (backend->version < 4 || backend->remap == NULL)
		pages_info.caps &= ~(unsigned)BACKEND_CAP_REMAP;
}

/* What probe_late finds widens the published geometry; the once makes it
 * visible to every thread that checks a placement afterwards. */
static pthread_once_t probe_late_once = PTHREAD_ONCE_INIT;

static void probe_late_run(void) {
	backend_info_t info = pages_info;
	if (backend->probe_late(&info) != 0)
		return;
	/* Only new bits are written: other threads read caps meanwhile. */
	unsigned caps = info.caps & (BACKEND_CAP_TIERS | BACKEND_CAP_PMEM_DIR);
	if (caps & ~pages_info.caps)
		pages_info.caps |= caps;
	pages_info.tier_mask |= info.tier_mask;
}

int pages_boot(unsigned tag_check) {
	if (backend->version < 2 || backend->init == NULL)
		return EINVAL;
	pages_info.tag_check = tag_check;
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

const char *pages_tier_name(unsigned tier) {
	static const char *const names[BACKEND_TIER_COUNT] = {
		"DEFAULT", "DRAM", "HBM", "PMEM"
	};
	return tier < BACKEND_TIER_COUNT ? names[tier] : "?";
}

const char *pages_provider_name(const backend_placement_t *placement) {
	if (!pages_has_cap(BACKEND_CAP_PROVIDER_NAME))
		return backend->name;
	const char *name = backend->provider_name(placement);
	return name != NULL ? name : backend->name;
}

/* Each value inside the vocabulary of include/strata.h. */
static int placement_is_wellformed(const backend_placement_t *pl) {
	if ((unsigned)pl->tier >= BACKEND_TIER_COUNT ||
	    (unsigned)pl->policy > STRATA_POLICY_INTERLEAVE ||
	    pl->node < STRATA_NODE_ANY)
		return EINVAL;
	if (pl->pmem_dir == NULL)
		return pl->pmem_max_bytes == 0 ? 0 : EINVAL;
	size_t len = strnlen(pl->pmem_dir, PAGES_PMEM_DIR_MAX);
	if (pl->tier != STRATA_TIER_PMEM || len == 0 || len == PAGES_PMEM_DIR_MAX)
		return EINVAL;
	return 0;
}

/* Every feature asked for is on hand in this backend and machine. */
static int placement_is_servable(const backend_placement_t *pl) {
	if (pl->pmem_dir != NULL ? !pages_has_cap(BACKEND_CAP_PMEM_DIR)
	                         : !(pages_info.tier_mask & (1u << pl->tier)))
		return ENOTSUP;
	if (pl->node != STRATA_NODE_ANY &&
	    (!pages_has_cap(BACKEND_CAP_NUMA) ||
	     (unsigned)pl->node >= pages_info.node_count))
		return ENOTSUP;
	if (pl->policy == STRATA_POLICY_INTERLEAVE &&
	    !pages_has_cap(BACKEND_CAP_NUMA))
		return ENOTSUP;
	if (pl->is_tagged && !pages_has_cap(BACKEND_CAP_TAGGING))
		return ENOTSUP;
	return 0;
}

int pages_placement_check(const backend_placement_t *placement) {
	if (pages_has_cap(BACKEND_CAP_PROBE_LATE))
		pthread_once(&probe_late_once, probe_late_run);
	int err = placement_is_wellformed(placement);
	return err != 0 ? err : placement_is_servable(placement);
}

void *pages_reserve(size_t size, size_t align,
                    const backend_placement_t *placement,
                    backend_region_t *region) {
	void *addr = NULL;
	if (backend->reserve(size, align, placement, &addr, region) != 0)
		return NULL;
	atomic_fetch_add_explicit(&pages_mapped_bytes, size,
	                          memory_order_relaxed);
	return addr;
}

void pages_unmap(void *addr, size_t size, backend_region_t region) {
	if (backend->unmap(addr, size, region) == 0)
		atomic_fetch_sub_explicit(&pages_mapped_bytes, size,
		                          memory_order_relaxed);
}

int pages_purge(void *addr, size_t size, backend_region_t region,
                backend_purge_t how, bool *is_zeroed) {
	*is_zeroed = false;
	if (how == BACKEND_PURGE_LAZY && !pages_has_cap(BACKEND_CAP_PURGE_LAZY))
		how = BACKEND_PURGE_EAGER;
	return backend->purge(addr, size, region, how, is_zeroed);
}

int pages_remap(void *old_addr, size_t old_size, size_t new_size,
                size_t align, const backend_placement_t *placement,
                backend_region_t region, void **new_addr) {
	if (!pages_has_cap(BACKEND_CAP_REMAP))
		return ENOTSUP;
	int err = backend->remap(old_addr, old_size, new_size, align,
	                         placement, region, new_addr);
	if (err != 0)
		return err;
	if (new_size > old_size)
		atomic_fetch_add_explicit(&pages_mapped_bytes,
		                          new_size - old_size,
		                          memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&pages_mapped_bytes,
		                          old_size - new_size,
		                          memory_order_relaxed);
	return 0;
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
