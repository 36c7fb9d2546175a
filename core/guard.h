/*
 * guard.h — guarded sampling (GWP-ASan's design): one allocation in
 * about 2^lg_guard_sample bytes, small enough for a page, is served from
 * a pool of its own instead: each block sits at the END of its own page,
 * right before a page that faults, and another faulting page lies before
 * it.  Its free makes its page fault too and leaves it in a quarantine of
 * freed slots, reused oldest first.  An overflow, an underflow or a use
 * after free of such a block then faults, and the fault handler reports
 * the access with the stacks that allocated (and freed) the block.
 *
 * The countdown is the profiler's: the thread's byte counter against
 * next_event_bytes and prof_sample_at (the nearer of the profiler's point
 * and this one, prof_sample_at_set), a gap drawn from the same per-thread
 * PRNG, the same unwinder; so neither fast path gains an instruction.  The pool is not in
 * the pagemap: free's slow side finds a guarded block by one range compare
 * (guard_owns) where the pagemap has no entry.
 *
 * Built with the profiler (STRATA_PROF); off unless lg_guard_sample >= 0.
 */
#ifndef STRATA_GUARD_H
#define STRATA_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct tsd;

/* The pool, [guard_pool, guard_pool + guard_pool_bytes); 0 bytes while
 * guarded sampling is off, so guard_owns is false for every address. */
extern HIDDEN uintptr_t guard_pool;
extern HIDDEN size_t guard_pool_bytes;

static inline bool guard_owns(const void *ptr) {
	return (uintptr_t)ptr - guard_pool < guard_pool_bytes;
}

/* Once options are read, outside every allocator lock: reserves the pool,
 * loads the unwinder and installs the fault handler.  No-op unless
 * opt.lg_guard_sample >= 0; 0 or the errno of what failed (off then). */
HIDDEN int guard_boot(void);
HIDDEN bool guard_is_on(void);
/* The thread's next guarded allocation, tsd->guard_sample_at, drawn from
 * its allocated_bytes (UINT64_MAX: none); next_event_bytes follows. */
HIDDEN void guard_countdown(struct tsd *tsd);
/* guard_countdown without the draw, the mean gap instead: after an
 * allocation the pool could not take (above a page), which large
 * allocations cross often. */
HIDDEN void guard_countdown_mean(struct tsd *tsd);
/* Whether guard_alloc can take a block of usize bytes aligned to align. */
static inline bool guard_fits(size_t usize, size_t align, size_t page) {
	return usize <= page && align <= page;
}

/* A guarded block of usize bytes (<= a page) aligned to align (a power of
 * two, 0 or 1: the natural alignment of usize), zeroed when zero; NULL
 * when it cannot be served so (too big, every slot live).  skip: frames
 * of the caller's own to leave out of the stack kept; the report leaves
 * out the allocator's anyway. */
HIDDEN void *guard_alloc(size_t usize, size_t align, bool zero,
                         unsigned skip);
/* Frees ptr, a guarded block (guard_owns): reports a double free or a
 * pointer that is not the block's start as free does (one line, abort).
 * Returns the block's usable size.  skip as for guard_alloc. */
HIDDEN size_t guard_free(void *ptr, unsigned skip);
/* The usable size of the live guarded block at ptr; 0 when ptr is not
 * the start of one. */
HIDDEN size_t guard_usable_size(const void *ptr);

HIDDEN void guard_prefork(void);
HIDDEN void guard_postfork_parent(void);
HIDDEN void guard_postfork_child(void);

#endif /* STRATA_GUARD_H */
