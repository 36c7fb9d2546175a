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
#include "pages.h"
#include "pagemap.h"
#include "prim.h"
#include "purge.h"
#include "report.h"
#include "sizeclass.h"
#include "stats.h"
#include "prof.h"
#include "tcache.h"
#include "tsd.h"

atomic_bool malloc_is_booted;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool is_booting;

static unsigned default_narenas(void) {
	long ncpus = (long)prim_cpu_count();
	return ncpus > 0 ? 4u * (unsigned)ncpus : 4u;
}

static int boot(void) {
	conf_boot();
	int err = pages_boot();
	if (err != 0) {
		report_line("backend '", pages_backend_name(),
		            "' failed to initialise", (char *)NULL);
		return err;
	}
	conf_check_backend(pages_backend_name(),
	                   pages_has_cap(BACKEND_CAP_HUGEPAGE));
	sizeclass_boot();
	decay_boot();
	tcache_boot(opt.tcache ? opt.tcache_max : 0);
	if ((err = tsd_boot()) != 0)
		return err;
	if ((err = arenas_boot(opt.narenas != 0 ? opt.narenas
	                                        : default_narenas())) != 0)
		return err;
	opt.narenas = narenas_auto; /* the value in force, as jemalloc's */
	return 0;
}

static void prefork(void) {
	if (!atomic_load(&malloc_is_booted))
		return;
	if (STRATA_PROF)
		prof_prefork(); /* first: the tables call base_alloc */
	tsd_prefork();
	arenas_prefork();
	tcache_prefork();
	pagemap_prefork();
	base_prefork();
	background_prefork();
	purge_prefork(); /* last: purge_wake takes it under arenas_lock */
}

static void postfork_parent(void) {
	if (!atomic_load(&malloc_is_booted))
		return;
	purge_postfork_parent();
	background_postfork_parent();
	base_postfork_parent();
	pagemap_postfork_parent();
	tcache_postfork_parent();
	arenas_postfork_parent();
	tsd_postfork_parent();
	if (STRATA_PROF)
		prof_postfork_parent();
}

static void postfork_child(void) {
	if (!atomic_load(&malloc_is_booted))
		return;
	purge_postfork_child();
	background_postfork_child();
	base_postfork_child();
	pagemap_postfork_child();
	tcache_postfork_child(tsd_get()->tcache);
	arenas_postfork_child();
	tsd_postfork_child();
	if (STRATA_PROF)
		prof_postfork_child();
}

static void register_with_libc(void) {
	pthread_atfork(prefork, postfork_parent, postfork_child);
	if (STRATA_PROF && prof_boot() != 0)
		report_line("prof: the heap profiler failed to start",
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
