/*
 * conf.h — run-time options: the one table of them, and the parser.
 *
 * Read once at init, in order: the compiled default (-Dconf=), then
 * MALLOC_CONF (only the keys that mean what they mean in jemalloc), then
 * STRATA_CONF; a later source overrides an earlier one.  The syntax is
 * `key:value,key:value`.  A bad key or value is reported in one line on
 * stderr and the previous value is kept; with abort_conf:true it is fatal.
 * Parsing reads only inside the string and never calls malloc.
 *
 * CONF_OPTIONS below is the single description of every option: from it
 * come the fields of conf_t and their defaults, the parser's table
 * (conf_options[]), the opt.* names of strata_ctl, the opt section of
 * strata_stats_print and the keys of docs/configuration.md.  Adding an
 * option is one X(...) line.
 */
#ifndef STRATA_CONF_H
#define STRATA_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum conf_thp { THP_DEFAULT = 0, THP_ALWAYS = 1, THP_NEVER = 2 };
enum conf_metadata_thp { METADATA_THP_DISABLED = 0, METADATA_THP_AUTO = 1,
	                 METADATA_THP_ALWAYS = 2 };
enum conf_junk { JUNK_FALSE = 0, JUNK_TRUE = 1, JUNK_ALLOC = 2, JUNK_FREE = 3 };
/* The order of backend.h's BACKEND_TAG_*, which pages_boot hands on. */
enum conf_mte { MTE_SYNC = 0, MTE_ASYNC = 1, MTE_OFF = 2 };

/*
 * X(name, type, default, jemalloc, doc, optional fields ...)
 *   type      BOOL; UNSIGNED; SIZE (a size_t, bytes take k/m/g suffixes);
 *             LONG; MS (a time in milliseconds, stored as a long); STRING
 *             (fewer than CONF_STRING_BYTES characters; a longer kind, say
 *             a file prefix, is a new type with its own CONF_DIM_); PATH
 *             (a file-system path, fewer than CONF_PATH_BYTES); ENUM
 *             (one word of .choices, stored as its index, an unsigned)
 *   jemalloc  SAME: MALLOC_CONF may set it, it means what it means in
 *             jemalloc; OTHER: jemalloc has the key with another meaning;
 *             NONE: strata only.  Neither OTHER nor NONE is read from
 *             MALLOC_CONF.
 *   doc       one line, the man page's and the Prometheus HELP text
 *   optional  designated fields of conf_option_t: .min and .max (numbers,
 *             inclusive), .choices, .prom (the Prometheus name with its
 *             unit, when it differs from the key).  An option that start-up
 *             resolves (narenas:0) is written back into opt with the value
 *             in force, as jemalloc does, so ctl and stats show that one.
 */
