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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "decay.h"
#include "emitter.h"
#include "init.h"
#include "memlimit.h"
#include "background.h"
#include "pages.h"
#include "stats.h"
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
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* ---- options ---- */

static void walk_opt(emitter_t *em) {
	static const emitter_desc_t
	    d_abort = { "abort_conf", NULL, "abort_conf option", G, 0 },
	    d_confirm = { "confirm_conf", NULL, "confirm_conf option", G, 0 },
	    d_narenas = { "narenas", NULL, "Automatic arenas", G, 0 },
	    d_tcache = { "tcache", NULL, "Thread caches enabled", G, 0 },
	    d_tcache_max = { "tcache_max", "tcache_max_bytes",
		             "Largest size cached per thread", G, 0 },
	    d_dirty = { "dirty_decay_ms", "dirty_decay_seconds",
		        "Default dirty decay time (-1: never)", G, 1000 },
	    d_muzzy = { "muzzy_decay_ms", "muzzy_decay_seconds",
		        "Default muzzy decay time (-1: never)", G, 1000 },
	    d_bg = { "background_thread", NULL, "Background purger enabled",
		     G, 0 },
	    d_maxbg = { "max_background_threads", NULL,
		        "Background purger threads at most", G, 0 },
	    d_retain = { "retain", NULL, "Keep purged address space", G, 0 },
	    d_thp = { "thp", NULL, "", G, 0 },
	    d_mthp = { "metadata_thp", NULL, "Metadata on huge pages", G, 0 },
	    d_soft = { "mem_limit_soft", "mem_limit_soft_bytes",
		       "Soft memory limit (0: none)", G, 0 },
	    d_hard = { "mem_limit_hard", "mem_limit_hard_bytes",
		       "Hard memory limit (0: none)", G, 0 },
	    d_sp = { "stats_print", NULL, "Statistics printed at exit", G, 0 },
	    d_spo = { "stats_print_opts", NULL, "", G, 0 },
	    d_percpu = { "percpu_arena", NULL, "", G, 0 };
	static const char *const thp_names[] = { "default", "always", "never" };
	emitter_obj_begin(em, "opt", "opt");
	emitter_bool(em, &d_abort, opt.abort_conf);
	emitter_bool(em, &d_confirm, opt.confirm_conf);
	emitter_u64(em, &d_narenas, narenas_auto);
	emitter_bool(em, &d_tcache, opt.tcache);
	emitter_u64(em, &d_tcache_max, opt.tcache_max);
	emitter_i64(em, &d_dirty, opt.dirty_decay_ms);
	emitter_i64(em, &d_muzzy, opt.muzzy_decay_ms);
	emitter_bool(em, &d_bg, opt.background_thread);
	emitter_u64(em, &d_maxbg, opt.max_background_threads);
	emitter_bool(em, &d_retain, opt.retain);
	emitter_str(em, &d_thp, thp_names[opt.thp < 3 ? opt.thp : 0]);
	emitter_bool(em, &d_mthp, opt.metadata_thp);
	emitter_u64(em, &d_soft, opt.mem_limit_soft);
	emitter_u64(em, &d_hard, opt.mem_limit_hard);
	emitter_bool(em, &d_sp, opt.stats_print);
	emitter_str(em, &d_spo, opt.stats_print_opts);
	emitter_str(em, &d_percpu, "disabled");
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

/* ---- totals ---- */

static void walk_totals(emitter_t *em) {
	static const emitter_desc_t
	    d_alloc = { "allocated", "allocated_bytes",
		        "Bytes in live allocations (usable size)", G, 0 },
	    d_active = { "active", "active_bytes",
		         "Bytes of pages backing live runs", G, 0 },
	    d_meta = { "metadata", "metadata_bytes",
		       "Bytes reserved for metadata", G, 0 },
	    d_res = { "resident", "resident_bytes",
		      "Upper bound of resident bytes", G, 0 },
	    d_mapped = { "mapped", "mapped_bytes",
		         "Bytes reserved from the backend", G, 0 },
	    d_ret = { "retained", "retained_bytes",
		      "Purged address space kept for reuse", G, 0 },
	    d_dirty = { "dirty", "dirty_bytes", "Free dirty bytes", G, 0 },
	    d_muzzy = { "muzzy", "muzzy_bytes", "Free lazily purged bytes",
		        G, 0 },
	    d_running = { "running", NULL, "Background purger running", G, 0 },
	    d_soft = { "soft_hits", NULL, "Purges forced by mem_limit_soft",
		       C, 0 },
	    d_hard = { "hard_hits", NULL, "Requests refused by mem_limit_hard",
		       C, 0 };
	stats_totals_t t;
	stats_totals_read(&t);
	emitter_u64(em, &d_alloc, t.allocated_bytes);
	emitter_u64(em, &d_active, t.active_bytes);
	emitter_u64(em, &d_meta, t.metadata_bytes);
	emitter_u64(em, &d_res, t.resident_bytes);
	emitter_u64(em, &d_mapped, t.mapped_bytes);
	emitter_u64(em, &d_ret, t.retained_bytes);
	emitter_u64(em, &d_dirty, t.dirty_bytes);
	emitter_u64(em, &d_muzzy, t.muzzy_bytes);
	emitter_obj_begin(em, "background_thread", "background_thread");
	emitter_bool(em, &d_running, background_is_running());
	emitter_obj_end(em);
	emitter_obj_begin(em, "mem_limit", "mem_limit");
	emitter_u64(em, &d_soft, atomic_load(&memlimit_soft_hits));
	emitter_u64(em, &d_hard, atomic_load(&memlimit_hard_hits));
	emitter_obj_end(em);
}

/* ---- mutexes ---- */

static void walk_mutex_fields(emitter_t *em, const mutex_stats_t *m) {
	static const emitter_desc_t
	    d_ops = { "num_ops", NULL, "Lock acquisitions", C, 0 },
	    d_wait = { "num_wait", NULL, "Acquisitions that found it held",
		       C, 0 },
	    d_total = { "total_wait_time", "wait_seconds",
		        "Time spent waiting after spinning", C, 1000000000 },
	    d_max = { "max_wait_time", "max_wait_seconds",
		      "Longest single wait", G, 1000000000 },
	    d_switch = { "num_owner_switch", NULL,
		         "Acquisitions by another thread than the last", C, 0 };
	emitter_u64(em, &d_ops, m->ops);
	emitter_u64(em, &d_wait, m->contended_ops);
	emitter_u64(em, &d_total, m->wait_ns);
	emitter_u64(em, &d_max, m->max_wait_ns);
	emitter_u64(em, &d_switch, m->owner_switches);
}

static void walk_global_mutexes(emitter_t *em) {
	emitter_obj_begin(em, "mutexes", "mutex");
	for (unsigned i = 0; i < mutex_global_count(); i++) {
		mutex_t *m = mutex_global(i);
		mutex_stats_t s;
		mutex_stats_read(m, &s);
		emitter_obj_begin_named(em, "mutex", m->name);
		walk_mutex_fields(em, &s);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

/* ---- arenas ---- */

static void walk_bins(emitter_t *em, const stats_arena_t *sa) {
	static const emitter_desc_t
	    d_regs = { "curregs", NULL, "Live regions", G, 0 },
	    d_slabs = { "curslabs", NULL, "Slabs", G, 0 },
	    d_nmalloc = { "nmalloc", NULL, "Regions handed out", C, 0 },
	    d_ndalloc = { "ndalloc", NULL, "Regions taken back", C, 0 },
	    d_fills = { "nfills", NULL, "Thread cache fills", C, 0 },
	    d_flushes = { "nflushes", NULL, "Thread cache flushes", C, 0 };
	emitter_obj_begin(em, "bins", "bin");
	for (unsigned j = 0; j < SC_NSMALL; j++) {
		const bin_stats_t *b = &sa->bins[j];
		if (b->nmalloc == 0 && b->curregs == 0)
			continue;
		emitter_obj_begin_index(em, "bin", j, sc_small_size[j], true);
		emitter_u64(em, &d_regs, b->curregs);
		emitter_u64(em, &d_slabs, b->curslabs);
		emitter_u64(em, &d_nmalloc, b->nmalloc);
		emitter_u64(em, &d_ndalloc, b->ndalloc);
		emitter_u64(em, &d_fills, b->nfills);
		emitter_u64(em, &d_flushes, b->nflushes);
		emitter_obj_begin(em, "mutex", "mutex");
		walk_mutex_fields(em, &sa->bins_mutex[j]);
		emitter_obj_end(em);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

static void walk_lextents(emitter_t *em, const stats_arena_t *sa) {
	static const emitter_desc_t
	    d_cur = { "curlextents", NULL, "Live runs of the class", G, 0 },
	    d_nmalloc = { "nmalloc", NULL, "Runs handed out", C, 0 },
	    d_ndalloc = { "ndalloc", NULL, "Runs taken back", C, 0 };
	emitter_obj_begin(em, "lextents", "lextent");
	for (unsigned j = 0; j < ARENA_NLEXTENTS; j++) {
		const lextent_stats_t *l = &sa->lextents[j];
		if (l->nmalloc == 0)
			continue;
		emitter_obj_begin_index(em, "lextent", j,
		                        sc_usable_size(SC_NSMALL + j), true);
		emitter_u64(em, &d_cur, l->curlextents);
		emitter_u64(em, &d_nmalloc, l->nmalloc);
		emitter_u64(em, &d_ndalloc, l->ndalloc);
		emitter_obj_end(em);
	}
	emitter_obj_end(em);
}

static void walk_purge(emitter_t *em, const purge_stats_t *p) {
	static const emitter_desc_t
	    d_lc = { "lazy_calls", NULL, "Lazy purge operations", C, 0 },
	    d_ec = { "eager_calls", NULL, "Eager purge operations", C, 0 },
	    d_lp = { "lazy_pages", NULL, "Pages purged lazily", C, 0 },
	    d_ep = { "eager_pages", NULL, "Pages purged eagerly", C, 0 },
	    d_cu = { "chunks_unmapped", NULL, "Chunks returned whole", C, 0 },
	    d_hs = { "hugepages_split", NULL, "Partial purges of a hugepage",
		     C, 0 };
	emitter_obj_begin(em, "purge", "purge");
	emitter_u64(em, &d_lc, p->lazy_calls);
	emitter_u64(em, &d_ec, p->eager_calls);
	emitter_u64(em, &d_lp, p->lazy_pages);
	emitter_u64(em, &d_ep, p->eager_pages);
	emitter_u64(em, &d_cu, p->chunks_unmapped);
	emitter_u64(em, &d_hs, p->hugepages_split);
	emitter_obj_end(em);
}

static void walk_arena_sizes(emitter_t *em, const stats_arena_t *sa) {
	static const emitter_desc_t
	    d_threads = { "nthreads", NULL, "Threads bound to the arena", G, 0 },
	    d_alloc = { "allocated", "allocated_bytes", "Live bytes", G, 0 },
	    d_active = { "active", "active_bytes", "Pages of live runs", G, 0 },
	    d_dirty = { "dirty", "dirty_bytes", "Free dirty bytes", G, 0 },
	    d_muzzy = { "muzzy", "muzzy_bytes", "Free lazily purged bytes",
		        G, 0 },
	    d_mapped = { "mapped", "mapped_bytes", "Bytes mapped", G, 0 },
	    d_ret = { "retained", "retained_bytes", "Purged, kept for reuse",
		      G, 0 },
	    d_salloc = { "small_allocated", "small_allocated_bytes",
		         "Live bytes in small classes", G, 0 },
	    d_snm = { "small_nmalloc", NULL, "Small allocations", C, 0 },
	    d_snd = { "small_ndalloc", NULL, "Small deallocations", C, 0 },
	    d_lalloc = { "large_allocated", "large_allocated_bytes",
		         "Live bytes in large and huge classes", G, 0 },
	    d_lnm = { "large_nmalloc", NULL, "Large allocations", C, 0 },
	    d_lnd = { "large_ndalloc", NULL, "Large deallocations", C, 0 };
	emitter_u64(em, &d_threads, sa->nthreads);
	emitter_u64(em, &d_alloc,
	            sa->small_allocated_bytes + sa->large_allocated_bytes);
	emitter_u64(em, &d_active, sa->active_bytes);
	emitter_u64(em, &d_dirty, sa->dirty_bytes);
	emitter_u64(em, &d_muzzy, sa->muzzy_bytes);
	emitter_u64(em, &d_mapped, sa->mapped_bytes);
	emitter_u64(em, &d_ret, sa->retained_bytes);
	emitter_u64(em, &d_salloc, sa->small_allocated_bytes);
	emitter_u64(em, &d_snm, sa->small_nmalloc);
	emitter_u64(em, &d_snd, sa->small_ndalloc);
	emitter_u64(em, &d_lalloc, sa->large_allocated_bytes);
	emitter_u64(em, &d_lnm, sa->large_nmalloc);
	emitter_u64(em, &d_lnd, sa->large_ndalloc);
}

static void walk_arena(emitter_t *em, arena_t *a) {
	static const emitter_desc_t
	    d_dirty = { "dirty_decay_ms", "dirty_decay_seconds",
		        "Dirty decay time (-1: never)", G, 1000 },
	    d_muzzy = { "muzzy_decay_ms", "muzzy_decay_seconds",
		        "Muzzy decay time (-1: never)", G, 1000 };
	stats_arena_t sa;
	memset(&sa, 0, sizeof(sa));
	stats_arena_read(a, &sa);
	emitter_obj_begin_index(em, "arena", a->index, 0, false);
	walk_arena_sizes(em, &sa);
	emitter_i64(em, &d_dirty, arena_decay_ms(a, false));
	emitter_i64(em, &d_muzzy, arena_decay_ms(a, true));
	walk_purge(em, &sa.purge);
	emitter_obj_begin(em, "mutexes", "mutex");
	emitter_obj_begin_named(em, "mutex", "extents");
	walk_mutex_fields(em, &sa.extents_mutex);
	emitter_obj_end(em);
	emitter_obj_end(em);
	walk_bins(em, &sa);
	walk_lextents(em, &sa);
	emitter_obj_end(em);
}

static void walk_arenas(emitter_t *em) {
	emitter_obj_begin(em, "arenas", "arena");
	arenas_for_each(a)
		walk_arena(em, a);
	emitter_obj_end(em);
}

/* ---- threads ---- */

typedef struct thread_walk {
	emitter_t *em;
	uint64_t now_ns;
} thread_walk_t;

static uint64_t rate_per_second(uint64_t bytes, uint64_t ns) {
	if (ns == 0)
		return 0;
	return (uint64_t)((long double)bytes * 1e9L / (long double)ns);
}

static void walk_one_thread(thread_record_t *rec, void *arg) {
	static const emitter_desc_t
	    d_alloc = { "allocated", "allocated_bytes",
		        "Bytes allocated by the thread", C, 0 },
	    d_dealloc = { "deallocated", "deallocated_bytes",
		          "Bytes freed by the thread", C, 0 },
	    d_rate = { "allocation_rate", "allocation_rate_bytes_per_second",
		       "Bytes allocated per second since the previous print",
		       G, 0 };
	thread_walk_t *w = arg;
	uint64_t allocated = atomic_load_explicit(&rec->allocated_bytes,
	                                          memory_order_relaxed);
	uint64_t deallocated = atomic_load_explicit(&rec->deallocated_bytes,
	                                            memory_order_relaxed);
	uint64_t since = w->now_ns > rec->stats_mark_ns
	                     ? w->now_ns - rec->stats_mark_ns : 0;
	emitter_obj_begin_index(w->em, "thread", rec->thread_id, 0, true);
	emitter_u64(w->em, &d_alloc, allocated);
	emitter_u64(w->em, &d_dealloc, deallocated);
	emitter_u64(w->em, &d_rate,
	            rate_per_second(allocated - rec->stats_mark_bytes, since));
	emitter_obj_end(w->em);
}

static void mark_one_thread(thread_record_t *rec, void *arg) {
	rec->stats_mark_bytes = atomic_load_explicit(&rec->allocated_bytes,
	                                             memory_order_relaxed);
	rec->stats_mark_ns = *(const uint64_t *)arg;
}

static void walk_threads(emitter_t *em, uint64_t now_ns) {
	thread_walk_t w = { em, now_ns };
	emitter_obj_begin(em, "threads", "thread");
	tsd_for_each(walk_one_thread, &w);
	emitter_obj_end(em);
}

/* ---- the walk ---- */

/* Sections opts may leave out, with jemalloc's letters where it has
 * one: g general (options, geometry), a per arena, x mutexes, and t the
 * thread list. */
typedef struct sections {
	bool general, arenas, mutexes, threads;
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
	}
	emitter_obj_begin(em, "stats", NULL);
	walk_totals(em);
	if (want->mutexes)
		walk_global_mutexes(em);
	if (want->arenas)
		walk_arenas(em);
	if (want->threads)
		walk_threads(em, now_ns);
	emitter_obj_end(em);
	emitter_end(em);
}

static enum emitter_format format_of(const char *opts, sections_t *want) {
	enum emitter_format f = EMITTER_TEXT;
	*want = (sections_t){ true, true, true, true };
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

void strata_stats_print(strata_write_cb *write_cb, void *opaque,
                        const char *opts) {
	if (malloc_init() != 0)
		return;
	/* A callback that allocates must not register this thread while the
	 * thread walk holds the registry lock: register it now. */
	tsd_t *tsd = tsd_get();
	if (tsd->state == TSD_UNINIT)
		tsd_slow_init(tsd);
	tsd_publish(tsd); /* the caller's own figures are exact */
	emitter_t em;
	sections_t want;
	emitter_init(&em, format_of(opts, &want),
	             write_cb != NULL ? write_cb : write_stderr, opaque);
	uint64_t now_ns = decay_now_ns();
	do
		stats_walk(&em, &want, now_ns);
	while (emitter_next_pass(&em));
	uint64_t end_ns = decay_now_ns();
	tsd_for_each(mark_one_thread, &end_ns);
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
