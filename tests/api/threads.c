/*
 * threads.c — many threads at once: blocks handed from thread to thread
 * and freed by a thread other than the one that allocated them, thread
 * creation and exit churn, and fork() while other threads allocate.
 * Contents are checked wherever a block changes hands, and at the end the
 * allocator's count of allocated bytes is back where it started.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(threads, .init = boot, .timeout = 90);

/* ---- helpers ---- */

static size_t ctl_size(const char *name) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static void flush_own_cache(void) {
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
}

/* Bytes live in the arenas, with this thread's cache emptied first (the
 * cache's blocks count as allocated until they go back). */
static size_t allocated_now(void) {
	flush_own_cache();
	return ctl_size("stats.allocated");
}

/* What the allocator may keep for itself after every block went back: a
 * little slack, not a leak that grows with the work done. */
#define ALLOCATED_SLACK_BYTES ((size_t)256 << 10)

static void expect_allocated_back_to(size_t baseline) {
	size_t now = allocated_now();
	cr_assert_leq(now, baseline + ALLOCATED_SLACK_BYTES,
	              "stats.allocated %zu, baseline %zu: %zu bytes not "
	              "returned", now, baseline, now - baseline);
}

static uint64_t rng_next(uint64_t *s) {
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mostly small, some large, rarely huge: every class turns up. */
static size_t random_size(uint64_t *s) {
	uint64_t r = rng_next(s);
	unsigned pick = (unsigned)(r % 1024);
	unsigned top = pick == 0 ? sc_index((size_t)4 << 20)
	               : pick < 64 ? sc_index((size_t)256 << 10)
	                           : SC_NSMALL;
	unsigned ind = (unsigned)((r >> 10) % top);
	size_t lo = ind == 0 ? 1 : sc_class_size(ind - 1) + 1;
	return lo + (size_t)((r >> 32) % (sc_class_size(ind) - lo + 1));
}

/* A block carries its own check: size and seed at the start, and a byte
 * pattern over the first and last (up to) 2 KiB. */
typedef struct block_head {
	size_t size;
	uint64_t seed;
} block_head_t;

#define CHECKED_EDGE 2048

static unsigned char byte_at(uint64_t seed, size_t i) {
	return (unsigned char)(seed + i * 11);
}

static void *block_new(size_t size, uint64_t seed) {
	if (size < sizeof(block_head_t))
		size = sizeof(block_head_t);
	unsigned char *p = strata_malloc(size);
	if (p == NULL)
		return NULL;
	block_head_t h = { size, seed };
	memcpy(p, &h, sizeof(h));
	for (size_t i = sizeof(h); i < size; i++) {
		if (i == CHECKED_EDGE && size > 2 * CHECKED_EDGE)
			i = size - CHECKED_EDGE;
		p[i] = byte_at(seed, i);
	}
	return p;
}

/* 0 when intact; otherwise the offset of the first bad byte + 1. */
static size_t block_damage(const void *block) {
	const unsigned char *p = block;
	block_head_t h;
	memcpy(&h, p, sizeof(h));
	if (strata_malloc_usable_size(block) < h.size)
		return 1;
	for (size_t i = sizeof(h); i < h.size; i++) {
		if (i == CHECKED_EDGE && h.size > 2 * CHECKED_EDGE)
			i = h.size - CHECKED_EDGE;
		if (p[i] != byte_at(h.seed, i))
			return i + 1;
	}
	return 0;
}

/* Runs fn in a child process and waits at most seconds for it to exit;
 * returns its wait status, or -1 when it hung (and was killed, with the
 * processes it forked: the child leads a process group of its own, so a
 * hung grandchild does not keep the test's output open). */
static int run_with_deadline(void (*fn)(void), unsigned seconds) {
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		setpgid(0, 0);
		fn();
		_exit(0);
	}
	setpgid(pid, pid); /* either side may run first */
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (unsigned waited = 0; waited < seconds * 100; waited++) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		cr_assert_neq(r, -1);
		if (r == pid)
			return status;
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void expect_clean_exit(int status, const char *what) {
	cr_assert_neq(status, -1, "%s: hung (deadlock?)", what);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "%s: status 0x%x", what, status);
}

/* ---- blocks passed between threads ---- */

#define NTHREADS 8
#define BLOCKS_PER_THREAD 6000

/* Unbounded in practice: a queue receives exactly BLOCKS_PER_THREAD. */
typedef struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	void *slots[BLOCKS_PER_THREAD];
	unsigned head, tail;
} queue_t;

