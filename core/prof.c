/*
 * prof.c — the heap profiler wired to the allocator (prof.h): options in
 * force, the per-thread countdown, the sample and free hooks, the dumps
 * and their file names, the exit-time dump and leak report, fork handlers.
 *
 * Locks: dump_lock serialises dumps (and the sequence numbers); the tables
 * take their own.  No allocator lock is held around any of it: api.c calls
 * the hooks after the block is obtained and before it is released.
 */
#include "prof.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "decay.h"
#include "prim.h"
#include "prof_dump.h"
#include "prof_sample.h"
#include "prof_table.h"
#include "prof_unwind.h"
#include "stats.h"
#include "sync.h"
#include "tsd.h"

/* Frames between prof_backtrace's caller and the entry point: this
 * file's prof_sample_end, api.c's alloc_sampled and alloc_slow. */
#define PROF_SKIP_FRAMES 3

static atomic_bool prof_ready;      /* booted: the tables exist */
static atomic_bool prof_active;     /* prof.active */
static atomic_bool prof_gdump_on;   /* prof.gdump */
static _Atomic unsigned prof_lg_sample;
static _Atomic uint64_t prof_allocated;  /* process-wide, at events */
static _Atomic uint64_t prof_interval_next;
static _Atomic uint64_t prof_gdump_high;
static mutex_t dump_lock = MUTEX_INITIALIZER("prof_dump");
static uint64_t dump_seq, dump_mseq, dump_iseq, dump_useq;
static atomic_bool prof_exited;
atomic_bool prof_event_dumps;

static void event_dumps_update(void) {
	atomic_store_explicit(&prof_event_dumps,
	                      atomic_load(&prof_ready) &&
	                      (opt.lg_prof_interval >= 0 ||
	                       atomic_load(&prof_gdump_on)),
	                      memory_order_relaxed);
}

bool prof_is_on(void) { return atomic_load(&prof_ready); }
bool prof_active_get(void) { return atomic_load(&prof_active); }
void prof_active_set(bool on) { atomic_store(&prof_active, on); }
unsigned prof_lg_sample_get(void) { return atomic_load(&prof_lg_sample); }
bool prof_gdump_get(void) { return atomic_load(&prof_gdump_on); }
void prof_gdump_set(bool on) {
	atomic_store(&prof_gdump_on, on);
	event_dumps_update();
}
uint64_t prof_interval_get(void) {
	return opt.lg_prof_interval < 0 ? 0
	                                : (uint64_t)1 << opt.lg_prof_interval;
}

/* ---- the countdown ---- */

static bool thread_samples(const tsd_t *tsd) {
	return atomic_load_explicit(&prof_ready, memory_order_acquire) &&
	       atomic_load_explicit(&prof_active, memory_order_relaxed) &&
	       tsd->prof_thread_active && tsd->state == TSD_ACTIVE;
}

/* The profiler's own point is own: prof_sample_at is the nearer of it
 * and guarded sampling's; next_event_bytes follows. */
void prof_sample_at_set(tsd_t *tsd, uint64_t own) {
	tsd->prof_own_at = own;
	tsd->prof_sample_at = own < tsd->guard_sample_at ? own
	                                                 : tsd->guard_sample_at;
	if (tsd->prof_sample_at < tsd->next_event_bytes)
		tsd->next_event_bytes = tsd->prof_sample_at;
}

/* The next sample point, for a thread that samples. */
static void draw(tsd_t *tsd) {
	prof_sample_at_set(tsd, tsd->allocated_bytes +
	                        prof_sample_gap_bytes(&tsd->prof_prng,
	                                              prof_lg_sample_get()));
}

/* Redraw: the next sample point, or none. */
static void countdown(tsd_t *tsd) {
	if (!opt.prof || !thread_samples(tsd)) {
		prof_sample_at_set(tsd, UINT64_MAX);
		return;
	}
	draw(tsd);
}

