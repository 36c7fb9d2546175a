/*
 * contract.c — the backend contract (core/backend.h), checked against the
 * backend linked in: the fake, posix, and numa on Linux, whichever backend
 * the build itself uses.  States are checked by their effect: committed
 * memory holds what was written, an eager purge that says "zeroed" reads
 * as zero, unmapped memory faults, errno is left alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"

static backend_info_t info;
static const backend_placement_t any = { .tier = STRATA_TIER_DEFAULT,
                                         .node = STRATA_NODE_ANY };

static void setup(void) {
	cr_assert_eq(backend_default.init(&info), 0);
}

TestSuite(contract, .init = setup, .timeout = 60);

static sigjmp_buf fault_jmp;
static void on_fault(int sig) {
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* True when reading *p faults. */
static bool read_faults(volatile const char *p) {
	struct sigaction sa = { .sa_handler = on_fault }, old_segv, old_bus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	bool faulted = true;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		(void)*p;
		faulted = false;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return faulted;
}

/* "Afterwards the range ... may fault": the backends that give memory to
 * the OS make it fault; memkind hands a chunk back to its own heap, which
 * keeps it mapped for the next caller. */
static bool unmap_makes_it_fault(void) {
	return strcmp(backend_default.name, "memkind") != 0;
}

/* True when reading *p faults, or when this backend is not one whose
 * unmapped memory faults. */
static bool unmapped(volatile const char *p) {
	return !unmap_makes_it_fault() || read_faults(p);
}

Test(contract, declares_its_version_and_name) {
	cr_assert_geq(backend_default.version, 2);
	cr_assert_leq(backend_default.version, BACKEND_VERSION);
	cr_assert_not_null(backend_default.name);
}

Test(contract, init_reports_a_sane_geometry) {
	cr_assert_geq(info.page_bytes, 4096);
	cr_assert_eq(info.page_bytes & (info.page_bytes - 1), 0);
	if (info.hugepage_bytes != 0) {
		cr_assert_eq(info.hugepage_bytes & (info.hugepage_bytes - 1), 0);
		cr_assert_gt(info.hugepage_bytes, info.page_bytes);
	}
	cr_assert_geq(info.node_count, 1);
	cr_assert(info.tier_mask & 1u, "the default tier is always on hand");
}

/* A bit promises its operation; an operation the backend can never offer
 * is NULL and its bit clear (a probe may still clear the bit of an
 * operation that exists, when this machine lacks the feature). */
Test(contract, capability_bits_are_backed_by_their_operations) {
	if (info.caps & BACKEND_CAP_HUGEPAGE)
		cr_assert_not_null(backend_default.advise_hugepage);
	if (info.caps & BACKEND_CAP_NUMA)
		cr_assert_not_null(backend_default.current_node);
	if (backend_default.advise_hugepage == NULL)
		cr_assert_eq(info.caps & BACKEND_CAP_HUGEPAGE, 0);
	if (backend_default.current_node == NULL)
		cr_assert_eq(info.caps & BACKEND_CAP_NUMA, 0);
	if (backend_default.version >= 4 && (info.caps & BACKEND_CAP_REMAP))
		cr_assert_not_null(backend_default.remap);
	if (backend_default.version >= 4 && backend_default.remap == NULL)
		cr_assert_eq(info.caps & BACKEND_CAP_REMAP, 0);
}

Test(contract, reserve_gives_aligned_zeroed_writable_memory) {
	size_t aligns[] = { info.page_bytes, 64 * 1024, 2u << 20, 16u << 20 };
	for (unsigned i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		size_t align = aligns[i] < info.page_bytes ? info.page_bytes
		                                          : aligns[i];
		size_t size = 3 * info.page_bytes;
		void *p = NULL;
	backend_region_t id;
		cr_assert_eq(backend_default.reserve(size, align, &any, &p, &id), 0);
		cr_assert_eq((uintptr_t)p % align, 0, "align %zu", align);
		const unsigned char *c = p;
		for (size_t b = 0; b < size; b += 512)
			cr_assert_eq(c[b], 0);
		memset(p, 0x7e, size);
		cr_assert_eq(backend_default.unmap(p, size, id), 0);
	}
}

