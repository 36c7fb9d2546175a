/*
 * fake_backend.c — see fake_backend.h.
 */
#define _GNU_SOURCE
#include "fake_backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef FAKE_BACKEND_VERSION
#define FAKE_BACKEND_VERSION BACKEND_VERSION
#endif

static size_t page = 4096;
static unsigned nodes = 1;
static atomic_bool fail_all;
static atomic_long successes_left = -1; /* -1: unlimited */
static atomic_bool purge_zeroes = true;
static atomic_bool fail_remap;
static bool offers_remap;
static struct {
	atomic_ulong remap_calls, remap_failures;
	atomic_ulong reserve_calls, reserve_failures, unmap_calls;
	atomic_ulong purge_lazy_calls, purge_eager_calls, hugepage_calls;
	atomic_ulong pmem_reserve_calls;
	atomic_size_t reserved_bytes;
} count;

/* Every live reservation, so that purge and unmap can be checked against
 * the one their region id names.  An id is a slot number (low 16 bits,
 * never 0, so a caller that forgets the id is caught) and the slot's
 * generation (high 16 bits, so a stale id is caught after reuse). */
#define REGION_SLOTS 65536u
static struct region {
	uintptr_t base;
	size_t size;
	uint16_t gen;
	bool is_live;
	uint32_t next_free;
} regions[REGION_SLOTS];
static uint32_t regions_free_head, regions_used = 1; /* slot 0 unused */
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_pmem_dir[4096];
static size_t last_pmem_max_bytes;

static void contract_violation(const char *op, const void *addr,
                               size_t size, const char *why) {
	fprintf(stderr, "fake backend: %s(%p, %zu): contract violated: %s\n",
	        op, addr, size, why);
	abort();
}

static void check_range(const char *op, const void *addr, size_t size) {
	if (size == 0)
		contract_violation(op, addr, size, "size is 0");
	if ((uintptr_t)addr % page != 0)
		contract_violation(op, addr, size, "address not page-aligned");
	if (size % page != 0)
		contract_violation(op, addr, size, "size not a page multiple");
}

static void check_region_size(const char *op, const void *addr, size_t size,
                              backend_region_t id, const struct region *r) {
	char why[160];
	snprintf(why, sizeof(why),
	         "region %#x is the reservation %p + %zu, which does not %s",
	         (unsigned)id, (void *)r->base, r->size,
	         op[0] == 'u' ? "match exactly (no partial unmap)"
	                      : "contain the range");
	contract_violation(op, addr, size, why);
}

static backend_region_t region_add(uintptr_t base, size_t size) {
	pthread_mutex_lock(&regions_lock);
	uint32_t slot = regions_free_head;
	if (slot != 0)
		regions_free_head = regions[slot].next_free;
	else if (regions_used < REGION_SLOTS)
		slot = regions_used++;
	if (slot == 0) {
		pthread_mutex_unlock(&regions_lock);
		contract_violation("reserve", (void *)base, size,
		                   "more live reservations than the fake tracks");
	}
	struct region *r = &regions[slot];
	r->base = base;
	r->size = size;
	r->is_live = true;
	backend_region_t id = (uint32_t)r->gen << 16 | slot;
	pthread_mutex_unlock(&regions_lock);
	return id;
}

/* Slot of the live reservation id names (lock held), or a violation. */
static struct region *region_live(const char *op, const void *addr,
                                  size_t size, backend_region_t id) {
	uint32_t slot = id & 0xffffu;
	struct region *r = &regions[slot];
	if (slot == 0 || slot >= regions_used || !r->is_live ||
	    r->gen != id >> 16) {
		pthread_mutex_unlock(&regions_lock);
		contract_violation(op, addr, size,
		                   "region id names no live reservation");
	}
	return r;
}

/* The reservation id names, checked to hold [addr, addr + size) (purge)
 * or to be exactly it (unmap, which also forgets it). */
static void region_check(const char *op, const void *addr, size_t size,
                         backend_region_t id, bool is_unmap) {
	uint32_t slot = id & 0xffffu;
	pthread_mutex_lock(&regions_lock);
	struct region *r = region_live(op, addr, size, id);
	uintptr_t a = (uintptr_t)addr;
	bool fits = is_unmap ? a == r->base && size == r->size
	                     : a >= r->base && size <= r->size &&
	                           a - r->base <= r->size - size;
	if (!fits) {
		struct region copy = *r;
		pthread_mutex_unlock(&regions_lock);
		check_region_size(op, addr, size, id, &copy);
	}
	if (is_unmap) {
		r->is_live = false;
		r->gen++;
		r->next_free = regions_free_head;
		regions_free_head = slot;
	}
	pthread_mutex_unlock(&regions_lock);
}