void prof_tsd_init(tsd_t *tsd) {
	tsd->prof_prng = prof_prng_seed(prim_thread_id(), decay_now_ns(),
	                                (uint64_t)(uintptr_t)tsd);
	tsd->prof_thread_active = opt.prof_thread_active_init;
	tsd->prof_event_mark = tsd->allocated_bytes;
	countdown(tsd);
}

bool prof_sample_begin(tsd_t *tsd) {
	if (thread_samples(tsd))
		return true;
	countdown(tsd);
	return false;
}

/* Only the recent ring keeps a sample's thread id and time: with it off
 * (the default) a sample and its free read neither, so make no system
 * call.  The id is the one the thread registry read at the thread's
 * start. */
static uint64_t thread_id_of(const tsd_t *tsd) {
	return tsd->record != NULL ? tsd->record->thread_id : prim_thread_id();
}

/* Called once prof_sample_begin said the thread samples: the draw needs
 * no second look at prof.active. */
void prof_sample_end(tsd_t *tsd, const void *ptr, size_t usize,
                     bool is_marked) {
	/* Allocations made from here on (none today) are not sampled. */
	tsd->prof_sample_at = tsd->prof_own_at = UINT64_MAX;
	if (is_marked) {
		void *frames[PROF_FRAMES_MAX];
		unsigned n = prof_backtrace(frames, opt.prof_depth,
		                            PROF_SKIP_FRAMES);
		prof_stack_t *st = prof_stack_intern(frames, n);
		bool is_recent = prof_recent_is_on();
		if (st != NULL)
			prof_live_insert(ptr, usize, prof_lg_sample_get(), st,
			                 is_recent ? thread_id_of(tsd) : 0,
			                 is_recent ? decay_now_ns() : 0,
			                 tsd->prof_name);
	}
	draw(tsd);
}

void prof_free_sampled(const void *ptr) {
	if (!atomic_load_explicit(&prof_ready, memory_order_acquire))
		return;
	tsd_t *tsd = tsd_get();
	bool is_recent = prof_recent_is_on();
	prof_live_remove(ptr, is_recent ? thread_id_of(tsd) : 0,
	                 is_recent ? decay_now_ns() : 0, tsd->prof_name);
}

/* ---- dumps ---- */

static uint64_t wall_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static prof_dump_opts_t dump_opts(void) {
	return (prof_dump_opts_t){ .lg_sample = prof_lg_sample_get(),
		                   .with_accum = opt.prof_accum,
		                   .now_ns = wall_ns() };
}

/* path.heap in heap_v2 and, beside it, the pprof profile: the name with
 * its ".heap" replaced by ".pb" (or ".pb" appended). dump_lock held. */
static int dump_pair(const char *path) {
	prof_dump_opts_t o = dump_opts();
	int err = prof_dump_file(path, prof_dump_heap_v2, &o);
	char pb[CONF_PATH_BYTES + 64];
	size_t n = strlen(path);
	if (n + 4 > sizeof pb)
		return err != 0 ? err : ENAMETOOLONG;
	memcpy(pb, path, n + 1);
	if (n > 5 && strcmp(pb + n - 5, ".heap") == 0)
		n -= 5;
	memcpy(pb + n, ".pb", 4);
	int err2 = prof_dump_file(pb, prof_dump_pprof, &o);
	return err != 0 ? err : err2;
}

/* "<prefix>.<pid>.<seq>.<kind><vseq>.heap"; vseq NULL: none. */
static int dump_kind(char kind, uint64_t *vseq) {
	if (!atomic_load(&prof_ready))
		return ENOENT;
	char path[CONF_PATH_BYTES + 96];
	mutex_lock(&dump_lock);
	int err = prof_dump_filename(path, sizeof path, opt.prof_prefix,
	                             (uint64_t)getpid(), dump_seq++, kind,
	                             vseq != NULL ? (*vseq)++ : PROF_VSEQ_NONE,
	                             "heap");
	if (err == 0)
		err = dump_pair(path);
	mutex_unlock(&dump_lock);
	return err;
}

int prof_dump_now(const char *path) {
	if (!atomic_load(&prof_ready))
		return ENOENT;
	if (path == NULL)
		return dump_kind('m', &dump_mseq);
	mutex_lock(&dump_lock);
	int err = dump_pair(path);
	mutex_unlock(&dump_lock);
	return err;
}

