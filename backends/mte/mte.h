/*
 * mte.h — the mte backend's own operations: init (the tag check mode, the
 * CPU probe) and reserve (PROT_MTE); the rest is the posix backend's.
 * Contracts are those of core/backend.h.
 */
#ifndef STRATA_BACKEND_MTE_H
#define STRATA_BACKEND_MTE_H

#include "backend.h"

int mte_init(backend_info_t *info);
int mte_reserve(size_t size, size_t align,
                const backend_placement_t *placement, void **addr,
                backend_region_t *region);

#endif
