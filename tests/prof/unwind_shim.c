/*
 * unwind_shim.c — preloaded into a real program built without frame
 * pointers (python3), takes one backtrace with each candidate unwinder
 * from inside the program's Nth malloc and prints, at exit, how many
 * frames each found and the names of those it can name (dladdr).
 *   LD_PRELOAD=./unwind_shim.so UNWIND_SHIM_AT=N python3 -c ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unwind.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

extern void *__libc_malloc(size_t);
#define MAX_FRAMES 64
static void *frames[3][MAX_FRAMES];
static int counts[3];
static long calls, at = 20000;
static __thread int busy;
static long unwind_mallocs;

struct gcc_state { void **frames; int n; };
static uintptr_t (*gcc_get_ip)(struct _Unwind_Context *);
static _Unwind_Reason_Code step(struct _Unwind_Context *ctx, void *arg) {
	struct gcc_state *s = arg;
	if (s->n >= MAX_FRAMES)
		return _URC_END_OF_STACK;
	s->frames[s->n++] = (void *)gcc_get_ip(ctx);
	return _URC_NO_REASON;
}
/* libgcc's, looked up in libgcc_s (libunwind also exports the name). */
static int bt_gcc(void **out) {
	static _Unwind_Reason_Code (*fn)(_Unwind_Trace_Fn, void *);
	if (fn == NULL) {
		void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD);
		fn = h ? (void *)dlsym(h, "_Unwind_Backtrace") : NULL;
		gcc_get_ip = h ? (void *)dlsym(h, "_Unwind_GetIP") : NULL;
	}
	struct gcc_state s = { out, 0 };
	if (fn && gcc_get_ip)
		fn(step, &s);
	return s.n;
}
static int bt_fp(void **out) {
	void **fp = __builtin_frame_address(0);
	int n = 0;
	char here;
	while (n < MAX_FRAMES && (uintptr_t)fp >= (uintptr_t)&here &&
	       (uintptr_t)fp < (uintptr_t)&here + (8 << 20) &&
	       ((uintptr_t)fp & 7) == 0) {
		if (fp[1] == NULL)
			break;
		out[n++] = fp[1];
		if ((void **)fp[0] <= fp)
			break;
		fp = fp[0];
	}
	return n;
}

void *malloc(size_t size) {
	if (busy)
		unwind_mallocs++;
	if (!busy && ++calls == at) {
		busy = 1;
		counts[0] = bt_gcc(frames[0]);
		counts[1] = unw_backtrace(frames[1], MAX_FRAMES);
		counts[2] = bt_fp(frames[2]);
		busy = 0;
	}
	return __libc_malloc(size);
}

__attribute__((constructor)) static void shim_init(void) {
	const char *s = getenv("UNWIND_SHIM_AT");
	if (s)
		at = atol(s);
	/* libgcc_s must already be mapped: dlopen inside malloc would
	 * allocate. */
	dlopen("libgcc_s.so.1", RTLD_NOW);
}

__attribute__((destructor)) static void shim_report(void) {
	static const char *names[] = { "gcc", "unw", "fp" };
	for (int m = 0; m < 3; m++) {
		Dl_info info;
		int named = 0;
		fprintf(stderr, "%s: %d frames:", names[m], counts[m]);
		for (int i = 0; i < counts[m]; i++) {
			if (dladdr(frames[m][i], &info) && info.dli_sname) {
				named++;
				fprintf(stderr, " %s", info.dli_sname);
			}
		}
		fprintf(stderr, " ... (%d named)\n", named);
	}
	fprintf(stderr, "mallocs while unwinding: %ld\n", unwind_mallocs);
}
