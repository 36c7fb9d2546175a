/*
 * fake_checks.c — the fake backend's own checks of the contract: a caller
 * that hands purge or unmap the wrong region id, or unmaps part of a
 * reservation, is stopped with a message naming the violation.  Without
 * these the suites on the fake could not catch a core that loses an id.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "backend.h"
#include "expect_abort.h"
#include "fake_backend.h"

static backend_info_t info;
static const backend_placement_t any = { .tier = STRATA_TIER_DEFAULT,
                                         .node = STRATA_NODE_ANY };

static void setup(void) { cr_assert_eq(backend_default.init(&info), 0); }

TestSuite(fake_checks, .init = setup, .timeout = 60);

typedef struct two_reservations {
	char *p, *q;
	backend_region_t pid, qid;
	size_t size;
} two_t;

static two_t reserve_two(void) {
	two_t t = { .size = 4 * info.page_bytes };
	void *p, *q;
	cr_assert_eq(backend_default.reserve(t.size, info.page_bytes, &any, &p,
	                                     &t.pid), 0);
	cr_assert_eq(backend_default.reserve(t.size, info.page_bytes, &any, &q,
	                                     &t.qid), 0);
	t.p = p;
	t.q = q;
	return t;
}

static void expect_violation(void (*misuse)(void *), void *arg,
                             const char *why) {
	child_outcome_t out = run_in_child(misuse, arg);
	cr_assert(WIFSIGNALED(out.status) && WTERMSIG(out.status) == SIGABRT,
	          "not aborted (status 0x%x): '%s'", out.status, out.text);
	cr_assert(strstr(out.text, "contract violated") != NULL &&
	              strstr(out.text, why) != NULL,
	          "message does not say '%s': '%s'", why, out.text);
}

static void unmap_part(void *arg) {
	two_t *t = arg;
	backend_default.unmap(t->p, t->size - info.page_bytes, t->pid);
}
static void unmap_tail(void *arg) {
	two_t *t = arg;
	backend_default.unmap(t->p + info.page_bytes, t->size - info.page_bytes,
	                      t->pid);
}
static void unmap_with_other_id(void *arg) {
	two_t *t = arg;
	backend_default.unmap(t->p, t->size, t->qid);
}
static void unmap_twice(void *arg) {
	two_t *t = arg;
	backend_default.unmap(t->p, t->size, t->pid);
	backend_default.unmap(t->p, t->size, t->pid);
}
static void purge_with_other_id(void *arg) {
	two_t *t = arg;
	bool z;
	backend_default.purge(t->p, info.page_bytes, t->qid,
	                      BACKEND_PURGE_EAGER, &z);
}
static void purge_with_id_zero(void *arg) {
	two_t *t = arg;
	bool z;
	backend_default.purge(t->p, info.page_bytes, 0, BACKEND_PURGE_LAZY, &z);
}
static void purge_past_the_end(void *arg) {
	two_t *t = arg;
	bool z;
	backend_default.purge(t->p + info.page_bytes, t->size, t->pid,
	                      BACKEND_PURGE_EAGER, &z);
}

Test(fake_checks, partial_unmap_is_a_violation) {
	two_t t = reserve_two();
	expect_violation(unmap_part, &t, "no partial unmap");
	expect_violation(unmap_tail, &t, "no partial unmap");
}

Test(fake_checks, unmap_under_another_reservations_id_is_a_violation) {
	two_t t = reserve_two();
	expect_violation(unmap_with_other_id, &t, "no partial unmap");
}

Test(fake_checks, unmap_of_a_stale_id_is_a_violation) {
	two_t t = reserve_two();
	expect_violation(unmap_twice, &t, "names no live reservation");
}

Test(fake_checks, purge_under_another_reservations_id_is_a_violation) {
	two_t t = reserve_two();
	expect_violation(purge_with_other_id, &t, "contain the range");
	expect_violation(purge_with_id_zero, &t, "names no live reservation");
}

Test(fake_checks, purge_beyond_the_reservation_is_a_violation) {
	two_t t = reserve_two();
	expect_violation(purge_past_the_end, &t, "contain the range");
}

/* The same calls with the right ids pass, so the checks above fail for
 * the reason they name, not for any call. */
Test(fake_checks, the_right_ids_pass) {
	two_t t = reserve_two();
	bool z;
	cr_assert_eq(backend_default.purge(t.p + info.page_bytes,
	                                   t.size - info.page_bytes, t.pid,
	                                   BACKEND_PURGE_EAGER, &z), 0);
	cr_assert_eq(backend_default.purge(t.q, info.page_bytes, t.qid,
	                                   BACKEND_PURGE_LAZY, &z), 0);
	cr_assert_eq(backend_default.unmap(t.p, t.size, t.pid), 0);
	cr_assert_eq(backend_default.unmap(t.q, t.size, t.qid), 0);
	cr_assert_eq(fake_counters().reserved_bytes, 0);
}
