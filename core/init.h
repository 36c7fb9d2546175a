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

/* 0 when the allocator is ready, else ENOMEM (the backend refused). */
HIDDEN int malloc_init_slow(void);
static ALWAYS_INLINE int malloc_init(void) {
	if (likely(atomic_load_explicit(&malloc_is_booted,
	                                memory_order_acquire)))
		return 0;
	return malloc_init_slow();
}

#endif
