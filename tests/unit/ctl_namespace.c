/*
 * ctl_namespace.c — every strata_ctl name answers with its type, refuses
 * the wrong length, type of access or index with mallctl's errno; MIBs
 * round-trip; statistics add up; lock contention shows in the counters.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sizeclass.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(ctl_namespace, .init = boot, .timeout = 120);

/* name, value size (0: a void action), writable */
typedef struct ctl_case {
	const char *name;
	size_t bytes;
	bool is_writable;
} ctl_case_t;

#define B sizeof(bool)
#define U sizeof(unsigned)
#define Z sizeof(size_t)
#define U64 sizeof(uint64_t)
#define L sizeof(long)
#define S sizeof(const char *)
#define P sizeof(uint64_t *)

static const ctl_case_t readable[] = {
	{ "version", S, false }, { "epoch", U64, true },
	{ "opt.abort_conf", B, false }, { "opt.confirm_conf", B, false },
	{ "opt.narenas", U, false }, { "opt.tcache", B, false },
	{ "opt.tcache_max", Z, false }, { "opt.dirty_decay_ms", L, false },
	{ "opt.muzzy_decay_ms", L, false },
	{ "opt.background_thread", B, false },
	{ "opt.max_background_threads", Z, false }, { "opt.retain", B, false },
	{ "opt.thp", S, false }, { "opt.metadata_thp", S, false },
	{ "opt.abort", B, false }, { "opt.dss", S, false },
	{ "opt.hugepages", B, false },
	{ "opt.mem_limit_soft", Z, false }, { "opt.mem_limit_hard", Z, false },
	{ "opt.oversize_threshold", Z, false },
	{ "opt.stats_print", B, false }, { "opt.stats_print_opts", S, false },
	{ "opt.percpu_arena", S, false },
	{ "arenas.narenas", U, false }, { "arenas.page", Z, false },
	{ "arenas.nbins", U, false }, { "arenas.nlextents", U, false },
	{ "arenas.bin.0.size", Z, false }, { "arenas.bin.35.nregs", U, false },
	{ "arenas.bin.7.slab_size", Z, false },
	{ "arenas.lextent.0.size", Z, false },
	{ "arena.0.dirty_decay_ms", L, true },
	{ "arena.0.muzzy_decay_ms", L, true },
	{ "arena.0.tier", U, false }, { "arena.0.node", sizeof(int), false },
	{ "thread.arena", U, true }, { "thread.allocated", U64, false },
	{ "thread.deallocated", U64, false },
	{ "thread.allocatedp", P, false }, { "thread.deallocatedp", P, false },
	{ "thread.allocation_rate", U64, false },
	{ "stats.allocated", Z, false }, { "stats.active", Z, false },
	{ "stats.metadata", Z, false }, { "stats.resident", Z, false },
	{ "stats.mapped", Z, false }, { "stats.retained", Z, false },
	{ "stats.dirty", Z, false }, { "stats.muzzy", Z, false },
	{ "stats.background_thread.running", B, false },
	{ "stats.mem_limit.soft_hits", U64, false },
	{ "stats.mem_limit.hard_hits", U64, false },
	{ "stats.mem_limit.cgroup", Z, false },
	{ "stats.mem_limit.soft", Z, false },
	{ "stats.mutexes.base.num_ops", U64, false },
	{ "stats.mutexes.arenas.num_wait", U64, false },
	{ "stats.mutexes.pagemap.total_wait_time", U64, false },
	{ "stats.mutexes.tcaches.max_wait_time", U64, false },
	{ "stats.mutexes.threads.num_owner_switch", U64, false },
	{ "stats.arenas.0.nthreads", U, false },
	{ "stats.arenas.0.allocated", Z, false },
	{ "stats.arenas.0.active", Z, false },
	{ "stats.arenas.0.dirty", Z, false },
	{ "stats.arenas.0.muzzy", Z, false },
	{ "stats.arenas.0.mapped", Z, false },
	{ "stats.arenas.0.retained", Z, false },
	{ "stats.arenas.0.small.allocated", Z, false },
	{ "stats.arenas.0.small.nmalloc", U64, false },
	{ "stats.arenas.0.small.ndalloc", U64, false },
	{ "stats.arenas.0.large.allocated", Z, false },
	{ "stats.arenas.0.large.nmalloc", U64, false },
	{ "stats.arenas.0.large.ndalloc", U64, false },
	{ "stats.arenas.0.large.nremap", U64, false },
	{ "stats.arenas.0.large.nrefit", U64, false },
	{ "stats.arenas.0.purge.lazy_calls", U64, false },
	{ "stats.arenas.0.purge.eager_calls", U64, false },
	{ "stats.arenas.0.purge.lazy_pages", U64, false },
	{ "stats.arenas.0.purge.eager_pages", U64, false },
	{ "stats.arenas.0.purge.chunks_unmapped", U64, false },
	{ "stats.arenas.0.purge.hugepages_split", U64, false },
	{ "stats.arenas.0.purge.chunks_adopted", U64, false },
	{ "stats.arenas.0.mutexes.extents.num_ops", U64, false },
	{ "stats.arenas.0.mutexes.extents.num_wait", U64, false },
	{ "stats.arenas.0.mutexes.extents.total_wait_time", U64, false },
	{ "stats.arenas.0.mutexes.extents.max_wait_time", U64, false },
	{ "stats.arenas.0.mutexes.extents.num_owner_switch", U64, false },
	{ "stats.arenas.0.bins.0.curregs", Z, false },
	{ "stats.arenas.0.bins.0.curslabs", Z, false },
	{ "stats.arenas.0.bins.0.nmalloc", U64, false },
	{ "stats.arenas.0.bins.0.ndalloc", U64, false },
	{ "stats.arenas.0.bins.0.nfills", U64, false },
	{ "stats.arenas.0.bins.0.nflushes", U64, false },
	{ "stats.arenas.0.bins.0.nslabs", U64, false },
	{ "stats.arenas.0.bins.35.mutex.num_ops", U64, false },
	{ "stats.arenas.0.bins.35.mutex.num_wait", U64, false },
	{ "stats.arenas.0.bins.35.mutex.total_wait_time", U64, false },
	{ "stats.arenas.0.bins.35.mutex.max_wait_time", U64, false },
	{ "stats.arenas.0.bins.35.mutex.num_owner_switch", U64, false },
};

