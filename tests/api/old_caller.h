/*
 * old_caller.h — a program built against the first release's strata.h:
 * its strata_arena_opts ends at muzzy_decay_ms, and its
 * strata_arena_opts_init is a call into the library (old_caller.c).
 */
#ifndef STRATA_TEST_OLD_CALLER_H
#define STRATA_TEST_OLD_CALLER_H

#include "strata.h"

typedef struct opts_v1 {
	size_t struct_bytes;
	strata_tier tier;
	int node;
	strata_policy policy;
	long dirty_decay_ms, muzzy_decay_ms;
} opts_v1_t;

/* The exported strata_arena_opts_init, called as that program calls it. */
void old_caller_opts_init(opts_v1_t *opts);

#endif
