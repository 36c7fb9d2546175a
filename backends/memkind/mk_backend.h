/*
 * mk_backend.h — the memkind backend's operations (backend.c puts them in the
 * vtable).
 */
#ifndef STRATA_BACKEND_MEMKIND_H
#define STRATA_BACKEND_MEMKIND_H

#include "backend.h"

int mk_init(backend_info_t *info);
int mk_probe_late(backend_info_t *info);
int mk_reserve(size_t size, size_t align, const backend_placement_t *pl,
               void **addr, backend_region_t *region);
int mk_purge(void *addr, size_t size, backend_region_t region,
             backend_purge_t how, bool *is_zeroed);
int mk_unmap(void *addr, size_t size, backend_region_t region);

/* The kind a placement is served from: "MEMKIND_HBW", ...,
 * "memkind_create_pmem" for a directory. */
const char *mk_provider_name(const backend_placement_t *pl);

#endif
