/*
 * posix.h — the generic mmap backend's operations, exposed so that other
 * POSIX backends (numa, mte) reuse them and override only what differs.
 * Contracts are those of core/backend.h.
 */
#ifndef STRATA_BACKEND_POSIX_H
#define STRATA_BACKEND_POSIX_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

int posix_init(backend_info_t *info);
/* mmap with extra protection flags (PROT_MTE for the mte backend). */
int posix_reserve_prot(size_t size, size_t align, int extra_prot,
                       void **addr);
int posix_reserve(size_t size, size_t align,
                  const backend_placement_t *placement, void **addr,
                  backend_region_t *region);
int posix_purge(void *addr, size_t size, backend_region_t region,
                backend_purge_t how, bool *is_zeroed);
int posix_unmap(void *addr, size_t size, backend_region_t region);

/* Linux's mremap: elsewhere the posix backend has no remap (NULL, its
 * capability bit clear). */
#if defined(__linux__)
#define POSIX_HAS_REMAP 1
int posix_remap(void *old_addr, size_t old_size, size_t new_size,
                size_t align, const backend_placement_t *placement,
                backend_region_t region, void **new_addr);
#define POSIX_REMAP posix_remap
#else
#define POSIX_REMAP NULL
#endif

#endif