static queue_t queues[NTHREADS];
static atomic_size_t damaged_blocks;

static void queue_push(queue_t *q, void *p) {
	pthread_mutex_lock(&q->lock);
	q->slots[q->tail++] = p;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

static void *queue_pop(queue_t *q) {
	pthread_mutex_lock(&q->lock);
	while (q->head == q->tail)
		pthread_cond_wait(&q->nonempty, &q->lock);
	void *p = q->slots[q->head++];
	pthread_mutex_unlock(&q->lock);
	return p;
}

/* Thread id sends to id+1 and id+3, and frees what it receives; every
 * third block it keeps a while before freeing, so frees of own and
 * foreign blocks interleave. */
static void *pass_blocks(void *arg) {
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (id + 1);
	void *held[16] = { 0 };
	for (unsigned i = 0; i < BLOCKS_PER_THREAD; i++) {
		void *p = block_new(random_size(&s), rng_next(&s));
		if (p == NULL) {
			atomic_fetch_add(&damaged_blocks, 1);
			return NULL;
		}
		unsigned to = (id + (i % 2 == 0 ? 1 : 3)) % NTHREADS;
		queue_push(&queues[to], p);
		void *got = queue_pop(&queues[id]);
		if (block_damage(got) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		void **slot = &held[i % ARRAY_LEN(held)];
		if (i % 3 == 0) {
			got = __atomic_exchange_n(slot, got, __ATOMIC_RELAXED);
			if (got != NULL && block_damage(got) != 0)
				atomic_fetch_add(&damaged_blocks, 1);
		}
		strata_free(got);
	}
	for (unsigned k = 0; k < ARRAY_LEN(held); k++) {
		if (held[k] != NULL && block_damage(held[k]) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		strata_free(held[k]);
	}
	return NULL;
}

static void start_queues(void) {
	for (unsigned i = 0; i < NTHREADS; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		pthread_cond_init(&queues[i].nonempty, NULL);
		queues[i].head = queues[i].tail = 0;
	}
}

Test(threads, blocks_freed_by_other_threads_keep_contents_and_all_return) {
	size_t baseline = allocated_now();
	start_queues();
	pthread_t t[NTHREADS];
	for (unsigned i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, pass_blocks,
		                            (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&damaged_blocks), 0,
	             "%zu blocks damaged or not allocated",
	             atomic_load(&damaged_blocks));
	for (unsigned i = 0; i < NTHREADS; i++)
		cr_assert_eq(queues[i].head, queues[i].tail);
	expect_allocated_back_to(baseline);
}

/* Every class handed across threads with the sized and unsized frees. */
static void *free_every_class(void *arg) {
	void **blocks = arg;
	for (unsigned ind = 0; blocks[ind] != NULL; ind++) {
		if (block_damage(blocks[ind]) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		if (ind % 2 == 0)
			strata_free(blocks[ind]);
		else
			strata_free_sized(blocks[ind],
			                  ((block_head_t *)blocks[ind])->size);
	}
	return NULL;
}

Test(threads, every_class_freed_by_another_thread_returns) {
	size_t baseline = allocated_now();
	static void *blocks[NTHREADS][160];
	for (unsigned round = 0; round < 4; round++) {
		pthread_t t[NTHREADS];
		for (unsigned i = 0; i < NTHREADS; i++) {
			unsigned n = 0;
			for (unsigned ind = 0;
			     sc_class_size(ind) <= ((size_t)4 << 20); ind++) {
				cr_assert_lt(n, ARRAY_LEN(blocks[i]) - 1);
				blocks[i][n] = block_new(sc_class_size(ind),
				                         ind * 7 + i + round);
				cr_assert_not_null(blocks[i][n]);
				n++;
			}
			blocks[i][n] = NULL;
		}
		for (unsigned i = 0; i < NTHREADS; i++)
			cr_assert_eq(pthread_create(&t[i], NULL, free_every_class,
			                            blocks[i]), 0);
		for (unsigned i = 0; i < NTHREADS; i++)
			pthread_join(t[i], NULL);
	}
	cr_assert_eq(atomic_load(&damaged_blocks), 0);
	expect_allocated_back_to(baseline);
}

/* ---- thread churn ---- */

#define CHURN_THREADS 3200 /* a multiple of 10 * CHURN_AT_ONCE */
#define CHURN_AT_ONCE 8
#define LEFT_PER_THREAD 2

static void *left_for_main[CHURN_THREADS][LEFT_PER_THREAD];

/* Allocates a burst of blocks, frees most, leaves some for main. */
static void *short_life(void *arg) {
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t s = 0x2545f4914f6cdd1dull + id;
	void *burst[24];
	for (unsigned i = 0; i < ARRAY_LEN(burst); i++)
		burst[i] = block_new(random_size(&s), rng_next(&s));
	for (unsigned i = 0; i < ARRAY_LEN(burst); i++) {
		if (burst[i] == NULL || block_damage(burst[i]) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		if (i < LEFT_PER_THREAD)
			left_for_main[id][i] = burst[i];
		else
			strata_free(burst[i]);
	}
	return NULL;
}

static void churn(unsigned first, unsigned count) {
	cr_assert(first + count <= CHURN_THREADS && count % CHURN_AT_ONCE == 0);
	for (unsigned base = first; base < first + count; base += CHURN_AT_ONCE) {
		pthread_t t[CHURN_AT_ONCE];
		for (unsigned k = 0; k < CHURN_AT_ONCE; k++)
			cr_assert_eq(pthread_create(&t[k], NULL, short_life,
			                            (void *)(uintptr_t)(base + k)),
			             0);
		for (unsigned k = 0; k < CHURN_AT_ONCE; k++)
			pthread_join(t[k], NULL);
	}
	for (unsigned id = first; id < first + count; id++)
		for (unsigned i = 0; i < LEFT_PER_THREAD; i++) {
			if (block_damage(left_for_main[id][i]) != 0)
				atomic_fetch_add(&damaged_blocks, 1);
			strata_free(left_for_main[id][i]);
		}
}

/* Thousands of threads come and go: their caches are flushed at exit
 * (allocated bytes return) and recycled (metadata stops growing). */
Test(threads, short_lived_threads_return_their_memory_at_exit) {
	size_t baseline = allocated_now();
	churn(0, CHURN_THREADS / 10);
	size_t metadata_warm = ctl_size("stats.metadata");
	churn(CHURN_THREADS / 10, CHURN_THREADS - CHURN_THREADS / 10);
	size_t metadata_end = ctl_size("stats.metadata");
	cr_assert_eq(atomic_load(&damaged_blocks), 0);
	expect_allocated_back_to(baseline);
	cr_assert_leq(metadata_end, metadata_warm + ((size_t)1 << 20),
	              "metadata grew from %zu to %zu over %u threads",
	              metadata_warm, metadata_end, CHURN_THREADS);
}

/* ---- fork ---- */

static atomic_bool stop_workers;

static void *allocate_until_stopped(void *arg) {
	uint64_t s = 0xdeadbeefull + (uintptr_t)arg;
	void *ring[64] = { 0 };
	unsigned i = 0;
	while (!atomic_load_explicit(&stop_workers, memory_order_relaxed)) {
		void **slot = &ring[i++ % ARRAY_LEN(ring)];
		if (*slot != NULL && block_damage(*slot) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		strata_free(*slot);
		*slot = block_new(random_size(&s), rng_next(&s));
	}
	for (unsigned k = 0; k < ARRAY_LEN(ring); k++)
		strata_free(ring[k]);
	return NULL;
}

static void *before_fork_block;

static void *child_thread(void *arg) {
	(void)arg;
	for (unsigned ind = 0; ind < SC_NSMALL; ind++) {
		void *p = block_new(sc_class_size(ind), ind);
		if (p == NULL || block_damage(p) != 0)
			return (void *)1;
		strata_free(p);
	}
	return NULL;
}

/* In the child: every class allocates and frees, a block from before the
 * fork frees, and a new thread can allocate. */
static void child_allocates(void) {
	if (block_damage(before_fork_block) != 0)
		_exit(2);
	strata_free(before_fork_block);
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)4 << 20); ind++) {
		void *p = block_new(sc_class_size(ind), ind);
		if (p == NULL)
			_exit(3);
		if (block_damage(p) != 0)
			_exit(4);
		strata_free(p);
	}
	pthread_t t;
	void *rc = (void *)1;
	if (pthread_create(&t, NULL, child_thread, NULL) != 0 ||
	    pthread_join(t, &rc) != 0 || rc != NULL)
		_exit(5);
	_exit(0);
}

#define FORK_WORKERS 6
#define FORKS 20

Test(threads, fork_while_other_threads_allocate_leaves_a_working_child) {
	pthread_t t[FORK_WORKERS];
	atomic_store(&stop_workers, false);
	for (unsigned i = 0; i < FORK_WORKERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, allocate_until_stopped,
		                            (void *)(uintptr_t)i), 0);
	for (unsigned f = 0; f < FORKS; f++) {
		before_fork_block = block_new(1000 + f * 1000, f);
		cr_assert_not_null(before_fork_block);
		int status = run_with_deadline(child_allocates, 10);
		char what[32];
		snprintf(what, sizeof(what), "fork %u", f);
		expect_clean_exit(status, what);
		cr_assert_eq(block_damage(before_fork_block), 0);
		strata_free(before_fork_block);
	}
	atomic_store(&stop_workers, true);
	for (unsigned i = 0; i < FORK_WORKERS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&damaged_blocks), 0);
}

/* ---- pthread_atfork handlers that allocate ---- */

static atomic_uint handler_calls;

static void allocate_in_handler(void) {
	for (unsigned ind = 0; ind < SC_NSMALL + 8; ind++) {
		void *p = block_new(sc_class_size(ind), ind);
		if (p == NULL || block_damage(p) != 0)
			atomic_fetch_add(&damaged_blocks, 1);
		strata_free(p);
	}
	atomic_fetch_add(&handler_calls, 1);
}

static void fork_with_allocating_handlers(void) {
	pthread_t t[2];
	atomic_store(&stop_workers, false);
	for (unsigned i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, allocate_until_stopped,
		                   (void *)(uintptr_t)i) != 0)
			_exit(10);
	for (unsigned f = 0; f < 5; f++) {
		atomic_store(&handler_calls, 0);
		pid_t pid = fork();
		if (pid == 0) {
			/* prepare and child handlers ran here */
			if (atomic_load(&handler_calls) != 2 ||
			    atomic_load(&damaged_blocks) != 0)
				_exit(11);
			child_allocates();
		}
		int status;
		if (pid == -1 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			_exit(12);
		if (atomic_load(&handler_calls) != 2)
			_exit(13);
	}
	atomic_store(&stop_workers, true);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(atomic_load(&damaged_blocks) == 0 ? 0 : 14);
}

/* Handlers registered after the allocator booted: prepare runs before the
 * allocator takes its locks, parent and child handlers after it released
 * or reset them, so all three may allocate. */
static void handlers_registered_after_boot(void) {
	strata_free(strata_malloc(1));
	before_fork_block = block_new(5000, 5);
	pthread_atfork(allocate_in_handler, allocate_in_handler,
	               allocate_in_handler);
	fork_with_allocating_handlers();
}

Test(threads, atfork_handlers_registered_after_boot_may_allocate) {
	int status = run_with_deadline(handlers_registered_after_boot, 20);
	expect_clean_exit(status, "atfork after boot");
}

/* Manual arenas created, used and destroyed while another thread purges
 * every arena and reads statistics: the purger must never see an arena
 * half torn down (it used to walk recycled chunk descriptors). */
static atomic_bool purger_stop;
static atomic_uint purger_rounds;

/* Counts what the statistics print wrote, so the print really runs. */
static void count_text(void *opaque, const char *text) {
	*(size_t *)opaque += strlen(text);
}

static void *purge_every_arena(void *arg) {
	(void)arg;
	size_t len;
	size_t allocated;
	size_t printed = 0;
	while (!atomic_load(&purger_stop)) {
		strata_ctl("arena.4096.purge", NULL, NULL, NULL, 0);
		len = sizeof(allocated);
		strata_ctl("stats.allocated", &allocated, &len, NULL, 0);
		/* The per-arena walk reads every arena, recycled ones too. */
		strata_stats_print(count_text, &printed, "Jgxt");
		atomic_fetch_add(&purger_rounds, 1);
	}
	return (void *)printed;
}

Test(threads, arena_destroy_races_with_purge_and_stats_safely) {
	pthread_t purger;
	atomic_store(&purger_stop, false);
	atomic_store(&purger_rounds, 0);
	cr_assert_eq(pthread_create(&purger, NULL, purge_every_arena, NULL), 0);
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	/* At least 300 rounds, and on until the purger has made three whole
	 * passes during them: on a loaded machine it may not get a CPU for
	 * the first 300. */
	for (unsigned round = 0;
	     round < 300 || atomic_load(&purger_rounds) < 3; round++) {
		cr_assert_lt(round, 1000000, "the purger never ran");
		unsigned ind;
		cr_assert_eq(strata_arena_create(&opts, &ind), 0);
		void *blocks[8];
		for (unsigned i = 0; i < 8; i++) {
			size_t size = i % 2 ? 100 : 40000;
			blocks[i] = strata_mallocx(size, STRATA_MALLOCX_ARENA(ind));
			cr_assert_not_null(blocks[i]);
			memset(blocks[i], (int)i, size);
		}
		for (unsigned i = 0; i < 4; i++)
			strata_free(blocks[i]);
		cr_assert_eq(strata_arena_destroy(ind), 0, "round %u", round);
	}
	atomic_store(&purger_stop, true);
	void *printed;
	pthread_join(purger, &printed);
	cr_assert_gt((size_t)printed, 0, "the statistics print ran");
}

/* ---- the first calls of a process ---- */

/* No .init: the first allocation of the process happens in the test. */
TestSuite(threads_boot, .timeout = 90);

#define BOOT_THREADS 8
static atomic_uint boot_waiting;

/* Every thread waits for the others, then allocates at once: one of them
 * boots strata while the others are already on the fast path. */
static void *allocate_at_once(void *arg) {
	atomic_fetch_add(&boot_waiting, 1);
	while (atomic_load(&boot_waiting) < BOOT_THREADS)
		;
	unsigned id = (unsigned)(uintptr_t)arg;
	size_t size = 8 + 40 * id;
	unsigned char *p = strata_malloc(size);
	if (p != NULL)
		memset(p, (int)id + 1, size);
	return p;
}

Test(threads_boot, threads_racing_to_the_first_malloc_all_get_blocks) {
	pthread_t t[BOOT_THREADS];
	for (unsigned i = 0; i < BOOT_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, allocate_at_once,
		                            (void *)(uintptr_t)i), 0);
	unsigned char *got[BOOT_THREADS];
	for (unsigned i = 0; i < BOOT_THREADS; i++)
		cr_assert_eq(pthread_join(t[i], (void **)&got[i]), 0);
	for (unsigned i = 0; i < BOOT_THREADS; i++) {
		cr_assert_not_null(got[i], "thread %u", i);
		size_t size = 8 + 40 * i;
		cr_assert_geq(strata_malloc_usable_size(got[i]), size);
		for (size_t k = 0; k < size; k++)
			cr_assert_eq(got[i][k], i + 1, "thread %u byte %zu", i, k);
		strata_free(got[i]);
	}
}

