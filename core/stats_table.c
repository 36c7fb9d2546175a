/*
 * stats_table.c — the rows of every statistics group (see stats_table.h).
 * Within a group the order is the ctl order: do not reorder, append.
 */
#include "stats_table.h"

#include <stdbool.h>
#include <stddef.h>

#include "pages.h"
#include "stats.h"

#define G EMITTER_GAUGE
#define C EMITTER_COUNTER
#define NS_PER_S 1000000000u

/* key, Prometheus name (NULL: the key), help, kind, type, record, member */
#define ROW(key, prom, help, kind, type, rec, member)                     \
	{ { key, prom, help, kind, 0 }, NULL, STATS_##type,               \
	  offsetof(rec, member), NULL }
/* A size in bytes: Prometheus calls it <key>_bytes, the record
 * <member>. */
#define BYTES(key, help, rec, member) \
	ROW(#key, #key "_bytes", help, G, SIZE, rec, member)
#define GROUP(name, rows) \
	const stats_group_t name = { rows, ARRAY_LEN(rows) }

static const stats_field_t totals_rows[] = {
	BYTES(allocated, "Bytes in live allocations (usable size)",
	      stats_totals_t, allocated_bytes),
	BYTES(active, "Bytes of pages backing live runs", stats_totals_t,
	      active_bytes),
	BYTES(metadata, "Bytes reserved for metadata", stats_totals_t,
	      metadata_bytes),
	BYTES(resident, "Upper bound of resident bytes", stats_totals_t,
	      resident_bytes),
	BYTES(mapped, "Bytes reserved from the backend", stats_totals_t,
	      mapped_bytes),
	BYTES(retained, "Purged address space kept for reuse", stats_totals_t,
	      retained_bytes),
	BYTES(dirty, "Free dirty bytes", stats_totals_t, dirty_bytes),
	BYTES(muzzy, "Free lazily purged bytes", stats_totals_t, muzzy_bytes),
};
GROUP(stats_totals_group, totals_rows);

static const stats_field_t background_rows[] = {
	ROW("running", NULL, "Background purger running", G, BOOL,
	    stats_process_t, is_background_running),
};
GROUP(stats_background_group, background_rows);

static const stats_field_t mem_limit_rows[] = {
	ROW("soft_hits", NULL, "Purges forced by mem_limit_soft", C, U64,
	    stats_process_t, mem_limit_soft_hits),
	ROW("hard_hits", NULL, "Requests refused by mem_limit_hard", C, U64,
	    stats_process_t, mem_limit_hard_hits),
	BYTES(cgroup, "The cgroup's memory limit read at start (0: none)",
	      stats_process_t, mem_limit_cgroup_bytes),
	BYTES(soft, "Soft limit in force: mem_limit_soft, else 7/8 of the "
	      "cgroup's (0: none)", stats_process_t, mem_limit_soft_bytes),
};
GROUP(stats_mem_limit_group, mem_limit_rows);

static const stats_field_t mutex_rows[] = {
	ROW("num_ops", NULL, "Lock acquisitions", C, U64, mutex_stats_t, ops),
	ROW("num_wait", NULL, "Acquisitions that found it held", C, U64,
	    mutex_stats_t, contended_ops),
	{ { "total_wait_time", "wait_seconds",
	    "Time spent waiting after spinning", C, NS_PER_S },
	  NULL, STATS_U64, offsetof(mutex_stats_t, wait_ns), NULL },
	{ { "max_wait_time", "max_wait_seconds", "Longest single wait", G,
	    NS_PER_S },
	  NULL, STATS_U64, offsetof(mutex_stats_t, max_wait_ns), NULL },
	ROW("num_owner_switch", NULL,
	    "Acquisitions by another thread than the last", C, U64,
	    mutex_stats_t, owner_switches),
};
GROUP(stats_mutex_group, mutex_rows);

static uint64_t arena_allocated(const void *record) {
	const stats_arena_t *sa = record;
	return sa->small_allocated_bytes + sa->large_allocated_bytes;
}

/* jemalloc's page counts of an arena (ctl only). */
static uint64_t arena_pactive(const void *record) {
	return ((const stats_arena_t *)record)->active_bytes >> lg_page;
}
static uint64_t arena_pdirty(const void *record) {
	return ((const stats_arena_t *)record)->dirty_bytes >> lg_page;
}
static uint64_t arena_pmuzzy(const void *record) {
	return ((const stats_arena_t *)record)->muzzy_bytes >> lg_page;
}

static const stats_field_t arena_rows[] = {
	ROW("nthreads", NULL, "Threads bound to the arena", G, UNSIGNED,
	    stats_arena_t, nthreads),
	{ { "allocated", "allocated_bytes", "Live bytes", G, 0 }, NULL,
	  STATS_SIZE, 0, arena_allocated },
	BYTES(active, "Pages of live runs", stats_arena_t, active_bytes),
	BYTES(dirty, "Free dirty bytes", stats_arena_t, dirty_bytes),
	BYTES(muzzy, "Free lazily purged bytes", stats_arena_t, muzzy_bytes),
	BYTES(mapped, "Bytes mapped", stats_arena_t, mapped_bytes),
	BYTES(retained, "Purged, kept for reuse", stats_arena_t,
	      retained_bytes),
	{ { NULL, NULL, NULL, G, 0 }, "pactive", STATS_SIZE, 0, arena_pactive },
	{ { NULL, NULL, NULL, G, 0 }, "pdirty", STATS_SIZE, 0, arena_pdirty },
	{ { NULL, NULL, NULL, G, 0 }, "pmuzzy", STATS_SIZE, 0, arena_pmuzzy },
};
GROUP(stats_arena_group, arena_rows);

/* Printed flat in the arena (small_nmalloc), in ctl below a node
 * (small.nmalloc). */
#define SUB(key, ctl_name, prom, help, kind, type, member)                \
	{ { key, prom, help, kind, 0 }, ctl_name, STATS_##type,           \
	  offsetof(stats_arena_t, member), NULL }

static const stats_field_t small_rows[] = {
	SUB("small_allocated", "allocated", "small_allocated_bytes",
	    "Live bytes in small classes", G, SIZE, small_allocated_bytes),
	SUB("small_nmalloc", "nmalloc", NULL, "Small allocations", C, U64,
	    small_nmalloc),
	SUB("small_ndalloc", "ndalloc", NULL, "Small deallocations", C, U64,
	    small_ndalloc),
};
GROUP(stats_small_group, small_rows);

static const stats_field_t large_rows[] = {
	SUB("large_allocated", "allocated", "large_allocated_bytes",
	    "Live bytes in large and huge classes", G, SIZE,
	    large_allocated_bytes),
	SUB("large_nmalloc", "nmalloc", NULL, "Large allocations", C, U64,
	    large_nmalloc),
	SUB("large_ndalloc", "ndalloc", NULL, "Large deallocations", C, U64,
	    large_ndalloc),
	SUB("large_nremap", "nremap", NULL,
	    "Huge blocks resized by remapping their pages", C, U64,
	    large_nremap),
	SUB("large_nrefit", "nrefit", NULL,
	    "Cached huge mappings remapped to the size of a new block", C, U64,
	    large_nrefit),
};
GROUP(stats_large_group, large_rows);

#define PURGE(key, help) \
	ROW(#key, NULL, help, C, U64, stats_arena_t, purge.key)
static const stats_field_t purge_rows[] = {
	PURGE(lazy_calls, "Lazy purge operations"),
	PURGE(eager_calls, "Eager purge operations"),
	PURGE(lazy_pages, "Pages purged lazily"),
	PURGE(eager_pages, "Pages purged eagerly"),
	PURGE(chunks_unmapped, "Chunks returned whole"),
	PURGE(hugepages_split, "Partial purges of a hugepage"),
	PURGE(chunks_adopted, "Entirely free chunks taken from another arena"),
};
GROUP(stats_purge_group, purge_rows);

static const stats_field_t bin_rows[] = {
	ROW("curregs", NULL, "Live regions", G, SIZE, bin_stats_t, curregs),
	ROW("curslabs", NULL, "Slabs", G, SIZE, bin_stats_t, curslabs),
	ROW("nmalloc", NULL, "Regions handed out", C, U64, bin_stats_t,
	    nmalloc),
	ROW("ndalloc", NULL, "Regions taken back", C, U64, bin_stats_t,
	    ndalloc),
	ROW("nfills", NULL, "Thread cache fills", C, U64, bin_stats_t, nfills),
	ROW("nflushes", NULL, "Thread cache flushes", C, U64, bin_stats_t,
	    nflushes),
	/* in ctl only */
	{ { NULL, NULL, "Slabs created", C, 0 }, "nslabs", STATS_U64,
	  offsetof(bin_stats_t, nslabs_created), NULL },
};
GROUP(stats_bin_group, bin_rows);

static const stats_field_t lextent_rows[] = {
	ROW("nmalloc", NULL, "Runs handed out", C, U64, lextent_stats_t,
	    nmalloc),
	ROW("ndalloc", NULL, "Runs taken back", C, U64, lextent_stats_t,
	    ndalloc),
	ROW("curlextents", NULL, "Live runs of the class", G, SIZE,
	    lextent_stats_t, curlextents),
};
GROUP(stats_lextent_group, lextent_rows);

#define PERF_COUNT(key, ev, help) [ev] = { #key, NULL, help, C, 0 },
#define PERF_PER_MIB(key, ev, help)                                       \
	[ev] = { #key "_per_mib", NULL,                                   \
	         help " per MiB the thread allocated since counting began", \
	         G, 0 },
#define PERF_UNAVAILABLE(key, ev, help)                                   \
	[ev] = { #key, #key "_unavailable",                               \
	         "The event could not be counted; reason: the errno name",  \
	         G, 0 },
const emitter_desc_t stats_perf_count[] = { PERFCTR_EVENTS(PERF_COUNT) };
const emitter_desc_t stats_perf_per_mib[] = {
	PERFCTR_EVENTS(PERF_PER_MIB)
};
const emitter_desc_t stats_perf_unavailable[] = {
	PERFCTR_EVENTS(PERF_UNAVAILABLE)
};
#undef PERF_COUNT
#undef PERF_PER_MIB
#undef PERF_UNAVAILABLE

const char *stats_field_ctl_name(const stats_field_t *f) {
	return f->ctl != NULL ? f->ctl : f->out.key;
}

uint64_t stats_field_value(const stats_field_t *f, const void *record) {
	if (f->compute != NULL)
		return f->compute(record);
	const char *p = (const char *)record + f->offset;
	switch (f->type) {
	case STATS_SIZE: return *(const size_t *)p;
	case STATS_U64: return *(const uint64_t *)p;
	case STATS_UNSIGNED: return *(const unsigned *)p;
	case STATS_BOOL: return *(const bool *)p;
	}
	return 0;
}