Test(contract, unmapped_memory_faults) {
	void *p = NULL;
	backend_region_t id;
	size_t size = 2 * info.page_bytes;
	cr_assert_eq(backend_default.reserve(size, info.page_bytes, &any, &p, &id), 0);
	cr_assert_eq(backend_default.unmap(p, size, id), 0);
	cr_assert(unmapped(p));
}

/* Two live reservations, each purged in part under its own region id and
 * unmapped whole: neither disturbs the other. */
Test(contract, each_reservation_is_purged_and_unmapped_under_its_own_id) {
	size_t pg = info.page_bytes, size = 4 * pg;
	void *p = NULL, *q = NULL;
	backend_region_t id, qid;
	cr_assert_eq(backend_default.reserve(size, pg, &any, &p, &id), 0);
	cr_assert_eq(backend_default.reserve(size, pg, &any, &q, &qid), 0);
	memset(p, 0x11, size);
	memset(q, 0x22, size);
	bool z;
	cr_assert_eq(backend_default.purge((char *)p + pg, 2 * pg, id,
	                                   BACKEND_PURGE_EAGER, &z), 0);
	cr_assert_eq(backend_default.purge((char *)q + 3 * pg, pg, qid,
	                                   BACKEND_PURGE_EAGER, &z), 0);
	cr_assert_eq(((unsigned char *)p)[0], 0x11, "outside the purge: kept");
	cr_assert_eq(((unsigned char *)p)[size - 1], 0x11);
	cr_assert_eq(((unsigned char *)q)[0], 0x22);
	cr_assert_eq(backend_default.unmap(p, size, id), 0);
	cr_assert(unmapped(p));
	cr_assert_eq(((unsigned char *)q)[pg], 0x22, "the other stays mapped");
	cr_assert_eq(backend_default.unmap(q, size, qid), 0);
	cr_assert(unmapped((char *)q + size - 1));
}

Test(contract, eager_purge_that_reports_zeroed_reads_zero) {
	void *p = NULL;
	backend_region_t id;
	size_t size = 4 * info.page_bytes;
	cr_assert_eq(backend_default.reserve(size, info.page_bytes, &any, &p, &id), 0);
	memset(p, 0x33, size);
	bool is_zeroed = false;
	cr_assert_eq(backend_default.purge(p, size, id, BACKEND_PURGE_EAGER,
	                                   &is_zeroed), 0);
	const unsigned char *c = p;
	if (is_zeroed)
		for (size_t b = 0; b < size; b += 256)
			cr_assert_eq(c[b], 0);
	memset(p, 0x44, size); /* still committed: writable */
	cr_assert_eq(c[size - 1], 0x44);
	cr_assert_eq(backend_default.unmap(p, size, id), 0);
}

Test(contract, lazy_purge_keeps_memory_writable) {
	void *p = NULL;
	backend_region_t id;
	size_t size = 4 * info.page_bytes;
	cr_assert_eq(backend_default.reserve(size, info.page_bytes, &any, &p, &id), 0);
	memset(p, 0x21, size);
	bool is_zeroed = true;
	cr_assert_eq(backend_default.purge(p, size, id, BACKEND_PURGE_LAZY,
	                                   &is_zeroed), 0);
	memset(p, 0x22, size);
	cr_assert_eq(((unsigned char *)p)[size / 2], 0x22);
	cr_assert_eq(backend_default.unmap(p, size, id), 0);
}