#define CONF_OPTIONS(X)                                                       \
	X(abort_conf, BOOL, false, SAME,                                      \
	  "A bad option aborts the process")                                  \
	X(confirm_conf, BOOL, false, SAME,                                    \
	  "Print every option's value at start-up")                           \
	X(abort, BOOL, false, SAME,                                           \
	  "Any warning strata prints at start-up aborts the process")         \
	X(narenas, UNSIGNED, 0, SAME,                                         \
	  "Automatic arenas (default 4 x CPUs); a thread takes the least "    \
	  "loaded", .min = 1, .max = 2048)                                    \
	X(tcache, BOOL, true, SAME, "Per-thread caches")                      \
	X(tcache_max, SIZE, 32768, SAME,                                      \
	  "Largest size class kept in thread caches",                         \
	  .max = 2 << 20, .prom = "tcache_max_bytes")                         \
	X(dirty_decay_ms, MS, 10000, SAME,                                    \
	  "Time over which freed pages are purged (-1: never); lazily "       \
	  "unless muzzy_decay_ms is 0",                                       \
	  .min = -1, .max = CONF_DECAY_MS_MAX, .prom = "dirty_decay_seconds") \
	X(muzzy_decay_ms, MS, 0, SAME,                                        \
	  "Time over which lazily purged pages are released (-1: never; "     \
	  "0: no lazy stage)",                                                \
	  .min = -1, .max = CONF_DECAY_MS_MAX, .prom = "muzzy_decay_seconds") \
	X(background_thread, BOOL, true, SAME,                                \
	  "A thread purges on schedule while the program is idle")            \
	X(max_background_threads, SIZE, 1, SAME,                              \
	  "Most background purger threads (strata runs one at most)",        \
	  .min = 1, .max = 4096)                                              \
	X(retain, BOOL, true, SAME,                                           \
	  "Keep purged address space for reuse instead of unmapping it")      \
	X(thp, ENUM, THP_DEFAULT, SAME,                                       \
	  "Transparent huge pages for arena chunks: default leaves the "      \
	  "system setting, always advises them, never advises against",      \
	  .choices = conf_thp_choices)                                        \
	X(hugepages, BOOL, true, NONE,                                        \
	  "While thp is not set, advise huge pages for arena chunks where "   \
	  "the backend can (the numa backend)")                               \
	X(metadata_thp, ENUM, METADATA_THP_DISABLED, SAME,                    \
	  "Huge pages for metadata: disabled, auto (from the second region "  \
	  "on) or always", .choices = conf_metadata_thp_choices)              \
	X(junk, ENUM, JUNK_FALSE, SAME,                                       \
	  "Fill blocks with 0xa5 when allocated, 0x5a when freed "            \
	  "(true, alloc, free, false); turns thread caches off",              \
	  .choices = conf_junk_choices)                                       \
	X(zero, BOOL, false, SAME,                                            \
	  "Zero every allocation; turns thread caches off")                   \
	X(oversize_threshold, SIZE, (size_t)64 << 20, SAME,                   \
	  "A freed huge mapping this big is purged at once (0: never)",       \
	  .max = CONF_BYTES_MAX, .prom = "oversize_threshold_bytes")          \
	X(mem_limit_soft, SIZE, 0, NONE,                                      \
	  "Above it, purge everything eligible (0: none)",                    \
	  .max = CONF_BYTES_MAX, .prom = "mem_limit_soft_bytes")              \
	X(mem_limit_hard, SIZE, 0, NONE,                                      \
	  "New memory that would pass it fails with ENOMEM (0: none)",        \
	  .max = CONF_BYTES_MAX, .prom = "mem_limit_hard_bytes")              \
	X(stats_print, BOOL, false, SAME,                                     \
	  "Print statistics to stderr at exit")                               \
	X(stats_print_opts, STRING, "", SAME,                                 \
	  "Form of that print: text, J (JSON) or P (Prometheus)")             \
	X(percpu_arena, ENUM, 0, SAME,                                        \
	  "Accepted for compatibility: arenas are never chosen by CPU",       \
	  .choices = conf_percpu_arena_choices)                               \
	X(pmem_dir, PATH, "", NONE,                                           \
	  "Directory of file-backed PMEM for PMEM arenas without their own")  \
	X(pmem_max, SIZE, 0, NONE,                                            \
	  "Bound on each such arena's PMEM file (0: none)",                   \
	  .max = CONF_BYTES_MAX, .prom = "pmem_max_bytes")                    \
	X(dss, ENUM, 0, SAME,                                                 \
	  "sbrk use: disabled (strata maps everything with mmap)",            \
	  .choices = conf_dss_choices)                                        \
	X(stats_export, PATH, "", NONE,                                       \
	  "File the background thread rewrites with the Prometheus text")     \
	X(stats_export_interval_ms, MS, 10000, NONE,                          \
	  "Time between two writes of stats_export",                          \
	  .min = 10, .max = CONF_DECAY_MS_MAX,                                \
	  .prom = "stats_export_interval_seconds")                            \
	X(stats_export_threads, UNSIGNED, 8, NONE,                            \
	  "Threads exported one by one (by allocation rate); the rest sum up",\
	  .max = 64)                                                          \
	X(perf_events, BOOL, false, NONE,                                     \
	  "Count cache, TLB and page-fault events per thread "                \
	  "(perf_event_open), shown in the thread statistics")                \
	X(mte, ENUM, MTE_SYNC, NONE,                                          \
	  "Memory tag checks of the mte build: sync (fault at the access), "  \
	  "async (at the next system call) or off", .choices = conf_mte_choices) \
	X(mte_max_tagged, SIZE, (size_t)1 << 20, NONE,                        \
	  "Largest block the mte build tags; bigger ones are handed out "     \
	  "untagged", .min = 16, .max = CONF_BYTES_MAX,                       \
	  .prom = "mte_max_tagged_bytes")                                     \
	PROF_CONF_OPTIONS(X)