static const char *const actions[] = {
	"arena.0.purge", "arena.0.decay", "thread.tcache.flush",
};

static size_t rd_z(const char *name) {
	size_t v = 0, len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

static uint64_t rd_u64(const char *name) {
	uint64_t v = 0;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

Test(ctl_namespace, every_name_reads_with_its_type) {
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
		const ctl_case_t *c = &readable[i];
		uint64_t buf[2] = { 0, 0 };
		size_t len = c->bytes;
		cr_assert_eq(strata_ctl(c->name, buf, &len, NULL, 0), 0,
		             "reading %s", c->name);
		cr_assert_eq(len, c->bytes);
		if (c->is_writable)
			cr_assert_eq(strata_ctl(c->name, NULL, NULL, buf,
			                        c->bytes), 0,
			             "writing back %s", c->name);
	}
}

Test(ctl_namespace, wrong_lengths_are_rejected_with_einval) {
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
		const ctl_case_t *c = &readable[i];
		uint64_t buf[2] = { 0, 0 };
		size_t len = c->bytes + 1;
		cr_assert_eq(strata_ctl(c->name, buf, &len, NULL, 0), EINVAL,
		             "%s with %zu bytes", c->name, len);
		len = c->bytes - 1;
		cr_assert_eq(strata_ctl(c->name, buf, &len, NULL, 0), EINVAL,
		             "%s with %zu bytes", c->name, len);
		cr_assert_eq(strata_ctl(c->name, buf, NULL, NULL, 0), EINVAL,
		             "%s without oldlenp", c->name);
		if (c->is_writable)
			cr_assert_eq(strata_ctl(c->name, NULL, NULL, buf,
			                        c->bytes + 1), EINVAL,
			             "writing %s", c->name);
	}
}

Test(ctl_namespace, read_only_names_refuse_writes_with_eperm) {
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
		const ctl_case_t *c = &readable[i];
		if (c->is_writable)
			continue;
		uint64_t buf[2] = { 0, 0 };
		cr_assert_eq(strata_ctl(c->name, NULL, NULL, buf, c->bytes),
		             EPERM, "%s", c->name);
	}
}

