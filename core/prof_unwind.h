/*
 * prof_unwind.h — backtraces for the heap profiler.
 *
 * The unwinder reads .eh_frame, so programs built without frame pointers
 * (Debian's) unwind correctly.  It is libunwind's unw_backtrace when the
 * build found libunwind, libgcc's _Unwind_Backtrace otherwise; the choice
 * and its measurements are in docs/profiling.md.  Neither allocates while
 * unwinding once prof_unwind_boot() has run.
 */
#ifndef STRATA_PROF_UNWIND_H
#define STRATA_PROF_UNWIND_H

#include <stdbool.h>

#include "util.h"

/* Deepest backtrace kept (jemalloc's PROF_BT_MAX). */
#define PROF_FRAMES_MAX 128

/* Takes one backtrace so that the unwinder's lazy state (libunwind's
 * per-thread cache, libgcc's object registration, PLT binding) exists
 * before the first sample; call at profiler init, outside allocator
 * locks.  0, or ENOSYS when this build cannot unwind. */
HIDDEN int prof_unwind_boot(void);

/* Fills frames[0..max) with return addresses, innermost first: frames[0]
 * lies in the function that called prof_backtrace, after skipping skip
 * more frames (skip 1 starts at that function's caller).
 * Returns the number written.  Safe from any thread; a nested call on the
 * same thread (a signal handler, or malloc reached from inside the
 * unwinder) returns 0 instead of recursing. */
HIDDEN unsigned prof_backtrace(void **frames, unsigned max, unsigned skip);

/* Name of the unwinder compiled in: "libunwind" or "libgcc". */
HIDDEN const char *prof_unwind_name(void);

#endif /* STRATA_PROF_UNWIND_H */
