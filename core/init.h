/*
 * init.h — process start-up of the allocator, on the first call of any
 * entry point (there may be none before constructors run), and the fork
 * handlers.
 */
#ifndef STRATA_INIT_H
#define STRATA_INIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

extern HIDDEN atomic_bool malloc_is_booted;

/* junk and zero, resolved at boot: what the slow paths write into a block
 * (the thread caches are off when any is set, so every allocation and
 * free takes a slow path and the fast paths test nothing). */
#define FILL_JUNK_ALLOC 1u
#define FILL_JUNK_FREE 2u
#define FILL_ZERO 4u
extern HIDDEN unsigned malloc_fill;
#define JUNK_ALLOC_BYTE 0xa5
#define JUNK_FREE_BYTE 0x5a

/* 0 when the allocator is ready, else ENOMEM (the backend refused). */
HIDDEN int malloc_init_slow(void);
static ALWAYS_INLINE int malloc_init(void) {
	if (likely(atomic_load_explicit(&malloc_is_booted,
	                                memory_order_acquire)))
		return 0;
	return malloc_init_slow();
}

#endif