Test(ctl_namespace, actions_take_no_value) {
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		unsigned v = 0;
		size_t len = sizeof(v);
		cr_assert_eq(strata_ctl(actions[i], NULL, NULL, NULL, 0), 0,
		             "%s", actions[i]);
		cr_assert_eq(strata_ctl(actions[i], &v, &len, NULL, 0), EINVAL);
		cr_assert_eq(strata_ctl(actions[i], NULL, NULL, &v, len),
		             EINVAL);
	}
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.purge", STRATA_ARENAS_ALL);
	cr_assert_eq(strata_ctl(name, NULL, NULL, NULL, 0), 0);
	snprintf(name, sizeof(name), "arena.%u.decay", STRATA_ARENAS_ALL);
	cr_assert_eq(strata_ctl(name, NULL, NULL, NULL, 0), 0);
}

Test(ctl_namespace, unknown_names_and_indices_are_enoent) {
	static const char *const bad[] = {
		"", "nope", "version.major", "stats", "stats.arenas.0",
		"stats.arenas.0.bins", "arena.x.purge", "arena.0.purgex",
		"arena.99999.purge", "stats.arenas.4000.allocated",
		"arenas.bin.36.size", "arenas.bin..size", "arenas.bin.-1.size",
		"stats.mutexes.nosuch.num_ops", "opt.nosuch", "epoch.",
		"thread.tcache", "stats.arenas.0.bins.36.nmalloc",
	};
	uint64_t buf[2];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = sizeof(uint64_t);
		cr_assert_eq(strata_ctl(bad[i], buf, &len, NULL, 0), ENOENT,
		             "'%s'", bad[i]);
	}
	cr_assert_eq(strata_ctl(NULL, NULL, NULL, NULL, 0), ENOENT);
}

Test(ctl_namespace, mib_round_trips_and_indices_can_be_patched) {
	size_t mib[8], miblen = 8;
	cr_assert_eq(strata_ctl_nametomib("stats.arenas.0.bins.3.nmalloc", mib,
	                                  &miblen), 0);
	cr_assert_eq(miblen, 6);
	cr_assert_eq(mib[2], 0);
	cr_assert_eq(mib[4], 3);
	void *p[10];
	for (int i = 0; i < 10; i++)
		p[i] = strata_mallocx(48, STRATA_MALLOCX_TCACHE_NONE |
		                              STRATA_MALLOCX_ARENA(0));
	for (unsigned j = 0; j < SC_NSMALL; j++) {
		char name[64];
		snprintf(name, sizeof(name), "stats.arenas.0.bins.%u.nmalloc",
		         j);
		mib[4] = j;
		uint64_t by_mib = 0;
		size_t len = sizeof(by_mib);
		cr_assert_eq(strata_ctl_bymib(mib, miblen, &by_mib, &len, NULL,
		                              0), 0);
		cr_assert_eq(by_mib, rd_u64(name), "%s", name);
	}
	mib[4] = SC_NSMALL;
	uint64_t v;
	size_t len = sizeof(v);
	cr_assert_eq(strata_ctl_bymib(mib, miblen, &v, &len, NULL, 0), ENOENT);
	cr_assert_eq(strata_ctl_bymib(mib, 3, &v, &len, NULL, 0), ENOENT);
	mib[0] = 1000;
	cr_assert_eq(strata_ctl_bymib(mib, miblen, &v, &len, NULL, 0), ENOENT);
	for (int i = 0; i < 10; i++)
		strata_free(p[i]);
}

Test(ctl_namespace, nametomib_reports_a_short_buffer_and_actions_work) {
	size_t mib[8], miblen = 3;
	cr_assert_eq(strata_ctl_nametomib("stats.arenas.0.allocated", mib,
	                                  &miblen), ENOENT);
	miblen = 8;
	cr_assert_eq(strata_ctl_nametomib("arena.0.purge", mib, &miblen), 0);
	cr_assert_eq(miblen, 3);
	cr_assert_eq(strata_ctl_bymib(mib, miblen, NULL, NULL, NULL, 0), 0);
	miblen = 8;
	cr_assert_eq(strata_ctl_nametomib("version", mib, &miblen), 0);
	cr_assert_eq(miblen, 1);
	const char *version = NULL;
	size_t len = sizeof(version);
	cr_assert_eq(strata_ctl_bymib(mib, miblen, &version, &len, NULL, 0), 0);
	cr_assert_str_eq(version, STRATA_VERSION);
	cr_assert_eq(strata_ctl_nametomib(NULL, mib, &miblen), EINVAL);
}

