/*
 * conf.h — run-time options.
 *
 * Read once at init, in order: the compiled default (-Dconf=), then
 * MALLOC_CONF (only the keys that mean what they mean in jemalloc), then
 * STRATA_CONF; a later source overrides an earlier one.  The syntax is
 * `key:value,key:value`.  A bad key or value is reported in one line on
 * stderr and the previous value is kept; with abort_conf:true it is fatal.
 * Parsing reads only inside the string and never calls malloc.
 */
#ifndef STRATA_CONF_H
#define STRATA_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum conf_thp { THP_DEFAULT = 0, THP_ALWAYS = 1, THP_NEVER = 2 };

typedef struct conf {
	bool abort_conf;
	bool confirm_conf;
	unsigned narenas;       /* 0: 4 x CPUs */
	bool tcache;
	size_t tcache_max;      /* largest cached size, bytes */
	long dirty_decay_ms;
	long muzzy_decay_ms;
	bool stats_print;       /* print statistics at exit */
	char stats_print_opts[16];
	bool background_thread; /* purge on a schedule while idle */
	unsigned max_background_threads;
	bool retain;            /* keep purged address space for reuse */
	unsigned thp;           /* enum conf_thp: huge pages for arena chunks */
	bool metadata_thp;      /* metadata on huge pages too */
	size_t oversize_threshold; /* freed huge mappings this big: purged */
	size_t mem_limit_soft;  /* bytes; 0: none */
	size_t mem_limit_hard;
	unsigned percpu_arena;  /* only "disabled" (0): see configuration.md */
} conf_t;

extern HIDDEN conf_t opt;

/* Reads every source into opt. */
HIDDEN void conf_boot(void);
/* Parse one source; exposed for tests.  Returns the number of errors. */
HIDDEN unsigned conf_parse(const char *text, const char *source,
                           bool is_jemalloc_source);
/* Compile-time default options string (meson -Dconf=). */
HIDDEN const char *conf_compiled_default(void);

#endif
