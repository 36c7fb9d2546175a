/*
 * export.h — the periodic Prometheus export (stats_export:PATH).
 *
 * The background thread calls export_tick on every wake-up; when the
 * interval (stats_export_interval_ms) has passed it rewrites PATH with the
 * Prometheus exposition of strata_stats_print, threads bounded to the top
 * stats_export_threads by allocation rate plus one thread="other" series.
 * The file is written under PATH.tmp in the same directory and renamed
 * over PATH, so a reader (node_exporter's textfile collector reads
 * DIR/\*.prom) sees a whole old file or a whole new one, never a part.
 * Nothing here allocates; with the option unset nothing here runs.
 */
#ifndef STRATA_EXPORT_H
#define STRATA_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

/* stats_export names a file (inline: the allocating threads' periodic
 * event asks it). */
static inline bool export_is_on(void) { return opt.stats_export[0] != '\0'; }
/* Writes the file if it is due at now_ns (decay clock); returns when the
 * next write is due (UINT64_MAX when off). */
HIDDEN uint64_t export_tick(uint64_t now_ns);
/* Writes the file now.  Returns 0 or an errno value (the previous file is
 * kept then). */
HIDDEN int export_write(void);

#endif