Test(ctl_namespace, arenas_create_gives_a_manual_arena_that_can_go) {
	unsigned nauto = 0, ind = 0, narenas = 0;
	size_t len = sizeof(unsigned);
	cr_assert_eq(strata_ctl("opt.narenas", &nauto, &len, NULL, 0), 0);
	cr_assert_eq(strata_ctl("arenas.create", &ind, &len, NULL, 0), 0);
	cr_assert_geq(ind, nauto);
	cr_assert_eq(strata_ctl("arenas.narenas", &narenas, &len, NULL, 0), 0);
	cr_assert_gt(narenas, ind);
	char name[64];
	unsigned tier = 99;
	int node = 99;
	snprintf(name, sizeof(name), "arena.%u.tier", ind);
	cr_assert_eq(strata_ctl(name, &tier, &len, NULL, 0), 0);
	cr_assert_eq(tier, STRATA_TIER_DEFAULT);
	snprintf(name, sizeof(name), "arena.%u.node", ind);
	size_t ilen = sizeof(int);
	cr_assert_eq(strata_ctl(name, &node, &ilen, NULL, 0), 0);
	cr_assert_eq(node, STRATA_NODE_ANY);
	void *p = strata_mallocx(100, STRATA_MALLOCX_ARENA(ind));
	cr_assert_not_null(p);
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", ind);
	cr_assert_eq(rd_z(name), strata_sallocx(p, 0));
	snprintf(name, sizeof(name), "arena.%u.destroy", ind);
	cr_assert_eq(strata_ctl(name, NULL, NULL, NULL, 0), 0);
	snprintf(name, sizeof(name), "arena.%u.tier", ind);
	cr_assert_eq(strata_ctl(name, &tier, &len, NULL, 0), ENOENT);
	/* an automatic arena cannot be destroyed */
	cr_assert_eq(strata_ctl("arena.0.destroy", NULL, NULL, NULL, 0),
	             EINVAL);
}

Test(ctl_namespace, arena_decay_times_are_read_and_written) {
	long ms = 1234, got = 0;
	size_t len = sizeof(long);
	cr_assert_eq(strata_ctl("arena.0.dirty_decay_ms", NULL, NULL, &ms,
	                        sizeof(ms)), 0);
	cr_assert_eq(strata_ctl("arena.0.dirty_decay_ms", &got, &len, NULL, 0),
	             0);
	cr_assert_eq(got, 1234);
	ms = -1;
	cr_assert_eq(strata_ctl("arena.0.muzzy_decay_ms", NULL, NULL, &ms,
	                        sizeof(ms)), 0);
	cr_assert_eq(strata_ctl("arena.0.muzzy_decay_ms", &got, &len, NULL, 0),
	             0);
	cr_assert_eq(got, -1);
	ms = -5;
	cr_assert_eq(strata_ctl("arena.0.muzzy_decay_ms", NULL, NULL, &ms,
	                        sizeof(ms)), EINVAL);
	/* opt.* is the default, unchanged by the arena's setting */
	cr_assert_eq(strata_ctl("opt.dirty_decay_ms", &got, &len, NULL, 0), 0);
	cr_assert_eq(got, 10000);
}

Test(ctl_namespace, bin_geometry_matches_the_size_classes) {
	for (unsigned j = 0; j < SC_NSMALL; j++) {
		char name[64];
		snprintf(name, sizeof(name), "arenas.bin.%u.size", j);
		cr_assert_eq(rd_z(name), sc_small_size[j]);
		snprintf(name, sizeof(name), "arenas.bin.%u.slab_size", j);
		cr_assert_eq(rd_z(name), sc_slab[j].slab_bytes);
		cr_assert_eq(rd_z(name) % rd_z("arenas.page"), 0);
	}
	unsigned n = 0;
	size_t len = sizeof(n);
	cr_assert_eq(strata_ctl("arenas.nlextents", &n, &len, NULL, 0), 0);
	cr_assert_gt(n, 100);
	cr_assert_eq(rd_z("arenas.lextent.0.size"), sc_usable_size(SC_NSMALL));
}

