/*
 * table.c — the profiler's tables on the fake backend: stacks intern to
 * one entry per distinct frame array, live records move the counters of
 * their stack (estimates included) and go away on free, four threads at
 * once keep the counts exact, and the recent ring keeps the newest
 * entries through every resize.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>

#include "prof_table.h"
#include "prof_unwind.h"
#include "strata.h"

static void setup(void) {
	strata_free(strata_malloc(1)); /* boots pages and metadata */
	cr_assert_eq(prof_table_boot(8, 10), 0);
}
TestSuite(prof_table, .init = setup, .timeout = 60);

static prof_stack_t *stack_of(uintptr_t a, uintptr_t b, unsigned n) {
	void *f[3] = { (void *)a, (void *)b, (void *)(a + b) };
	return prof_stack_intern(f, n);
}

Test(prof_table, equal_frames_intern_to_one_stack) {
	prof_stack_t *s = stack_of(0x1000, 0x2000, 3);
	cr_assert_not_null(s);
	cr_expect_eq(stack_of(0x1000, 0x2000, 3), s);
	cr_expect_neq(stack_of(0x1000, 0x2000, 2), s);
	cr_expect_neq(stack_of(0x1000, 0x2001, 3), s);
	for (uintptr_t i = 0; i < 2000; i++)
		cr_assert_not_null(stack_of(0x5000 + i, i, 3));
	cr_expect_eq(prof_stack_count(), 2003);
	unsigned seen = 0;
	for (prof_stack_t *t = prof_stack_first(); t; t = prof_stack_next(t))
		seen++;
	cr_expect_eq(seen, 2003);
	cr_expect_eq(s->nframes, 3);
	cr_expect_eq(s->frames[1], (void *)0x2000);
}

Test(prof_table, live_records_move_their_stacks_counters) {
	prof_stack_t *s = stack_of(0x1000, 0x2000, 3);
	char blocks[3][64];
	for (int i = 0; i < 3; i++)
		cr_assert_eq(prof_live_insert(blocks[i], 100, 19, s, 7, 10, NULL), 0);
	cr_expect_eq(prof_live_insert(blocks[0], 100, 19, s, 7, 10, NULL), EEXIST);
	prof_counts_t c;
	prof_stack_counts(s, &c);
	prof_weight_t w = prof_sample_weight(100, 19);
	cr_expect_eq(c.live_objs, 3);
	cr_expect_eq(c.live_bytes, 300);
	cr_expect_eq(c.live_bytes_est, 3 * w.bytes);
	cr_expect_eq(c.live_objs_est_fp, 3 * w.objs_fp);
	cr_expect_eq(prof_live_remove(blocks[1], 8, 20, NULL), 0);
	cr_expect_eq(prof_live_remove(blocks[1], 8, 20, NULL), ENOENT);
	prof_stack_counts(s, &c);
	cr_expect_eq(c.live_objs, 2);
	cr_expect_eq(c.live_bytes_est, 2 * w.bytes);
	cr_expect_eq(c.accum_objs, 3);
	cr_expect_eq(c.accum_bytes_est, 3 * w.bytes);
	cr_expect_eq(prof_live_count(), 2);
	prof_table_reset();
	prof_stack_counts(s, &c);
	cr_expect_eq(c.live_objs + c.accum_objs + c.accum_bytes_est, 0);
	cr_expect_eq(prof_live_count(), 0);
	cr_expect_eq(prof_live_remove(blocks[0], 8, 20, NULL), ENOENT);
}

#define THREAD_BLOCKS 20000
static prof_stack_t *shared_stack;
static void *insert_and_free(void *arg) {
	uintptr_t base = (uintptr_t)arg;
	for (uintptr_t i = 0; i < THREAD_BLOCKS; i++)
		if (prof_live_insert((void *)(base + 16 * i), 48, 19,
		                     shared_stack, base, i, NULL) != 0)
			return (void *)1;
	for (uintptr_t i = 0; i < THREAD_BLOCKS; i += 2)
		if (prof_live_remove((void *)(base + 16 * i), base, i, NULL) != 0)
			return (void *)1;
	return NULL;
}

