/*
 * prof_unwind.c — the profiler's backtrace: libunwind's unw_backtrace
 * (STRATA_PROF_LIBUNWIND, chosen at configure time) or libgcc's
 * _Unwind_Backtrace.  A thread-local flag guards against re-entry.
 */
#include "prof_unwind.h"

#include <errno.h>
#include <stdint.h>

#if STRATA_PROF_LIBUNWIND
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif
#include <unwind.h>

static __thread bool prof_in_unwind;

typedef struct unwind_walk {
	void **frames;
	unsigned n, max;
} unwind_walk_t;

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *ctx,
                                       void *arg) {
	unwind_walk_t *w = arg;
	if (w->n >= w->max)
		return _URC_END_OF_STACK;
	uintptr_t ip = _Unwind_GetIP(ctx);
	if (ip == 0)
		return _URC_END_OF_STACK;
	w->frames[w->n++] = (void *)ip;
	return _URC_NO_REASON;
}
static ALWAYS_INLINE unsigned unwind_libgcc(void **frames, unsigned max) {
	unwind_walk_t w = { frames, 0, max };
	_Unwind_Backtrace(unwind_step, &w);
	return w.n;
}

#if STRATA_PROF_LIBUNWIND
/* unw_backtrace caches each frame's unwind rule in a per-thread table
 * (mmap'ed, not malloc'ed): about 50 ns a frame once warm.  A weak
 * reference: libstrata.so links libunwind; a static program that links
 * libstrata.a without it gets libgcc's walk instead. */
extern __typeof__(unw_backtrace) unw_backtrace __attribute__((weak));
static NOINLINE unsigned unwind_raw(void **frames, unsigned max) {
	if (unw_backtrace == NULL) {
		unsigned n = unwind_libgcc(frames, max);
		return n; /* unwind_libgcc is inlined: the same frame count */
	}
	int n = unw_backtrace(frames, (int)max);
	return n > 0 ? (unsigned)n : 0;
}
const char *prof_unwind_name(void) {
	return unw_backtrace != NULL ? "libunwind" : "libgcc";
}
#else
static NOINLINE unsigned unwind_raw(void **frames, unsigned max) {
	return unwind_libgcc(frames, max);
}
const char *prof_unwind_name(void) { return "libgcc"; }
#endif

/* Frames of its own the unwinder reports before the caller's caller:
 * unwind_raw (or unw_backtrace's own) and prof_backtrace. */
#define UNWIND_OWN_FRAMES 2

NOINLINE unsigned prof_backtrace(void **frames, unsigned max,
                                 unsigned skip) {
	void *raw[PROF_FRAMES_MAX + UNWIND_OWN_FRAMES + 8];
	unsigned drop = UNWIND_OWN_FRAMES + skip;
	if (prof_in_unwind || max == 0 || drop >= ARRAY_LEN(raw))
		return 0;
	prof_in_unwind = true;
	unsigned want = max + drop;
	if (want > ARRAY_LEN(raw))
		want = ARRAY_LEN(raw);
	unsigned n = unwind_raw(raw, want);
	prof_in_unwind = false;
	unsigned out = 0;
	for (unsigned i = drop; i < n && out < max; i++)
		frames[out++] = raw[i];
	return out;
}

int prof_unwind_boot(void) {
	void *frames[4];
	return prof_backtrace(frames, ARRAY_LEN(frames), 0) > 0 ? 0 : ENOSYS;
}