int prof_reset(const unsigned *lg_sample) {
	if (!atomic_load(&prof_ready))
		return ENOENT;
	if (lg_sample != NULL && *lg_sample > 62)
		return EINVAL;
	prof_table_reset();
	if (lg_sample != NULL)
		atomic_store(&prof_lg_sample, *lg_sample);
	return 0;
}

int prof_recent_dump(const char *path) {
	if (!atomic_load(&prof_ready))
		return ENOENT;
	prof_dump_opts_t o = dump_opts();
	if (path == NULL)
		return prof_dump_recent_json(STDERR_FILENO, &o);
	return prof_dump_file(path, prof_dump_recent_json, &o);
}

void prof_event(tsd_t *tsd) {
	if (!atomic_load_explicit(&prof_ready, memory_order_relaxed))
		return;
	if (tsd->prof_own_at == UINT64_MAX && thread_samples(tsd))
		countdown(tsd);
	if (opt.lg_prof_interval >= 0) {
		/* Counted only when a dump interval is set. */
		uint64_t delta = tsd->allocated_bytes - tsd->prof_event_mark;
		tsd->prof_event_mark = tsd->allocated_bytes;
		uint64_t total = atomic_fetch_add(&prof_allocated, delta) + delta;
		uint64_t next = atomic_load(&prof_interval_next);
		if (total >= next &&
		    atomic_compare_exchange_strong(&prof_interval_next, &next,
		                                   total + prof_interval_get()))
			dump_kind('i', &dump_iseq);
	}
	if (atomic_load_explicit(&prof_gdump_on, memory_order_relaxed)) {
		stats_totals_t t;
		memset(&t, 0, sizeof t);
		stats_totals_read(&t);
		uint64_t high = atomic_load(&prof_gdump_high);
		if (t.mapped_bytes > high &&
		    atomic_compare_exchange_strong(&prof_gdump_high, &high,
		                                   t.mapped_bytes))
			dump_kind('u', &dump_useq);
	}
}

/* ---- exit ---- */

/* atexit runs on the thread that calls exit(), main's return included,
 * and glibc calls exit(0) when the last thread of a process whose main
 * thread called pthread_exit ends: every way out of the process that
 * runs exit handlers comes here once. */
static void prof_at_exit(void) {
	if (atomic_exchange(&prof_exited, true) || !atomic_load(&prof_ready))
		return;
	atomic_store(&prof_active, false);
	if (opt.prof_final)
		dump_kind('f', NULL);
	if (opt.prof_leak) {
		prof_dump_opts_t o = dump_opts();
		prof_dump_leak_report(STDERR_FILENO, &o, 10);
	}
}

int prof_boot(void) {
	if (!opt.prof)
		return 0;
	atomic_store(&prof_lg_sample, opt.lg_prof_sample);
	atomic_store(&prof_active, opt.prof_active);
	atomic_store(&prof_gdump_on, opt.prof_gdump);
	atomic_store(&prof_interval_next, prof_interval_get());
	int err = prof_table_boot(10, 16);
	if (err != 0)
		return err;
	prof_unwind_boot();
	long max = opt.prof_recent_alloc_max;
	prof_recent_set_max(max < 0 ? (size_t)1 << 24 : (size_t)max);
	atexit(prof_at_exit);
	atomic_store_explicit(&prof_ready, true, memory_order_release);
	event_dumps_update();
	return 0;
}

/* ---- fork: the dump lock, then the tables' (before base's) ---- */

void prof_prefork(void) {
	if (!atomic_load(&prof_ready))
		return;
	mutex_prefork(&dump_lock);
	prof_table_prefork();
}

void prof_postfork_parent(void) {
	if (!atomic_load(&prof_ready))
		return;
	prof_table_postfork_parent();
	mutex_postfork_parent(&dump_lock);
}

void prof_postfork_child(void) {
	if (!atomic_load(&prof_ready))
		return;
	prof_table_postfork_child();
	mutex_postfork_child(&dump_lock);
}
