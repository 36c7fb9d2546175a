/*
 * api_arena.c — strata_arena_* and strata_thread_arena_*.
 */
#include <errno.h>
#include <string.h>

#include "arena.h"
#include "init.h"
#include "strata.h"
#include "tsd.h"

void strata_arena_opts_init(strata_arena_opts *opts) {
	memset(opts, 0, sizeof(*opts));
	opts->struct_bytes = sizeof(*opts);
	opts->tier = STRATA_TIER_DEFAULT;
	opts->node = STRATA_NODE_ANY;
	opts->policy = STRATA_POLICY_PREFERRED;
	opts->dirty_decay_ms = STRATA_DECAY_DEFAULT;
	opts->muzzy_decay_ms = STRATA_DECAY_DEFAULT;
}

static bool decay_valid(long ms) {
	return ms >= -1 || ms == STRATA_DECAY_DEFAULT;
}

int strata_arena_create(const strata_arena_opts *opts, unsigned *arena_index) {
	if (opts == NULL || arena_index == NULL ||
	    opts->struct_bytes < sizeof(*opts) ||
	    (unsigned)opts->tier > STRATA_TIER_PMEM ||
	    (unsigned)opts->policy > STRATA_POLICY_INTERLEAVE ||
	    opts->node < STRATA_NODE_ANY || !decay_valid(opts->dirty_decay_ms) ||
	    !decay_valid(opts->muzzy_decay_ms))
		return EINVAL;
	if (malloc_init() != 0)
		return ENOMEM;
	backend_placement_t placement = {
		.tier = (int)opts->tier,
		.node = opts->node,
		.policy = (int)opts->policy,
	};
	return arena_create_manual(&placement, opts->dirty_decay_ms,
	                           opts->muzzy_decay_ms, arena_index);
}

int strata_arena_destroy(unsigned arena_index) {
	if (malloc_init() != 0)
		return ENOMEM;
	return arena_destroy(arena_index);
}

int strata_thread_arena_set(unsigned arena_index) {
	if (malloc_init() != 0)
		return ENOMEM;
	if (arena_index >= ARENAS_MAX)
		return EINVAL;
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT && tsd_slow_init(tsd) != 0)
		return ENOMEM;
	arena_t *a = arena_get_counted(arena_index);
	if (a == NULL)
		return EINVAL;
	tsd_bind_arena(tsd, a, true);
	return 0;
}

int strata_thread_arena_get(unsigned *arena_index) {
	if (arena_index == NULL)
		return EINVAL;
	if (malloc_init() != 0)
		return ENOMEM;
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT && tsd_slow_init(tsd) != 0)
		return ENOMEM;
	*arena_index = tsd->arena->index;
	return 0;
}
