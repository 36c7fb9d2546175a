/*
 * stats_print.c — strata_stats_print and the exit-time print.
 *
 * One walk over the statistics (stats_walk) feeds the emitter, which
 * writes text, JSON or Prometheus (see emitter.h).  Printing allocates
 * nothing, so it may run at exit or from a signal-free monitoring thread.
 *
 * Per-thread allocation rates: every live thread has a record in the
 * registry (thread_record_t in tsd.h) holding the counters it last
 * published (at every slow-path call and every 64 KiB it allocates, so at
 * most that much behind; the printing thread's own are exact) and a stats
 * mark written only here, under the registry lock.  A print reports, for
 * each thread, the bytes it allocated per second since the previous print
 * (since the thread started, the first time) and then moves the marks.
 * thread.allocation_rate in ctl has its own mark in the thread's state,
 * so the two readers do not disturb each other.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "decay.h"
#include "emitter.h"
#include "init.h"
#include "pages.h"
#include "perfctr.h"
#include "prim.h"
#include "stats.h"
#include "stats_table.h"
#include "strata.h"
#include "tsd.h"

#define G EMITTER_GAUGE
#define C EMITTER_COUNTER

/* Where the exit-time print goes: stderr, or when the program closed it
 * by then (coreutils do, in an atexit handler that runs before ours) a
 * copy of it taken when stats_print was registered. */
static int exit_fd = STDERR_FILENO;

/* opaque: NULL for stderr, or a pointer to the file descriptor. */
static void write_stderr(void *opaque, const char *text) {
	int fd = opaque != NULL ? *(const int *)opaque : STDERR_FILENO;
	prim_write_fd(fd, text, strlen(text));
}

/* ---- options: one value per row of conf.h's CONF_OPTIONS ---- */

static void walk_opt(emitter_t *em) {
	emitter_obj_begin(em, "opt", "opt");
	for (unsigned i = 0; i < CONF_NOPTIONS; i++) {
		const conf_option_t *o = &conf_options[i];
		emitter_desc_t d = { o->name, o->prom, o->doc, G,
			             o->type == CONF_MS ? 1000 : 0 };
		long long n = conf_option_number(o);
		switch (o->type) {
		case CONF_BOOL: emitter_bool(em, &d, n != 0); break;
		case CONF_UNSIGNED:
		case CONF_SIZE: emitter_u64(em, &d, (uint64_t)n); break;
		case CONF_LONG:
		case CONF_MS: emitter_i64(em, &d, n); break;
		case CONF_STRING:
		case CONF_PATH:
		case CONF_ENUM: emitter_str(em, &d, conf_option_text(o)); break;
		}
	}
	emitter_obj_end(em);
}

static void walk_geometry(emitter_t *em) {
	static const emitter_desc_t
	    d_narenas = { "narenas", "arenas", "Arena slots in use", G, 0 },
	    d_page = { "page", "page_bytes", "Page size", G, 0 },
	    d_nbins = { "nbins", "small_classes", "Small size classes", G, 0 },
	    d_nlext = { "nlextents", "", "", G, 0 };
	emitter_obj_begin(em, "arenas", NULL);
	emitter_u64(em, &d_narenas, atomic_load(&narenas_total));
	emitter_u64(em, &d_page, page_bytes);
	emitter_u64(em, &d_nbins, SC_NSMALL);
	emitter_u64(em, &d_nlext, stats_nlextents());
	emitter_obj_end(em);
}

/* The machine's shape: numbers as gauges, and the backend's name as the
 * label of an info series, strata_system_backend_info{backend="numa"} 1. */
