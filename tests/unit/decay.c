/*
 * decay.c — the smoothstep decay curve, stepped with an injected clock:
 * nothing is purged early, everything is purged by decay_ms, the curve is
 * monotonic, -1 never purges, 0 purges at once; and an arena's dirty and
 * muzzy pages follow it through the fake backend.
 */
#include <criterion/criterion.h>

#include "arena.h"
#include "decay.h"
#include "fake_backend.h"
#include "strata.h"

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

static void setup(void) {
	setenv("STRATA_CONF", "background_thread:false", 1);
	fake_now = 1000000000ull;
	decay_set_clock(fake_clock);
	strata_free(strata_malloc(1)); /* boot */
}

TestSuite(decay, .init = setup, .timeout = 60);

#define MS 1000000ull

Test(decay, a_fresh_burst_is_kept_then_released_along_the_curve) {
	decay_t d;
	decay_init(&d, 1000, fake_now);
	size_t prev = decay_limit(&d, fake_now, 10000);
	cr_assert_eq(prev, 10000, "nothing purged at the moment of the burst");
	for (unsigned t = 50; t <= 1000; t += 50) {
		size_t keep = decay_limit(&d, fake_now + t * MS, 10000);
		cr_assert_leq(keep, prev, "the curve never rises (t=%u ms)", t);
		prev = keep;
		decay_purged(&d, 10000);
	}
	cr_assert_eq(prev, 0, "everything is purged after decay_ms");
}

Test(decay, half_way_keeps_about_half) {
	decay_t d;
	decay_init(&d, 1000, fake_now);
	decay_limit(&d, fake_now, 100000);
	size_t keep = decay_limit(&d, fake_now + 500 * MS, 100000);
	/* smoothstep(0.5) = 0.5: within a step of half */
	cr_assert(keep > 45000 && keep < 55000, "kept %zu of 100000", keep);
}

Test(decay, minus_one_never_purges_and_zero_purges_at_once) {
	decay_t never, now;
	decay_init(&never, -1, fake_now);
	decay_init(&now, 0, fake_now);
	cr_assert_eq(decay_limit(&never, fake_now + 3600000 * MS, 777), 777);
	cr_assert_eq(decay_deadline_ns(&never, 777), DECAY_NEVER);
	cr_assert_eq(decay_limit(&now, fake_now, 777), 0);
}

Test(decay, deadline_is_the_next_epoch_when_pages_wait) {
	decay_t d;
	decay_init(&d, 2000, fake_now);
	cr_assert_eq(decay_deadline_ns(&d, 0), DECAY_NEVER);
	uint64_t deadline = decay_deadline_ns(&d, 10);
	cr_assert_eq(deadline, fake_now + 2000 * MS / DECAY_NSTEPS);
}

/* Through an arena: a freed large run becomes dirty, then muzzy (lazy
 * purge), then clean (eager purge), as the injected clock advances. */
Test(decay, arena_pages_go_dirty_then_muzzy_then_clean) {
	arena_t *a = arena_get(0);
	arena_set_decay_ms(a, false, 1000);
	arena_set_decay_ms(a, true, 1000);
	size_t big = 1u << 20; /* a large run inside a chunk */
	void *p = strata_mallocx(big, STRATA_MALLOCX_TCACHE_NONE);
	memset(p, 1, big);
	strata_dallocx(p, STRATA_MALLOCX_TCACHE_NONE);
	size_t pages = big / fake_page_bytes();
	cr_assert_geq(a->extents.dirty_pages, pages);
	fake_counters_t before = fake_counters();
	arena_decay(a, false);
	cr_assert_geq(a->extents.dirty_pages, pages, "too early to purge");
	fake_now += 1001 * MS;
	arena_decay(a, false);
	cr_assert_eq(a->extents.dirty_pages, 0);
	cr_assert_geq(a->extents.muzzy_pages, pages);
	cr_assert_gt(fake_counters().purge_lazy_calls, before.purge_lazy_calls);
	fake_now += 1001 * MS;
	arena_decay(a, false);
	cr_assert_eq(a->extents.muzzy_pages, 0);
	cr_assert_gt(fake_counters().purge_eager_calls, before.purge_eager_calls);
}

Test(decay, forced_purge_takes_everything_at_once) {
	arena_t *a = arena_get(0);
	void *p = strata_mallocx(1u << 20, STRATA_MALLOCX_TCACHE_NONE);
	memset(p, 1, 1u << 20);
	strata_dallocx(p, STRATA_MALLOCX_TCACHE_NONE);
	cr_assert_gt(a->extents.dirty_pages, 0);
	arena_decay(a, true);
	cr_assert_eq(a->extents.dirty_pages, 0);
	cr_assert_eq(a->extents.muzzy_pages, 0);
}

Test(decay, purged_pages_read_as_zero_when_reused_by_calloc) {
	arena_t *a = arena_get(0);
	size_t big = 1u << 20;
	unsigned char *p = strata_mallocx(big, STRATA_MALLOCX_TCACHE_NONE);
	memset(p, 0xee, big);
	strata_dallocx(p, STRATA_MALLOCX_TCACHE_NONE);
	arena_decay(a, true); /* the fake scribbles on lazily purged pages */
	unsigned char *q = strata_mallocx(big, STRATA_MALLOCX_TCACHE_NONE |
	                                           STRATA_MALLOCX_ZERO);
	for (size_t i = 0; i < big; i += 512)
		cr_assert_eq(q[i], 0, "byte %zu", i);
	strata_dallocx(q, STRATA_MALLOCX_TCACHE_NONE);
}
