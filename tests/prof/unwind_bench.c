/*
 * unwind_bench.c — measures the three backtrace candidates the profiler
 * could use: libgcc's _Unwind_Backtrace, libunwind's unw_backtrace and a
 * frame-pointer walk.  Built -O2 -fomit-frame-pointer (as Debian builds),
 * it recurses DEPTH levels, takes N backtraces at the bottom with each
 * method, and prints per method: frames found, whether each of the DEPTH
 * recursion frames was found (correctness), mallocs made while unwinding,
 * and nanoseconds per backtrace.
 *   unwind_bench DEPTH N [method]     method: gcc, unw, fp (default all)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unwind.h>
#ifndef NO_LIBUNWIND
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif

#define MAX_FRAMES 128

/* Counts mallocs while a backtrace runs (the unwinder must make none). */
extern void *__libc_malloc(size_t);
static __thread int in_unwind;
static long unwind_mallocs;
void *malloc(size_t n) {
	if (in_unwind)
		unwind_mallocs++;
	return __libc_malloc(n);
}

struct gcc_state { void **frames; int n, max; };
static _Unwind_Reason_Code gcc_step(struct _Unwind_Context *ctx, void *arg) {
	struct gcc_state *s = arg;
	if (s->n >= s->max)
		return _URC_END_OF_STACK;
	s->frames[s->n++] = (void *)_Unwind_GetIP(ctx);
	return _URC_NO_REASON;
}
static __attribute__((noinline)) int bt_gcc(void **frames, int max) {
	struct gcc_state s = { frames, 0, max };
	_Unwind_Backtrace(gcc_step, &s);
	return s.n;
}
static __attribute__((noinline)) int bt_unw(void **frames, int max) {
#ifndef NO_LIBUNWIND
	return unw_backtrace(frames, max);
#else
	(void)frames, (void)max;
	return 0;
#endif
}
/* Frame-pointer walk, bounded to the thread's stack by a sanity check. */
static __attribute__((noinline)) int bt_fp(void **frames, int max) {
	void **fp = __builtin_frame_address(0);
	int n = 0;
	char here;
	while (fp != NULL && n < max) {
		if ((uintptr_t)fp < (uintptr_t)&here ||
		    (uintptr_t)fp > (uintptr_t)&here + (8 << 20) ||
		    ((uintptr_t)fp & 7) != 0)
			break;
		void *ret = fp[1];
		if (ret == NULL)
			break;
		frames[n++] = ret;
		void **next = fp[0];
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

typedef int (*bt_fn)(void **, int);
static struct { const char *name; bt_fn fn; } methods[] = {
	{ "gcc", bt_gcc }, { "unw", bt_unw }, { "fp", bt_fp },
};

static bt_fn current;
static long iterations;
static void *result[MAX_FRAMES];
static int result_n;
static double ns_per;
static int depth_goal;

/* Each level is a distinct return address inside recurse(). */
__attribute__((noinline)) int recurse(int depth);
static void bottom(void) {
	struct timespec a, b;
	in_unwind = 1;
	result_n = current(result, MAX_FRAMES); /* the first call warms up */
	in_unwind = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < iterations; i++)
		result_n = current(result, MAX_FRAMES);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns_per = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) /
	         (iterations ? iterations : 1);
}
__attribute__((noinline)) int recurse(int depth) {
	volatile int pad[4] = { depth, 0, 0, 0 };
	if (depth == 0)
		bottom();
	else
		pad[1] = recurse(depth - 1);
	return pad[0] + pad[1];
}

/* Frames whose address falls inside recurse(). */
static int frames_in_recurse(void) {
	Dl_info info;
	int hits = 0;
	for (int i = 0; i < result_n; i++)
		if (dladdr(result[i], &info) && info.dli_sname &&
		    strcmp(info.dli_sname, "recurse") == 0)
			hits++;
	return hits;
}

int main(int argc, char **argv) {
	depth_goal = argc > 1 ? atoi(argv[1]) : 20;
	iterations = argc > 2 ? atol(argv[2]) : 100000;
	for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
		if (argc > 3 && strcmp(argv[3], methods[m].name) != 0)
			continue;
		current = methods[m].fn;
		unwind_mallocs = 0;
		recurse(depth_goal);
		int hits = frames_in_recurse();
		printf("%-4s depth %d: %3d frames, %3d of %d recursion frames, "
		       "%ld mallocs on first call, %.0f ns per backtrace\n",
		       methods[m].name, depth_goal, result_n, hits,
		       depth_goal + 1, unwind_mallocs, ns_per);
	}
	return 0;
}
