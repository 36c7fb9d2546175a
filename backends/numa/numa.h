/*
 * numa.h — the Linux numa backend: the posix backend plus transparent huge
 * pages and NUMA/tier placement.  Contracts are those of core/backend.h;
 * only what differs from posix.h is declared here.
 */
#ifndef STRATA_BACKEND_NUMA_H
#define STRATA_BACKEND_NUMA_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

int numa_backend_init(backend_info_t *info);
/* Aligns to the hugepage size and asks for huge pages when
 * placement->wants_hugepage, then sets the range's memory policy. */
int numa_backend_reserve(size_t size, size_t align,
                         const backend_placement_t *placement, void **addr,
                         backend_region_t *region);
/* posix's remap, then the grown tail advised and placed as reserve
 * places a fresh range. */
int numa_backend_remap(void *old_addr, size_t old_size, size_t new_size,
                       size_t align, const backend_placement_t *placement,
                       backend_region_t region, void **new_addr);
int numa_backend_advise_hugepage(void *addr, size_t size, bool want);
int numa_backend_current_node(unsigned *node);

#endif
