/*
 * api_arena.c — strata_arena_* and strata_thread_arena_*.
 *
 * strata_arena_opts is append-only: the caller's struct_bytes says which
 * fields it has; missing ones take their defaults, and fields this library
 * does not know must be zero.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "base.h"
#include "conf.h"
#include "init.h"
#include "pages.h"
#include "report.h"
#include "strata.h"
#include "tsd.h"

/* The struct of the first release, which ended at muzzy_decay_ms. */
#define OPTS_V1_BYTES \
	(offsetof(strata_arena_opts, muzzy_decay_ms) + sizeof(long))

int strata_arena_opts_init_sized(strata_arena_opts *opts,
                                 size_t struct_bytes) {
	if (opts == NULL || struct_bytes < OPTS_V1_BYTES)
		return EINVAL;
	strata_arena_opts d = {
		.struct_bytes = struct_bytes,
		.tier = STRATA_TIER_DEFAULT,
		.node = STRATA_NODE_ANY,
		.policy = STRATA_POLICY_PREFERRED,
		.dirty_decay_ms = STRATA_DECAY_DEFAULT,
		.muzzy_decay_ms = STRATA_DECAY_DEFAULT,
		.pmem_dir = NULL,
		.pmem_max_bytes = 0,
	};
	size_t known = struct_bytes < sizeof(d) ? struct_bytes : sizeof(d);
	memcpy(opts, &d, known);
	memset((char *)opts + known, 0, struct_bytes - known);
	return 0;
}

/* The exported strata_arena_opts_init (strata.h makes the name inline):
 * the programs that call it were built against the first release's
 * header, whose struct ends at muzzy_decay_ms, so that is all it writes. */
STRATA_EXPORT void arena_opts_init_v1(strata_arena_opts *opts)
	__asm__("strata_arena_opts_init");
void arena_opts_init_v1(strata_arena_opts *opts) {
	strata_arena_opts_init_sized(opts, OPTS_V1_BYTES);
}

/* The caller's opts as this library's struct: 0, EINVAL when too small
 * to be any release's, ENOTSUP when a field newer than this library is
 * set. */
static int opts_read(const strata_arena_opts *in, strata_arena_opts *out) {
	if (in->struct_bytes < OPTS_V1_BYTES)
		return EINVAL;
	strata_arena_opts_init_sized(out, sizeof(*out));
	size_t known = in->struct_bytes < sizeof(*out) ? in->struct_bytes
	                                                : sizeof(*out);
	memcpy(out, in, known);
	out->struct_bytes = sizeof(*out);
	const unsigned char *tail = (const unsigned char *)in + known;
	for (size_t i = 0; i < in->struct_bytes - known; i++)
		if (tail[i] != 0)
			return ENOTSUP;
	return 0;
}

/* The option parser's cap (CONF_DECAY_MS_MAX) holds here too: a larger
 * time would wrap when converted to nanoseconds. */
static bool decay_valid(long ms) {
	return (ms >= -1 && ms <= CONF_DECAY_MS_MAX) ||
	       ms == STRATA_DECAY_DEFAULT;
}

/* The directory's path in metadata, which lives as long as the process
 * (the caller's string need not outlive the call). */
static const char *pmem_dir_copy(const char *dir) {
	size_t bytes = strlen(dir) + 1; /* bounded by pages_placement_check */
	char *copy = base_alloc(bytes, 8);
	if (copy != NULL)
		memcpy(copy, dir, bytes);
	return copy;
}

/* A PMEM arena without a directory of its own takes the process-wide one
 * (options pmem_dir, pmem_max), if set. */
static void pmem_dir_default(backend_placement_t *pl) {
	if (pl->tier != STRATA_TIER_PMEM || pl->pmem_dir != NULL ||
	    opt.pmem_dir[0] == '\0')
		return;
	pl->pmem_dir = opt.pmem_dir;
	pl->pmem_max_bytes = opt.pmem_max;
}

/* The one-line reason of an ENOTSUP that comes from a missing tier. */
static void report_missing_tier(const backend_placement_t *pl) {
	if (pl->pmem_dir != NULL && !pages_has_cap(BACKEND_CAP_PMEM_DIR))
		report_line("arena: tier PMEM with a directory (file-backed) is "
		            "not available from backend '", pages_backend_name(),
		            "'", (char *)NULL);
	else if (pl->pmem_dir == NULL &&
	         !(pages_info.tier_mask & (1u << pl->tier)))
		report_line("arena: tier ", pages_tier_name(pl->tier),
		            " is not available from backend '",
		            pages_backend_name(), "'", (char *)NULL);
}

int strata_arena_create(const strata_arena_opts *opts, unsigned *arena_index) {
	strata_arena_opts o;
	if (opts == NULL || arena_index == NULL)
		return EINVAL;
	int err = opts_read(opts, &o);
	if (err != 0)
		return err;
	if (!decay_valid(o.dirty_decay_ms) || !decay_valid(o.muzzy_decay_ms))
		return EINVAL;
	if (malloc_init() != 0)
		return ENOMEM;
	backend_placement_t placement = {
		.tier = o.tier,
		.node = o.node,
		.policy = o.policy,
		.pmem_dir = o.pmem_dir,
		.pmem_max_bytes = o.pmem_max_bytes,
	};
	pmem_dir_default(&placement);
	if ((err = pages_placement_check(&placement)) != 0) {
		if (err == ENOTSUP)
			report_missing_tier(&placement);
		return err;
	}
	if (placement.pmem_dir != NULL &&
	    (placement.pmem_dir = pmem_dir_copy(placement.pmem_dir)) == NULL)
		return ENOMEM;
	return arena_create_manual(&placement, o.dirty_decay_ms,
	                           o.muzzy_decay_ms, arena_index);
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
