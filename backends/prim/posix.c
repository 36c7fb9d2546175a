/*
 * posix.c — core/prim.h on POSIX systems, with the Linux thread id where
 * the system has one.  Shared by every memory backend.
 */
#define _GNU_SOURCE
#include "prim.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/* CLOCK_MONOTONIC always exists, so clock_gettime cannot fail and errno
 * is left alone without saving it (this runs on every decay step). */
uint64_t prim_clock_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t prim_thread_id(void) {
#ifdef SYS_gettid
	return (uint64_t)syscall(SYS_gettid); /* cannot fail */
#else
	return (uint64_t)(uintptr_t)pthread_self();
#endif
}

unsigned prim_cpu_count(void) {
	int saved_errno = errno;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	errno = saved_errno;
	return n > 0 ? (unsigned)n : 0;
}

void prim_write_fd(int fd, const char *buf, size_t len) {
	int saved_errno = errno;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved_errno;
}

void prim_write_stderr(const char *buf, size_t len) {
	prim_write_fd(STDERR_FILENO, buf, len);
}

const char *prim_getenv(const char *name) { return getenv(name); }

int prim_readlink(const char *path, char *buf, size_t cap) {
	int saved_errno = errno;
	ssize_t n = cap > 0 ? readlink(path, buf, cap) : -1;
	int err = n < 0 ? errno : (size_t)n >= cap ? ENAMETOOLONG : 0;
	if (err == 0)
		buf[n] = '\0';
	errno = saved_errno;
	return err;
}

/* glibc's stream-list lock (exported since 2.2.5); weak, so a C library
 * without it leaves them NULL. */
extern void _IO_list_lock(void) __attribute__((weak));
extern void _IO_list_unlock(void) __attribute__((weak));
extern void _IO_list_resetlock(void) __attribute__((weak));

void prim_stdio_lock(void) {
	if (_IO_list_lock != NULL)
		_IO_list_lock();
}
void prim_stdio_unlock(void) {
	if (_IO_list_unlock != NULL)
		_IO_list_unlock();
}
void prim_stdio_reset(void) {
	if (_IO_list_resetlock != NULL)
		_IO_list_resetlock();
}

void *prim_guard_reserve(size_t size) {
	int saved = errno;
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	errno = saved;
	return p == MAP_FAILED ? NULL : p;
}

int prim_guard_protect(void *addr, size_t size, bool is_open) {
	int saved = errno;
	int err = mprotect(addr, size, is_open ? PROT_READ | PROT_WRITE
	                                       : PROT_NONE) == 0 ? 0 : errno;
	errno = saved;
	return err;
}

static prim_fault_fn *fault_fn;
static struct sigaction fault_prev_segv, fault_prev_bus;

/* Hands the signal to the handler that was there before: its function
 * when it had one, else its disposition back and the access runs again
 * (faulting again, now under that disposition). */
static void fault_chain(int sig, siginfo_t *info, void *uc) {
	struct sigaction *prev = sig == SIGSEGV ? &fault_prev_segv
	                                        : &fault_prev_bus;
	if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction != NULL) {
		prev->sa_sigaction(sig, info, uc);
	} else if (!(prev->sa_flags & SA_SIGINFO) &&
	           prev->sa_handler != SIG_DFL &&
	           prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
	} else {
		sigaction(sig, prev, NULL);
		if (info->si_code <= 0) /* sent, not a fault: send it again */
			raise(sig);
	}
}

static void fault_handler(int sig, siginfo_t *info, void *uc) {
	int saved = errno;
	if (fault_fn != NULL && fault_fn(info->si_addr)) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(sig, &dfl, NULL);
		raise(sig); /* delivered when the handler returns */
	} else {
		fault_chain(sig, info, uc);
	}
	errno = saved;
}

int prim_fault_handler_install(prim_fault_fn *fn) {
	int saved = errno;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	fault_fn = fn;
	int err = 0;
	if (sigaction(SIGSEGV, &sa, &fault_prev_segv) != 0 ||
	    sigaction(SIGBUS, &sa, &fault_prev_bus) != 0)
		err = errno;
	errno = saved;
	return err;
}
