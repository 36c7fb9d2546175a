/*
 * memlimit.h — mem_limit_soft and mem_limit_hard.
 *
 * Charged memory is what strata holds that may be resident: allocated,
 * dirty and muzzy pages of every arena, huge mappings and metadata.  Above
 * the soft limit, the periodic thread event purges everything eligible at
 * once; a new chunk or huge mapping that would take the total above the
 * hard limit is refused (the allocation fails with ENOMEM) after the
 * arena has purged what it could.  0 means no limit.
 */
#ifndef STRATA_MEMLIMIT_H
#define STRATA_MEMLIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

extern HIDDEN atomic_size_t memlimit_huge_bytes;
extern HIDDEN atomic_uint_fast64_t memlimit_soft_hits, memlimit_hard_hits;

HIDDEN size_t memlimit_charged_bytes(void);
/* True when taking bytes more would pass the hard limit (counts a hit). */
HIDDEN bool memlimit_would_exceed_hard(size_t bytes);
/* Periodic check of the soft limit; purges every arena when above. */
HIDDEN void memlimit_check_soft(void);

#endif
