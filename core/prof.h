/*
 * prof.h — the heap profiler wired to the allocator: boot, the per-thread
 * sample countdown kept in the thread state, the hooks api.c calls from
 * its slow paths (a sampled allocation, the free of a sampled block), the
 * dumps (prof.dump, lg_prof_interval, prof_gdump, prof_final), the leak
 * report at exit and the profiler's fork handlers.  Built only with
 * -Dprof=true (STRATA_PROF); the modules below it are prof_unwind.c,
 * prof_sample.c, prof_table.c and prof_dump.c.
 */
#ifndef STRATA_PROF_H
#define STRATA_PROF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#ifndef STRATA_PROF
#define STRATA_PROF 1
#endif

struct tsd;

/* Once options are read, outside every allocator lock; no-op unless
 * opt.prof.  0 or the errno of what failed (profiling stays off). */
HIDDEN int prof_boot(void);
/* A new thread's countdown (tsd_slow_init). */
HIDDEN void prof_tsd_init(struct tsd *tsd);
/* At each thread event: the process-wide interval and high-water dumps,
 * and a countdown restarted after prof.active or thread.prof.active
 * turned sampling back on.  Work only when prof_event_dumps is set or the
 * thread has no sample point (prof_own_at UINT64_MAX): tsd_event tests
 * both first and makes no call otherwise. */
HIDDEN void prof_event(struct tsd *tsd);
/* Booted with lg_prof_interval set or prof.gdump on. */
HIDDEN extern atomic_bool prof_event_dumps;

/* tsd->prof_own_at becomes own, tsd->prof_sample_at the nearer of it and
 * tsd->guard_sample_at; next_event_bytes follows.  guard.c calls it with
 * prof_own_at when it moves its own point. */
HIDDEN void prof_sample_at_set(struct tsd *tsd, uint64_t own);

/* The allocation that crossed tsd->prof_own_at.  begin: true when it
 * is to be sampled now (else the countdown is redrawn or stopped); the
 * caller then marks the block sampled (LIVE_SAMPLED, or PM_SAMPLED) and,
 * only after a true begin, calls end with it (is_marked false: it could
 * not be marked, nothing is recorded), which records its backtrace and
 * draws the next gap.  skip: the allocator's frames between
 * prof_sample_end and the entry point. */
HIDDEN bool prof_sample_begin(struct tsd *tsd);
HIDDEN void prof_sample_end(struct tsd *tsd, const void *ptr, size_t usize,
                            bool is_marked);
/* The block at ptr (untagged), marked sampled, is being freed. */
HIDDEN void prof_free_sampled(const void *ptr);

/* ctl. */
HIDDEN bool prof_is_on(void);
HIDDEN bool prof_active_get(void);
HIDDEN void prof_active_set(bool on);
HIDDEN unsigned prof_lg_sample_get(void);
HIDDEN uint64_t prof_interval_get(void);
HIDDEN bool prof_gdump_get(void);
HIDDEN void prof_gdump_set(bool on);
/* path NULL: "<prefix>.<pid>.<seq>.m<mseq>.heap" (and ".pb" beside). */
HIDDEN int prof_dump_now(const char *path);
/* lg_sample NULL: keep the current one. */
HIDDEN int prof_reset(const unsigned *lg_sample);
HIDDEN int prof_recent_dump(const char *path);

HIDDEN void prof_prefork(void);
HIDDEN void prof_postfork_parent(void);
HIDDEN void prof_postfork_child(void);

#endif /* STRATA_PROF_H */