Test(contract, operations_leave_errno_alone) {
	void *p = NULL;
	backend_region_t id;
	size_t size = 2 * info.page_bytes;
	bool z;
	errno = 4242;
	cr_assert_eq(backend_default.reserve(size, info.page_bytes, &any, &p, &id), 0);
	cr_assert_eq(backend_default.purge(p, size, id, BACKEND_PURGE_LAZY, &z), 0);
	cr_assert_eq(backend_default.purge(p, size, id, BACKEND_PURGE_EAGER, &z), 0);
	cr_assert_eq(backend_default.unmap(p, size, id), 0);
	void *q = NULL;
	/* A failing reserve returns the error and still leaves errno. */
	int rc = backend_default.reserve((size_t)1 << 62, info.page_bytes, &any, &q, &id);
	cr_assert_neq(rc, 0);
	cr_assert_eq(errno, 4242);
}

Test(contract, unknown_tier_or_node_is_refused) {
	void *p = NULL;
	backend_region_t id;
	backend_placement_t bad_node = { .tier = STRATA_TIER_DEFAULT,
	                                 .node = 4095 };
	if (!(info.caps & BACKEND_CAP_NUMA) || info.node_count <= 4095) {
		int rc = backend_default.reserve(info.page_bytes, info.page_bytes,
		                                 &bad_node, &p, &id);
		if (info.caps & BACKEND_CAP_NUMA)
			cr_assert_eq(rc, ENOTSUP);
		else if (rc == 0)
			cr_assert_eq(backend_default.unmap(p, info.page_bytes, id), 0);
	}
	if (!(info.tier_mask & (1u << STRATA_TIER_HBM))) {
		backend_placement_t hbm = { .tier = STRATA_TIER_HBM,
		                            .node = STRATA_NODE_ANY };
		cr_assert_eq(backend_default.reserve(info.page_bytes,
		                                     info.page_bytes, &hbm, &p, &id),
		             ENOTSUP);
	}
}

Test(contract, advise_hugepage_when_offered_accepts_aligned_ranges) {
	if (!(info.caps & BACKEND_CAP_HUGEPAGE))
		return;
	size_t huge = info.hugepage_bytes ? info.hugepage_bytes : (2u << 20);
	void *p = NULL;
	backend_region_t id;
	cr_assert_eq(backend_default.reserve(huge, huge, &any, &p, &id), 0);
	cr_assert_eq(backend_default.advise_hugepage(p, huge, true), 0);
	cr_assert_eq(backend_default.advise_hugepage(p, huge, false), 0);
	cr_assert_eq(backend_default.unmap(p, huge, id), 0);
}

Test(contract, current_node_when_offered_is_in_range) {
	if (!(info.caps & BACKEND_CAP_NUMA))
		return;
	unsigned node = 9999;
	cr_assert_eq(backend_default.current_node(&node), 0);
	cr_assert_lt(node, info.node_count);
}

/* Without BACKEND_CAP_PMEM_DIR a PMEM directory is refused, never
 * silently served from ordinary memory; with it, a directory that exists
 * serves. */
Test(contract, pmem_dir_is_refused_without_its_capability) {
	bool has_dir = (info.caps & BACKEND_CAP_PMEM_DIR) != 0;
	backend_placement_t pmem = { .tier = STRATA_TIER_PMEM,
	                             .node = STRATA_NODE_ANY,
	                             .pmem_dir = has_dir ? "/tmp"
	                                                 : "/nonexistent-pmem",
	                             .pmem_max_bytes = 64u << 20 };
	void *p = NULL;
	backend_region_t id;
	int rc = backend_default.reserve(info.page_bytes, info.page_bytes, &pmem,
	                                 &p, &id);
	if (info.caps & BACKEND_CAP_PMEM_DIR) {
		cr_assert_eq(rc, 0);
		memset(p, 1, info.page_bytes);
		cr_assert_eq(backend_default.unmap(p, info.page_bytes, id), 0);
	} else {
		cr_assert_eq(rc, ENOTSUP);
	}
}

