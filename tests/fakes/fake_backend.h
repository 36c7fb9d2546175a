/*
 * fake_backend.h — a backend for tests: real memory (mmap), a page size of
 * the test's choosing (4, 16 or 64 KiB), failures on demand, counters, and
 * strict checks of the contract's preconditions (a violation aborts with
 * a message naming it): purge must name the region id of the reservation
 * holding its range, unmap must name exactly one reservation (address,
 * size and id), never a part of one.  Lazily purged memory is scribbled
 * over, so code that relies on its contents fails visibly.  It offers
 * file-backed PMEM (BACKEND_CAP_PMEM_DIR) as plain memory, remembering the
 * directory it was asked for.
 *
 * Configuration is read by init() from the environment, so that a test
 * binary can be run under several page sizes by meson:
 *   STRATA_FAKE_PAGE=16384   page size reported (default 4096)
 *   STRATA_FAKE_NODES=3      nodes reported (default 1, always with
 *                            BACKEND_CAP_NUMA)
 *   STRATA_FAKE_CPU_NODE=1   node current_node() reports
 *   STRATA_FAKE_REMAP=0      BACKEND_CAP_REMAP left clear (remap then
 *                            aborts if called)
 * and may be changed by the test at any time through the functions below.
 *
 * remap (version 4) moves a growing reservation to a fresh aligned
 * mapping (copying: the fake proves what the core asks, not mremap) and
 * shrinks one in place; both keep the region id.  Built with
 * -DFAKE_BACKEND_VERSION=3 the fake declares version 3, and its remap
 * aborts: a version-3 struct ends before the field, so the core must not
 * even read it.
 */
#ifndef STRATA_FAKE_BACKEND_H
#define STRATA_FAKE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

typedef struct fake_counters {
	unsigned long reserve_calls, reserve_failures;
	unsigned long unmap_calls, purge_lazy_calls, purge_eager_calls;
	unsigned long hugepage_calls, pmem_reserve_calls;
	unsigned long remap_calls, remap_failures;
	size_t reserved_bytes; /* currently reserved */
} fake_counters_t;

/* Every reserve fails from now on (true) or succeeds again (false). */
void fake_fail_reserve(bool fail);
/* The next n reserves succeed, then every one fails. */
void fake_fail_reserve_after(unsigned long n);
/* Every remap fails with ENOMEM from now on (true) or works (false). */
void fake_fail_remap(bool fail);
/* The fake offers remap: version 4 and STRATA_FAKE_REMAP not 0. */
bool fake_offers_remap(void);
/* EAGER purges report is_zeroed = false (like a file-backed tier). */
void fake_set_purge_zeroes(bool zeroes);
fake_counters_t fake_counters(void);
size_t fake_page_bytes(void);
/* The pmem_dir (and pmem_max_bytes) of the last PMEM reservation, as the
 * backend saw it then; "" before any. */
const char *fake_last_pmem_dir(size_t *max_bytes);

#endif