Test(prof_table, four_threads_keep_the_counts_exact) {
	shared_stack = stack_of(0x77, 0x88, 2);
	pthread_t t[4];
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, insert_and_free,
		               (void *)((i + 1) << 32));
	for (int i = 0; i < 4; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		cr_expect_null(ret);
	}
	prof_counts_t c;
	prof_counts_total(&c);
	cr_expect_eq(c.live_objs, 4 * THREAD_BLOCKS / 2);
	cr_expect_eq(c.accum_objs, 4 * THREAD_BLOCKS);
	cr_expect_eq(c.live_bytes, 48 * 4 * THREAD_BLOCKS / 2);
	cr_expect_eq(prof_live_count(), 4 * THREAD_BLOCKS / 2);
}

static void expect_held(uint64_t first, uint64_t end) {
	uint64_t f, e;
	prof_recent_range(&f, &e);
	cr_expect_eq(f, first, "first %lu, want %lu", (unsigned long)f,
	             (unsigned long)first);
	cr_expect_eq(e, end);
	prof_recent_t r;
	for (uint64_t seq = first; seq < end; seq++)
		cr_expect_eq(prof_recent_get(seq, &r), 0, "seq %lu", seq);
	if (first > 1)
		cr_expect_eq(prof_recent_get(first - 1, &r), ENOENT);
	cr_expect_eq(prof_recent_get(end, &r), ENOENT);
}

Test(prof_table, recent_ring_keeps_the_newest_through_resizes) {
	prof_stack_t *s = stack_of(0x1, 0x2, 2);
	static char blocks[40][16];
	cr_assert_eq(prof_live_insert(blocks[39], 16, 19, s, 1, 1, NULL), 0);
	expect_held(1, 1); /* off by default: nothing recorded */
	cr_assert_eq(prof_recent_set_max(4), 0);
	for (int i = 0; i < 10; i++)
		prof_live_insert(blocks[i], 16 + i, 19, s, 3, 100 + i, NULL);
	expect_held(7, 11);
	prof_recent_t r;
	cr_assert_eq(prof_recent_get(10, &r), 0);
	cr_expect_eq(r.size, 16 + 9);
	cr_expect_eq(r.addr, (uintptr_t)blocks[9]);
	cr_expect_eq(r.alloc_ns, 109);
	cr_expect_eq(r.free_ns, 0);
	cr_expect_eq(r.stack, s);
	prof_live_remove(blocks[9], 5, 500, NULL);
	cr_assert_eq(prof_recent_get(10, &r), 0);
	cr_expect_eq(r.free_ns, 500);
	cr_expect_eq(r.free_thread_id, 5);
	cr_assert_eq(prof_recent_set_max(8), 0); /* grows: keeps all four */
	expect_held(7, 11);
	cr_assert_eq(prof_recent_get(10, &r), 0);
	cr_expect_eq(r.free_ns, 500);
	for (int i = 10; i < 16; i++)
		prof_live_insert(blocks[i], 16, 19, s, 3, 100 + i, NULL);
	expect_held(9, 17);
	/* A refused sample does not enter the ring. */
	cr_expect_eq(prof_live_insert(blocks[15], 16, 19, s, 3, 1, NULL), EEXIST);
	expect_held(9, 17);
	cr_assert_eq(prof_recent_set_max(2), 0); /* shrinks: the newest two */
	expect_held(15, 17);
	cr_assert_eq(prof_recent_set_max(8), 0); /* the dropped stay gone */
	expect_held(15, 17);
	cr_assert_eq(prof_recent_set_max(0), 0);
	expect_held(17, 17);
	prof_live_insert(blocks[20], 16, 19, s, 3, 1, NULL);
	expect_held(17, 17);
}
