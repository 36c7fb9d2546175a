/*
 * ctl.c — strata_ctl: every name of the namespace read with its exact
 * length, wrong lengths, read-only and unknown names, the epoch, the
 * thread counters and their pointers, the cache flush, and stats.allocated
 * against the blocks a single thread holds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pages.h"
#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(ctl, .init = boot, .timeout = 60);

typedef struct node {
	const char *name;
	size_t bytes; /* 0: an action */
	bool is_writable;
} node_t;

/* Every name of core/ctl.c's table. */
static const node_t nodes[] = {
	{ "version", sizeof(const char *), false },
	{ "epoch", sizeof(uint64_t), true },
	{ "arenas.narenas", sizeof(unsigned), false },
	{ "arenas.page", sizeof(size_t), false },
	{ "opt.narenas", sizeof(unsigned), false },
	{ "opt.tcache", sizeof(bool), false },
	{ "opt.tcache_max", sizeof(size_t), false },
	{ "opt.dirty_decay_ms", sizeof(long), false },
	{ "opt.muzzy_decay_ms", sizeof(long), false },
	{ "stats.allocated", sizeof(size_t), false },
	{ "stats.active", sizeof(size_t), false },
	{ "stats.metadata", sizeof(size_t), false },
	{ "stats.resident", sizeof(size_t), false },
	{ "stats.mapped", sizeof(size_t), false },
	{ "thread.arena", sizeof(unsigned), true },
	{ "thread.allocated", sizeof(uint64_t), false },
	{ "thread.deallocated", sizeof(uint64_t), false },
	{ "thread.allocatedp", sizeof(uint64_t *), false },
	{ "thread.deallocatedp", sizeof(uint64_t *), false },
	{ "thread.tcache.flush", 0, true },
};

Test(ctl, every_name_reads_with_its_exact_length) {
	for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
		if (nodes[i].bytes == 0)
			continue;
		unsigned char buf[16];
		memset(buf, 0xa5, sizeof(buf));
		size_t len = nodes[i].bytes;
		cr_assert_eq(strata_ctl(nodes[i].name, buf, &len, NULL, 0), 0, "%s",
		             nodes[i].name);
		cr_assert_eq(len, nodes[i].bytes, "%s: length changed",
		             nodes[i].name);
		cr_assert_eq(buf[len], 0xa5, "%s wrote past its length",
		             nodes[i].name);
	}
}

Test(ctl, a_wrong_length_is_einval) {
	for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
		unsigned char buf[32];
		size_t lens[] = { nodes[i].bytes + 1, nodes[i].bytes * 2,
			          nodes[i].bytes - 1, 0 };
		for (size_t l = 0; l < ARRAY_LEN(lens); l++) {
			if (lens[l] == nodes[i].bytes || lens[l] > sizeof(buf))
				continue;
			size_t len = lens[l];
			cr_assert_eq(strata_ctl(nodes[i].name, buf, &len, NULL, 0),
			             EINVAL, "%s with oldlen %zu", nodes[i].name,
			             lens[l]);
		}
		/* A read without a length. */
		if (nodes[i].bytes != 0)
			cr_assert_eq(strata_ctl(nodes[i].name, buf, NULL, NULL, 0),
			             EINVAL, "%s", nodes[i].name);
	}
	uint64_t v = 0;
	cr_assert_eq(strata_ctl("epoch", NULL, NULL, &v, sizeof(v) - 1), EINVAL);
	cr_assert_eq(strata_ctl("epoch", NULL, NULL, NULL, sizeof(v)), EINVAL);
}

Test(ctl, writing_a_read_only_name_is_eperm) {
	for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
		if (nodes[i].is_writable)
			continue;
		uint64_t v[2] = { 1, 1 };
		cr_assert_eq(strata_ctl(nodes[i].name, NULL, NULL, v,
		                        nodes[i].bytes),
		             EPERM, "%s", nodes[i].name);
	}
	size_t page = 0, len = sizeof(page);
	cr_assert_eq(strata_ctl("arenas.page", &page, &len, NULL, 0), 0);
	cr_assert_eq(page, page_bytes, "unchanged");
}

