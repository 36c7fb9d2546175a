/*
 * posix.c — core/prim.h on POSIX systems, with the Linux thread id where
 * the system has one.  Shared by every memory backend.
 */
#define _GNU_SOURCE
#include "prim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/perf_event.h>
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

/* The first cap - 1 bytes of the file at path, NUL-terminated; the
 * length, or -1.  open/read, not stdio: stdio allocates. */
static long read_small_file(const char *path, char *buf, size_t cap) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len + 1 < cap &&
	       ((n = read(fd, buf + len, cap - 1 - len)) > 0 ||
	        (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

/* dir + "/" + name into out (cap bytes); false when it does not fit. */
static bool join_path(char *out, size_t cap, const char *dir,
                      const char *name) {
	size_t d = strlen(dir), n = strlen(name);
	if (d + 1 + n + 1 > cap)
		return false;
	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, name, n + 1);
	return true;
}

/* The value of a cgroup memory file: bytes, or 0 for "max", for v1's
 * "no limit" (the largest page count in bytes, above 2^62) or garbage. */
static size_t cgroup_file_bytes(const char *dir, const char *name) {
	char path[4096], buf[64];
	if (!join_path(path, sizeof(path), dir, name) ||
	    read_small_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	size_t v = 0;
	const char *c = buf;
	for (; *c >= '0' && *c <= '9'; c++) {
		if (v > (SIZE_MAX - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(*c - '0');
	}
	if (v >= (size_t)1 << 62)
		return 0;
	return c != buf && (*c == '\n' || *c == '\0') ? v : 0;
}

/* The smaller of two limits, 0 meaning none. */
static size_t limit_min(size_t a, size_t b) {
	return a == 0 || (b != 0 && b < a) ? b : a;
}

/* root + path into dir; false when it does not fit. */
static bool cgroup_path(char *dir, size_t cap, const char *root,
                        const char *path) {
	size_t r = strlen(root), n = strlen(path);
	if (r + n + 1 > cap)
		return false;
	memcpy(dir, root, r);
	memcpy(dir + r, path, n + 1);
	return true;
}

/* Whether a v1 line's controller list ("cpu,cpuacct") names memory. */
static bool names_memory(const char *list, size_t len) {
	for (const char *c = list; c < list + len;) {
		const char *comma = memchr(c, ',', (size_t)(list + len - c));
		size_t n = comma != NULL ? (size_t)(comma - c)
		                         : (size_t)(list + len - c);
		if (n == 6 && memcmp(c, "memory", 6) == 0)
			return true;
		c += n + 1;
	}
	return false;
}

size_t prim_cgroup_memory_limit(void) {
	int saved_errno = errno;
	char dir[4096], buf[4096];
	size_t limit = 0;
	const char *env = getenv("STRATA_CGROUP_DIR");
	if (env != NULL && *env != '\0') {
		/* A directory standing in for the cgroup (tests): whichever
		 * version's files it holds. */
		limit = limit_min(cgroup_file_bytes(env, "memory.max"),
		                  cgroup_file_bytes(env, "memory.high"));
		limit = limit_min(limit, cgroup_file_bytes(env,
		                                    "memory.limit_in_bytes"));
		errno = saved_errno;
		return limit;
	}
	if (read_small_file("/proc/self/cgroup", buf, sizeof(buf)) <= 0) {
		errno = saved_errno;
		return 0;
	}
	/* "0::PATH" is the v2 hierarchy; "N:memory:PATH" (the controller
	 * maybe listed with others) is v1's memory controller.  Hybrid
	 * systems have both lines: each one read gives its limit. */
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		char *list = strchr(line, ':');
		char *path = list != NULL ? strchr(list + 1, ':') : NULL;
		if (path != NULL) {
			list++;
			path++;
			if (list == path - 1 && strncmp(line, "0:", 2) == 0 &&
			    cgroup_path(dir, sizeof(dir), "/sys/fs/cgroup",
			                path)) {
				limit = limit_min(limit, cgroup_file_bytes(
				                         dir, "memory.max"));
				limit = limit_min(limit, cgroup_file_bytes(
				                         dir, "memory.high"));
			} else if (names_memory(list, (size_t)(path - 1 - list)) &&
			           cgroup_path(dir, sizeof(dir),
			                       "/sys/fs/cgroup/memory", path)) {
				limit = limit_min(limit, cgroup_file_bytes(
				                 dir, "memory.limit_in_bytes"));
			}
		}
		line = end != NULL ? end + 1 : NULL;
	}
	errno = saved_errno;
	return limit;
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

#if defined(__linux__) && defined(SYS_perf_event_open)
/* type and config of each prim_perf_event; cache events encode
 * cache | op << 8 | result << 16. */
#define PRIM_HW_CACHE(cache, op, result)                                  \
	{ PERF_TYPE_HW_CACHE, PERF_COUNT_HW_CACHE_##cache |               \
	  (PERF_COUNT_HW_CACHE_OP_##op << 8) |                            \
	  (PERF_COUNT_HW_CACHE_RESULT_##result << 16) }
static const struct { uint32_t type; uint64_t config; }
    perf_events[PRIM_PERF_NEVENTS] = {
	[PRIM_PERF_CACHE_MISSES] = { PERF_TYPE_HARDWARE,
	                             PERF_COUNT_HW_CACHE_MISSES },
	[PRIM_PERF_L1D_READ_MISSES] = PRIM_HW_CACHE(L1D, READ, MISS),
	[PRIM_PERF_LLC_READ_MISSES] = PRIM_HW_CACHE(LL, READ, MISS),
	[PRIM_PERF_DTLB_READ_MISSES] = PRIM_HW_CACHE(DTLB, READ, MISS),
	[PRIM_PERF_PAGE_FAULTS] = { PERF_TYPE_SOFTWARE,
	                            PERF_COUNT_SW_PAGE_FAULTS },
};

int prim_perf_open(enum prim_perf_event ev, uint64_t tid, int *fd) {
	if ((unsigned)ev >= PRIM_PERF_NEVENTS)
		return EINVAL;
	int saved_errno = errno;
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = perf_events[ev].type;
	attr.config = perf_events[ev].config;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	long r = syscall(SYS_perf_event_open, &attr, (pid_t)tid, -1, -1,
	                 PERF_FLAG_FD_CLOEXEC);
	int err = r < 0 ? errno : 0;
	errno = saved_errno;
	if (err == 0)
		*fd = (int)r;
	return err;
}
#else
int prim_perf_open(enum prim_perf_event ev, uint64_t tid, int *fd) {
	(void)ev, (void)tid, (void)fd;
	return ENOSYS;
}
#endif

int prim_perf_read(int fd, uint64_t *count) {
	int saved_errno = errno;
	ssize_t n;
	do
		n = read(fd, count, sizeof(*count));
	while (n < 0 && errno == EINTR);
	int err = n == (ssize_t)sizeof(*count) ? 0 : n < 0 ? errno : EIO;
	errno = saved_errno;
	return err;
}

void prim_perf_close(int fd) {
	int saved_errno = errno;
	close(fd);
	errno = saved_errno;
}

/* glibc 2.32 and later name errno values without translating them (no
 * malloc, no locale); elsewhere the message is strerror's. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
const char *prim_errno_name(int err) {
	const char *s = strerrorname_np(err);
	return s != NULL ? s : "?";
}
const char *prim_errno_text(int err) {
	const char *s = strerrordesc_np(err);
	return s != NULL ? s : "?";
}
#else
const char *prim_errno_name(int err) {
	switch (err) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	default: return "?";
	}
}
const char *prim_errno_text(int err) {
	int saved_errno = errno;
	const char *s = strerror(err);
	errno = saved_errno;
	return s;
}
#endif
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