/* Tags are refused by a backend that cannot hold them. */
Test(contract, tagged_memory_is_refused_without_its_capability) {
	if (info.caps & BACKEND_CAP_TAGGING)
		return;
	backend_placement_t tagged = { .tier = STRATA_TIER_DEFAULT,
	                               .node = STRATA_NODE_ANY,
	                               .is_tagged = true };
	void *p = NULL;
	backend_region_t id;
	cr_assert_eq(backend_default.reserve(info.page_bytes, info.page_bytes,
	                                     &tagged, &p, &id),
	             ENOTSUP);
}

/* ---- remap (version 4) ---- */

static bool has_remap(void) {
	return backend_default.version >= 4 && (info.caps & BACKEND_CAP_REMAP);
}

static unsigned char byte_of(size_t i) { return (unsigned char)(i / 4096 + 1); }

static void fill_pages(unsigned char *p, size_t n) {
	for (size_t i = 0; i < n; i += 4096)
		p[i] = byte_of(i);
}

static void expect_pages(const unsigned char *p, size_t n) {
	for (size_t i = 0; i < n; i += 4096)
		cr_assert_eq(p[i], byte_of(i), "byte %zu of %zu", i, n);
}

/* Growing keeps the contents, gives a zeroed writable tail at the asked
 * alignment under the same region id, and the old range is no longer the
 * caller's (it faults when the backend moved it). */
Test(contract, remap_grows_keeping_contents_alignment_and_region) {
	if (!has_remap())
		return;
	size_t aligns[] = { 2u << 20, 16u << 20 };
	for (unsigned k = 0; k < 2; k++) {
		size_t align = aligns[k], old = 4u << 20, size = 12u << 20;
		void *p = NULL, *q = NULL;
		backend_region_t id;
		cr_assert_eq(backend_default.reserve(old, align, &any, &p, &id), 0);
		fill_pages(p, old);
		cr_assert_eq(backend_default.remap(p, old, size, align, &any, id,
		                                   &q), 0);
		cr_assert_eq((uintptr_t)q % align, 0, "align %zu", align);
		expect_pages(q, old);
		const unsigned char *c = q;
		for (size_t b = old; b < size; b += 512)
			cr_assert_eq(c[b], 0, "tail byte %zu", b);
		memset((char *)q + old, 0x5c, size - old);
		if (q != p)
			cr_assert(unmapped(p));
		bool z;
		cr_assert_eq(backend_default.purge((char *)q + old, size - old, id,
		                                   BACKEND_PURGE_EAGER, &z), 0);
		cr_assert_eq(backend_default.unmap(q, size, id), 0);
		cr_assert(unmapped((char *)q + size - 1));
	}
}

Test(contract, remap_shrinks_keeping_contents) {
	if (!has_remap())
		return;
	size_t old = 8u << 20, size = 2u << 20, align = 2u << 20;
	void *p = NULL, *q = NULL;
	backend_region_t id;
	cr_assert_eq(backend_default.reserve(old, align, &any, &p, &id), 0);
	fill_pages(p, old);
	cr_assert_eq(backend_default.remap(p, old, size, align, &any, id, &q), 0);
	cr_assert_eq((uintptr_t)q % align, 0);
	expect_pages(q, size);
	cr_assert_eq(backend_default.unmap(q, size, id), 0);
}

/* A remap the backend cannot serve fails, leaving the old reservation
 * as it was, and errno alone. */
Test(contract, failed_remap_leaves_the_reservation_untouched) {
	if (!has_remap())
		return;
	size_t old = 2u << 20;
	void *p = NULL, *q = NULL;
	backend_region_t id;
	cr_assert_eq(backend_default.reserve(old, old, &any, &p, &id), 0);
	fill_pages(p, old);
	errno = 4242;
	cr_assert_neq(backend_default.remap(p, old, (size_t)1 << 62, old, &any,
	                                    id, &q), 0);
	cr_assert_eq(errno, 4242);
	expect_pages(p, old);
	cr_assert_eq(backend_default.unmap(p, old, id), 0);
}