Test(ctl, unknown_names_are_enoent) {
	const char *names[] = { "", "nope", "stats", "stats.", "epoch.x",
		                "stats.allocatedx", "Stats.allocated", "thread",
		                "thread.tcache", "opt.nope" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		size_t v = 0, len = sizeof(v);
		cr_assert_eq(strata_ctl(names[i], &v, &len, NULL, 0), ENOENT, "'%s'",
		             names[i]);
	}
	cr_assert_eq(strata_ctl(NULL, NULL, NULL, NULL, 0), ENOENT);
}

Test(ctl, values_match_the_allocator) {
	const char *version = NULL;
	size_t len = sizeof(version);
	cr_assert_eq(strata_ctl("version", &version, &len, NULL, 0), 0);
	cr_assert_str_eq(version, STRATA_VERSION);
	size_t page = 0;
	len = sizeof(page);
	cr_assert_eq(strata_ctl("arenas.page", &page, &len, NULL, 0), 0);
	cr_assert_eq(page, page_bytes);
	bool tcache = false;
	len = sizeof(tcache);
	cr_assert_eq(strata_ctl("opt.tcache", &tcache, &len, NULL, 0), 0);
	cr_assert(tcache);
	unsigned narenas = 0, total = 0;
	len = sizeof(unsigned);
	cr_assert_eq(strata_ctl("opt.narenas", &narenas, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("arenas.narenas", &total, &len, NULL, 0), 0);
	cr_assert_gt(narenas, 0);
	cr_assert_geq(total, narenas);
	long dirty = 0;
	len = sizeof(dirty);
	cr_assert_eq(strata_ctl("opt.dirty_decay_ms", &dirty, &len, NULL, 0), 0);
	cr_assert_eq(dirty, 10000);
	size_t mapped = 0, active = 0;
	len = sizeof(size_t);
	cr_assert_eq(strata_ctl("stats.mapped", &mapped, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("stats.active", &active, &len, NULL, 0), 0);
	cr_assert_gt(active, 0);
	cr_assert_geq(mapped, active);
}

Test(ctl, writing_the_epoch_advances_it) {
	uint64_t e0 = 0, e1 = 0, one = 1;
	size_t len = sizeof(e0);
	cr_assert_eq(strata_ctl("epoch", &e0, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("epoch", NULL, NULL, &one, sizeof(one)), 0);
	cr_assert_eq(strata_ctl("epoch", &e1, &len, NULL, 0), 0);
	cr_assert_eq(e1, e0 + 1);
	/* Read and write in one call: the old value comes back. */
	uint64_t e2 = 0;
	cr_assert_eq(strata_ctl("epoch", &e2, &len, &one, sizeof(one)), 0);
	cr_assert_eq(e2, e1);
	cr_assert_eq(strata_ctl("epoch", &e2, &len, NULL, 0), 0);
	cr_assert_eq(e2, e1 + 1);
}

static uint64_t read_u64(const char *name) {
	uint64_t v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

/* Every class up to 4 MiB, by malloc. */
Test(ctl, thread_allocated_grows_by_the_usable_size_of_each_malloc) {
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)4 << 20); ind++) {
		size_t size = sc_class_size(ind);
		uint64_t before = read_u64("thread.allocated");
		uint64_t freed = read_u64("thread.deallocated");
		void *p = strata_malloc(size);
		cr_assert_not_null(p);
		size_t usable = strata_malloc_usable_size(p);
		cr_assert_eq(read_u64("thread.allocated") - before, usable,
		             "class %u (%zu)", ind, size);
		strata_free(p);
		cr_assert_eq(read_u64("thread.deallocated") - freed, usable,
		             "class %u (%zu)", ind, size);
	}
}

Test(ctl, thread_allocatedp_points_at_a_counter_that_moves) {
	uint64_t *allocatedp = NULL, *deallocatedp = NULL;
	size_t len = sizeof(uint64_t *);
	cr_assert_eq(strata_ctl("thread.allocatedp", &allocatedp, &len, NULL, 0),
	             0);
	cr_assert_eq(strata_ctl("thread.deallocatedp", &deallocatedp, &len, NULL,
	                        0),
	             0);
	cr_assert_not_null(allocatedp);
	cr_assert_eq(*allocatedp, read_u64("thread.allocated"));
	uint64_t a0 = *allocatedp, d0 = *deallocatedp;
	void *p = strata_malloc(100);
	size_t usable = strata_malloc_usable_size(p);
	cr_assert_eq(*allocatedp - a0, usable);
	strata_free(p);
	cr_assert_eq(*deallocatedp - d0, usable);
	cr_assert_eq(*allocatedp, read_u64("thread.allocated"));
}

static size_t read_allocated(void) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl("stats.allocated", &v, &len, NULL, 0), 0);
	return v;
}

