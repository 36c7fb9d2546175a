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
 * The opt.* leaves are conf.h's CONF_OPTIONS, the stats.* leaves the rows
 * of stats_table.h: a named level lists its group's rows first, then its
 * other children.  Arena state is read only through stats.h's readers.
 *
 * Errors, as mallctl: ENOENT unknown name or index, EINVAL wrong length or
 * value, EPERM write to a read-only node, EFAULT internal failure (and the
 * errno of the operation behind an action: EBUSY, ENOMEM ...).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "conf.h"
#include "background.h"
#include "decay.h"
#include "prof.h"
#include "prof_table.h"
#include "init.h"
#include "perfctr.h"
#include "sizeclass.h"
#include "stats.h"
#include "stats_table.h"
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

/* A named level lists first the statistics of its group (a leaf each,
 * read by the level's read function with the row as arg), then its
 * children. */
struct ctl_node {
	const char *name;
	const stats_group_t *group; /* named level: its statistics */
	const ctl_node_t *children; /* named level: the rest */
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
/* Levels holding a group of statistics read by rd (and children). */
#define STATS_DIR(nm, grp, rd) { .name = nm, .group = &grp, .read = rd }
#define STATS_ANON(grp, rd) { .group = &grp, .read = rd }
#define STATS_ANON_WITH(grp, rd, kids)                            \
	{ .group = &grp, .read = rd, .children = kids,            \
	  .nchildren = ARRAY_LEN(kids) }
#define STATS_NAMED_WITH(nm, grp, rd, kids)                       \
	{ .name = nm, .group = &grp, .read = rd, .children = kids, \
	  .nchildren = ARRAY_LEN(kids) }

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
/* arena.<i> also takes STRATA_ARENAS_ALL (purge and decay use it) and,
 * as jemalloc before 4096 was reserved, i == arenas.narenas (Redis's
 * MEMORY PURGE still says "all arenas" that way). */
static bool is_all_arenas(size_t i) {
	return i == STRATA_ARENAS_ALL || i == atomic_load(&narenas_total);
}
static int check_arena_or_all(const size_t *mib, size_t depth) {
	return is_all_arenas(mib[depth]) ? 0 : check_arena(mib, depth);
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

/* ---- jemalloc's top-level switches and config.* ---- */

static tsd_t *ctl_tsd(void);

static int rd_background_thread(const size_t *m, uintptr_t a,
                                ctl_value_t *v) {
	(void)m, (void)a;
	v->b = opt.background_thread;
	return 0;
}
/* false: the purger thread exits on its next wake-up (within its idle
 * check); true lets it start, as soon as an arena has memory to return
 * (the calling thread's is checked now). */
static int wr_background_thread(const size_t *m, uintptr_t a,
                                const ctl_value_t *v) {
	(void)m, (void)a;
	opt.background_thread = v->b;
	if (v->b)
		background_maybe_start(ctl_tsd()->arena);
	return 0;
}
static int rd_max_background_threads(const size_t *m, uintptr_t a,
                                     ctl_value_t *v) {
	(void)m, (void)a;
	v->z = opt.max_background_threads;
	return 0;
}
/* A bound, as in jemalloc: strata runs one thread, which any bound >= 1
 * allows; 0 is EINVAL. */
static int wr_max_background_threads(const size_t *m, uintptr_t a,
                                     const ctl_value_t *v) {
	(void)m, (void)a;
	if (v->z == 0)
		return EINVAL;
	opt.max_background_threads = v->z;
	return 0;
}
static int rd_config_malloc_conf(const size_t *m, uintptr_t a,
                                 ctl_value_t *v) {
	(void)m, (void)a;
	v->s = conf_compiled_default();
	return 0;
}
static const ctl_node_t config_nodes[] = {
	LEAF("malloc_conf", CTL_STRING, rd_config_malloc_conf, NULL, 0),
};

/* ---- system.*: the machine's shape as the backend found it ---- */

enum system_field { SYS_BACKEND, SYS_PAGE, SYS_HUGEPAGE, SYS_CACHELINE,
	            SYS_NODES, SYS_TIERS, SYS_CAPS, SYS_HAS_HUGEPAGE,
	            SYS_HAS_NUMA, SYS_MEMORY_NODES, SYS_THP, SYS_TIER_NODES };

static int rd_system(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	stats_system_t s;
	stats_system_read(&s);
	switch ((enum system_field)f) {
	case SYS_BACKEND: v->s = s.backend; break;
	case SYS_PAGE: v->z = s.page_bytes; break;
	case SYS_HUGEPAGE: v->z = s.hugepage_bytes; break;
	case SYS_CACHELINE: v->z = s.cacheline_bytes; break;
	case SYS_NODES: v->u = s.node_count; break;
	case SYS_TIERS: v->u = s.tier_mask; break;
	case SYS_CAPS: v->u = s.caps; break;
	case SYS_HAS_HUGEPAGE: v->b = s.has_hugepage; break;
	case SYS_HAS_NUMA: v->b = s.has_numa; break;
	case SYS_MEMORY_NODES: v->u64 = s.memory_node_mask; break;
	case SYS_THP: v->s = s.thp; break;
	case SYS_TIER_NODES: v->u64 = s.tier_node_mask[m[2]]; break;
	default: return EFAULT;
	}
	return 0;
}
static int check_tier(const size_t *mib, size_t depth) {
	return mib[depth] < BACKEND_TIER_COUNT ? 0 : ENOENT;
}
static const ctl_node_t system_tier_nodes[] = {
	LEAF("nodes", CTL_U64, rd_system, NULL, SYS_TIER_NODES),
};
static const ctl_node_t system_tier_dir = DIR_ANON(system_tier_nodes);
static const ctl_index_t system_tier_index = { parse_decimal, check_tier,
	                                       &system_tier_dir };

static const ctl_node_t system_nodes[] = {
	LEAF("backend", CTL_STRING, rd_system, NULL, SYS_BACKEND),
	LEAF("page", CTL_SIZE, rd_system, NULL, SYS_PAGE),
	LEAF("hugepage", CTL_SIZE, rd_system, NULL, SYS_HUGEPAGE),
	LEAF("cacheline", CTL_SIZE, rd_system, NULL, SYS_CACHELINE),
	LEAF("nodes", CTL_UNSIGNED, rd_system, NULL, SYS_NODES),
	LEAF("tiers", CTL_UNSIGNED, rd_system, NULL, SYS_TIERS),
	LEAF("caps", CTL_UNSIGNED, rd_system, NULL, SYS_CAPS),
	LEAF("has_hugepage", CTL_BOOL, rd_system, NULL, SYS_HAS_HUGEPAGE),
	LEAF("has_numa", CTL_BOOL, rd_system, NULL, SYS_HAS_NUMA),
	LEAF("memory_nodes", CTL_U64, rd_system, NULL, SYS_MEMORY_NODES),
	LEAF("thp", CTL_STRING, rd_system, NULL, SYS_THP),
	INDEXED("tier", system_tier_index),
};

/* ---- opt.*: one leaf per row of conf.h's CONF_OPTIONS ---- */

static int rd_opt(const size_t *m, uintptr_t id, ctl_value_t *v) {
	(void)m;
	const conf_option_t *o = &conf_options[id];
	long long n = conf_option_number(o);
	switch (o->type) {
	case CONF_BOOL: v->b = n != 0; break;
	case CONF_UNSIGNED: v->u = (unsigned)n; break;
	case CONF_SIZE: v->z = (size_t)n; break;
	case CONF_LONG:
	case CONF_MS: v->l = (long)n; break;
	case CONF_STRING:
	case CONF_PATH:
	case CONF_ENUM: v->s = conf_option_text(o); break;
	}
	return 0;
}

#define CTL_TYPE_OF_BOOL CTL_BOOL
#define CTL_TYPE_OF_UNSIGNED CTL_UNSIGNED
#define CTL_TYPE_OF_SIZE CTL_SIZE
#define CTL_TYPE_OF_LONG CTL_LONG
#define CTL_TYPE_OF_MS CTL_LONG
#define CTL_TYPE_OF_STRING CTL_STRING
#define CTL_TYPE_OF_ENUM CTL_STRING
#define CTL_TYPE_OF_PATH CTL_STRING
#define OPT_LEAF(name, type, ...) \
	LEAF(#name, CTL_TYPE_OF_##type, rd_opt, NULL, CONF_ID_##name),
static const ctl_node_t opt_nodes[] = { CONF_OPTIONS(OPT_LEAF) };
#undef OPT_LEAF

/* ---- arenas.* (geometry, create) ---- */

enum arenas_field { ARENAS_NARENAS, ARENAS_PAGE, ARENAS_QUANTUM, ARENAS_NBINS,
	            ARENAS_NLEXTENTS, BIN_SIZE, BIN_NREGS, BIN_SLAB_SIZE,
	            LEXTENT_SIZE };

static int rd_arenas(const size_t *m, uintptr_t a, ctl_value_t *v) {
	switch ((enum arenas_field)a) {
	case ARENAS_NARENAS: v->u = atomic_load(&narenas_total); break;
	case ARENAS_PAGE: v->z = page_bytes; break;
	case ARENAS_QUANTUM: v->z = SC_QUANTUM; break;
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

static int rd_arenas_decay_ms(const size_t *m, uintptr_t is_muzzy,
                              ctl_value_t *v) {
	(void)m;
	v->l = arena_new_decay_ms(is_muzzy != 0);
	return 0;
}
static int wr_arenas_decay_ms(const size_t *m, uintptr_t is_muzzy,
                              const ctl_value_t *v) {
	(void)m;
	return arena_set_new_decay_ms(is_muzzy != 0, v->l);
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
	LEAF("quantum", CTL_SIZE, rd_arenas, NULL, ARENAS_QUANTUM),
	LEAF("dirty_decay_ms", CTL_LONG, rd_arenas_decay_ms, wr_arenas_decay_ms,
	     0),
	LEAF("muzzy_decay_ms", CTL_LONG, rd_arenas_decay_ms, wr_arenas_decay_ms,
	     1),
	LEAF("nbins", CTL_UNSIGNED, rd_arenas, NULL, ARENAS_NBINS),
	INDEXED("bin", arenas_bin_index),
	LEAF("nlextents", CTL_UNSIGNED, rd_arenas, NULL, ARENAS_NLEXTENTS),
	INDEXED("lextent", arenas_lextent_index),
};

/* ---- arena.<i>.* ---- */

/* The arena of mib[1] (made on demand when automatic); NULL for ALL. */
static arena_t *ctl_arena(const size_t *m) {
	return is_all_arenas(m[1]) ? NULL : arena_get((unsigned)m[1]);
}

enum arena_field { ARENA_DIRTY, ARENA_MUZZY, ARENA_TIER, ARENA_NODE };

static int rd_arena(const size_t *m, uintptr_t f, ctl_value_t *v) {
	arena_t *a = ctl_arena(m);
	if (a == NULL)
		return is_all_arenas(m[1]) ? EINVAL : EFAULT;
	stats_arena_settings_t st;
	stats_arena_settings_read(a, &st);
	switch ((enum arena_field)f) {
	case ARENA_DIRTY: v->l = st.dirty_decay_ms; break;
	case ARENA_MUZZY: v->l = st.muzzy_decay_ms; break;
	case ARENA_TIER: v->u = st.tier; break;
	case ARENA_NODE: v->i = st.node; break;
	default: return EFAULT;
	}
	return 0;
}

static int wr_arena_decay_ms(const size_t *m, uintptr_t f,
                             const ctl_value_t *v) {
	arena_t *a = ctl_arena(m);
	if (a == NULL)
		return is_all_arenas(m[1]) ? EINVAL : EFAULT;
	return arena_set_decay_ms(a, f == ARENA_MUZZY, v->l);
}

/* purge (force_all) and decay (what the curves allow), one arena or all. */
static int wr_arena_purge(const size_t *m, uintptr_t force_all,
                          const ctl_value_t *v) {
	(void)v;
	if (is_all_arenas(m[1])) {
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
	if (is_all_arenas(m[1]))
		return EINVAL;
	return arena_destroy((unsigned)m[1]);
}

/* jemalloc's arena.<i>.reset: manual arenas only (EFAULT for automatic
 * ones, as jemalloc answers for arenas it cannot reset). */
static int wr_arena_reset(const size_t *m, uintptr_t f, const ctl_value_t *v) {
	(void)f, (void)v;
	if (is_all_arenas(m[1]))
		return EINVAL;
	if (m[1] < narenas_auto)
		return EFAULT;
	return arena_reset_manual((unsigned)m[1]);
}

static const ctl_node_t arena_i_nodes[] = {
	LEAF("dirty_decay_ms", CTL_LONG, rd_arena, wr_arena_decay_ms,
	     ARENA_DIRTY),
	LEAF("muzzy_decay_ms", CTL_LONG, rd_arena, wr_arena_decay_ms,
	     ARENA_MUZZY),
	LEAF("purge", CTL_VOID, NULL, wr_arena_purge, 1),
	LEAF("decay", CTL_VOID, NULL, wr_arena_purge, 0),
	LEAF("destroy", CTL_VOID, NULL, wr_arena_destroy, 0),
	LEAF("reset", CTL_VOID, NULL, wr_arena_reset, 0),
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
		stats_arena_settings_t st;
		stats_arena_settings_read(tsd->arena, &st);
		v->u = st.index;
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

static int rd_tcache_enabled(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m, (void)f;
	v->b = ctl_tsd()->tcache != &tcache_disabled;
	return 0;
}

/* ---- perf_events.*, thread.perf_events.* (event counters) ---- */

enum perf_field { PERF_ACTIVE, PERF_FDS, THREAD_PERF_ACTIVE };

static int rd_perf(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	switch ((enum perf_field)f) {
	case PERF_ACTIVE:
		v->b = atomic_load_explicit(&perfctr_is_active,
		                            memory_order_relaxed);
		return 0;
	case PERF_FDS: v->u = perfctr_nfds(); return 0;
	case THREAD_PERF_ACTIVE: {
		tsd_t *tsd = ctl_tsd();
		v->b = tsd->record != NULL && tsd->record->perf.is_open;
		return 0;
	}
	}
	return EFAULT;
}

/* The calling thread opens or closes its counters now; other threads
 * follow perf_events.active at their next periodic event. */
static int wr_perf(const size_t *m, uintptr_t f, const ctl_value_t *v) {
	(void)m;
	tsd_t *tsd = ctl_tsd();
	switch ((enum perf_field)f) {
	case PERF_ACTIVE:
		perfctr_set_active(v->b);
		return tsd->record != NULL ? tsd_perf_update(tsd) : 0;
	case THREAD_PERF_ACTIVE:
		if (tsd->record == NULL)
			return ENOMEM;
		tsd->record->perf.mode = v->b ? PERFCTR_ON : PERFCTR_OFF;
		return tsd_perf_update(tsd);
	default: return EFAULT;
	}
}

/* The calling thread's count of one event since its counters opened;
 * EAGAIN when they are not open, else the errno value that kept the
 * event from opening (ENOENT, EACCES, ...). */
static int rd_thread_perf_event(const size_t *m, uintptr_t ev,
                                ctl_value_t *v) {
	(void)m;
	tsd_t *tsd = ctl_tsd();
	if (tsd->record == NULL)
		return EAGAIN;
	return perfctr_read(&tsd->record->perf, (unsigned)ev, &v->u64);
}

/* ---- prof.*, prof_recent.*, thread.prof.* (the heap profiler) ---- */

enum prof_field { PROF_ACTIVE, PROF_LG_SAMPLE, PROF_INTERVAL, PROF_GDUMP,
	          PROF_RECENT_MAX, THREAD_PROF_ACTIVE, THREAD_PROF_NAME };

static int rd_prof(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	switch ((enum prof_field)f) {
	case PROF_ACTIVE: v->b = prof_active_get(); break;
	case PROF_LG_SAMPLE: v->z = prof_lg_sample_get(); break;
	case PROF_INTERVAL: v->u64 = prof_interval_get(); break;
	case PROF_GDUMP: v->b = prof_gdump_get(); break;
	case PROF_RECENT_MAX: v->l = (long)prof_recent_max(); break;
	case THREAD_PROF_ACTIVE: v->b = ctl_tsd()->prof_thread_active; break;
	case THREAD_PROF_NAME: v->s = ctl_tsd()->prof_name; break;
	default: return EFAULT;
	}
	return 0;
}

static int wr_prof(const size_t *m, uintptr_t f, const ctl_value_t *v) {
	(void)m;
	if (!prof_is_on())
		return ENOENT; /* jemalloc: prof.* need opt.prof */
	switch ((enum prof_field)f) {
	case PROF_ACTIVE: prof_active_set(v->b); return 0;
	case PROF_GDUMP: prof_gdump_set(v->b); return 0;
	case PROF_RECENT_MAX:
		if (v->l < -1)
			return EINVAL;
		return prof_recent_set_max(v->l < 0 ? (size_t)1 << 24
		                                    : (size_t)v->l);
	case THREAD_PROF_ACTIVE: ctl_tsd()->prof_thread_active = v->b; return 0;
	case THREAD_PROF_NAME: {
		tsd_t *tsd = ctl_tsd();
		size_t n = v->s == NULL ? 0 : strlen(v->s);
		if (n >= sizeof tsd->prof_name)
			return EINVAL;
		memcpy(tsd->prof_name, v->s == NULL ? "" : v->s, n + 1);
		return 0;
	}
	default: return EFAULT;
	}
}

/* prof.dump: a file name, or NULL (newlen 0 too) for the prefix scheme. */
static int wr_prof_dump(const size_t *m, uintptr_t f, const ctl_value_t *v) {
	(void)m, (void)f;
	return prof_dump_now(v != NULL ? v->s : NULL);
}

/* prof.reset: a size_t lg_sample, or nothing to keep it. */
static int wr_prof_reset(const size_t *m, uintptr_t f, const ctl_value_t *v) {
	(void)m, (void)f;
	if (v == NULL)
		return prof_reset(NULL);
	if (v->z > 62)
		return EINVAL;
	unsigned lg = (unsigned)v->z;
	return prof_reset(&lg);
}

static int wr_prof_recent_dump(const size_t *m, uintptr_t f,
                               const ctl_value_t *v) {
	(void)m, (void)f;
	return prof_recent_dump(v != NULL ? v->s : NULL);
}

static const ctl_node_t prof_nodes[] = {
	LEAF("active", CTL_BOOL, rd_prof, wr_prof, PROF_ACTIVE),
	LEAF("dump", CTL_STRING, NULL, wr_prof_dump, 0),
	LEAF("reset", CTL_SIZE, NULL, wr_prof_reset, 0),
	LEAF("lg_sample", CTL_SIZE, rd_prof, NULL, PROF_LG_SAMPLE),
	LEAF("interval", CTL_U64, rd_prof, NULL, PROF_INTERVAL),
	LEAF("gdump", CTL_BOOL, rd_prof, wr_prof, PROF_GDUMP),
};
static const ctl_node_t prof_recent_nodes[] = {
	LEAF("alloc_max", CTL_LONG, rd_prof, wr_prof, PROF_RECENT_MAX),
	LEAF("alloc_dump", CTL_STRING, NULL, wr_prof_recent_dump, 0),
};
static const ctl_node_t thread_prof_nodes[] = {
	LEAF("active", CTL_BOOL, rd_prof, wr_prof, THREAD_PROF_ACTIVE),
	LEAF("name", CTL_STRING, rd_prof, wr_prof, THREAD_PROF_NAME),
};

static const ctl_node_t perf_events_nodes[] = {
	LEAF("active", CTL_BOOL, rd_perf, wr_perf, PERF_ACTIVE),
	LEAF("fds", CTL_UNSIGNED, rd_perf, NULL, PERF_FDS),
};
#define PERF_EVENT_LEAF(key, ev, help) \
	LEAF(#key, CTL_U64, rd_thread_perf_event, NULL, ev),
static const ctl_node_t thread_perf_events_nodes[] = {
	LEAF("active", CTL_BOOL, rd_perf, wr_perf, THREAD_PERF_ACTIVE),
	PERFCTR_EVENTS(PERF_EVENT_LEAF)
};
#undef PERF_EVENT_LEAF
static const ctl_node_t thread_tcache_nodes[] = {
	LEAF("flush", CTL_VOID, NULL, wr_tcache_flush, 0),
	LEAF("enabled", CTL_BOOL, rd_tcache_enabled, NULL, 0),
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
	DIR("prof", thread_prof_nodes),
	DIR("perf_events", thread_perf_events_nodes),
};

/* ---- stats.*: leaves from the rows of stats_table.h ---- */

static int ctl_stat(const stats_field_t *f, const void *record,
                    ctl_value_t *v) {
	uint64_t x = stats_field_value(f, record);
	switch (f->type) {
	case STATS_SIZE: v->z = (size_t)x; break;
	case STATS_U64: v->u64 = x; break;
	case STATS_UNSIGNED: v->u = (unsigned)x; break;
	case STATS_BOOL: v->b = x != 0; break;
	}
	return 0;
}

static int rd_totals(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	stats_totals_t t;
	stats_totals_read(&t);
	return ctl_stat((const stats_field_t *)f, &t, v);
}

static int rd_process(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m;
	stats_process_t p;
	stats_process_read(&p);
	return ctl_stat((const stats_field_t *)f, &p, v);
}

/* stats.arenas.<i> also takes jemalloc's MALLCTL_ARENAS_ALL (4096: every
 * arena merged) and MALLCTL_ARENAS_DESTROYED (4097: destroyed arenas,
 * whose figures strata does not keep, so every value reads 0). */
#define CTL_ARENAS_DESTROYED 4097u
static int check_stats_arena(const size_t *mib, size_t depth) {
	if (mib[depth] == STRATA_ARENAS_ALL ||
	    mib[depth] == CTL_ARENAS_DESTROYED)
		return 0;
	return check_arena(mib, depth);
}

/* The arena of stats.arenas.<i> (mib[2]); NULL when not made yet, or for
 * 4096 and 4097: its figures are all zero. */
static arena_t *ctl_stats_arena(const size_t *m) {
	return m[2] < ARENAS_MAX ? atomic_load(&arenas[m[2]]) : NULL;
}

static bool ctl_stats_is_all(const size_t *m) {
	return m[2] == STRATA_ARENAS_ALL;
}

/* Every arena's figures merged (stats_arena_read adds into *sa). */
static void ctl_stats_all(stats_arena_t *sa) {
	memset(sa, 0, sizeof(*sa));
	arenas_for_each(a)
		stats_arena_read(a, sa);
}

/* The counters of the mutex a leaf's mib names: stats.mutexes.<k>.*,
 * stats.arenas.<i>.mutexes.extents.* or stats.arenas.<i>.bins.<j>.mutex.*
 * (zero for an arena not made yet). */
static int rd_mutex_global(const size_t *m, uintptr_t f, ctl_value_t *v) {
	mutex_stats_t s;
	mutex_stats_read(mutex_global((unsigned)m[2]), &s);
	return ctl_stat((const stats_field_t *)f, &s, v);
}
static stats_arena_t ctl_sa_all; /* 4096's record, under ctl_sa_lock */
static pthread_mutex_t ctl_sa_lock = PTHREAD_MUTEX_INITIALIZER;

static int rd_mutex_extents(const size_t *m, uintptr_t f, ctl_value_t *v) {
	mutex_stats_t s = { 0 };
	arena_t *a = ctl_stats_arena(m);
	if (ctl_stats_is_all(m)) {
		pthread_mutex_lock(&ctl_sa_lock);
		ctl_stats_all(&ctl_sa_all);
		s = ctl_sa_all.extents_mutex;
		pthread_mutex_unlock(&ctl_sa_lock);
	} else if (a != NULL)
		stats_extents_mutex_read(a, &s);
	return ctl_stat((const stats_field_t *)f, &s, v);
}
static int rd_mutex_bin(const size_t *m, uintptr_t f, ctl_value_t *v) {
	mutex_stats_t s = { 0 };
	arena_t *a = ctl_stats_arena(m);
	if (ctl_stats_is_all(m)) {
		pthread_mutex_lock(&ctl_sa_lock);
		ctl_stats_all(&ctl_sa_all);
		s = ctl_sa_all.bins_mutex[m[4]];
		pthread_mutex_unlock(&ctl_sa_lock);
	} else if (a != NULL)
		stats_bin_read(a, (unsigned)m[4], NULL, &s);
	return ctl_stat((const stats_field_t *)f, &s, v);
}

static int rd_sa(const size_t *m, uintptr_t f, ctl_value_t *v) {
	if (ctl_stats_is_all(m)) {
		pthread_mutex_lock(&ctl_sa_lock);
		ctl_stats_all(&ctl_sa_all);
		int err = ctl_stat((const stats_field_t *)f, &ctl_sa_all, v);
		pthread_mutex_unlock(&ctl_sa_lock);
		return err;
	}
	stats_arena_t sa;
	memset(&sa, 0, sizeof(sa));
	arena_t *a = ctl_stats_arena(m);
	if (a != NULL)
		stats_arena_read(a, &sa);
	return ctl_stat((const stats_field_t *)f, &sa, v);
}

/* stats.arenas.<i>.dirty_decay_ms / muzzy_decay_ms (arenas.* defaults
 * for 4096, as jemalloc; 0 for 4097 and arenas not made yet). */
static int rd_sa_decay_ms(const size_t *m, uintptr_t is_muzzy,
                          ctl_value_t *v) {
	arena_t *a = ctl_stats_arena(m);
	if (ctl_stats_is_all(m)) {
		v->l = arena_new_decay_ms(is_muzzy != 0);
	} else if (a != NULL) {
		stats_arena_settings_t st;
		stats_arena_settings_read(a, &st);
		v->l = is_muzzy ? st.muzzy_decay_ms : st.dirty_decay_ms;
	}
	return 0;
}
static int rd_sa_dss(const size_t *m, uintptr_t f, ctl_value_t *v) {
	(void)m, (void)f;
	v->s = "disabled";
	return 0;
}

/* One bin, read under its own lock only. */
static int rd_sa_bin(const size_t *m, uintptr_t f, ctl_value_t *v) {
	bin_stats_t b = { 0 };
	arena_t *a = ctl_stats_arena(m);
	if (ctl_stats_is_all(m)) {
		pthread_mutex_lock(&ctl_sa_lock);
		ctl_stats_all(&ctl_sa_all);
		b = ctl_sa_all.bins[m[4]];
		pthread_mutex_unlock(&ctl_sa_lock);
	} else if (a != NULL)
		stats_bin_read(a, (unsigned)m[4], &b, NULL);
	return ctl_stat((const stats_field_t *)f, &b, v);
}

/* One large class of one arena, read under the arena's extents lock. */
static int rd_sa_lextent(const size_t *m, uintptr_t f, ctl_value_t *v) {
	lextent_stats_t l = { 0 };
	arena_t *a = ctl_stats_arena(m);
	if (ctl_stats_is_all(m) && m[4] < ARENA_NLEXTENTS) {
		pthread_mutex_lock(&ctl_sa_lock);
		ctl_stats_all(&ctl_sa_all);
		l = ctl_sa_all.lextents[m[4]];
		pthread_mutex_unlock(&ctl_sa_lock);
	} else if (a != NULL && m[4] < ARENA_NLEXTENTS)
		stats_lextent_read(a, (unsigned)m[4], &l);
	return ctl_stat((const stats_field_t *)f, &l, v);
}

static const ctl_node_t mutex_global_dir = STATS_ANON(stats_mutex_group,
                                                      rd_mutex_global);
static const ctl_index_t mutex_index = { parse_mutex_name, check_mutex,
	                                 &mutex_global_dir };

static const ctl_node_t sa_bin_nodes[] = {
	STATS_DIR("mutex", stats_mutex_group, rd_mutex_bin),
};
static const ctl_node_t sa_bin_dir =
    STATS_ANON_WITH(stats_bin_group, rd_sa_bin, sa_bin_nodes);
static const ctl_index_t sa_bin_index = { parse_decimal, check_bin,
	                                  &sa_bin_dir };

static const ctl_node_t sa_lextent_dir = STATS_ANON(stats_lextent_group,
                                                    rd_sa_lextent);
static const ctl_index_t sa_lextent_index = { parse_decimal, check_lextent,
	                                      &sa_lextent_dir };

static const ctl_node_t sa_mutexes_nodes[] = {
	STATS_DIR("extents", stats_mutex_group, rd_mutex_extents),
};
static const ctl_node_t sa_nodes[] = {
	STATS_DIR("small", stats_small_group, rd_sa),
	STATS_DIR("large", stats_large_group, rd_sa),
	STATS_DIR("purge", stats_purge_group, rd_sa),
	DIR("mutexes", sa_mutexes_nodes),
	INDEXED("bins", sa_bin_index),
	INDEXED("lextents", sa_lextent_index),
	LEAF("dirty_decay_ms", CTL_LONG, rd_sa_decay_ms, NULL, 0),
	LEAF("muzzy_decay_ms", CTL_LONG, rd_sa_decay_ms, NULL, 1),
	LEAF("dss", CTL_STRING, rd_sa_dss, NULL, 0),
};
static const ctl_node_t sa_dir = STATS_ANON_WITH(stats_arena_group, rd_sa,
                                                 sa_nodes);
static const ctl_index_t sa_index = { parse_decimal, check_stats_arena,
	                              &sa_dir };

static const ctl_node_t stats_nodes[] = {
	STATS_DIR("background_thread", stats_background_group, rd_process),
	STATS_DIR("mem_limit", stats_mem_limit_group, rd_process),
	INDEXED("mutexes", mutex_index),
	INDEXED("arenas", sa_index),
};

/* ---- the root ---- */

static const ctl_node_t root_nodes[] = {
	LEAF("version", CTL_STRING, rd_version, NULL, 0),
	LEAF("epoch", CTL_U64, rd_epoch, wr_epoch, 0),
	LEAF("background_thread", CTL_BOOL, rd_background_thread,
	     wr_background_thread, 0),
	LEAF("max_background_threads", CTL_SIZE, rd_max_background_threads,
	     wr_max_background_threads, 0),
	DIR("config", config_nodes),
	DIR("system", system_nodes),
	DIR("opt", opt_nodes),
	DIR("arenas", arenas_nodes),
	INDEXED("arena", arena_index),
	DIR("thread", thread_nodes),
	DIR("prof", prof_nodes),
	DIR("prof_recent", prof_recent_nodes),
	DIR("perf_events", perf_events_nodes),
	STATS_NAMED_WITH("stats", stats_totals_group, rd_totals, stats_nodes),
};
static const ctl_node_t ctl_root = DIR_ANON(root_nodes);

/* ---- lookup ---- */

static bool ctl_is_leaf(const ctl_node_t *n) {
	return n->children == NULL && n->index == NULL && n->group == NULL;
}

static unsigned ctl_nfields(const ctl_node_t *n) {
	return n->group != NULL ? n->group->nfields : 0;
}

static enum ctl_type ctl_stat_type(enum stats_type t) {
	switch (t) {
	case STATS_SIZE: return CTL_SIZE;
	case STATS_U64: return CTL_U64;
	case STATS_UNSIGNED: return CTL_UNSIGNED;
	case STATS_BOOL: return CTL_BOOL;
	}
	return CTL_VOID;
}

/* Child i of a named level: a statistic of its group (made into *tmp) or
 * one of its children. */
static const ctl_node_t *ctl_child(const ctl_node_t *node, size_t i,
                                   ctl_node_t *tmp) {
	unsigned nf = ctl_nfields(node);
	if (i >= nf)
		return &node->children[i - nf];
	const stats_field_t *f = &node->group->fields[i];
	*tmp = (ctl_node_t){ .type = ctl_stat_type(f->type),
		             .read = node->read, .arg = (uintptr_t)f };
	return tmp;
}

static const char *ctl_child_name(const ctl_node_t *node, size_t i) {
	unsigned nf = ctl_nfields(node);
	return i < nf ? stats_field_ctl_name(&node->group->fields[i])
	              : node->children[i - nf].name;
}

/* One component [p, p+len) below node: its MIB element and the node
 * reached (possibly *tmp).  0 or ENOENT. */
static int ctl_step_name(const ctl_node_t *node, const char *p, size_t len,
                         size_t *mib, size_t depth,
                         const ctl_node_t **next, ctl_node_t *tmp) {
	if (node->index != NULL) {
		int err = node->index->parse(p, len, &mib[depth]);
		if (err == 0)
			err = node->index->check(mib, depth);
		*next = node->index->child;
		return err;
	}
	size_t n = ctl_nfields(node) + node->nchildren;
	for (size_t i = 0; i < n; i++) {
		const char *name = ctl_child_name(node, i);
		if (name != NULL && strlen(name) == len &&
		    memcmp(name, p, len) == 0) {
			mib[depth] = i;
			*next = ctl_child(node, i, tmp);
			return 0;
		}
	}
	return ENOENT;
}

/* The leaf name reaches, copied into *leaf. */
static int ctl_lookup_name(const char *name, size_t *mib, size_t *miblen,
                           ctl_node_t *leaf) {
	const ctl_node_t *node = &ctl_root;
	size_t depth = 0;
	for (const char *p = name;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (ctl_is_leaf(node) || depth == *miblen)
			return ENOENT;
		int err = ctl_step_name(node, p, len, mib, depth, &node, leaf);
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
	*leaf = *node;
	return 0;
}

static int ctl_lookup_mib(const size_t *mib, size_t miblen,
                          ctl_node_t *leaf) {
	const ctl_node_t *node = &ctl_root;
	for (size_t d = 0; d < miblen; d++) {
		if (ctl_is_leaf(node))
			return ENOENT;
		if (node->index != NULL) {
			int err = node->index->check(mib, d);
			if (err != 0)
				return err;
			node = node->index->child;
		} else if (mib[d] < ctl_nfields(node) + node->nchildren) {
			node = ctl_child(node, mib[d], leaf);
		} else {
			return ENOENT;
		}
	}
	if (!ctl_is_leaf(node))
		return ENOENT;
	*leaf = *node;
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
	/* A write-only leaf given nothing acts with its default (jemalloc's
	 * prof.dump and prof.reset without a value). */
	if (oldp == NULL && node->read == NULL)
		return node->write(mib, node->arg, NULL);
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
	ctl_node_t leaf;
	int err = ctl_lookup_name(name, mib, &miblen, &leaf);
	if (err != 0)
		return err;
	return ctl_access(&leaf, mib, oldp, oldlenp, newp, newlen);
}

int strata_ctl_nametomib(const char *name, size_t *mibp, size_t *miblenp) {
	if (name == NULL || mibp == NULL || miblenp == NULL)
		return EINVAL;
	if (malloc_init() != 0)
		return EAGAIN;
	ctl_node_t leaf;
	return ctl_lookup_name(name, mibp, miblenp, &leaf);
}

int strata_ctl_bymib(const size_t *mib, size_t miblen, void *oldp,
                     size_t *oldlenp, void *newp, size_t newlen) {
	if (mib == NULL || miblen == 0)
		return ENOENT;
	if (malloc_init() != 0)
		return EAGAIN;
	ctl_node_t leaf;
	int err = ctl_lookup_mib(mib, miblen, &leaf);
	if (err != 0)
		return err;
	return ctl_access(&leaf, mib, oldp, oldlenp, newp, newlen);
}
