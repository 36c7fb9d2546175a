/*
 * ctl.c — strata_ctl: a mallctl-compatible namespace over a tree of nodes.
 *
 * A name is a dotted path ("stats.arenas.0.bins.3.nmalloc").  Each level
 * of the tree is either named children or an index level, whose component
 * is a number (arena, bin, large class) or a mutex name; leaves carry a
 * type (the exact *oldlenp / newlen they take), a read function and, when
 * writable, a write function.  A MIB is the path as numbers: a child's
 * position among its siblings, or the index itself, so a hot caller
 * translates the name once (strata_ctl_nametomib), patches the index
 * components and calls strata_ctl_bymib without any string work.
 *
 * Errors, as mallctl: ENOENT unknown name or index, EINVAL wrong length or
 * value, EPERM write to a read-only node, EFAULT internal failure (and the
 * errno of the operation behind an action: EBUSY, ENOMEM ...).
 */
#include <errno.h>
#include <string.h>

#include "background.h"
#include "conf.h"
#include "decay.h"
#include "init.h"
#include "memlimit.h"
#include "stats.h"
#include "strata.h"
#include "tcache.h"
#include "tsd.h"

enum ctl_type { CTL_VOID, CTL_BOOL, CTL_UNSIGNED, CTL_INT, CTL_SIZE, CTL_U64,
	        CTL_LONG, CTL_STRING, CTL_U64_PTR };

typedef union ctl_value {
	bool b;
	unsigned u;
	int i;
	size_t z;
	uint64_t u64;
	long l;
	const char *s;
	uint64_t *u64p;
} ctl_value_t;

typedef int ctl_read_fn(const size_t *mib, uintptr_t arg, ctl_value_t *out);
typedef int ctl_write_fn(const size_t *mib, uintptr_t arg,
                         const ctl_value_t *in);
typedef struct ctl_node ctl_node_t;

/* An index level: parse turns a name component into the index, check
 * validates mib[depth] (0 or ENOENT). */
typedef struct ctl_index {
	int (*parse)(const char *text, size_t len, size_t *out);
	int (*check)(const size_t *mib, size_t depth);
	const ctl_node_t *child;
} ctl_index_t;

struct ctl_node {
	const char *name;
	const ctl_node_t *children; /* named level */
	unsigned nchildren;
	const ctl_index_t *index;   /* index level */
	enum ctl_type type;         /* leaf (neither of the above) */
	ctl_read_fn *read;
	ctl_write_fn *write;
	uintptr_t arg;
};

#define LEAF(nm, ty, rd, wr, a) \
	{ .name = nm, .type = ty, .read = rd, .write = wr, .arg = (a) }
#define DIR(nm, kids) \
	{ .name = nm, .children = kids, .nchildren = ARRAY_LEN(kids) }
#define INDEXED(nm, ix) { .name = nm, .index = &ix }
/* The unnamed level below an index. */
#define DIR_ANON(kids) { .children = kids, .nchildren = ARRAY_LEN(kids) }

static size_t ctl_type_bytes(enum ctl_type t) {
	switch (t) {
	case CTL_VOID: return 0;
	case CTL_BOOL: return sizeof(bool);
	case CTL_UNSIGNED: return sizeof(unsigned);
	case CTL_INT: return sizeof(int);
	case CTL_SIZE: return sizeof(size_t);
	case CTL_U64: return sizeof(uint64_t);
	case CTL_LONG: return sizeof(long);
	case CTL_STRING: return sizeof(const char *);
	case CTL_U64_PTR: return sizeof(uint64_t *);
	}
	return 0;
}

/* ---- index levels ---- */

static int parse_decimal(const char *text, size_t len, size_t *out) {
	size_t n = 0;
	if (len == 0 || len > 9)
		return ENOENT;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return ENOENT;
		n = n * 10 + (size_t)(text[i] - '0');
	}
	*out = n;
	return 0;
}

static int parse_mutex_name(const char *text, size_t len, size_t *out) {
	for (unsigned i = 0; i < mutex_global_count(); i++) {
		const char *name = mutex_global(i)->name;
		if (strlen(name) == len && memcmp(name, text, len) == 0) {
			*out = i;
			return 0;
		}
	}
	return ENOENT;
}

/* An arena slot in use: automatic (made on demand) or a live manual one. */
static int check_arena(const size_t *mib, size_t depth) {
	size_t i = mib[depth];
	if (i < narenas_auto)
		return 0;
	if (i < ARENAS_MAX && i < atomic_load(&narenas_total) &&
	    atomic_load(&arenas[i]) != NULL)
		return 0;
	return ENOENT;
}
/* arena.<i> also takes STRATA_ARENAS_ALL (purge and decay use it). */
static int check_arena_or_all(const size_t *mib, size_t depth) {
	return mib[depth] == STRATA_ARENAS_ALL ? 0 : check_arena(mib, depth);
}
static int check_bin(const size_t *mib, size_t depth) {
	return mib[depth] < SC_NSMALL ? 0 : ENOENT;
}
static int check_lextent(const size_t *mib, size_t depth) {
	return mib[depth] < stats_nlextents() ? 0 : ENOENT;
}
static int check_mutex(const size_t *mib, size_t depth) {
	return mib[depth] < mutex_global_count() ? 0 : ENOENT;
}

