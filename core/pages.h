/*
 * pages.h — the core's only door to the backend.
 *
 * pages_boot() asks the backend to probe the machine once; the geometry it
 * reports (page size, hugepage size, nodes, capabilities) is published here
 * as plain globals, read without locks afterwards.  Every other module gets
 * memory from the OS through these functions, which also keep the
 * process-wide mapped-bytes count.  All sizes are multiples of page_bytes.
 * Each reservation carries the backend's region id; its owner stores it
 * beside the address (chunk_t, the huge run descriptor) and passes it back.
 */
#ifndef STRATA_PAGES_H
#define STRATA_PAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "util.h"

/* Filled by pages_boot(), constant afterwards. */
extern HIDDEN backend_info_t pages_info;
extern HIDDEN size_t page_bytes;
extern HIDDEN unsigned lg_page;
/* Bytes currently reserved from the backend (chunks, huge, metadata). */
extern HIDDEN atomic_size_t pages_mapped_bytes;

/* 0 or the backend's errno value.  tag_check: BACKEND_TAG_* (opt.mte),
 * what a backend with tags is asked for. */
HIDDEN int pages_boot(unsigned tag_check);
HIDDEN const char *pages_backend_name(void);
static inline bool pages_has_cap(unsigned cap) {
	return (pages_info.caps & cap) != 0;
}

/* The one check of a placement, made when an arena is created: 0, EINVAL
 * when a field is outside the vocabulary of include/strata.h (or pmem_dir
 * is empty, longer than PAGES_PMEM_DIR_MAX, or asked for without the PMEM
 * tier), ENOTSUP when this backend and machine cannot serve it.  Runs the
 * backend's probe_late first, once: call it outside every allocator lock. */
#define PAGES_PMEM_DIR_MAX 4096u /* bytes, with the NUL */
HIDDEN int pages_placement_check(const backend_placement_t *placement);

/* "DEFAULT", "DRAM", "HBM", "PMEM"; "?" outside the vocabulary. */
HIDDEN const char *pages_tier_name(unsigned tier);

/* What serves the placement (a memkind kind, ...), else the backend's
 * name; for statistics. */
HIDDEN const char *pages_provider_name(const backend_placement_t *placement);

/* NULL on failure (never sets errno: callers decide what to report).
 * *region: the reservation's region id, to be handed back to pages_purge
 * and pages_unmap of any part of it. */
HIDDEN void *pages_reserve(size_t size, size_t align,
                           const backend_placement_t *placement,
                           backend_region_t *region);
/* Exactly what pages_reserve returned: the whole reservation. */
HIDDEN void pages_unmap(void *addr, size_t size, backend_region_t region);
/* 0 or errno.  *is_zeroed: the range now reads as zero. */
HIDDEN int pages_purge(void *addr, size_t size, backend_region_t region,
                       backend_purge_t how, bool *is_zeroed);
/* The whole reservation old_addr + old_size resized to new_size without
 * copying, perhaps moved (*new_addr, aligned to align, same region id):
 * the backend's remap.  0, ENOTSUP without BACKEND_CAP_REMAP, or the
 * backend's errno, the old reservation then untouched. */
HIDDEN int pages_remap(void *old_addr, size_t old_size, size_t new_size,
                       size_t align, const backend_placement_t *placement,
                       backend_region_t region, void **new_addr);
/* No-op (returning ENOTSUP) without BACKEND_CAP_HUGEPAGE. */
HIDDEN int pages_advise_hugepage(void *addr, size_t size, bool want);
/* Node the calling thread runs on; 0 without BACKEND_CAP_NUMA. */
HIDDEN unsigned pages_current_node(void);

#endif /* STRATA_PAGES_H */
