/*
 * fake_backend.c — see fake_backend.h.
 */
#define _GNU_SOURCE
#include "fake_backend.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page = 4096;
static unsigned nodes = 1;
static atomic_bool fail_all;
static atomic_long successes_left = -1; /* -1: unlimited */
static atomic_bool purge_zeroes = true;
static struct {
	atomic_ulong reserve_calls, reserve_failures, unmap_calls;
	atomic_ulong purge_lazy_calls, purge_eager_calls, commit_calls;
	atomic_ulong decommit_calls, hugepage_calls;
	atomic_size_t reserved_bytes;
} count;

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

static int fake_init(backend_info_t *info) {
	const char *p = getenv("STRATA_FAKE_PAGE");
	const char *n = getenv("STRATA_FAKE_NODES");
	if (p != NULL)
		page = (size_t)strtoul(p, NULL, 10);
	if (n != NULL)
		nodes = (unsigned)strtoul(n, NULL, 10);
	info->page_bytes = page;
	info->hugepage_bytes = 2u << 20;
	info->node_count = nodes;
	info->tier_mask = 1u;
	info->caps = BACKEND_CAP_PURGE_LAZY | BACKEND_CAP_HUGEPAGE |
	             BACKEND_CAP_NUMA;
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

static int fake_reserve(size_t size, size_t align,
                        const backend_placement_t *pl, void **addr) {
	int saved = errno;
	atomic_fetch_add(&count.reserve_calls, 1);
	check_range("reserve", NULL, size);
	if (align < page || (align & (align - 1)) != 0)
		contract_violation("reserve", NULL, size, "bad alignment");
	if (pl != NULL && (pl->node >= (int)nodes || pl->tier != 0))
		return ENOTSUP;
	if (!take_success()) {
		atomic_fetch_add(&count.reserve_failures, 1);
		return ENOMEM;
	}
	size_t over = size + align;
	char *p = mmap(NULL, over, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = saved;
		return ENOMEM;
	}
	uintptr_t base = (uintptr_t)p;
	uintptr_t aligned = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (aligned > base)
		munmap(p, aligned - base);
	size_t tail = (base + over) - (aligned + size);
	if (tail != 0)
		munmap((void *)(aligned + size), tail);
	*addr = (void *)aligned;
	atomic_fetch_add(&count.reserved_bytes, size);
	errno = saved;
	return 0;
}

static int fake_commit(void *addr, size_t size) {
	check_range("commit", addr, size);
	atomic_fetch_add(&count.commit_calls, 1);
	return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0 ? 0 : ENOMEM;
}

static int fake_decommit(void *addr, size_t size) {
	check_range("decommit", addr, size);
	atomic_fetch_add(&count.decommit_calls, 1);
	madvise(addr, size, MADV_DONTNEED);
	return mprotect(addr, size, PROT_NONE) == 0 ? 0 : ENOMEM;
}

static int fake_purge(void *addr, size_t size, backend_purge_t how,
                      bool *is_zeroed) {
	check_range("purge", addr, size);
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
	return 0;
}

static int fake_unmap(void *addr, size_t size) {
	check_range("unmap", addr, size);
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

const backend_t backend_default = {
	.version = BACKEND_VERSION,
	.name = "fake",
	.init = fake_init,
	.reserve = fake_reserve,
	.commit = fake_commit,
	.decommit = fake_decommit,
	.purge = fake_purge,
	.unmap = fake_unmap,
	.advise_hugepage = fake_advise_hugepage,
	.current_node = fake_current_node,
};

void fake_fail_reserve(bool fail) { atomic_store(&fail_all, fail); }
void fake_fail_reserve_after(unsigned long n) {
	atomic_store(&successes_left, (long)n);
}
void fake_set_purge_zeroes(bool zeroes) { atomic_store(&purge_zeroes, zeroes); }
size_t fake_page_bytes(void) { return page; }

fake_counters_t fake_counters(void) {
	return (fake_counters_t){
		.reserve_calls = atomic_load(&count.reserve_calls),
		.reserve_failures = atomic_load(&count.reserve_failures),
		.unmap_calls = atomic_load(&count.unmap_calls),
		.purge_lazy_calls = atomic_load(&count.purge_lazy_calls),
		.purge_eager_calls = atomic_load(&count.purge_eager_calls),
		.commit_calls = atomic_load(&count.commit_calls),
		.decommit_calls = atomic_load(&count.decommit_calls),
		.hugepage_calls = atomic_load(&count.hugepage_calls),
		.reserved_bytes = atomic_load(&count.reserved_bytes),
	};
}
