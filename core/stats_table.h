/*
 * stats_table.h — the one description of each statistic.
 *
 * A statistic is a row of a group: its key (the JSON and text key, and
 * the ctl leaf unless .ctl names another), Prometheus name and HELP text,
 * counter or gauge, time unit, C type, and where it sits in the record
 * the group is read into (a stats_totals_t, stats_arena_t, bin_stats_t,
 * lextent_stats_t, mutex_stats_t or stats_process_t).  ctl.c hangs each
 * group under its node (stats.*, stats.arenas.<i>.*, ...bins.<j>.*, the
 * mutex counters) and core/stats_print.c emits each group with one loop,
 * so both name a statistic the same way from the same row, in the same
 * order (a group's position is its ctl MIB component).  Adding a
 * statistic is one row here plus what fills the record.
 */
#ifndef STRATA_STATS_TABLE_H
#define STRATA_STATS_TABLE_H

#include <stdint.h>

#include "emitter.h"
#include "perfctr.h"
#include "util.h"

/* The C type in the record, which is also the ctl leaf's type. */
enum stats_type { STATS_SIZE, STATS_U64, STATS_UNSIGNED, STATS_BOOL };

typedef struct stats_field {
	emitter_desc_t out;   /* key (NULL: in ctl only), prom, help, kind,
	                       * units_per_second */
	const char *ctl;      /* ctl leaf; NULL: out.key */
	enum stats_type type;
	size_t offset;        /* in the record */
	/* A figure computed from the record instead (offset unused). */
	uint64_t (*compute)(const void *record);
} stats_field_t;

typedef struct stats_group {
	const stats_field_t *fields;
	unsigned nfields;
} stats_group_t;

/* Records: stats_totals_t */
extern HIDDEN const stats_group_t stats_totals_group;
/* stats_process_t: stats.background_thread.*, stats.mem_limit.* */
extern HIDDEN const stats_group_t stats_background_group;
extern HIDDEN const stats_group_t stats_mem_limit_group;
/* mutex_stats_t: global, extents and bin locks alike */
extern HIDDEN const stats_group_t stats_mutex_group;
/* stats_arena_t: stats.arenas.<i>.*, .small.*, .large.*, .purge.* */
extern HIDDEN const stats_group_t stats_arena_group;
extern HIDDEN const stats_group_t stats_small_group;
extern HIDDEN const stats_group_t stats_large_group;
extern HIDDEN const stats_group_t stats_purge_group;
/* bin_stats_t, lextent_stats_t */
extern HIDDEN const stats_group_t stats_bin_group;
extern HIDDEN const stats_group_t stats_lextent_group;

/* A thread's event counters (perfctr.h), by event: the count since the
 * counters opened, the count per MiB the thread allocated since, and the
 * info series that says why the event could not be opened. */
extern HIDDEN const emitter_desc_t stats_perf_count[PERFCTR_NEVENTS];
extern HIDDEN const emitter_desc_t stats_perf_per_mib[PERFCTR_NEVENTS];
extern HIDDEN const emitter_desc_t stats_perf_unavailable[PERFCTR_NEVENTS];

HIDDEN const char *stats_field_ctl_name(const stats_field_t *f);
/* The field's value in record (booleans as 0 or 1). */
HIDDEN uint64_t stats_field_value(const stats_field_t *f,
                                  const void *record);

#endif
