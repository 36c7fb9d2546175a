/*
 * init.c — boot sequence and fork handlers.
 *
 * Boot runs under init_lock on the first call of any entry point: options,
 * backend probe, size classes, arena 0.  fork() takes every lock in the
 * order the allocator nests them (thread registry, arenas' bins then
 * extents, caches, pagemap, base, purger thread, purge wake-up), so a thread holding some of
 * them cannot deadlock the fork.  Registration with libc that may
 * itself call malloc (pthread_atfork, atexit) happens after the allocator
 * is marked ready, so such a nested call is served normally.
 *
 * fork's prepare step first takes the C library's stream-list lock
 * (prim_stdio_lock), then strata's: glibc's fork() takes that lock after
 * the atfork handlers and its malloc locks after it, so a thread in
 * fflush(NULL) (list lock held, waiting for a stream whose owner is in
 * malloc) would otherwise wait for a strata lock the forking thread holds
 * while the forking thread waits for the list lock.  Taken first, the
 * forking thread waits for the list lock holding nothing of strata's.
 * Prepare never blocks on itself: a prepare nested in a prepare (a signal
 * handler that forks while this thread is in fork) does nothing, and a
 * lock this thread already holds (the handler interrupted malloc) is left
 * held (mutex_prefork).
 */
#include "init.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "arena.h"
#include "background.h"
#include "base.h"
#include "decay.h"
#include "conf.h"
#include "memlimit.h"
#include "guard.h"
#include "pages.h"
#include "pagemap.h"
#include "perfctr.h"
#include "prim.h"
#include "purge.h"
#include "report.h"
#include "sizeclass.h"
#include "stats.h"
#include "prof.h"
#include "tag.h"
#include "tcache.h"
#include "tsd.h"

atomic_bool malloc_is_booted;
#if STRATA_MTE && defined(__aarch64__)
size_t tag_max_bytes;
#endif
unsigned malloc_fill;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool is_booting;

static unsigned default_narenas(void) {
	long ncpus = (long)prim_cpu_count();
	return ncpus > 0 ? 4u * (unsigned)ncpus : 4u;
}

static int boot(void) {
	conf_boot();
	perfctr_boot();
	memlimit_boot();
	int err = pages_boot(opt.mte);
	if (err != 0) {
		report_line("backend '", pages_backend_name(),
		            "' failed to initialise", (char *)NULL);
		return err;
	}
	conf_check_backend(pages_backend_name(),
	                   pages_has_cap(BACKEND_CAP_HUGEPAGE),
	                   pages_has_cap(BACKEND_CAP_TAGGING));
	tag_boot(pages_has_cap(BACKEND_CAP_TAGGING), opt.mte_max_tagged);
	sizeclass_boot();
	decay_boot();
	malloc_fill = (opt.junk == JUNK_TRUE || opt.junk == JUNK_ALLOC
	                   ? FILL_JUNK_ALLOC : 0) |
	              (opt.junk == JUNK_TRUE || opt.junk == JUNK_FREE
	                   ? FILL_JUNK_FREE : 0) |
	              (opt.zero ? FILL_ZERO : 0);
	tcache_boot(opt.tcache && malloc_fill == 0 ? opt.tcache_max : 0);
	if ((err = tsd_boot()) != 0)
		return err;
	if ((err = arenas_boot(opt.narenas != 0 ? opt.narenas
	                                        : default_narenas())) != 0)
		return err;
	opt.narenas = narenas_auto; /* the value in force, as jemalloc's */
	return 0;
}

/* Depth of fork handlers on this thread: above 1, a fork nested in a
 * signal handler that interrupted the outer one; the outer one owns the
 * locks, and the nested handlers leave them alone. */
static __thread unsigned fork_depth;

static void prefork(void) {
	if (fork_depth++ != 0 || !atomic_load(&malloc_is_booted))
		return; /* depth counted first: a signal from here on nests */
	prim_stdio_lock();
	if (STRATA_PROF)
		prof_prefork(); /* first: the tables call base_alloc */
	if (STRATA_PROF)
		guard_prefork();
	tsd_prefork();
	arenas_prefork();
	tcache_prefork();
	pagemap_prefork();
	base_prefork();
	background_prefork();
	purge_prefork(); /* last: purge_wake takes it under arenas_lock */
}

static void postfork_parent(void) {
	if (fork_depth != 1 || !atomic_load(&malloc_is_booted)) {
		fork_depth--;
		return;
	}
	purge_postfork_parent();
	background_postfork_parent();
	base_postfork_parent();
	pagemap_postfork_parent();
	tcache_postfork_parent();
	arenas_postfork_parent();
	tsd_postfork_parent();
	if (STRATA_PROF) {
		guard_postfork_parent();
		prof_postfork_parent();
	}
	prim_stdio_unlock();
	fork_depth--; /* last: a signal until here still sees a fork */
}

static void postfork_child(void) {
	if (fork_depth != 1 || !atomic_load(&malloc_is_booted)) {
		fork_depth--;
		return;
	}
	purge_postfork_child();
	background_postfork_child();
	base_postfork_child();
	pagemap_postfork_child();
	tcache_postfork_child(tsd_get()->tcache);
	arenas_postfork_child();
	tsd_postfork_child();
	if (STRATA_PROF) {
		guard_postfork_child();
		prof_postfork_child();
	}
	prim_stdio_reset();
	fork_depth = 0;
}

static void register_with_libc(void) {
	pthread_atfork(prefork, postfork_parent, postfork_child);
	if (STRATA_PROF && prof_boot() != 0)
		report_line("prof: the heap profiler failed to start",
		            (char *)NULL);
	if (STRATA_PROF && guard_boot() != 0)
		report_line("guard: guarded sampling failed to start",
		            (char *)NULL);
	if (opt.stats_print)
		stats_print_register_at_exit();
}

int malloc_init_slow(void) {
	if (is_booting)
		return ENOMEM; /* a libc call inside boot asked for memory */
	pthread_mutex_lock(&init_lock);
	if (atomic_load(&malloc_is_booted)) {
		pthread_mutex_unlock(&init_lock);
		return 0;
	}
	is_booting = true;
	int err = boot();
	is_booting = false;
	if (err == 0)
		atomic_store_explicit(&malloc_is_booted, true,
		                      memory_order_release);
	pthread_mutex_unlock(&init_lock);
	if (err != 0)
		return ENOMEM;
	register_with_libc();
	return 0;
}
