/*
 * posix.c — core/prim.h on POSIX systems, with the Linux thread id where
 * the system has one.  Shared by every memory backend.
 */
#define _GNU_SOURCE
#include "prim.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
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