/* The heap profiler's options (docs/profiling.md), jemalloc's names. */
#define PROF_CONF_OPTIONS(X)                                                  \
	X(prof, BOOL, false, SAME,                                            \
	  "Heap profiling: sample allocations with their backtraces")        \
	X(prof_active, BOOL, true, SAME,                                      \
	  "Sampling starts active (prof.active switches it at run time)")    \
	X(prof_thread_active_init, BOOL, true, SAME,                          \
	  "New threads start with sampling active")                          \
	X(prof_prefix, PATH, "jeprof", SAME,                                  \
	  "File name prefix of the profile dumps")                            \
	X(lg_prof_sample, UNSIGNED, 19, SAME,                                 \
	  "Mean bytes between samples, as a power of two", .max = 62)        \
	X(lg_prof_interval, LONG, -1, SAME,                                   \
	  "A dump every 2^N bytes allocated (-1: never)", .min = -1,         \
	  .max = 62)                                                          \
	X(prof_gdump, BOOL, false, SAME,                                      \
	  "A dump at each new high-water mark of mapped bytes")              \
	X(prof_final, BOOL, false, SAME, "A dump at exit")                    \
	X(prof_leak, BOOL, false, SAME,                                       \
	  "Live sampled allocations by stack on stderr at exit")             \
	X(prof_accum, BOOL, false, SAME,                                      \
	  "Dumps carry the allocated totals, not only what is live")         \
	X(prof_recent_alloc_max, LONG, 0, SAME,                               \
	  "Recent sampled allocations kept (0: none, -1: no bound)",          \
	  .min = -1,                                                          \
	  .max = 1 << 24)                                                     \
	X(prof_depth, UNSIGNED, 128, NONE,                                    \
	  "Deepest backtrace recorded", .min = 1, .max = 128)                \
	X(lg_guard_sample, LONG, -1, NONE,                                    \
	  "Guarded sampling: one allocation per 2^N bytes on a guarded page " \
	  "(-1: off)", .min = -1, .max = 62)                                 \
	X(guard_slots, UNSIGNED, 64, NONE,                                    \
	  "Guarded pages, live blocks and quarantine together", .min = 1,    \
	  .max = 1 << 16)

#define CONF_STRING_BYTES 16
#define CONF_PATH_BYTES 4096 /* PAGES_PMEM_DIR_MAX */
#define CONF_DECAY_MS_MAX (1LL << 40)
#define CONF_BYTES_MAX (1LL << 50)

enum conf_type { CONF_BOOL, CONF_UNSIGNED, CONF_SIZE, CONF_LONG, CONF_MS,
	         CONF_STRING, CONF_ENUM, CONF_PATH };
enum conf_jemalloc { CONF_JEMALLOC_SAME, CONF_JEMALLOC_OTHER,
	             CONF_JEMALLOC_NONE };