static void flush(void) {
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
}

Test(ctl, tcache_flush_takes_no_value_and_returns_cached_blocks) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl("thread.tcache.flush", &v, &len, NULL, 0),
	             EINVAL);
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, &v,
	                        sizeof(v)),
	             EINVAL);
	flush();
	size_t base = read_allocated();
	/* A freed small block stays in the cache, counted as allocated. */
	void *p = strata_malloc(64);
	strata_free(p);
	size_t cached = read_allocated();
	cr_assert_geq(cached, base + 64, "the fill is counted");
	flush();
	cr_assert_eq(read_allocated(), base, "flush returned every block");
}

/* With the cache flushed before each reading, stats.allocated moves by
 * exactly the usable sizes of the blocks this thread holds. */
Test(ctl, stats_allocated_is_the_sum_of_live_usable_sizes) {
	static void *held[200];
	unsigned n = 0;
	flush();
	size_t base = read_allocated();
	size_t sum = 0;
	for (unsigned ind = 0; sc_class_size(ind) <= ((size_t)4 << 20); ind++) {
		for (unsigned k = 0; k < 2; k++) {
			held[n] = strata_malloc(sc_class_size(ind) - k);
			cr_assert_not_null(held[n]);
			sum += strata_malloc_usable_size(held[n]);
			n++;
		}
	}
	flush();
	cr_assert_eq(read_allocated() - base, sum);
	/* Free half, then the rest. */
	for (unsigned i = 0; i < n; i += 2) {
		sum -= strata_malloc_usable_size(held[i]);
		strata_free(held[i]);
	}
	flush();
	cr_assert_eq(read_allocated() - base, sum);
	for (unsigned i = 1; i < n; i += 2)
		strata_free(held[i]);
	flush();
	cr_assert_eq(read_allocated(), base);
}

Test(ctl, blocks_that_bypass_the_cache_count_at_once) {
	flush();
	size_t base = read_allocated();
	void *p = strata_mallocx(48, STRATA_MALLOCX_TCACHE_NONE);
	void *q = strata_mallocx(40000, STRATA_MALLOCX_TCACHE_NONE);
	cr_assert_eq(read_allocated() - base,
	             strata_malloc_usable_size(p) + strata_malloc_usable_size(q));
	strata_dallocx(p, STRATA_MALLOCX_TCACHE_NONE);
	strata_dallocx(q, STRATA_MALLOCX_TCACHE_NONE);
	cr_assert_eq(read_allocated(), base);
}

Test(ctl, thread_arena_reads_and_writes) {
	unsigned a = 99;
	size_t len = sizeof(a);
	cr_assert_eq(strata_ctl("thread.arena", &a, &len, NULL, 0), 0);
	unsigned narenas = 0;
	cr_assert_eq(strata_ctl("opt.narenas", &narenas, &len, NULL, 0), 0);
	cr_assert_lt(a, narenas);
	unsigned other = (a + 1) % narenas;
	cr_assert_eq(strata_ctl("thread.arena", NULL, NULL, &other, sizeof(other)),
	             0);
	cr_assert_eq(strata_ctl("thread.arena", &a, &len, NULL, 0), 0);
	cr_assert_eq(a, other);
	unsigned bad = 4000;
	cr_assert_eq(strata_ctl("thread.arena", NULL, NULL, &bad, sizeof(bad)),
	             EINVAL);
}