static void walk_system(emitter_t *em) {
	static const emitter_desc_t
	    d_page = { "page", "page_bytes", "OS base page size", G, 0 },
	    d_huge = { "hugepage", "hugepage_bytes",
	               "Huge page size (0: none)", G, 0 },
	    d_line = { "cacheline", "cacheline_bytes", "Cache-line size", G,
	               0 },
	    d_nodes = { "node_count", "nodes", "NUMA nodes found", G, 0 },
	    d_tiers = { "tier_mask", "tier_mask", "Bit 1 << tier per tier on hand",
	                G, 0 },
	    d_caps = { "caps", "caps", "Backend capability bits", G, 0 },
	    d_info = { "info", "info", "The backend in use and the THP mode",
	               G, 0 },
	    d_thp = { "thp", "", "", G, 0 },
	    d_mem = { "has_memory", "has_memory",
	              "The node holds memory", G, 0 },
	    d_tier = { "nodes", "node_mask",
	               "Bit n per node n of the tier", G, 0 };
	stats_system_t s;
	stats_system_read(&s);
	emitter_obj_begin(em, "system", "system");
	emitter_u64(em, &d_page, s.page_bytes);
	emitter_u64(em, &d_huge, s.hugepage_bytes);
	emitter_u64(em, &d_line, s.cacheline_bytes);
	emitter_u64(em, &d_nodes, s.node_count);
	emitter_u64(em, &d_tiers, s.tier_mask);
	emitter_u64(em, &d_caps, s.caps);
	emitter_str(em, &d_thp, s.thp);
	emitter_obj_begin(em, "nodes", "node");
	for (unsigned n = 0; n < s.node_count && n < 64; n++) {
		emitter_obj_begin_index(em, "node", n, 0, true);
		emitter_u64(em, &d_mem, s.memory_node_mask >> n & 1);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
	emitter_obj_begin(em, "tiers", "tier");
	for (unsigned t = 0; t < BACKEND_TIER_COUNT; t++) {
		if ((s.tier_mask >> t & 1) == 0)
			continue;
		emitter_obj_begin_index(em, "tier", t, 0, true);
		emitter_u64(em, &d_tier, s.tier_node_mask[t]);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
	emitter_obj_begin_named(em, "backend", s.backend);
	emitter_obj_begin_named(em, "thp", s.thp);
	emitter_u64(em, &d_info, 1);
	emitter_obj_end(em);
	emitter_obj_end(em);
	emitter_obj_end(em);
}

/* ---- statistics: each group of stats_table.h in one loop ---- */

static void walk_group(emitter_t *em, const stats_group_t *g,
                       const void *record) {
	for (unsigned i = 0; i < g->nfields; i++) {
		const stats_field_t *f = &g->fields[i];
		if (f->out.key == NULL)
			continue;
		uint64_t v = stats_field_value(f, record);
		if (f->type == STATS_BOOL)
			emitter_bool(em, &f->out, v != 0);
		else
			emitter_u64(em, &f->out, v);
	}
}

/* An object holding one group. */
static void walk_group_obj(emitter_t *em, const char *key, const char *prom,
                           const stats_group_t *g, const void *record) {
	emitter_obj_begin(em, key, prom);
	walk_group(em, g, record);
	emitter_obj_end(em);
}

static void walk_totals(emitter_t *em) {
	stats_totals_t t;
	stats_process_t p;
	stats_totals_read(&t);
	stats_process_read(&p);
	walk_group(em, &stats_totals_group, &t);
	walk_group_obj(em, "background_thread", "background_thread",
	               &stats_background_group, &p);
	walk_group_obj(em, "mem_limit", "mem_limit", &stats_mem_limit_group,
	               &p);
}

static void walk_global_mutexes(emitter_t *em) {
	emitter_obj_begin(em, "mutexes", "mutex");
	for (unsigned i = 0; i < mutex_global_count(); i++) {
		mutex_t *m = mutex_global(i);
		mutex_stats_t s;
		mutex_stats_read(m, &s);
		emitter_obj_begin_named(em, "mutex", m->name);
		walk_group(em, &stats_mutex_group, &s);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

static void walk_bins(emitter_t *em, const stats_arena_t *sa) {
	emitter_obj_begin(em, "bins", "bin");
	for (unsigned j = 0; j < SC_NSMALL; j++) {
		const bin_stats_t *b = &sa->bins[j];
		if (b->nmalloc == 0 && b->curregs == 0)
			continue;
		emitter_obj_begin_index(em, "bin", j, sc_small_size[j], true);
		walk_group(em, &stats_bin_group, b);
		walk_group_obj(em, "mutex", "mutex", &stats_mutex_group,
		               &sa->bins_mutex[j]);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

static void walk_lextents(emitter_t *em, const stats_arena_t *sa) {
	emitter_obj_begin(em, "lextents", "lextent");
	for (unsigned j = 0; j < ARENA_NLEXTENTS; j++) {
		const lextent_stats_t *l = &sa->lextents[j];
		if (l->nmalloc == 0)
			continue;
		emitter_obj_begin_index(em, "lextent", j,
		                        sc_usable_size(SC_NSMALL + j), true);
		walk_group(em, &stats_lextent_group, l);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

/* The node of an arena's placement as a Prometheus label (the live
 * export's): a number, "any" for none. */
static void arena_node_label(emitter_t *em, const stats_arena_settings_t *st) {
	char node[24];
	if (st->node < 0)
		snprintf(node, sizeof(node), "any");
	else
		snprintf(node, sizeof(node), "%d", st->node);
	emitter_label(em, "node", node);
}

static void walk_arena(emitter_t *em, arena_t *a, bool has_placement) {
	static const emitter_desc_t
	    d_dirty = { "dirty_decay_ms", "dirty_decay_seconds",
		        "Dirty decay time (-1: never)", G, 1000 },
	    d_muzzy = { "muzzy_decay_ms", "muzzy_decay_seconds",
		        "Muzzy decay time (-1: never)", G, 1000 },
	    d_tier = { "tier", NULL, "Memory tier of the arena's placement", G,
		       0 },
	    d_provider = { "provider", NULL,
		           "What serves the arena (a memkind kind, ...)", G,
		           0 };
	stats_arena_t sa;
	stats_arena_settings_t st;
	memset(&sa, 0, sizeof(sa));
	stats_arena_read(a, &sa);
	stats_arena_settings_read(a, &st);
	emitter_obj_begin_index(em, "arena", st.index, 0, false);
	/* JSON and text as a member, Prometheus as a label of every metric:
	 * sum by (tier) gives mapped and active bytes per tier. */
	emitter_str(em, &d_tier, pages_tier_name(st.tier));
	emitter_label(em, "tier", pages_tier_name(st.tier));
	emitter_str(em, &d_provider, st.provider);
	if (has_placement)
		arena_node_label(em, &st);
	walk_group(em, &stats_arena_group, &sa);
	walk_group(em, &stats_small_group, &sa);
	walk_group(em, &stats_large_group, &sa);
	emitter_i64(em, &d_dirty, st.dirty_decay_ms);
	emitter_i64(em, &d_muzzy, st.muzzy_decay_ms);
	walk_group_obj(em, "purge", "purge", &stats_purge_group, &sa);
	emitter_obj_begin(em, "mutexes", "mutex");
	emitter_obj_begin_named(em, "mutex", "extents");
	walk_group(em, &stats_mutex_group, &sa.extents_mutex);
	emitter_obj_end(em);
	emitter_obj_end(em);
	walk_bins(em, &sa);
	walk_lextents(em, &sa);
	emitter_obj_end(em);
}

static void walk_arenas(emitter_t *em, bool has_placement) {
	emitter_obj_begin(em, "arenas", "arena");
	arenas_for_each(a)
		walk_arena(em, a, has_placement);
	emitter_obj_end(em);
}

/* ---- threads ---- */

/* One thread's figures; the "other" series sums those past the top N. */
typedef struct thread_figures {
	uint64_t id, allocated, deallocated, rate;
	bool has_perf;                      /* its counters are open */
	uint64_t perf_bytes;                /* allocated since they opened */
	int perf_err[PERFCTR_NEVENTS];      /* 0, or why the event is not */
	uint64_t perf_count[PERFCTR_NEVENTS];
} thread_figures_t;

#define TOP_THREADS_MAX 64u

typedef struct thread_walk {
	emitter_t *em;
	uint64_t now_ns;
	unsigned top;     /* UINT_MAX: every thread, in registry order */
	unsigned nbest;
	bool has_other;
	thread_figures_t best[TOP_THREADS_MAX]; /* by rate, highest first */
	thread_figures_t other;
} thread_walk_t;

static uint64_t rate_per_second(uint64_t bytes, uint64_t ns) {
	if (ns == 0)
		return 0;
	return (uint64_t)((long double)bytes * 1e9L / (long double)ns);
}

/* Each event's count and count per MiB allocated, or "unavailable" with
 * the errno value that kept it from opening (in Prometheus, an info
 * series with the errno name as its reason label). */
static void emit_thread_perf(emitter_t *em, const thread_figures_t *f) {
	for (unsigned i = 0; i < PERFCTR_NEVENTS; i++) {
		int err = f->perf_err[i];
		if (err != 0) {
			char why[96];
			snprintf(why, sizeof(why), "unavailable: %s (%s)",
			         prim_errno_name(err), prim_errno_text(err));
			emitter_str_info(em, &stats_perf_unavailable[i], why,
			                 "reason", prim_errno_name(err));
			continue;
		}
		uint64_t per_mib =
		    f->perf_bytes == 0
		        ? 0
		        : (uint64_t)((long double)f->perf_count[i] * 1048576.0L /
		                     (long double)f->perf_bytes);
		emitter_u64(em, &stats_perf_count[i], f->perf_count[i]);
		emitter_u64(em, &stats_perf_per_mib[i], per_mib);
	}
}

static void emit_thread(emitter_t *em, const thread_figures_t *f,
                        bool is_other) {
	static const emitter_desc_t
	    d_alloc = { "allocated", "allocated_bytes",
		        "Bytes allocated by the thread", C, 0 },
	    d_dealloc = { "deallocated", "deallocated_bytes",
		          "Bytes freed by the thread", C, 0 },
	    d_rate = { "allocation_rate", "allocation_rate_bytes_per_second",
		       "Bytes allocated per second since the previous print",
		       G, 0 };
	if (is_other)
		emitter_obj_begin_named(em, "thread", "other");
	else
		emitter_obj_begin_index(em, "thread", f->id, 0, true);
	emitter_u64(em, &d_alloc, f->allocated);
	emitter_u64(em, &d_dealloc, f->deallocated);
	emitter_u64(em, &d_rate, f->rate);
	if (f->has_perf)
		emit_thread_perf(em, f);
	emitter_obj_end(em);
}

/* Registry lock held: the counters stay open while they are read.  The
 * Prometheus form walks once per family, so the first walk of a print
 * reads them (one read(2) per event opened) and the others reuse what it
 * kept in the record, marked with the print's start time. */
static void thread_perf_read(thread_record_t *rec, uint64_t now) {
	if (rec->perf_read_ns == now)
		return;
	rec->perf_read_ns = now;
	for (unsigned i = 0; i < PERFCTR_NEVENTS; i++) {
		rec->perf_count[i] = 0;
		rec->perf_err[i] = perfctr_read(&rec->perf, i,
		                                &rec->perf_count[i]);
	}
}


static thread_figures_t thread_figures(thread_record_t *rec, uint64_t now) {
	thread_figures_t f;
	f.id = rec->thread_id;
	f.allocated = atomic_load_explicit(&rec->allocated_bytes,
	                                   memory_order_relaxed);
	f.deallocated = atomic_load_explicit(&rec->deallocated_bytes,
	                                     memory_order_relaxed);
	uint64_t since = now > rec->stats_mark_ns ? now - rec->stats_mark_ns
	                                          : 0;
	f.rate = rate_per_second(f.allocated - rec->stats_mark_bytes, since);
	f.has_perf = rec->perf.is_open;
	f.perf_bytes = f.allocated - rec->perf.base_bytes;
	if (f.has_perf)
		thread_perf_read(rec, now);
	memcpy(f.perf_count, rec->perf_count, sizeof(f.perf_count));
	memcpy(f.perf_err, rec->perf_err, sizeof(f.perf_err));
	return f;
}

static void add_other(thread_walk_t *w, const thread_figures_t *f) {
	w->has_other = true;
	w->other.allocated += f->allocated;
	w->other.deallocated += f->deallocated;
	w->other.rate += f->rate;
}

/* Rate first, then bytes allocated (an idle thread that allocated much
 * ranks above one that allocated little). */
static bool ranks_above(const thread_figures_t *a, const thread_figures_t *b) {
	return a->rate != b->rate ? a->rate > b->rate
	                          : a->allocated > b->allocated;
}

/* Keeps the top N by rate in w->best (insertion: N is small); a thread
 * pushed out joins "other". */
static void rank_thread(thread_walk_t *w, thread_figures_t f) {
	unsigned i = w->nbest;
	if (i == w->top) {
		if (w->top == 0 || !ranks_above(&f, &w->best[i - 1])) {
			add_other(w, &f);
			return;
		}
		add_other(w, &w->best[--i]);
	} else {
		w->nbest++;
	}
	for (; i > 0 && ranks_above(&f, &w->best[i - 1]); i--)
		w->best[i] = w->best[i - 1];
	w->best[i] = f;
}

static void walk_one_thread(thread_record_t *rec, void *arg) {
	thread_walk_t *w = arg;
	thread_figures_t f = thread_figures(rec, w->now_ns);
	if (w->top == UINT_MAX)
		emit_thread(w->em, &f, false);
	else
		rank_thread(w, f);
}

static void mark_one_thread(thread_record_t *rec, void *arg) {
	rec->stats_mark_bytes = atomic_load_explicit(&rec->allocated_bytes,
	                                             memory_order_relaxed);
	rec->stats_mark_ns = *(const uint64_t *)arg;
}

static void walk_threads(emitter_t *em, uint64_t now_ns, unsigned top) {
	thread_walk_t w = { .em = em, .now_ns = now_ns };
	w.top = top < TOP_THREADS_MAX || top == UINT_MAX ? top
	                                                 : TOP_THREADS_MAX;
	emitter_obj_begin(em, "threads", "thread");
	tsd_for_each(walk_one_thread, &w);
	for (unsigned i = 0; i < w.nbest; i++)
		emit_thread(em, &w.best[i], false);
	if (w.has_other)
		emit_thread(em, &w.other, true);
	emitter_obj_end(em);
}

/* ---- the walk ---- */

/* Sections opts may leave out, with jemalloc's letters where it has
 * one: g general (options, geometry), a per arena, x mutexes, and t the
 * thread list. */
typedef struct sections {
	bool general, arenas, mutexes, threads;
	unsigned top_threads; /* UINT_MAX: all of them */
	bool has_placement;   /* arenas carry tier and node labels */
} sections_t;

static void stats_walk(emitter_t *em, const sections_t *want,
                       uint64_t now_ns) {
	static const emitter_desc_t
	    d_version = { "version", "", "", G, 0 },
	    d_backend = { "backend", "", "", G, 0 };
	emitter_begin(em);
	emitter_str(em, &d_version, STRATA_VERSION);
	emitter_str(em, &d_backend, pages_backend_name());
	if (want->general) {
		walk_opt(em);
		walk_geometry(em);
		walk_system(em);
	}
	emitter_obj_begin(em, "stats", NULL);
	walk_totals(em);
	if (want->mutexes)
		walk_global_mutexes(em);
	if (want->arenas)
		walk_arenas(em, want->has_placement);
	if (want->threads)
		walk_threads(em, now_ns, want->top_threads);
	emitter_obj_end(em);
	emitter_end(em);
}

static enum emitter_format format_of(const char *opts, sections_t *want) {
	enum emitter_format f = EMITTER_TEXT;
	*want = (sections_t){ true, true, true, true, UINT_MAX, false };
	for (; opts != NULL && *opts != '\0'; opts++) {
		switch (*opts) {
		case 'J': f = EMITTER_JSON; break;
		case 'P': f = EMITTER_PROMETHEUS; break;
		case 'g': want->general = false; break;
		case 'a': want->arenas = false; break;
		case 'x': want->mutexes = false; break;
		case 't': want->threads = false; break;
		default: break;
		}
	}
	return f;
}

/* A callback that allocates must not register this thread while the
 * thread walk holds the registry lock: register it now. */
static void register_caller(void) {
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT)
		tsd_slow_init(tsd);
	tsd_publish(tsd); /* the caller's own figures are exact */
}

static void print_walk(strata_write_cb *write_cb, void *opaque,
                       enum emitter_format format, const sections_t *want) {
	emitter_t em;
	emitter_init(&em, format, write_cb != NULL ? write_cb : write_stderr,
	             opaque);
	uint64_t now_ns = decay_now_ns();
	do
		stats_walk(&em, want, now_ns);
	while (emitter_next_pass(&em));
	uint64_t end_ns = decay_now_ns();
	tsd_for_each(mark_one_thread, &end_ns);
}

void strata_stats_print(strata_write_cb *write_cb, void *opaque,
                        const char *opts) {
	if (malloc_init() != 0)
		return;
	sections_t want;
	enum emitter_format format = format_of(opts, &want);
	register_caller();
	print_walk(write_cb, opaque, format, &want);
}

void stats_print_prometheus(strata_write_cb *write_cb, void *opaque,
                            unsigned top_threads) {
	sections_t want = { true, true, true, true, top_threads, true };
	print_walk(write_cb, opaque, EMITTER_PROMETHEUS, &want);
}

static void stats_print_at_exit(void) {
	int fd = fcntl(STDERR_FILENO, F_GETFD) != -1 ? STDERR_FILENO : exit_fd;
	strata_stats_print(write_stderr, &fd, opt.stats_print_opts);
}

void stats_print_register_at_exit(void) {
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		exit_fd = fd;
	atexit(stats_print_at_exit);
}
