/*
 * prim.h — the operating-system services the core uses that are not
 * memory: a monotonic clock, the thread id, the CPU count, writing to a
 * file descriptor, reading the environment, per-thread event counters.
 * Memory goes through the
 * backend (backend.h); everything else the core needs from the system is
 * here or is a portable POSIX call every target has (pthreads, atexit,
 * pthread_atfork, fcntl, dup).
 *
 * Implemented once, in backends/prim/, and linked into every build
 * whichever memory backend it has.
 *
 * Preconditions and promises of every function, stated once: callable from
 * any thread at any time, including inside the process's first malloc,
 * before constructors and at thread exit; never calls malloc (directly or
 * through a libc function that may); never fails in a way the caller must
 * handle (each says what it returns when the system cannot answer); leaves
 * the caller's errno unchanged.
 */
#ifndef STRATA_PRIM_H
#define STRATA_PRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Nanoseconds on CLOCK_MONOTONIC, the clock background.c's condition
 * variable waits on.  Never goes backwards. */
HIDDEN uint64_t prim_clock_ns(void);

/* The calling thread's id as the system names it (Linux: its tid, the
 * number top and /proc show); a per-thread value elsewhere. */
HIDDEN uint64_t prim_thread_id(void);

/* CPUs online; 0 when the system cannot tell. */
HIDDEN unsigned prim_cpu_count(void);

/* Write all len bytes of buf to fd, retrying short writes and EINTR;
 * stops silently at the first other failure (a closed descriptor). */
HIDDEN void prim_write_fd(int fd, const char *buf, size_t len);
/* prim_write_fd on the standard error descriptor. */
HIDDEN void prim_write_stderr(const char *buf, size_t len);

/* The environment variable's value, NULL when unset.  The string belongs
 * to the environment: read it before anything may change it. */
HIDDEN const char *prim_getenv(const char *name);

/* The target of the symbolic link at path, NUL-terminated in buf (cap
 * bytes).  0, or an errno value: ENOENT/EINVAL when it is not a link,
 * ENAMETOOLONG when the target does not fit. */
HIDDEN int prim_readlink(const char *path, char *buf, size_t cap);
/* The memory limit of the process's own cgroup, in bytes, 0 when there
 * is none or its files cannot be read: the smallest of v2's memory.max and
 * memory.high (/sys/fs/cgroup/<path>, <path> from the "0::" line of
 * /proc/self/cgroup) and v1's memory.limit_in_bytes (/sys/fs/cgroup/memory/
 * <path>, from the line naming the memory controller); hybrid systems
 * have both.  STRATA_CGROUP_DIR, when set, is read instead, with whichever
 * version's files it holds (tests point it at a directory of their own).
 * Limits of ancestor cgroups are not read. */
HIDDEN size_t prim_cgroup_memory_limit(void);

/* The C library's lock on its list of open streams, taken by fork's
 * prepare step before the allocator's locks (glibc takes it in fork()
 * after the atfork prepare handlers and before its own malloc locks: a
 * thread in fflush(NULL) holds it while waiting for a stream whose owner
 * may be inside malloc).  The lock is recursive, so fork() taking it again
 * in the same thread does not block.  unlock in the parent, reset in the
 * child.  No-ops where the C library has no such lock. */
HIDDEN void prim_stdio_lock(void);
HIDDEN void prim_stdio_unlock(void);
HIDDEN void prim_stdio_reset(void);

/* Hardware and software event counters of one thread (Linux
 * perf_event_open).  Each counts from its opening, for the thread alone
 * (not its children), in user mode only, so a process that may not watch
 * the kernel (perf_event_paranoid 2) can still open it. */
enum prim_perf_event {
	PRIM_PERF_CACHE_MISSES,     /* last-level misses as the CPU names them */
	PRIM_PERF_L1D_READ_MISSES,
	PRIM_PERF_LLC_READ_MISSES,
	PRIM_PERF_DTLB_READ_MISSES,
	PRIM_PERF_PAGE_FAULTS,      /* a software event: the kernel counts it */
	PRIM_PERF_NEVENTS
};
/* A counter of event ev for thread tid of this process (prim_thread_id),
 * readable from any thread: 0 and *fd, or the errno value the system
 * gave (ENOENT/EOPNOTSUPP: no such event on this CPU, EACCES/EPERM:
 * perf_event_paranoid forbids it, ENOSYS: no such interface). */
HIDDEN int prim_perf_open(enum prim_perf_event ev, uint64_t tid, int *fd);
/* The counter's value: 0 and *count, or an errno value. */
HIDDEN int prim_perf_read(int fd, uint64_t *count);
HIDDEN void prim_perf_close(int fd);
/* An errno value as its symbolic name ("EACCES") and its message
 * ("Permission denied"), both static text; "?" for an unknown value. */
HIDDEN const char *prim_errno_name(int err);
HIDDEN const char *prim_errno_text(int err);
/* Guard pages for guarded sampling (guard.c).  Access protection is not
 * placement: the pool is the same plain address space whichever memory
 * backend the build has, so it is asked for here.  reserve: size bytes
 * (a page multiple), page-aligned, every access faulting; NULL when the
 * system has none to give.  protect: [addr, addr + size) readable and
 * writable (is_open) or faulting again; 0 or an errno value. */
HIDDEN void *prim_guard_reserve(size_t size);
HIDDEN int prim_guard_protect(void *addr, size_t size, bool is_open);

/* Installs a handler for invalid memory accesses (SIGSEGV, SIGBUS) that
 * calls fn with the faulting address.  fn true: it reported the fault,
 * the default action is restored and the signal raised again (the
 * process dies as it would have).  fn false: the handler installed
 * before this one, if any, gets the signal.  Once per process; 0 or an
 * errno value. */
typedef bool prim_fault_fn(void *addr);
HIDDEN int prim_fault_handler_install(prim_fault_fn *fn);

#endif /* STRATA_PRIM_H */
