/*
 * ctl.c — strata_ctl: every name of the namespace read with its exact
 * length, wrong lengths, read-only and unknown names, the epoch, the
 * thread counters and their pointers, the cache flush, and stats.allocated
 * against the blocks a single thread holds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
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

/* ---- jemalloc's names and the machine's shape ---- */

static size_t ctl_size(const char *name) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static bool ctl_bool(const char *name) {
	bool v = false;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

Test(ctl, jemalloc_geometry_names_answer_the_size_classes) {
	cr_assert_eq(ctl_size("arenas.quantum"), 16);
	cr_assert_eq(ctl_size("arenas.bin.0.size"), sc_small_size[0]);
	cr_assert_eq(ctl_size("arenas.lextent.0.size"),
	             sc_usable_size(SC_NSMALL));
}

Test(ctl, background_thread_reads_the_option_and_writes_back) {
	bool on = ctl_bool("background_thread");
	bool opt_on = false;
	size_t len = sizeof(opt_on);
	cr_assert_eq(strata_ctl("opt.background_thread", &opt_on, &len, NULL, 0),
	             0);
	cr_assert_eq(on, opt_on);
	bool off = false;
	cr_assert_eq(strata_ctl("background_thread", NULL, NULL, &off,
	                        sizeof(off)), 0);
	cr_assert_not(ctl_bool("background_thread"));
	cr_assert_eq(strata_ctl("background_thread", NULL, NULL, &off, 4),
	             EINVAL);
}

Test(ctl, max_background_threads_is_a_bound_of_at_least_one) {
	cr_assert_geq(ctl_size("max_background_threads"), 1);
	size_t four = 4, zero = 0;
	cr_assert_eq(strata_ctl("max_background_threads", NULL, NULL, &four,
	                        sizeof(four)), 0);
	cr_assert_eq(ctl_size("max_background_threads"), 4);
	cr_assert_eq(strata_ctl("max_background_threads", NULL, NULL, &zero,
	                        sizeof(zero)), EINVAL);
	cr_assert_eq(ctl_size("max_background_threads"), 4);
}

Test(ctl, config_malloc_conf_is_the_compiled_default) {
	const char *s = NULL;
	size_t len = sizeof(s);
	cr_assert_eq(strata_ctl("config.malloc_conf", &s, &len, NULL, 0), 0);
	cr_assert_not_null(s);
	cr_assert_eq(strata_ctl("config.malloc_conf", NULL, NULL, &s,
	                        sizeof(s)), EPERM);
}

Test(ctl, thread_tcache_enabled_follows_the_option) {
	bool want = false;
	size_t len = sizeof(want);
	cr_assert_eq(strata_ctl("opt.tcache", &want, &len, NULL, 0), 0);
	cr_assert_eq(ctl_bool("thread.tcache.enabled"), want);
}

Test(ctl, system_names_tell_what_the_backend_found) {
	const char *backend = NULL;
	size_t len = sizeof(backend);
	cr_assert_eq(strata_ctl("system.backend", &backend, &len, NULL, 0), 0);
	cr_assert_str_eq(backend, pages_backend_name());
	cr_assert_eq(ctl_size("system.page"), page_bytes);
	cr_assert_eq(ctl_size("system.page"), ctl_size("arenas.page"));
	cr_assert_eq(ctl_size("system.hugepage"), pages_info.hugepage_bytes);
	cr_assert_eq(ctl_size("system.cacheline"), CACHELINE_BYTES);
	unsigned nodes = 0, tiers = 0, caps = 0;
	len = sizeof(unsigned);
	cr_assert_eq(strata_ctl("system.nodes", &nodes, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("system.tiers", &tiers, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("system.caps", &caps, &len, NULL, 0), 0);
	cr_assert_eq(nodes, pages_info.node_count);
	cr_assert_geq(nodes, 1);
	cr_assert_eq(tiers, pages_info.tier_mask);
	cr_assert(tiers & (1u << STRATA_TIER_DEFAULT));
	cr_assert_eq(caps, pages_info.caps);
	cr_assert_eq(ctl_bool("system.has_hugepage"),
	             (caps & BACKEND_CAP_HUGEPAGE) != 0);
	cr_assert_eq(ctl_bool("system.has_numa"),
	             (caps & BACKEND_CAP_NUMA) != 0);
	cr_assert_eq(strata_ctl("system.page", NULL, NULL, &nodes,
	                        sizeof(size_t)), EPERM);
	uint64_t mask = 0;
	len = sizeof(mask);
	cr_assert_eq(strata_ctl("system.memory_nodes", &mask, &len, NULL, 0), 0);
	cr_assert_eq(mask, pages_info.memory_node_mask);
	cr_assert_eq(strata_ctl("system.tier.0.nodes", &mask, &len, NULL, 0), 0);
	cr_assert_eq(mask, pages_info.tier_node_mask[STRATA_TIER_DEFAULT]);
	cr_assert_eq(strata_ctl("system.tier.9.nodes", &mask, &len, NULL, 0),
	             ENOENT);
	const char *thp = NULL;
	len = sizeof(thp);
	cr_assert_eq(strata_ctl("system.thp", &thp, &len, NULL, 0), 0);
	cr_assert_not_null(thp);
	cr_assert(pages_info.thp_mode[0] == '\0'
	              ? strcmp(thp, "unknown") == 0
	              : strcmp(thp, pages_info.thp_mode) == 0, "%s", thp);
}

static unsigned ctl_create_arena(void) {
	unsigned ind = 0;
	size_t len = sizeof(ind);
	cr_assert_eq(strata_ctl("arenas.create", &ind, &len, NULL, 0), 0);
	return ind;
}

static size_t ctl_sa(unsigned ind, const char *leaf) {
	char name[96];
	snprintf(name, sizeof(name), "stats.arenas.%u.%s", ind, leaf);
	return ctl_size(name);
}

static long ctl_long(const char *name) {
	long v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

Test(ctl, arena_reset_frees_every_block_and_keeps_the_arena) {
	unsigned ind = ctl_create_arena();
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	long ms = 1234;
	cr_assert_eq(strata_ctl(name, NULL, NULL, &ms, sizeof(ms)), 0);
	void *volatile small = strata_mallocx(100, STRATA_MALLOCX_ARENA(ind));
	void *volatile large = strata_mallocx(100000, STRATA_MALLOCX_ARENA(ind));
	cr_assert(small != NULL && large != NULL);
	memset(small, 1, 100);
	memset(large, 1, 100000);
	cr_assert_geq(ctl_sa(ind, "small.allocated"), 100);
	cr_assert_geq(ctl_sa(ind, "large.allocated"), 100000);
	snprintf(name, sizeof(name), "arena.%u.reset", ind);
	cr_assert_eq(strata_ctl(name, NULL, NULL, NULL, 0), 0);
	cr_assert_eq(ctl_sa(ind, "small.allocated"), 0);
	cr_assert_eq(ctl_sa(ind, "large.allocated"), 0);
	cr_assert_eq(ctl_sa(ind, "mapped"), 0);
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	cr_assert_eq(ctl_long(name), 1234, "decay time kept");
	/* The arena still serves. */
	void *volatile again = strata_mallocx(100, STRATA_MALLOCX_ARENA(ind));
	cr_assert_not_null(again);
	memset(again, 2, 100);
	cr_assert_geq(ctl_sa(ind, "small.allocated"), 100);
	strata_free(again);
	cr_assert_eq(strata_ctl("arena.0.reset", NULL, NULL, NULL, 0), EFAULT,
	             "automatic arenas are not reset");
	cr_assert_eq(strata_ctl("arena.4096.reset", NULL, NULL, NULL, 0),
	             EINVAL);
}

Test(ctl, arenas_decay_ms_are_the_defaults_of_new_arenas) {
	cr_assert_eq(ctl_long("arenas.dirty_decay_ms"),
	             ctl_long("opt.dirty_decay_ms"));
	long dirty = 777, muzzy = -1, bad = -5;
	cr_assert_eq(strata_ctl("arenas.dirty_decay_ms", NULL, NULL, &dirty,
	                        sizeof(dirty)), 0);
	cr_assert_eq(strata_ctl("arenas.muzzy_decay_ms", NULL, NULL, &muzzy,
	                        sizeof(muzzy)), 0);
	cr_assert_eq(strata_ctl("arenas.dirty_decay_ms", NULL, NULL, &bad,
	                        sizeof(bad)), EINVAL);
	cr_assert_eq(ctl_long("arenas.dirty_decay_ms"), 777);
	unsigned ind = ctl_create_arena();
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	cr_assert_eq(ctl_long(name), 777);
	snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", ind);
	cr_assert_eq(ctl_long(name), -1);
	snprintf(name, sizeof(name), "stats.arenas.%u.dirty_decay_ms", ind);
	cr_assert_eq(ctl_long(name), 777);
	cr_assert_eq(ctl_long("stats.arenas.4096.dirty_decay_ms"), 777);
	cr_assert_eq(ctl_long("opt.dirty_decay_ms"), 10000, "opt unchanged");
}

Test(ctl, stats_arenas_4096_merges_every_arena_and_4097_reads_zero) {
	unsigned a1 = ctl_create_arena(), a2 = ctl_create_arena();
	void *volatile p = strata_mallocx(5000, STRATA_MALLOCX_ARENA(a1));
	void *volatile q = strata_mallocx(70000, STRATA_MALLOCX_ARENA(a2));
	memset(p, 1, 5000);
	memset(q, 1, 70000);
	unsigned n = 0;
	size_t len = sizeof(n);
	cr_assert_eq(strata_ctl("arenas.narenas", &n, &len, NULL, 0), 0);
	const char *leaves[] = { "allocated", "active", "mapped", "pactive",
		                 "pdirty", "small.allocated", "large.allocated" };
	for (size_t k = 0; k < sizeof(leaves) / sizeof(leaves[0]); k++) {
		size_t sum = 0;
		for (unsigned i = 0; i < n; i++)
			sum += ctl_sa(i, leaves[k]);
		cr_assert_eq(ctl_sa(4096, leaves[k]), sum, "%s", leaves[k]);
		cr_assert_eq(ctl_sa(4097, leaves[k]), 0, "%s", leaves[k]);
	}
	cr_assert_geq(ctl_sa(4096, "large.allocated"), 70000);
	uint64_t nm = 0;
	len = sizeof(nm);
	cr_assert_eq(strata_ctl("stats.arenas.4096.bins.0.nmalloc", &nm, &len,
	                        NULL, 0), 0);
	cr_assert_eq(strata_ctl("stats.arenas.4098.allocated", &nm, &len,
	                        NULL, 0), ENOENT);
	strata_free(p);
	strata_free(q);
}

Test(ctl, pactive_pdirty_pmuzzy_are_the_byte_figures_in_pages) {
	unsigned ind = ctl_create_arena();
	void *volatile p = strata_mallocx(3 * page_bytes,
	                                  STRATA_MALLOCX_ARENA(ind));
	memset(p, 1, 3 * page_bytes);
	cr_assert_eq(ctl_sa(ind, "pactive"), ctl_sa(ind, "active") / page_bytes);
	cr_assert_geq(ctl_sa(ind, "pactive"), 3);
	strata_free(p);
	cr_assert_eq(ctl_sa(ind, "pdirty"), ctl_sa(ind, "dirty") / page_bytes);
	cr_assert_eq(ctl_sa(ind, "pmuzzy"), ctl_sa(ind, "muzzy") / page_bytes);
	const char *dss = NULL;
	size_t len = sizeof(dss);
	cr_assert_eq(strata_ctl("stats.arenas.0.dss", &dss, &len, NULL, 0), 0);
	cr_assert_str_eq(dss, "disabled");
}