static int fake_init(backend_info_t *info) {
	const char *p = getenv("STRATA_FAKE_PAGE");
	const char *n = getenv("STRATA_FAKE_NODES");
	const char *rm = getenv("STRATA_FAKE_REMAP");
	if (p != NULL)
		page = (size_t)strtoul(p, NULL, 10);
	if (n != NULL)
		nodes = (unsigned)strtoul(n, NULL, 10);
	info->page_bytes = page;
	info->hugepage_bytes = 2u << 20;
	info->node_count = nodes;
	info->tier_mask = 1u;
	info->caps = BACKEND_CAP_PURGE_LAZY | BACKEND_CAP_HUGEPAGE |
	             BACKEND_CAP_NUMA | BACKEND_CAP_PMEM_DIR;
	/* Version 3 sets the bit too: the core must go by the version. */
	offers_remap = FAKE_BACKEND_VERSION >= 4 &&
	               (rm == NULL || strcmp(rm, "0") != 0);
	if (offers_remap || FAKE_BACKEND_VERSION < 4)
		info->caps |= BACKEND_CAP_REMAP;
	return 0;
}

static bool take_success(void) {
	if (atomic_load(&fail_all))
		return false;
	long left = atomic_load(&successes_left);
	while (left > 0 &&
	       !atomic_compare_exchange_weak(&successes_left, &left, left - 1))
		;
	return left != 0;
}

/* A PMEM directory is taken as asked (the fake has no files): remembered
 * so that tests can see what reached the backend. */
static int fake_placement(const backend_placement_t *pl, size_t size) {
	if (pl == NULL)
		contract_violation("reserve", NULL, size, "placement is NULL");
	if (pl->node >= (int)nodes || pl->is_tagged)
		return ENOTSUP;
	if (pl->pmem_dir == NULL)
		return pl->tier == STRATA_TIER_DEFAULT ? 0 : ENOTSUP;
	if (pl->tier != STRATA_TIER_PMEM)
		contract_violation("reserve", NULL, size,
		                   "pmem_dir without the PMEM tier");
	atomic_fetch_add(&count.pmem_reserve_calls, 1);
	pthread_mutex_lock(&regions_lock);
	snprintf(last_pmem_dir, sizeof(last_pmem_dir), "%s", pl->pmem_dir);
	last_pmem_max_bytes = pl->pmem_max_bytes;
	pthread_mutex_unlock(&regions_lock);
	return 0;
}