Test(ctl_namespace, thread_counters_and_rate_follow_allocations) {
	uint64_t *allocatedp = NULL;
	size_t len = sizeof(allocatedp);
	cr_assert_eq(strata_ctl("thread.allocatedp", &allocatedp, &len, NULL,
	                        0), 0);
	uint64_t before = rd_u64("thread.allocated");
	(void)rd_u64("thread.allocation_rate");
	void *p = strata_malloc(1000);
	cr_assert_eq(rd_u64("thread.allocated") - before, strata_sallocx(p, 0));
	cr_assert_eq(*allocatedp, rd_u64("thread.allocated"));
	cr_assert_gt(rd_u64("thread.allocation_rate"), 0);
	/* nothing allocated since the last read */
	cr_assert_eq(rd_u64("thread.allocation_rate"), 0);
	uint64_t dealloc = rd_u64("thread.deallocated");
	strata_free(p);
	cr_assert_eq(rd_u64("thread.deallocated") - dealloc, 1024);
}

Test(ctl_namespace, thread_arena_can_be_moved) {
	unsigned a = 0, b = 1;
	size_t len = sizeof(a);
	unsigned narenas = 0;
	cr_assert_eq(strata_ctl("opt.narenas", &narenas, &len, NULL, 0), 0);
	b = narenas > 1 ? 1 : 0;
	cr_assert_eq(strata_ctl("thread.arena", NULL, NULL, &b, sizeof(b)), 0);
	cr_assert_eq(strata_ctl("thread.arena", &a, &len, NULL, 0), 0);
	cr_assert_eq(a, b);
	b = 4000;
	cr_assert_eq(strata_ctl("thread.arena", NULL, NULL, &b, sizeof(b)),
	             EINVAL);
}

/* allocated is the sum of the live blocks' usable sizes once the cache
 * holds nothing; resident and mapped cover the active pages. */
