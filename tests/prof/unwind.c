/*
 * unwind.c — the profiler's backtrace, in a suite built without frame
 * pointers: it finds its callers by name, skips as asked, cuts deep
 * stacks, and makes no malloc, from several threads.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "prof_unwind.h"

static const char *name_of(void *addr) {
	Dl_info info;
	return dladdr(addr, &info) && info.dli_sname ? info.dli_sname : "?";
}

/* Markers the backtrace must name: exported, and under GCC kept out of
 * every interprocedural pass (noipa), or -O3 clones them under another
 * name (unwind_middle.constprop.0) or inlines them; clang's noinline is
 * enough. */
#if defined(__GNUC__) && !defined(__clang__)
#define VISIBLE __attribute__((visibility("default"), noipa))
#else
#define VISIBLE __attribute__((visibility("default"), noinline))
#endif

VISIBLE unsigned unwind_leaf(void **frames, unsigned max, unsigned skip) {
	unsigned n = prof_backtrace(frames, max, skip);
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return n;
}
VISIBLE unsigned unwind_middle(void **frames, unsigned max,
                                unsigned skip) {
	unsigned n = unwind_leaf(frames, max, skip);
	__asm__ volatile("" ::: "memory");
	return n;
}

Test(prof_unwind, frames_start_at_the_caller_and_name_its_callers) {
	cr_assert_eq(prof_unwind_boot(), 0);
	void *f[PROF_FRAMES_MAX];
	unsigned n = unwind_middle(f, PROF_FRAMES_MAX, 0);
	cr_assert_geq(n, 3);
	cr_expect_str_eq(name_of(f[0]), "unwind_leaf");
	cr_expect_str_eq(name_of(f[1]), "unwind_middle");
	n = unwind_middle(f, PROF_FRAMES_MAX, 1);
	cr_expect_str_eq(name_of(f[0]), "unwind_middle");
	cr_expect_eq(unwind_middle(f, 1, 0), 1);
}

/* One frame per level: the call is not in tail position. */
static NOINLINE int deep(int depth, void **f, unsigned *n) {
	volatile int pad[2] = { depth, 0 };
	if (depth == 0)
		*n = prof_backtrace(f, PROF_FRAMES_MAX, 0);
	else
		pad[1] = deep(depth - 1, f, n);
	__asm__ volatile("" ::: "memory");
	return pad[0] + pad[1];
}

Test(prof_unwind, deep_stacks_are_cut_at_the_maximum) {
	void *f[PROF_FRAMES_MAX];
	unsigned n = 0;
	deep(200, f, &n);
	cr_expect_eq(n, PROF_FRAMES_MAX);
	deep(40, f, &n);
	cr_expect_geq(n, 41);
	cr_expect_lt(n, 60);
}

/* The suite counts calls to malloc made while a backtrace runs. */
extern void *__libc_malloc(size_t);
static __thread int counting;
static long mallocs_seen;
void *malloc(size_t size) {
	if (counting)
		__atomic_add_fetch(&mallocs_seen, 1, __ATOMIC_RELAXED);
	return __libc_malloc(size);
}

static void *thread_unwinds(void *arg) {
	void *f[PROF_FRAMES_MAX];
	unsigned min = PROF_FRAMES_MAX;
	counting = 1; /* the first backtrace of a new thread included */
	for (int i = 0; i < 1000; i++) {
		unsigned n = unwind_middle(f, PROF_FRAMES_MAX, 0);
		if (n < min)
			min = n;
	}
	counting = 0;
	*(unsigned *)arg = min;
	return NULL;
}

Test(prof_unwind, threads_unwind_without_calling_malloc) {
	pthread_t t[4];
	unsigned min[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_unwinds, &min[i]);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_geq(min[i], 3, "thread %d: %u frames", i, min[i]);
	}
	cr_expect_eq(mallocs_seen, 0);
}