/* size bytes of fresh zeroed memory aligned to align; 0 when mmap fails. */
static uintptr_t map_aligned(size_t size, size_t align) {
	size_t over = size + align;
	if (over < size)
		return 0;
	char *p = mmap(NULL, over, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uintptr_t base = (uintptr_t)p;
	uintptr_t aligned = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (aligned > base)
		munmap(p, aligned - base);
	size_t tail = (base + over) - (aligned + size);
	if (tail != 0)
		munmap((void *)(aligned + size), tail);
	return aligned;
}

static int fake_reserve(size_t size, size_t align,
                        const backend_placement_t *pl, void **addr,
                        backend_region_t *region) {
	int saved = errno;
	atomic_fetch_add(&count.reserve_calls, 1);
	check_range("reserve", NULL, size);
	if (align < page || (align & (align - 1)) != 0)
		contract_violation("reserve", NULL, size, "bad alignment");
	int err = fake_placement(pl, size);
	if (err != 0) {
		errno = saved;
		return err;
	}
	if (!take_success()) {
		atomic_fetch_add(&count.reserve_failures, 1);
		return ENOMEM;
	}
	uintptr_t aligned = map_aligned(size, align);
	if (aligned == 0) {
		errno = saved;
		return ENOMEM;
	}
	*addr = (void *)aligned;
	*region = region_add(aligned, size);
	atomic_fetch_add(&count.reserved_bytes, size);
	errno = saved;
	return 0;
}

static int fake_purge(void *addr, size_t size, backend_region_t region,
                      backend_purge_t how, bool *is_zeroed) {
	check_range("purge", addr, size);
	region_check("purge", addr, size, region, false);
	int saved = errno;
	if (how == BACKEND_PURGE_LAZY) {
		atomic_fetch_add(&count.purge_lazy_calls, 1);
		memset(addr, 0xa5, size); /* contents are undefined now */
		*is_zeroed = false;
		return 0;
	}
	atomic_fetch_add(&count.purge_eager_calls, 1);
	if (atomic_load(&purge_zeroes)) {
		madvise(addr, size, MADV_DONTNEED);
		*is_zeroed = true;
	} else {
		memset(addr, 0x5a, size);
		*is_zeroed = false;
	}
	errno = saved;
	return 0;
}

static int fake_unmap(void *addr, size_t size, backend_region_t region) {
	check_range("unmap", addr, size);
	region_check("unmap", addr, size, region, true);
	atomic_fetch_add(&count.unmap_calls, 1);
	atomic_fetch_sub(&count.reserved_bytes, size);
	int saved = errno;
	int rc = munmap(addr, size) == 0 ? 0 : EINVAL;
	errno = saved;
	return rc;
}

static int fake_advise_hugepage(void *addr, size_t size, bool want) {
	(void)want;
	check_range("advise_hugepage", addr, size);
	atomic_fetch_add(&count.hugepage_calls, 1);
	return 0;
}

/* The thread "runs" on node STRATA_FAKE_CPU_NODE (default 0). */
static int fake_current_node(unsigned *node) {
	const char *n = getenv("STRATA_FAKE_CPU_NODE");
	*node = n != NULL ? (unsigned)strtoul(n, NULL, 10) % nodes : 0;
	return 0;
}

/* Checked as unmap checks: exactly one live reservation, under its id. */
static int fake_remap(void *old_addr, size_t old_size, size_t new_size,
                      size_t align, const backend_placement_t *pl,
                      backend_region_t region, void **new_addr) {
	if (FAKE_BACKEND_VERSION < 4)
		contract_violation("remap", old_addr, old_size,
		                   "called on a version-3 backend");
	if (!offers_remap)
		contract_violation("remap", old_addr, old_size,
		                   "called with BACKEND_CAP_REMAP clear");
	atomic_fetch_add(&count.remap_calls, 1);
	check_range("remap", old_addr, old_size);
	check_range("remap", old_addr, new_size);
	if (align < page || (align & (align - 1)) != 0)
		contract_violation("remap", old_addr, new_size, "bad alignment");
	if (pl == NULL)
		contract_violation("remap", old_addr, new_size,
		                   "placement is NULL");
	pthread_mutex_lock(&regions_lock);
	struct region *r = region_live("remap", old_addr, old_size, region);
	bool is_exact = r->base == (uintptr_t)old_addr && r->size == old_size;
	pthread_mutex_unlock(&regions_lock);
	if (!is_exact)
		contract_violation("remap", old_addr, old_size,
		                   "not exactly one reservation");
	int saved = errno;
	bool is_aligned = ((uintptr_t)old_addr & (align - 1)) == 0;
	uintptr_t to = (uintptr_t)old_addr;
	/* Growing takes new memory: reserve's failures on demand apply. */
	if (atomic_load(&fail_remap) ||
	    (new_size > old_size &&
	     (!take_success() || (to = map_aligned(new_size, align)) == 0)) ||
	    (new_size <= old_size && !is_aligned)) {
		atomic_fetch_add(&count.remap_failures, 1);
		errno = saved;
		return new_size <= old_size && !is_aligned ? EINVAL : ENOMEM;
	}
	if (new_size > old_size) {
		memcpy((void *)to, old_addr, old_size);
		munmap(old_addr, old_size);
	} else if (new_size < old_size) {
		munmap((char *)old_addr + new_size, old_size - new_size);
	}
	pthread_mutex_lock(&regions_lock);
	r->base = to;
	r->size = new_size;
	pthread_mutex_unlock(&regions_lock);
	atomic_fetch_add(&count.reserved_bytes, new_size);
	atomic_fetch_sub(&count.reserved_bytes, old_size);
	*new_addr = (void *)to;
	errno = saved;
	return 0;
}

const backend_t backend_default = {
	.version = FAKE_BACKEND_VERSION,
	.name = "fake",
	.init = fake_init,
	.reserve = fake_reserve,
	.purge = fake_purge,
	.unmap = fake_unmap,
	.advise_hugepage = fake_advise_hugepage,
	.current_node = fake_current_node,
	.probe_late = NULL,
	.provider_name = NULL,
	.remap = fake_remap,
};

void fake_fail_remap(bool fail) { atomic_store(&fail_remap, fail); }
bool fake_offers_remap(void) { return offers_remap; }

void fake_fail_reserve(bool fail) { atomic_store(&fail_all, fail); }
void fake_fail_reserve_after(unsigned long n) {
	atomic_store(&successes_left, (long)n);
}
void fake_set_purge_zeroes(bool zeroes) { atomic_store(&purge_zeroes, zeroes); }
size_t fake_page_bytes(void) { return page; }

const char *fake_last_pmem_dir(size_t *max_bytes) {
	pthread_mutex_lock(&regions_lock);
	if (max_bytes != NULL)
		*max_bytes = last_pmem_max_bytes;
	pthread_mutex_unlock(&regions_lock);
	return last_pmem_dir;
}

fake_counters_t fake_counters(void) {
	return (fake_counters_t){
		.reserve_calls = atomic_load(&count.reserve_calls),
		.reserve_failures = atomic_load(&count.reserve_failures),
		.unmap_calls = atomic_load(&count.unmap_calls),
		.purge_lazy_calls = atomic_load(&count.purge_lazy_calls),
		.purge_eager_calls = atomic_load(&count.purge_eager_calls),
		.hugepage_calls = atomic_load(&count.hugepage_calls),
		.pmem_reserve_calls = atomic_load(&count.pmem_reserve_calls),
		.remap_calls = atomic_load(&count.remap_calls),
		.remap_failures = atomic_load(&count.remap_failures),
		.reserved_bytes = atomic_load(&count.reserved_bytes),
	};
}