/* The C type of each conf type, and the array bound of a string. */
#define CONF_CTYPE_BOOL bool
#define CONF_CTYPE_UNSIGNED unsigned
#define CONF_CTYPE_SIZE size_t
#define CONF_CTYPE_LONG long
#define CONF_CTYPE_MS long
#define CONF_CTYPE_STRING char
#define CONF_CTYPE_ENUM unsigned
#define CONF_CTYPE_PATH char
#define CONF_DIM_STRING [CONF_STRING_BYTES]
#define CONF_DIM_PATH [CONF_PATH_BYTES]
#define CONF_DIM_BOOL
#define CONF_DIM_UNSIGNED
#define CONF_DIM_SIZE
#define CONF_DIM_LONG
#define CONF_DIM_MS
#define CONF_DIM_ENUM
#define CONF_DIM_PATH [CONF_PATH_BYTES]

typedef struct conf {
#define CONF_FIELD(name, type, ...) CONF_CTYPE_##type name CONF_DIM_##type;
	CONF_OPTIONS(CONF_FIELD)
#undef CONF_FIELD
} conf_t;

/* CONF_ID_<name>: an option's row in conf_options[]. */
enum conf_id {
#define CONF_ID(name, ...) CONF_ID_##name,
	CONF_OPTIONS(CONF_ID)
#undef CONF_ID
	CONF_NOPTIONS
};

typedef struct conf_option {
	const char *name;
	enum conf_type type;
	enum conf_jemalloc jemalloc;
	const char *doc;
	size_t offset;              /* of the field in conf_t */
	size_t bytes;               /* sizeof the field */
	long long min, max;         /* numeric types */
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *prom;           /* NULL: the name */
} conf_option_t;

extern HIDDEN conf_t opt;
extern HIDDEN const conf_option_t conf_options[CONF_NOPTIONS];
extern HIDDEN const char *const conf_thp_choices[];
extern HIDDEN const char *const conf_junk_choices[];
extern HIDDEN const char *const conf_percpu_arena_choices[];
extern HIDDEN const char *const conf_metadata_thp_choices[];
extern HIDDEN const char *const conf_dss_choices[];
extern HIDDEN const char *const conf_mte_choices[];

/* One option string and where it came from. */
typedef struct conf_source {
	const char *name;   /* "MALLOC_CONF", ... as messages show it */
	const char *text;   /* NULL: absent */
	bool is_jemalloc;   /* jemalloc's key vocabulary */
} conf_source_t;

/* Reads every source into opt, in jemalloc's order: the build's -Dconf,
 * the /etc/malloc.conf symlink's name, the application's malloc_conf,
 * MALLOC_CONF, then STRATA_CONF. */
HIDDEN void conf_boot(void);
/* Reads sources in order: first every abort_conf and abort pair of all of
 * them, then the rest.  A malformed key or value (an error) in any source
 * aborts the process when abort_conf or abort is true at the end; a key
 * jemalloc has that strata does not honour is reported, never fatal.
 * Returns the number of errors. */
HIDDEN unsigned conf_read(const conf_source_t *sources, size_t n);
/* Parse one source; exposed for tests.  Returns the number of errors;
 * never aborts (conf_read does). */
HIDDEN unsigned conf_parse(const char *text, const char *source,
                           bool is_jemalloc_source);
/* Whether some source set the option (by CONF_ID_). */
HIDDEN bool conf_is_set(enum conf_id id);
/* After the backend is up: the one-line reports of options it cannot
 * honour (thp:always without huge-page advice; mte:sync or async without
 * tagging, which the mte build reports even when mte is not set, as its
 * default asks for tags). */
HIDDEN void conf_check_backend(const char *backend, bool has_hugepage,
                               bool has_tagging);
/* Compile-time default options string (meson -Dconf=). */
HIDDEN const char *conf_compiled_default(void);

/* The value in force of an option, by type: BOOL; UNSIGNED, SIZE, LONG,
 * MS and BOOL as a number; STRING, PATH and ENUM as text (static storage). */
HIDDEN bool conf_option_bool(const conf_option_t *o);
HIDDEN long long conf_option_number(const conf_option_t *o);
HIDDEN const char *conf_option_text(const conf_option_t *o);

#endif
