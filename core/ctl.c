/*
 * ctl.c — strata_ctl: a mallctl-compatible namespace over a table of
 * named nodes.  Each node has a type (the exact *oldlenp/newlen it takes),
 * a read function and, when writable, a write function.
 */
#include <errno.h>
#include <string.h>

#include "conf.h"
#include "init.h"
#include "stats.h"
#include "strata.h"
#include "tcache.h"
#include "tsd.h"

enum ctl_type { CTL_VOID, CTL_BOOL, CTL_UNSIGNED, CTL_SIZE, CTL_U64,
	        CTL_LONG, CTL_STRING, CTL_U64_PTR };

typedef union ctl_value {
	bool b;
	unsigned u;
	size_t z;
	uint64_t u64;
	long l;
	const char *s;
	uint64_t *u64p;
} ctl_value_t;

typedef struct ctl_node {
	const char *name;
	enum ctl_type type;
	int (*read)(ctl_value_t *out);
	int (*write)(const ctl_value_t *in);
} ctl_node_t;

static size_t ctl_type_bytes(enum ctl_type t) {
	switch (t) {
	case CTL_VOID: return 0;
	case CTL_BOOL: return sizeof(bool);
	case CTL_UNSIGNED: return sizeof(unsigned);
	case CTL_SIZE: return sizeof(size_t);
	case CTL_U64: return sizeof(uint64_t);
	case CTL_LONG: return sizeof(long);
	case CTL_STRING: return sizeof(const char *);
	case CTL_U64_PTR: return sizeof(uint64_t *);
	}
	return 0;
}

static uint64_t epoch;

static int rd_version(ctl_value_t *v) { v->s = STRATA_VERSION; return 0; }
static int rd_epoch(ctl_value_t *v) { v->u64 = epoch; return 0; }
static int wr_epoch(const ctl_value_t *v) { (void)v; epoch++; return 0; }
static int rd_narenas(ctl_value_t *v) {
	v->u = atomic_load(&narenas_total);
	return 0;
}
static int rd_page(ctl_value_t *v) { v->z = page_bytes; return 0; }
static int rd_opt_narenas(ctl_value_t *v) { v->u = narenas_auto; return 0; }
static int rd_opt_tcache(ctl_value_t *v) { v->b = opt.tcache; return 0; }
static int rd_opt_tcache_max(ctl_value_t *v) {
	v->z = opt.tcache_max;
	return 0;
}
static int rd_opt_dirty(ctl_value_t *v) { v->l = opt.dirty_decay_ms; return 0; }
static int rd_opt_muzzy(ctl_value_t *v) { v->l = opt.muzzy_decay_ms; return 0; }

#define STATS_READER(fn, field)                 \
	static int fn(ctl_value_t *v) {          \
		stats_totals_t t;                \
		stats_totals_read(&t);           \
		v->z = t.field;                  \
		return 0;                        \
	}
STATS_READER(rd_allocated, allocated_bytes)
STATS_READER(rd_active, active_bytes)
STATS_READER(rd_metadata, metadata_bytes)
STATS_READER(rd_resident, resident_bytes)
STATS_READER(rd_mapped, mapped_bytes)

static tsd_t *ctl_tsd(void) {
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT)
		tsd_slow_init(tsd);
	return tsd;
}
static int rd_thread_allocated(ctl_value_t *v) {
	v->u64 = ctl_tsd()->allocated_bytes;
	return 0;
}
static int rd_thread_deallocated(ctl_value_t *v) {
	v->u64 = ctl_tsd()->deallocated_bytes;
	return 0;
}
static int rd_thread_allocatedp(ctl_value_t *v) {
	v->u64p = &ctl_tsd()->allocated_bytes;
	return 0;
}
static int rd_thread_deallocatedp(ctl_value_t *v) {
	v->u64p = &ctl_tsd()->deallocated_bytes;
	return 0;
}
static int wr_tcache_flush(const ctl_value_t *v) {
	(void)v;
	tsd_t *tsd = ctl_tsd();
	if (tsd->tcache != &tcache_disabled)
		tcache_flush_all(tsd->tcache);
	return 0;
}
static int rd_thread_arena(ctl_value_t *v) {
	v->u = ctl_tsd()->arena->index;
	return 0;
}
static int wr_thread_arena(const ctl_value_t *v) {
	return strata_thread_arena_set(v->u);
}

static const ctl_node_t ctl_nodes[] = {
	{ "version", CTL_STRING, rd_version, NULL },
	{ "epoch", CTL_U64, rd_epoch, wr_epoch },
	{ "arenas.narenas", CTL_UNSIGNED, rd_narenas, NULL },
	{ "arenas.page", CTL_SIZE, rd_page, NULL },
	{ "opt.narenas", CTL_UNSIGNED, rd_opt_narenas, NULL },
	{ "opt.tcache", CTL_BOOL, rd_opt_tcache, NULL },
	{ "opt.tcache_max", CTL_SIZE, rd_opt_tcache_max, NULL },
	{ "opt.dirty_decay_ms", CTL_LONG, rd_opt_dirty, NULL },
	{ "opt.muzzy_decay_ms", CTL_LONG, rd_opt_muzzy, NULL },
	{ "stats.allocated", CTL_SIZE, rd_allocated, NULL },
	{ "stats.active", CTL_SIZE, rd_active, NULL },
	{ "stats.metadata", CTL_SIZE, rd_metadata, NULL },
	{ "stats.resident", CTL_SIZE, rd_resident, NULL },
	{ "stats.mapped", CTL_SIZE, rd_mapped, NULL },
	{ "thread.arena", CTL_UNSIGNED, rd_thread_arena, wr_thread_arena },
	{ "thread.allocated", CTL_U64, rd_thread_allocated, NULL },
	{ "thread.deallocated", CTL_U64, rd_thread_deallocated, NULL },
	{ "thread.allocatedp", CTL_U64_PTR, rd_thread_allocatedp, NULL },
	{ "thread.deallocatedp", CTL_U64_PTR, rd_thread_deallocatedp, NULL },
	{ "thread.tcache.flush", CTL_VOID, NULL, wr_tcache_flush },
};

static const ctl_node_t *ctl_find(const char *name) {
	for (size_t i = 0; i < ARRAY_LEN(ctl_nodes); i++)
		if (strcmp(ctl_nodes[i].name, name) == 0)
			return &ctl_nodes[i];
	return NULL;
}

int strata_ctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
               size_t newlen) {
	if (name == NULL)
		return ENOENT;
	if (malloc_init() != 0)
		return EAGAIN;
	const ctl_node_t *node = ctl_find(name);
	if (node == NULL)
		return ENOENT;
	if (node->type == CTL_VOID) { /* an action: no value either way */
		if (oldp != NULL || newp != NULL || newlen != 0)
			return EINVAL;
		return node->write(NULL);
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
		int err = node->read(&v);
		if (err != 0)
			return err;
		memcpy(oldp, &v, bytes);
	}
	if (newp != NULL) {
		ctl_value_t v;
		memset(&v, 0, sizeof(v));
		memcpy(&v, newp, bytes);
		return node->write(&v);
	}
	return 0;
}