/* ---- decay times changed while blocks are freed ---- */

static atomic_bool decay_writer_stop;
static atomic_uint decay_writes;

/* Alternates the arena's dirty decay between two values through ctl. */
static void *set_decay_repeatedly(void *arg) {
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms",
	         (unsigned)(uintptr_t)arg);
	long ms = 0;
	do {
		long v = 1000 + ms++ % 2;
		cr_assert_eq(strata_ctl(name, NULL, NULL, &v, sizeof(v)), 0);
		atomic_fetch_add(&decay_writes, 1);
	} while (!atomic_load(&decay_writer_stop));
	return NULL;
}

Test(threads, decay_time_set_while_another_thread_frees) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	unsigned ind;
	cr_assert_eq(strata_arena_create(&opts, &ind), 0);
	pthread_t writer;
	atomic_store(&decay_writer_stop, false);
	cr_assert_eq(pthread_create(&writer, NULL, set_decay_repeatedly,
	                            (void *)(uintptr_t)ind), 0);
	while (atomic_load(&decay_writes) == 0) /* the writer is running */
		sched_yield();
	for (unsigned i = 0; i < 4000; i++) {
		size_t size = i % 2 ? 100 : 100000;
		unsigned char *p = strata_mallocx(size, STRATA_MALLOCX_ARENA(ind) |
		                                  STRATA_MALLOCX_TCACHE_NONE);
		cr_assert_not_null(p);
		memset(p, 0xa5, size);
		cr_assert_eq(p[size - 1], 0xa5);
		strata_free(p);
	}
	atomic_store(&decay_writer_stop, true);
	cr_assert_eq(pthread_join(writer, NULL), 0);
	long ms = 0;
	size_t len = sizeof(ms);
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	cr_assert_eq(strata_ctl(name, &ms, &len, NULL, 0), 0);
	cr_assert(ms == 1000 || ms == 1001, "decay %ld", ms);
	cr_assert_eq(strata_arena_destroy(ind), 0);
}
