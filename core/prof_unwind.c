/*
 * prof_unwind.c — the profiler's backtrace: libunwind's unw_backtrace,
 * loaded at the profiler's start (STRATA_PROF_LIBUNWIND, on unless
 * -Dprof_libunwind=disabled), or libgcc's _Unwind_Backtrace.  A
 * thread-local flag guards against re-entry.
 */
#include "prof_unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unwind.h>

static __thread bool prof_in_unwind;

/* libunwind's unw_backtrace when the profiler starts and the library is
 * on the machine (measured about 20 times cheaper than libgcc's walk, see
 * docs/profiling.md), else libgcc's _Unwind_Backtrace.  libunwind is
 * opened with dlopen, RTLD_LOCAL, never linked: linked, every process
 * that preloads strata would load it (and liblzma) at start-up, and its
 * exported _Unwind_* and backtrace would interpose libgcc's and glibc's
 * for the whole process.  unw_backtrace caches each frame's unwind rule
 * in a per-thread table (mmap'ed, not malloc'ed). */
typedef int unw_backtrace_fn(void **frames, int max);
static _Atomic(unw_backtrace_fn *) libunwind_backtrace;

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

static NOINLINE unsigned unwind_raw(void **frames, unsigned max) {
	unw_backtrace_fn *fn = atomic_load_explicit(&libunwind_backtrace,
	                                            memory_order_acquire);
	if (fn != NULL) {
		int n = fn(frames, (int)max);
		return n > 0 ? (unsigned)n : 0;
	}
	unwind_walk_t w = { frames, 0, max };
	_Unwind_Backtrace(unwind_step, &w);
	return w.n;
}

const char *prof_unwind_name(void) {
	return atomic_load(&libunwind_backtrace) != NULL ? "libunwind"
	                                                 : "libgcc";
}

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

/* dlopen allocates: called once the allocator is up, with no allocator
 * lock held (the profiler's start). */
int prof_unwind_boot(void) {
#if STRATA_PROF_LIBUNWIND
	if (atomic_load(&libunwind_backtrace) == NULL) {
		void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
		void *fn = h != NULL ? dlsym(h, "unw_backtrace") : NULL;
		atomic_store_explicit(&libunwind_backtrace,
		                      (unw_backtrace_fn *)fn,
		                      memory_order_release);
	}
#endif
	void *frames[4];
	return prof_backtrace(frames, ARRAY_LEN(frames), 0) > 0 ? 0 : ENOSYS;
}
