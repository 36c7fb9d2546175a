/*
 * background.h — the background purger.
 *
 * One thread that sleeps until the earliest decay deadline of any arena,
 * purges what is due, and sleeps again, so that an idle process returns
 * memory without any further malloc call.  On by default
 * (background_thread:false turns it off).  It is started lazily, from the
 * periodic thread event of an allocating thread, holding no lock — never
 * during init, so there is no dlsym recursion or init-order hazard — and
 * only once an arena holds BACKGROUND_START_BYTES in use or dirty: memory
 * that, once freed, inline decay will not return if the process goes
 * idle.  Never from free: glibc frees a dead thread's TLS while it holds
 * its stack-cache lock, which pthread_create takes, so a thread created
 * there deadlocks.  A program that never holds that much stays
 * single-threaded (glibc's fork() then takes no atfork lock, and a fork
 * from a signal handler cannot block there).  It
 * blocks every signal, allocates nothing, exits when no thread known to
 * strata is left (so it never keeps a process alive), and after fork the
 * child starts its own again on demand.  It sleeps and is woken in the
 * purge layer (purge_sleep_until, purge_notify, purge_wake), so nothing
 * below the arenas calls this module.
 */
#ifndef STRATA_BACKGROUND_H
#define STRATA_BACKGROUND_H

#include <stdbool.h>

#include "util.h"

/* Bytes one arena holds, in use or dirty, that start the thread. */
#define BACKGROUND_START_BYTES ((size_t)4 << 20)

struct arena;
/* Start the thread if it should run and does not, and arena a (NULL:
 * none) holds enough memory for it; call with no lock held, never from
 * free. */
HIDDEN void background_maybe_start(struct arena *a);
HIDDEN bool background_is_running(void);
/* Threads known to strata (they allocated at least once), for liveness. */
HIDDEN void background_thread_arrived(void);
HIDDEN void background_thread_left(void);

HIDDEN void background_prefork(void);
HIDDEN void background_postfork_parent(void);
HIDDEN void background_postfork_child(void);

#endif