Test(ctl_namespace, totals_add_up_to_the_live_blocks) {
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	size_t base = rd_z("stats.allocated");
	static const size_t sizes[] = { 1, 8, 17, 100, 1000, 5000, 14336,
		                        20000, 100000, 1 << 20, 3 << 20 };
	void *p[sizeof(sizes) / sizeof(sizes[0]) * 4];
	size_t expect = 0, n = 0;
	for (unsigned r = 0; r < 4; r++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p[n] = strata_malloc(sizes[i]);
			cr_assert_not_null(p[n]);
			expect += strata_malloc_usable_size(p[n]);
			n++;
		}
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	cr_assert_eq(rd_z("stats.allocated") - base, expect);
	size_t active = rd_z("stats.active");
	cr_assert_geq(active, rd_z("stats.allocated"));
	cr_assert_geq(rd_z("stats.resident"), active);
	cr_assert_geq(rd_z("stats.mapped"), active);
	size_t per_arena = 0;
	unsigned narenas = 0;
	size_t len = sizeof(narenas);
	cr_assert_eq(strata_ctl("arenas.narenas", &narenas, &len, NULL, 0), 0);
	for (unsigned a = 0; a < narenas; a++) {
		char name[64];
		snprintf(name, sizeof(name), "stats.arenas.%u.allocated", a);
		per_arena += rd_z(name);
	}
	cr_assert_eq(per_arena, rd_z("stats.allocated"));
	for (size_t i = 0; i < n; i++)
		strata_free(p[i]);
	cr_assert_eq(strata_ctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	cr_assert_eq(rd_z("stats.allocated"), base);
	cr_assert_eq(strata_ctl("arena.0.purge", NULL, NULL, NULL, 0), 0);
	cr_assert_eq(rd_z("stats.arenas.0.dirty"), 0);
}

/* ---- lock contention ---- */

#define HAMMER_OPS 200000
#define HAMMER_FLAGS (STRATA_MALLOCX_TCACHE_NONE | STRATA_MALLOCX_ARENA(0))

static void *hammer(void *arg) {
	(void)arg;
	for (int i = 0; i < HAMMER_OPS; i++) {
		void *p = strata_mallocx(64, HAMMER_FLAGS);
		strata_dallocx(p, HAMMER_FLAGS);
	}
	return NULL;
}

static uint64_t bin64_counter(const char *field) {
	char name[96];
	snprintf(name, sizeof(name), "stats.arenas.0.bins.%u.mutex.%s",
	         sc_index(64), field);
	return rd_u64(name);
}

Test(ctl_namespace, one_thread_alone_never_waits_for_a_bin) {
	uint64_t ops = bin64_counter("num_ops");
	uint64_t waits = bin64_counter("num_wait");
	uint64_t wait_ns = bin64_counter("total_wait_time");
	hammer(NULL);
	cr_assert_geq(bin64_counter("num_ops") - ops, HAMMER_OPS);
	cr_assert_eq(bin64_counter("num_wait"), waits);
	cr_assert_eq(bin64_counter("total_wait_time"), wait_ns);
}

/* Rounds of four threads that start together, until the bin's counters
 * show a wait and an owner switch, for up to 10 s: on a loaded machine
 * with few CPUs, four short runs may happen one after the other.  The
 * counters are read only between rounds: a read takes the bin's lock
 * (stats_bin_read), so a read during one would count waits and switches
 * of its own. */
static pthread_barrier_t hammer_start;

static void *hammer_together(void *arg) {
	pthread_barrier_wait(&hammer_start);
	return hammer(arg);
}

Test(ctl_namespace, threads_fighting_over_one_bin_show_contention) {
	uint64_t waits = bin64_counter("num_wait");
	uint64_t switches = bin64_counter("num_owner_switch");
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pthread_t t[4];
		cr_assert_eq(pthread_barrier_init(&hammer_start, NULL, 4), 0);
		for (int i = 0; i < 4; i++)
			cr_assert_eq(pthread_create(&t[i], NULL, hammer_together,
			                            NULL),
			             0);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&hammer_start);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((bin64_counter("num_wait") == waits ||
	          bin64_counter("num_owner_switch") == switches) &&
	         now.tv_sec - t0.tv_sec < 10);
	cr_assert_gt(bin64_counter("num_wait"), waits);
	cr_assert_gt(bin64_counter("num_owner_switch"), switches);
	cr_assert_geq(bin64_counter("total_wait_time"),
	              bin64_counter("max_wait_time"));
}

/* Per large class: every large and huge class up to 8 MiB allocated from
 * arena 0 shows one live run in its lextents entry, then none. */
Test(ctl_namespace, large_classes_are_counted_per_class) {
	char name[96];
	for (unsigned j = 0; sc_class_size(SC_NSMALL + j) <= ((size_t)8 << 20);
	     j++) {
		size_t size = sc_class_size(SC_NSMALL + j);
		snprintf(name, sizeof(name),
		         "stats.arenas.0.lextents.%u.curlextents", j);
		size_t before = rd_z(name);
		void *p = strata_mallocx(size, STRATA_MALLOCX_ARENA(0) |
		                                   STRATA_MALLOCX_TCACHE_NONE);
		cr_assert_not_null(p);
		cr_assert_eq(rd_z(name), before + 1, "class %u (%zu)", j, size);
		snprintf(name, sizeof(name), "stats.arenas.0.lextents.%u.nmalloc",
		         j);
		uint64_t n = rd_u64(name);
		strata_dallocx(p, STRATA_MALLOCX_TCACHE_NONE);
		snprintf(name, sizeof(name),
		         "stats.arenas.0.lextents.%u.curlextents", j);
		cr_assert_eq(rd_z(name), before, "class %u", j);
		snprintf(name, sizeof(name), "stats.arenas.0.lextents.%u.ndalloc",
		         j);
		cr_assert_geq(rd_u64(name), 1);
		cr_assert_geq(n, 1);
	}
	size_t len = sizeof(uint64_t);
	uint64_t v;
	cr_assert_eq(strata_ctl("stats.arenas.0.lextents.196.nmalloc", &v, &len,
	                        NULL, 0), ENOENT);
}