/* ---- simple readers ---- */

static uint64_t epoch;

static int rd_version(const size_t *m, uintptr_t a, ctl_value_t *v) {
	(void)m, (void)a;
	v->s = STRATA_VERSION;
	return 0;
}
static int rd_epoch(const size_t *m, uintptr_t a, ctl_value_t *v) {
	(void)m, (void)a;
	v->u64 = __atomic_load_n(&epoch, __ATOMIC_RELAXED);
	return 0;
}
/* Statistics are read live; the epoch only counts refresh requests. */
static int wr_epoch(const size_t *m, uintptr_t a, const ctl_value_t *v) {
	(void)m, (void)a, (void)v;
	__atomic_fetch_add(&epoch, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- opt.* ---- */

enum opt_field { OPT_ABORT_CONF, OPT_CONFIRM_CONF, OPT_NARENAS, OPT_TCACHE,
	         OPT_TCACHE_MAX, OPT_DIRTY, OPT_MUZZY, OPT_BG, OPT_MAX_BG,
	         OPT_RETAIN, OPT_THP, OPT_METADATA_THP, OPT_SOFT, OPT_HARD,
	         OPT_STATS_PRINT, OPT_STATS_PRINT_OPTS, OPT_PERCPU,
	         OPT_OVERSIZE };

static int rd_opt(const size_t *m, uintptr_t a, ctl_value_t *v) {
	static const char *const thp[] = { "default", "always", "never" };
	(void)m;
	switch ((enum opt_field)a) {
	case OPT_ABORT_CONF: v->b = opt.abort_conf; break;
	case OPT_CONFIRM_CONF: v->b = opt.confirm_conf; break;
	case OPT_NARENAS: v->u = narenas_auto; break;
	case OPT_TCACHE: v->b = opt.tcache; break;
	case OPT_TCACHE_MAX: v->z = opt.tcache_max; break;
	case OPT_DIRTY: v->l = opt.dirty_decay_ms; break;
	case OPT_MUZZY: v->l = opt.muzzy_decay_ms; break;
	case OPT_BG: v->b = opt.background_thread; break;
	case OPT_MAX_BG: v->z = opt.max_background_threads; break;
	case OPT_RETAIN: v->b = opt.retain; break;
	case OPT_THP: v->s = thp[opt.thp < 3 ? opt.thp : 0]; break;
	case OPT_METADATA_THP: v->b = opt.metadata_thp; break;
	case OPT_SOFT: v->z = opt.mem_limit_soft; break;
	case OPT_OVERSIZE: v->z = opt.oversize_threshold; break;
	case OPT_HARD: v->z = opt.mem_limit_hard; break;
	case OPT_STATS_PRINT: v->b = opt.stats_print; break;
	case OPT_STATS_PRINT_OPTS: v->s = opt.stats_print_opts; break;
	case OPT_PERCPU: v->s = "disabled"; break;
	default: return EFAULT;
	}
	return 0;
}

#define OPT(nm, ty, f) LEAF(nm, ty, rd_opt, NULL, f)
static const ctl_node_t opt_nodes[] = {
	OPT("abort_conf", CTL_BOOL, OPT_ABORT_CONF),
	OPT("confirm_conf", CTL_BOOL, OPT_CONFIRM_CONF),
	OPT("narenas", CTL_UNSIGNED, OPT_NARENAS),
	OPT("tcache", CTL_BOOL, OPT_TCACHE),
	OPT("tcache_max", CTL_SIZE, OPT_TCACHE_MAX),
	OPT("dirty_decay_ms", CTL_LONG, OPT_DIRTY),
	OPT("muzzy_decay_ms", CTL_LONG, OPT_MUZZY),
	OPT("background_thread", CTL_BOOL, OPT_BG),
	OPT("max_background_threads", CTL_SIZE, OPT_MAX_BG),
	OPT("retain", CTL_BOOL, OPT_RETAIN),
	OPT("thp", CTL_STRING, OPT_THP),
	OPT("metadata_thp", CTL_BOOL, OPT_METADATA_THP),
	OPT("oversize_threshold", CTL_SIZE, OPT_OVERSIZE),
	OPT("mem_limit_soft", CTL_SIZE, OPT_SOFT),
	OPT("mem_limit_hard", CTL_SIZE, OPT_HARD),
	OPT("stats_print", CTL_BOOL, OPT_STATS_PRINT),
	OPT("stats_print_opts", CTL_STRING, OPT_STATS_PRINT_OPTS),
	OPT("percpu_arena", CTL_STRING, OPT_PERCPU),
};

/* ---- arenas.* (geometry, create) ---- */

enum arenas_field { ARENAS_NARENAS, ARENAS_PAGE, ARENAS_NBINS,
	            ARENAS_NLEXTENTS, BIN_SIZE, BIN_NREGS, BIN_SLAB_SIZE,
	            LEXTENT_SIZE };

static int rd_arenas(const size_t *m, uintptr_t a, ctl_value_t *v) {
	switch ((enum arenas_field)a) {
	case ARENAS_NARENAS: v->u = atomic_load(&narenas_total); break;
	case ARENAS_PAGE: v->z = page_bytes; break;
	case ARENAS_NBINS: v->u = SC_NSMALL; break;
	case ARENAS_NLEXTENTS: v->u = stats_nlextents(); break;
	case BIN_SIZE: v->z = sc_small_size[m[2]]; break;
	case BIN_NREGS: v->u = sc_slab[m[2]].nregs; break;
	case BIN_SLAB_SIZE: v->z = sc_slab[m[2]].slab_bytes; break;
	case LEXTENT_SIZE: v->z = sc_usable_size(SC_NSMALL + (unsigned)m[2]);
		break;
	default: return EFAULT;
	}
	return 0;
}

/* A read that creates a manual arena with the defaults. */
static int rd_arenas_create(const size_t *m, uintptr_t a, ctl_value_t *v) {
	(void)m, (void)a;
	strata_arena_opts o;
	strata_arena_opts_init(&o);
	return strata_arena_create(&o, &v->u);
}

static const ctl_node_t arenas_bin_nodes[] = {
	LEAF("size", CTL_SIZE, rd_arenas, NULL, BIN_SIZE),
	LEAF("nregs", CTL_UNSIGNED, rd_arenas, NULL, BIN_NREGS),
	LEAF("slab_size", CTL_SIZE, rd_arenas, NULL, BIN_SLAB_SIZE),
};
static const ctl_node_t arenas_bin_dir = DIR_ANON(arenas_bin_nodes);
static const ctl_index_t arenas_bin_index = { parse_decimal, check_bin,
	                                      &arenas_bin_dir };
static const ctl_node_t arenas_lextent_nodes[] = {
	LEAF("size", CTL_SIZE, rd_arenas, NULL, LEXTENT_SIZE),
};
static const ctl_node_t arenas_lextent_dir = DIR_ANON(arenas_lextent_nodes);
static const ctl_index_t arenas_lextent_index = { parse_decimal,
	                                          check_lextent,
	                                          &arenas_lextent_dir };

static const ctl_node_t arenas_nodes[] = {
	LEAF("narenas", CTL_UNSIGNED, rd_arenas, NULL, ARENAS_NARENAS),
	LEAF("create", CTL_UNSIGNED, rd_arenas_create, NULL, 0),
	LEAF("page", CTL_SIZE, rd_arenas, NULL, ARENAS_PAGE),
	LEAF("nbins", CTL_UNSIGNED, rd_arenas, NULL, ARENAS_NBINS),
	INDEXED("bin", arenas_bin_index),
	LEAF("nlextents", CTL_UNSIGNED, rd_arenas, NULL, ARENAS_NLEXTENTS),
	INDEXED("lextent", arenas_lextent_index),
};

/* ---- arena.<i>.* ---- */

/* The arena of mib[1] (made on demand when automatic); NULL for ALL. */
static arena_t *ctl_arena(const size_t *m) {
	return m[1] == STRATA_ARENAS_ALL ? NULL : arena_get((unsigned)m[1]);
}

enum arena_field { ARENA_DIRTY, ARENA_MUZZY, ARENA_TIER, ARENA_NODE };

static int rd_arena(const size_t *m, uintptr_t f, ctl_value_t *v) {
	arena_t *a = ctl_arena(m);
	if (a == NULL)
		return m[1] == STRATA_ARENAS_ALL ? EINVAL : EFAULT;
	switch ((enum arena_field)f) {
	case ARENA_DIRTY: v->l = arena_decay_ms(a, false); break;
	case ARENA_MUZZY: v->l = arena_decay_ms(a, true); break;
	case ARENA_TIER: v->u = (unsigned)a->extents.placement.tier; break;
	case ARENA_NODE: v->i = a->extents.placement.node; break;
	default: return EFAULT;
	}
	return 0;
}

static int wr_arena_decay_ms(const size_t *m, uintptr_t f,
                             const ctl_value_t *v) {
	arena_t *a = ctl_arena(m);
	if (a == NULL)
		return m[1] == STRATA_ARENAS_ALL ? EINVAL : EFAULT;
	return arena_set_decay_ms(a, f == ARENA_MUZZY, v->l);
}

/* purge (force_all) and decay (what the curves allow), one arena or all. */
static int wr_arena_purge(const size_t *m, uintptr_t force_all,
                          const ctl_value_t *v) {
	(void)v;
	if (m[1] == STRATA_ARENAS_ALL) {
		arenas_for_each(a)
			arena_decay(a, force_all != 0);
		return 0;
	}
	arena_t *a = ctl_arena(m);
	if (a == NULL)
		return EFAULT;
	arena_decay(a, force_all != 0);
	return 0;
}

static int wr_arena_destroy(const size_t *m, uintptr_t f,
                            const ctl_value_t *v) {
	(void)f, (void)v;
	if (m[1] == STRATA_ARENAS_ALL)
		return EINVAL;
	return arena_destroy((unsigned)m[1]);
}

static const ctl_node_t arena_i_nodes[] = {
	LEAF("dirty_decay_ms", CTL_LONG, rd_arena, wr_arena_decay_ms,
	     ARENA_DIRTY),
	LEAF("muzzy_decay_ms", CTL_LONG, rd_arena, wr_arena_decay_ms,
	     ARENA_MUZZY),
	LEAF("purge", CTL_VOID, NULL, wr_arena_purge, 1),
	LEAF("decay", CTL_VOID, NULL, wr_arena_purge, 0),
	LEAF("destroy", CTL_VOID, NULL, wr_arena_destroy, 0),
	LEAF("tier", CTL_UNSIGNED, rd_arena, NULL, ARENA_TIER),
	LEAF("node", CTL_INT, rd_arena, NULL, ARENA_NODE),
};
static const ctl_node_t arena_i_dir = DIR_ANON(arena_i_nodes);
static const ctl_index_t arena_index = { parse_decimal, check_arena_or_all,
	                                 &arena_i_dir };

/* ---- thread.* ---- */

static tsd_t *ctl_tsd(void) {
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT)
		tsd_slow_init(tsd);
	return tsd;
}

enum thread_field { THREAD_ALLOCATED, THREAD_DEALLOCATED, THREAD_ALLOCATEDP,
	            THREAD_DEALLOCATEDP, THREAD_ARENA, THREAD_RATE };

static uint64_t ctl_rate(tsd_t *tsd) {
	uint64_t now = decay_now_ns(), bytes = tsd->allocated_bytes;
	uint64_t ns = now > tsd->rate_mark_ns ? now - tsd->rate_mark_ns : 0;
	uint64_t delta = bytes - tsd->rate_mark_bytes;
	tsd->rate_mark_bytes = bytes;
	tsd->rate_mark_ns = now;
	return ns == 0 ? 0
	               : (uint64_t)((long double)delta * 1e9L /
	                            (long double)ns);
}

static int rd_thread(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	tsd_t *tsd = ctl_tsd();
	switch ((enum thread_field)f) {
	case THREAD_ALLOCATED: v->u64 = tsd->allocated_bytes; break;
	case THREAD_DEALLOCATED: v->u64 = tsd->deallocated_bytes; break;
	case THREAD_ALLOCATEDP: v->u64p = &tsd->allocated_bytes; break;
	case THREAD_DEALLOCATEDP: v->u64p = &tsd->deallocated_bytes; break;
	case THREAD_ARENA:
		if (tsd->arena == NULL)
			return EFAULT;
		v->u = tsd->arena->index;
		break;
	case THREAD_RATE: v->u64 = ctl_rate(tsd); break;
	default: return EFAULT;
	}
	return 0;
}

static int wr_thread_arena(const size_t *m, uintptr_t f,
                           const ctl_value_t *v) {
	(void)m, (void)f;
	return strata_thread_arena_set(v->u);
}

static int wr_tcache_flush(const size_t *m, uintptr_t f,
                           const ctl_value_t *v) {
	(void)m, (void)f, (void)v;
	tsd_t *tsd = ctl_tsd();
	if (tsd->tcache != &tcache_disabled)
		tcache_flush_all(tsd->tcache);
	return 0;
}

static const ctl_node_t thread_tcache_nodes[] = {
	LEAF("flush", CTL_VOID, NULL, wr_tcache_flush, 0),
};
static const ctl_node_t thread_nodes[] = {
	LEAF("arena", CTL_UNSIGNED, rd_thread, wr_thread_arena, THREAD_ARENA),
	LEAF("allocated", CTL_U64, rd_thread, NULL, THREAD_ALLOCATED),
	LEAF("deallocated", CTL_U64, rd_thread, NULL, THREAD_DEALLOCATED),
	LEAF("allocatedp", CTL_U64_PTR, rd_thread, NULL, THREAD_ALLOCATEDP),
	LEAF("deallocatedp", CTL_U64_PTR, rd_thread, NULL,
	     THREAD_DEALLOCATEDP),
	DIR("tcache", thread_tcache_nodes),
	LEAF("allocation_rate", CTL_U64, rd_thread, NULL, THREAD_RATE),
};

/* ---- stats.* totals ---- */

enum stats_field { ST_ALLOCATED, ST_ACTIVE, ST_METADATA, ST_RESIDENT,
	           ST_MAPPED, ST_RETAINED, ST_DIRTY, ST_MUZZY };

static int rd_stats(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	stats_totals_t t;
	stats_totals_read(&t);
	switch ((enum stats_field)f) {
	case ST_ALLOCATED: v->z = t.allocated_bytes; break;
	case ST_ACTIVE: v->z = t.active_bytes; break;
	case ST_METADATA: v->z = t.metadata_bytes; break;
	case ST_RESIDENT: v->z = t.resident_bytes; break;
	case ST_MAPPED: v->z = t.mapped_bytes; break;
	case ST_RETAINED: v->z = t.retained_bytes; break;
	case ST_DIRTY: v->z = t.dirty_bytes; break;
	case ST_MUZZY: v->z = t.muzzy_bytes; break;
	default: return EFAULT;
	}
	return 0;
}

static int rd_bg_running(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m, (void)f;
	v->b = background_is_running();
	return 0;
}

static int rd_memlimit(const size_t *m, uintptr_t is_hard, ctl_value_t *v) {
	(void)m;
	v->u64 = atomic_load(is_hard ? &memlimit_hard_hits
	                             : &memlimit_soft_hits);
	return 0;
}

/* ---- mutex counters: stats.mutexes.<name>, arenas' extents and bins ---- */

enum mutex_field { MX_OPS, MX_WAIT, MX_TOTAL_WAIT, MX_MAX_WAIT, MX_SWITCH };

static uint64_t mutex_field(const mutex_stats_t *s, uintptr_t f) {
	switch ((enum mutex_field)f) {
	case MX_OPS: return s->ops;
	case MX_WAIT: return s->contended_ops;
	case MX_TOTAL_WAIT: return s->wait_ns;
	case MX_MAX_WAIT: return s->max_wait_ns;
	case MX_SWITCH: return s->owner_switches;
	}
	return 0;
}

/* The mutex a mutex leaf's mib names: stats.mutexes.<k>.*,
 * stats.arenas.<i>.mutexes.extents.* or stats.arenas.<i>.bins.<j>.mutex.*;
 * NULL for an arena not made yet (its counters are zero). */
static mutex_t *ctl_mutex(const size_t *m, uintptr_t which) {
	if (which == 0)
		return mutex_global((unsigned)m[2]);
	arena_t *a = atomic_load(&arenas[m[2]]);
	if (a == NULL)
		return NULL;
	return which == 1 ? &a->extents.lock : &a->bins[m[4]].lock;
}

#define MUTEX_READER(fn, which)                                           \
	static int fn(const size_t *m, uintptr_t f, ctl_value_t *v) {      \
		mutex_t *mx = ctl_mutex(m, which);                         \
		mutex_stats_t s = { 0 };                                   \
		if (mx != NULL)                                            \
			mutex_stats_read(mx, &s);                          \
		v->u64 = mutex_field(&s, f);                               \
		return 0;                                                  \
	}
MUTEX_READER(rd_mutex_global, 0)
MUTEX_READER(rd_mutex_extents, 1)
MUTEX_READER(rd_mutex_bin, 2)

#define MUTEX_NODES(arr, rd)                                              \
	static const ctl_node_t arr[] = {                                  \
		LEAF("num_ops", CTL_U64, rd, NULL, MX_OPS),                \
		LEAF("num_wait", CTL_U64, rd, NULL, MX_WAIT),              \
		LEAF("total_wait_time", CTL_U64, rd, NULL, MX_TOTAL_WAIT), \
		LEAF("max_wait_time", CTL_U64, rd, NULL, MX_MAX_WAIT),     \
		LEAF("num_owner_switch", CTL_U64, rd, NULL, MX_SWITCH),    \
	}
MUTEX_NODES(mutex_global_nodes, rd_mutex_global);
MUTEX_NODES(mutex_extents_nodes, rd_mutex_extents);
MUTEX_NODES(mutex_bin_nodes, rd_mutex_bin);

static const ctl_node_t mutex_global_dir = DIR_ANON(mutex_global_nodes);
static const ctl_index_t mutex_index = { parse_mutex_name, check_mutex,
	                                 &mutex_global_dir };

/* ---- stats.arenas.<i>.* ---- */

enum sa_field { SA_NTHREADS, SA_ALLOCATED, SA_ACTIVE, SA_DIRTY, SA_MUZZY,
	        SA_MAPPED, SA_RETAINED, SA_SMALL_ALLOCATED, SA_SMALL_NMALLOC,
	        SA_SMALL_NDALLOC, SA_LARGE_ALLOCATED, SA_LARGE_NMALLOC,
	        SA_LARGE_NDALLOC, SA_LAZY_CALLS, SA_EAGER_CALLS, SA_LAZY_PAGES,
	        SA_EAGER_PAGES, SA_CHUNKS_UNMAPPED, SA_HUGEPAGES_SPLIT };

static int rd_sa_field(const stats_arena_t *sa, uintptr_t f, ctl_value_t *v) {
	switch ((enum sa_field)f) {
	case SA_NTHREADS: v->u = sa->nthreads; break;
	case SA_ALLOCATED:
		v->z = sa->small_allocated_bytes + sa->large_allocated_bytes;
		break;
	case SA_ACTIVE: v->z = sa->active_bytes; break;
	case SA_DIRTY: v->z = sa->dirty_bytes; break;
	case SA_MUZZY: v->z = sa->muzzy_bytes; break;
	case SA_MAPPED: v->z = sa->mapped_bytes; break;
	case SA_RETAINED: v->z = sa->retained_bytes; break;
	case SA_SMALL_ALLOCATED: v->z = sa->small_allocated_bytes; break;
	case SA_SMALL_NMALLOC: v->u64 = sa->small_nmalloc; break;
	case SA_SMALL_NDALLOC: v->u64 = sa->small_ndalloc; break;
	case SA_LARGE_ALLOCATED: v->z = sa->large_allocated_bytes; break;
	case SA_LARGE_NMALLOC: v->u64 = sa->large_nmalloc; break;
	case SA_LARGE_NDALLOC: v->u64 = sa->large_ndalloc; break;
	case SA_LAZY_CALLS: v->u64 = sa->purge.lazy_calls; break;
	case SA_EAGER_CALLS: v->u64 = sa->purge.eager_calls; break;
	case SA_LAZY_PAGES: v->u64 = sa->purge.lazy_pages; break;
	case SA_EAGER_PAGES: v->u64 = sa->purge.eager_pages; break;
	case SA_CHUNKS_UNMAPPED: v->u64 = sa->purge.chunks_unmapped; break;
	case SA_HUGEPAGES_SPLIT: v->u64 = sa->purge.hugepages_split; break;
	default: return EFAULT;
	}
	return 0;
}

static int rd_sa(const size_t *m, uintptr_t f, ctl_value_t *v) {
	stats_arena_t sa;
	memset(&sa, 0, sizeof(sa));
	arena_t *a = atomic_load(&arenas[m[2]]);
	if (a != NULL)
		stats_arena_read(a, &sa);
	return rd_sa_field(&sa, f, v);
}

enum bin_field { BIN_CURREGS, BIN_CURSLABS, BIN_NMALLOC, BIN_NDALLOC,
	         BIN_NFILLS, BIN_NFLUSHES, BIN_NSLABS };

/* One bin, read under its own lock only. */
static int rd_sa_bin(const size_t *m, uintptr_t f, ctl_value_t *v) {
	bin_stats_t b = { 0 };
	arena_t *a = atomic_load(&arenas[m[2]]);
	if (a != NULL) {
		bin_t *bin = &a->bins[m[4]];
		mutex_lock(&bin->lock);
		b = bin->stats;
		mutex_unlock(&bin->lock);
	}
	switch ((enum bin_field)f) {
	case BIN_CURREGS: v->z = b.curregs; break;
	case BIN_CURSLABS: v->z = b.curslabs; break;
	case BIN_NMALLOC: v->u64 = b.nmalloc; break;
	case BIN_NDALLOC: v->u64 = b.ndalloc; break;
	case BIN_NFILLS: v->u64 = b.nfills; break;
	case BIN_NFLUSHES: v->u64 = b.nflushes; break;
	case BIN_NSLABS: v->u64 = b.nslabs_created; break;
	default: return EFAULT;
	}
	return 0;
}

static const ctl_node_t sa_bin_nodes[] = {
	LEAF("curregs", CTL_SIZE, rd_sa_bin, NULL, BIN_CURREGS),
	LEAF("curslabs", CTL_SIZE, rd_sa_bin, NULL, BIN_CURSLABS),
	LEAF("nmalloc", CTL_U64, rd_sa_bin, NULL, BIN_NMALLOC),
	LEAF("ndalloc", CTL_U64, rd_sa_bin, NULL, BIN_NDALLOC),
	LEAF("nfills", CTL_U64, rd_sa_bin, NULL, BIN_NFILLS),
	LEAF("nflushes", CTL_U64, rd_sa_bin, NULL, BIN_NFLUSHES),
	LEAF("nslabs", CTL_U64, rd_sa_bin, NULL, BIN_NSLABS),
	DIR("mutex", mutex_bin_nodes),
};
static const ctl_node_t sa_bin_dir = DIR_ANON(sa_bin_nodes);
static const ctl_index_t sa_bin_index = { parse_decimal, check_bin,
	                                  &sa_bin_dir };

enum lextent_field { LX_NMALLOC, LX_NDALLOC, LX_CUR };

/* One large class of one arena, read under the arena's extents lock. */
static int rd_sa_lextent(const size_t *m, uintptr_t f, ctl_value_t *v) {
	lextent_stats_t l = { 0 };
	arena_t *a = atomic_load(&arenas[m[2]]);
	if (a != NULL && m[4] < ARENA_NLEXTENTS) {
		mutex_lock(&a->extents.lock);
		l = a->lextents[m[4]];
		mutex_unlock(&a->extents.lock);
	}
	switch ((enum lextent_field)f) {
	case LX_NMALLOC: v->u64 = l.nmalloc; break;
	case LX_NDALLOC: v->u64 = l.ndalloc; break;
	case LX_CUR: v->z = l.curlextents; break;
	default: return EFAULT;
	}
	return 0;
}

static const ctl_node_t sa_lextent_nodes[] = {
	LEAF("nmalloc", CTL_U64, rd_sa_lextent, NULL, LX_NMALLOC),
	LEAF("ndalloc", CTL_U64, rd_sa_lextent, NULL, LX_NDALLOC),
	LEAF("curlextents", CTL_SIZE, rd_sa_lextent, NULL, LX_CUR),
};
static const ctl_node_t sa_lextent_dir = DIR_ANON(sa_lextent_nodes);
static const ctl_index_t sa_lextent_index = { parse_decimal, check_lextent,
	                                      &sa_lextent_dir };

static const ctl_node_t sa_small_nodes[] = {
	LEAF("allocated", CTL_SIZE, rd_sa, NULL, SA_SMALL_ALLOCATED),
	LEAF("nmalloc", CTL_U64, rd_sa, NULL, SA_SMALL_NMALLOC),
	LEAF("ndalloc", CTL_U64, rd_sa, NULL, SA_SMALL_NDALLOC),
};
static const ctl_node_t sa_large_nodes[] = {
	LEAF("allocated", CTL_SIZE, rd_sa, NULL, SA_LARGE_ALLOCATED),
	LEAF("nmalloc", CTL_U64, rd_sa, NULL, SA_LARGE_NMALLOC),
	LEAF("ndalloc", CTL_U64, rd_sa, NULL, SA_LARGE_NDALLOC),
};
static const ctl_node_t sa_purge_nodes[] = {
	LEAF("lazy_calls", CTL_U64, rd_sa, NULL, SA_LAZY_CALLS),
	LEAF("eager_calls", CTL_U64, rd_sa, NULL, SA_EAGER_CALLS),
	LEAF("lazy_pages", CTL_U64, rd_sa, NULL, SA_LAZY_PAGES),
	LEAF("eager_pages", CTL_U64, rd_sa, NULL, SA_EAGER_PAGES),
	LEAF("chunks_unmapped", CTL_U64, rd_sa, NULL, SA_CHUNKS_UNMAPPED),
	LEAF("hugepages_split", CTL_U64, rd_sa, NULL, SA_HUGEPAGES_SPLIT),
};
static const ctl_node_t sa_mutexes_nodes[] = {
	DIR("extents", mutex_extents_nodes),
};
static const ctl_node_t sa_nodes[] = {
	LEAF("nthreads", CTL_UNSIGNED, rd_sa, NULL, SA_NTHREADS),
	LEAF("allocated", CTL_SIZE, rd_sa, NULL, SA_ALLOCATED),
	LEAF("active", CTL_SIZE, rd_sa, NULL, SA_ACTIVE),
	LEAF("dirty", CTL_SIZE, rd_sa, NULL, SA_DIRTY),
	LEAF("muzzy", CTL_SIZE, rd_sa, NULL, SA_MUZZY),
	LEAF("mapped", CTL_SIZE, rd_sa, NULL, SA_MAPPED),
	LEAF("retained", CTL_SIZE, rd_sa, NULL, SA_RETAINED),
	DIR("small", sa_small_nodes),
	DIR("large", sa_large_nodes),
	DIR("purge", sa_purge_nodes),
	DIR("mutexes", sa_mutexes_nodes),
	INDEXED("bins", sa_bin_index),
	INDEXED("lextents", sa_lextent_index),
};
static const ctl_node_t sa_dir = DIR_ANON(sa_nodes);
static const ctl_index_t sa_index = { parse_decimal, check_arena, &sa_dir };

static const ctl_node_t stats_bg_nodes[] = {
	LEAF("running", CTL_BOOL, rd_bg_running, NULL, 0),
};
static const ctl_node_t stats_memlimit_nodes[] = {
	LEAF("soft_hits", CTL_U64, rd_memlimit, NULL, 0),
	LEAF("hard_hits", CTL_U64, rd_memlimit, NULL, 1),
};
static const ctl_node_t stats_nodes[] = {
	LEAF("allocated", CTL_SIZE, rd_stats, NULL, ST_ALLOCATED),
	LEAF("active", CTL_SIZE, rd_stats, NULL, ST_ACTIVE),
	LEAF("metadata", CTL_SIZE, rd_stats, NULL, ST_METADATA),
	LEAF("resident", CTL_SIZE, rd_stats, NULL, ST_RESIDENT),
	LEAF("mapped", CTL_SIZE, rd_stats, NULL, ST_MAPPED),
	LEAF("retained", CTL_SIZE, rd_stats, NULL, ST_RETAINED),
	LEAF("dirty", CTL_SIZE, rd_stats, NULL, ST_DIRTY),
	LEAF("muzzy", CTL_SIZE, rd_stats, NULL, ST_MUZZY),
	DIR("background_thread", stats_bg_nodes),
	DIR("mem_limit", stats_memlimit_nodes),
	INDEXED("mutexes", mutex_index),
	INDEXED("arenas", sa_index),
};

/* ---- the root ---- */

static const ctl_node_t root_nodes[] = {
	LEAF("version", CTL_STRING, rd_version, NULL, 0),
	LEAF("epoch", CTL_U64, rd_epoch, wr_epoch, 0),
	DIR("opt", opt_nodes),
	DIR("arenas", arenas_nodes),
	INDEXED("arena", arena_index),
	DIR("thread", thread_nodes),
	DIR("stats", stats_nodes),
};
static const ctl_node_t ctl_root = DIR_ANON(root_nodes);

/* ---- lookup ---- */

static bool ctl_is_leaf(const ctl_node_t *n) {
	return n->children == NULL && n->index == NULL;
}

/* One component [p, p+len) below node: its MIB element and the node
 * reached.  0 or ENOENT. */
static int ctl_step_name(const ctl_node_t *node, const char *p, size_t len,
                         size_t *mib, size_t depth,
                         const ctl_node_t **next) {
	if (node->index != NULL) {
		int err = node->index->parse(p, len, &mib[depth]);
		if (err == 0)
			err = node->index->check(mib, depth);
		*next = node->index->child;
		return err;
	}
	for (unsigned i = 0; i < node->nchildren; i++) {
		const char *name = node->children[i].name;
		if (strlen(name) == len && memcmp(name, p, len) == 0) {
			mib[depth] = i;
			*next = &node->children[i];
			return 0;
		}
	}
	return ENOENT;
}

static int ctl_lookup_name(const char *name, size_t *mib, size_t *miblen,
                           const ctl_node_t **leaf) {
	const ctl_node_t *node = &ctl_root;
	size_t depth = 0;
	for (const char *p = name;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (ctl_is_leaf(node) || depth == *miblen)
			return ENOENT;
		int err = ctl_step_name(node, p, len, mib, depth, &node);
		if (err != 0)
			return err;
		depth++;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (!ctl_is_leaf(node))
		return ENOENT;
	*miblen = depth;
	*leaf = node;
	return 0;
}

static int ctl_lookup_mib(const size_t *mib, size_t miblen,
                          const ctl_node_t **leaf) {
	const ctl_node_t *node = &ctl_root;
	for (size_t d = 0; d < miblen; d++) {
		if (ctl_is_leaf(node))
			return ENOENT;
		if (node->index != NULL) {
			int err = node->index->check(mib, d);
			if (err != 0)
				return err;
			node = node->index->child;
		} else if (mib[d] < node->nchildren) {
			node = &node->children[mib[d]];
		} else {
			return ENOENT;
		}
	}
	if (!ctl_is_leaf(node))
		return ENOENT;
	*leaf = node;
	return 0;
}

/* ---- value exchange ---- */

static int ctl_access(const ctl_node_t *node, const size_t *mib, void *oldp,
                      size_t *oldlenp, void *newp, size_t newlen) {
	if (node->type == CTL_VOID) { /* an action: no value either way */
		if (oldp != NULL || newp != NULL || newlen != 0)
			return EINVAL;
		return node->write(mib, node->arg, NULL);
	}
	size_t bytes = ctl_type_bytes(node->type);
	if (newp != NULL || newlen != 0) {
		if (node->write == NULL)
			return EPERM;
		if (newlen != bytes || newp == NULL)
			return EINVAL;
	}
	if (oldp != NULL) {
		if (node->read == NULL || oldlenp == NULL || *oldlenp != bytes)
			return EINVAL;
		ctl_value_t v;
		memset(&v, 0, sizeof(v));
		int err = node->read(mib, node->arg, &v);
		if (err != 0)
			return err;
		memcpy(oldp, &v, bytes);
	}
	if (newp != NULL) {
		ctl_value_t v;
		memset(&v, 0, sizeof(v));
		memcpy(&v, newp, bytes);
		return node->write(mib, node->arg, &v);
	}
	return 0;
}

#define CTL_MIB_MAX 8u

int strata_ctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
               size_t newlen) {
	if (name == NULL)
		return ENOENT;
	if (malloc_init() != 0)
		return EAGAIN;
	size_t mib[CTL_MIB_MAX], miblen = CTL_MIB_MAX;
	const ctl_node_t *leaf;
	int err = ctl_lookup_name(name, mib, &miblen, &leaf);
	if (err != 0)
		return err;
	return ctl_access(leaf, mib, oldp, oldlenp, newp, newlen);
}

int strata_ctl_nametomib(const char *name, size_t *mibp, size_t *miblenp) {
	if (name == NULL || mibp == NULL || miblenp == NULL)
		return EINVAL;
	if (malloc_init() != 0)
		return EAGAIN;
	const ctl_node_t *leaf;
	return ctl_lookup_name(name, mibp, miblenp, &leaf);
}

int strata_ctl_bymib(const size_t *mib, size_t miblen, void *oldp,
                     size_t *oldlenp, void *newp, size_t newlen) {
	if (mib == NULL || miblen == 0)
		return ENOENT;
	if (malloc_init() != 0)
		return EAGAIN;
	const ctl_node_t *leaf;
	int err = ctl_lookup_mib(mib, miblen, &leaf);
	if (err != 0)
		return err;
	return ctl_access(leaf, mib, oldp, oldlenp, newp, newlen);
}
